"""Scenarios: a model, its flat parameters and the run settings, from TOML or the command line.

A scenario file under ``simulations/`` looks like::

    model = "service"            # service | cache | coldstart

    [run]
    requests = 20000             # or duration = 3600 (seconds)
    warmup = 0.1
    replications = 5
    seed = 1

    [params]
    arrival_rate = 40.0
    service_time = "exp:0.1"
    replicas = 4
    concurrency = 2

    [objectives]                 # for the Pareto frontier of a sweep (both minimised)
    x = "replicas_mean"
    y = "response_p99"

Parameter names are the command-line options with ``_`` for ``-``; :data:`PARAMS` lists
them per model. ``build`` turns a scenario into the model object and its workload.

Examples
--------
>>> sc = Scenario("service", {"arrival_rate": 1.0, "service_time": "exp:0.5"}, requests=100)
>>> model, workload = sc.build()
>>> model.service_time.mean, workload.rate
(0.5, 1.0)
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from pipbench.errors import ConfigError, InputError
from pipbench.sim.cache import Cache
from pipbench.sim.distributions import parse_distribution
from pipbench.sim.hpa import HPA
from pipbench.sim.scaling import StepScaling, TargetTracking
from pipbench.sim.serverless import FixedKeepAlive, HistogramKeepAlive, Serverless
from pipbench.sim.service import Service
from pipbench.sim.workload import MMPP, Diurnal, Poisson, Replay, Steps, Workload

__all__ = ["MODELS", "PARAMS", "Scenario", "load_scenario"]

Model = Literal["service", "cache", "coldstart"]
MODELS: tuple[str, ...] = ("service", "cache", "coldstart")

_WORKLOAD = {
    "arrival_rate": None,
    "workload": "poisson",
    "amplitude": 0.5,
    "period": 86_400.0,
    "burst_rate": None,
    "burst_s": 60.0,
    "calm_s": 600.0,
    "steps": None,
    "trace": None,
}

#: Every parameter per model, with its default (``None``: required or absent).
PARAMS: dict[str, dict[str, Any]] = {
    "service": {
        **_WORKLOAD,
        "service_time": "exp:0.1",
        "replicas": 1,
        "concurrency": 1,
        "queue_limit": None,
        "routing": "shared",
        "provisioning_delay": 0.0,
        "autoscaler": "none",
        "min_replicas": 1,
        "max_replicas": 10,
        "target_utilization": 70.0,
        "sync_period": 15.0,
        "behavior": "default",
        "metric_window": 0.0,
        "scale_in_cooldown": 300.0,
    },
    "cache": {
        **_WORKLOAD,
        "keys": 1000,
        "zipf_alpha": 0.8,
        "ttl": None,
        "ttl_mode": "set-on-miss",
        "capacity": None,
        "update_rate": 0.0,
        "coalescing": True,
        "backend_latency": "const:0",
        "backend_concurrency": None,
    },
    "coldstart": {
        **_WORKLOAD,
        "keep_alive": 600.0,
        "execution_time": "const:0.1",
        "init_time": None,
        "provisioned": 0,
        "memory_mb": 512,
        "concurrency": 1,
        "policy": "fixed",
        "prewarm": 0.0,
    },
}


def _workload(p: Mapping[str, Any]) -> Workload:
    kind = p["workload"]
    rate = p["arrival_rate"]
    if kind == "replay":
        if not p["trace"]:
            msg = "workload 'replay' needs trace = FILE (a CSV of t_seconds,rate)"
            raise ConfigError(msg)
        return Replay.from_csv(str(p["trace"]))
    if kind == "steps":
        steps = p["steps"]
        if not steps:
            msg = "workload 'steps' needs steps = [[t, rate], ...]"
            raise ConfigError(msg)
        return Steps([float(s[0]) for s in steps], [float(s[1]) for s in steps])
    if rate is None:
        msg = "arrival_rate is required (requests per second)"
        raise ConfigError(msg)
    rate = float(rate)
    if not (math.isfinite(rate) and rate > 0):
        msg = f"arrival rate must be > 0 requests per second, got {rate!r}"
        raise ConfigError(msg)
    if kind == "poisson":
        return Poisson(rate)
    if kind == "diurnal":
        return Diurnal(rate, float(p["amplitude"]), float(p["period"]))
    if kind == "mmpp":
        burst = float(p["burst_rate"] or 5 * rate)
        return MMPP([rate, burst], [float(p["calm_s"]), float(p["burst_s"])])
    msg = f"unknown workload {kind!r}; expected poisson, diurnal, mmpp, steps or replay"
    raise ConfigError(msg)


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


def _build_service(p: Mapping[str, Any]) -> Service:
    kind = p["autoscaler"] or "none"
    lo, hi = int(p["min_replicas"]), int(p["max_replicas"])
    scaler: Any
    if kind == "none":
        scaler = None
    elif kind == "hpa":
        behavior = p["behavior"]
        if behavior not in ("default", "legacy"):
            msg = f"behavior must be 'default' or 'legacy', got {behavior!r}"
            raise ConfigError(msg)
        scaler = HPA(
            lo,
            hi,
            float(p["target_utilization"]),
            "default" if behavior == "default" else None,
            sync_period=float(p["sync_period"]),
            metric_window=float(p["metric_window"]),
        )
    elif kind == "target-tracking":
        scaler = TargetTracking(
            float(p["target_utilization"]),
            lo,
            hi,
            period=float(p["sync_period"]),
            scale_in_cooldown=float(p["scale_in_cooldown"]),
        )
    elif kind == "step":
        scaler = StepScaling(min_replicas=lo, max_replicas=hi, period=float(p["sync_period"]))
    else:
        msg = f"unknown autoscaler {kind!r}; expected none, hpa, target-tracking or step"
        raise ConfigError(msg)
    return Service(
        replicas=int(p["replicas"]),
        concurrency=int(p["concurrency"]),
        service_time=parse_distribution(str(p["service_time"])),
        queue_limit=_opt_int(p["queue_limit"]),
        routing=p["routing"],
        provisioning_delay=float(p["provisioning_delay"]),
        autoscaler=scaler,
    )


def _build_cache(p: Mapping[str, Any]) -> Cache:
    return Cache(
        keys=int(p["keys"]),
        zipf_alpha=float(p["zipf_alpha"]),
        ttl=None if p["ttl"] is None else float(p["ttl"]),
        ttl_mode=p["ttl_mode"],
        capacity=_opt_int(p["capacity"]),
        update_rate=float(p["update_rate"]),
        coalescing=bool(p["coalescing"]),
        backend_latency=parse_distribution(str(p["backend_latency"])),
        backend_concurrency=_opt_int(p["backend_concurrency"]),
    )


def _build_coldstart(p: Mapping[str, Any]) -> Serverless:
    policy = p["policy"]
    if policy not in ("fixed", "histogram"):
        msg = f"policy must be 'fixed' or 'histogram', got {policy!r}"
        raise ConfigError(msg)
    return Serverless(
        keep_alive=float(p["keep_alive"]),
        execution_time=parse_distribution(str(p["execution_time"])),
        init_time=None if p["init_time"] is None else parse_distribution(str(p["init_time"])),
        memory_mb=int(p["memory_mb"]),
        provisioned=int(p["provisioned"]),
        concurrency=int(p["concurrency"]),
        policy=HistogramKeepAlive(fallback=float(p["keep_alive"]))
        if policy == "histogram"
        else FixedKeepAlive(float(p["keep_alive"]), float(p["prewarm"])),
    )


@dataclass(frozen=True)
class Scenario:
    """A model with flat parameters and how to run it.

    Parameters
    ----------
    model
        ``service``, ``cache`` or ``coldstart``.
    params
        Flat parameters (see :data:`PARAMS`); missing ones take their defaults.
    requests, duration
        Horizon: a number of requests or seconds (default 10 000 requests).
    warmup
        Fraction discarded from statistics.
    replications
        Independent runs for the confidence intervals.
    seed
        Base seed; replication ``r`` uses ``SeedSequence(seed, spawn_key=(r,))`` in every
        scenario (common random numbers).
    objectives
        Two summary keys for a sweep's Pareto frontier (both minimised); default per model
        (:data:`pipbench.sim.sweep.DEFAULT_OBJECTIVES`).
    """

    model: Model
    params: Mapping[str, Any] = field(default_factory=dict)
    requests: int | None = None
    duration: float | None = None
    warmup: float = 0.0
    replications: int = 1
    seed: int = 0
    objectives: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            msg = f"model must be one of {', '.join(MODELS)}, got {self.model!r}"
            raise ConfigError(msg)
        unknown = sorted(set(self.params) - set(PARAMS[self.model]))
        if unknown:
            msg = f"unknown {self.model} parameter {unknown[0]!r}; known: {', '.join(sorted(PARAMS[self.model]))}"
            raise ConfigError(msg)
        if self.requests is not None and self.duration is not None:
            msg = "give requests or duration, not both"
            raise ConfigError(msg)
        if self.requests is not None and (int(self.requests) != self.requests or self.requests < 1):
            msg = f"requests must be an integer ≥ 1, got {self.requests!r}"
            raise ConfigError(msg)
        if self.duration is not None and not self.duration > 0:
            msg = f"duration must be > 0 seconds, got {self.duration!r}"
            raise ConfigError(msg)
        if not 0 <= self.warmup < 1:
            msg = f"warmup must be a fraction in [0, 1), got {self.warmup!r}"
            raise ConfigError(msg)
        if int(self.replications) != self.replications or self.replications < 1:
            msg = f"replications must be an integer ≥ 1, got {self.replications!r}"
            raise ConfigError(msg)

    @property
    def resolved(self) -> dict[str, Any]:
        """Every parameter, defaults filled in."""
        return {**PARAMS[self.model], **dict(self.params)}

    def horizon(self) -> tuple[int | None, float | None]:
        """``(requests, duration)`` with the default of 10 000 requests."""
        if self.requests is None and self.duration is None:
            return 10_000, None
        return self.requests, self.duration

    def with_params(self, **overrides: Any) -> Scenario:
        """A copy with some parameters replaced (run settings too: ``requests``, ``seed``, …)."""
        run_keys = {"requests", "duration", "warmup", "replications", "seed"}
        run = {k: v for k, v in overrides.items() if k in run_keys}
        if "requests" in run:  # one horizon replaces the other
            run.setdefault("duration", None)
        elif "duration" in run:
            run.setdefault("requests", None)
        params = {k: v for k, v in overrides.items() if k not in run_keys}
        return replace(self, params={**dict(self.params), **params}, **run)

    def build(self) -> tuple[Service | Cache | Serverless, Workload]:
        """The model object and the workload."""
        p = self.resolved
        workload = _workload(p)
        if self.model == "service":
            return _build_service(p), workload
        if self.model == "cache":
            return _build_cache(p), workload
        return _build_coldstart(p), workload


def load_scenario(path: str | Path) -> Scenario:
    """Read a scenario TOML file (see the module docstring for its shape)."""
    p = Path(path)
    try:
        data = tomllib.loads(p.read_text())
    except FileNotFoundError:
        msg = "no such scenario file"
        raise InputError(msg, file=p, expected="a TOML file, e.g. under simulations/") from None
    except tomllib.TOMLDecodeError as err:
        msg = f"invalid TOML: {err}"
        raise InputError(msg, file=p) from None
    unknown = sorted(set(data) - {"model", "run", "params", "objectives", "description"})
    if unknown:
        msg = f"unknown section or key {unknown[0]!r}"
        raise InputError(msg, file=p, expected="model, run, params, objectives, description")
    run = dict(data.get("run", {}))
    bad = sorted(set(run) - {"requests", "duration", "warmup", "replications", "seed"})
    if bad:
        msg = f"unknown run setting {bad[0]!r}"
        raise InputError(msg, file=p, field=f"run.{bad[0]}")
    obj = data.get("objectives", {})
    try:
        return Scenario(
            model=data.get("model", ""),
            params=dict(data.get("params", {})),
            objectives=(obj["x"], obj["y"]) if obj else None,
            **run,
        )
    except ConfigError as err:
        raise InputError(str(err), file=p) from None
