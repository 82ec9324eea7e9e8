"""What-if sweeps for capacity planning: autoscaling, cache TTL and serverless cold starts.

Three questions a PIP's change plan asks before anything ships, each answered by a small
grid of simulations (:mod:`pipbench.sim`) with replications, Student-t intervals, the Pareto
frontier of cost against the harm, and a recommended setting:

- :func:`capacity_whatif` — replay the dataset's real traffic (request counters) through the
  service model behind the Kubernetes HPA, with the service time observed for each release
  (the events' durations per version): p99 and 503s against replica-hours.
- :func:`cache_ttl_tradeoff` — TTL (and capacity) for a Zipf key space: hit ratio, backend
  rate and staleness, next to the closed forms (:mod:`pipbench.sim.analytic`).
- :func:`coldstart_tradeoff` — keep-alive and provisioned concurrency: the cold fraction
  against the cost per day.

Replication ``r`` of every setting uses ``SeedSequence(seed, spawn_key=(r,))``: the same
arrivals and service draws across the grid (common random numbers), results independent
of the executor.

Examples
--------
>>> r = cache_ttl_tradeoff(ttls=(10.0, 60.0), requests=2000, replications=2)
>>> r.table["ttl"].to_list()
[10.0, 60.0]
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from pipbench.charts.tradeoff import pareto_mask
from pipbench.dataset import Dataset
from pipbench.errors import ConfigError, InputError
from pipbench.sim import (
    HPA,
    Behavior,
    Distribution,
    Replay,
    ScalingPolicy,
    ScalingRules,
    Scenario,
    Service,
    load_scenario,
    run_once,
    simulate_service,
    summarize,
)
from pipbench.sim.analytic import cold_start_fraction, ttl_hit_ratio, ttl_stale_given_hit
from pipbench.sim.hpa import DEFAULT_BEHAVIOR
from pipbench.workflows._inputs import need_dataset, need_time
from pipbench.workflows._select import interval_counts

__all__ = [
    "CacheResult",
    "CapacityResult",
    "ColdStartResult",
    "cache_ttl_tradeoff",
    "capacity_whatif",
    "coldstart_tradeoff",
    "simulations_dir",
]

_MIN_EVENTS = 200


def simulations_dir() -> Path:
    """The repository's ``simulations/`` directory (scenario files)."""
    return Path(__file__).resolve().parents[2] / "simulations"


def _scenario(scenario: str | os.PathLike[str] | Scenario, model: str) -> Scenario:
    if isinstance(scenario, Scenario):
        sc = scenario
    else:
        p = Path(scenario)
        if not p.is_file() and (simulations_dir() / p.name).is_file():
            p = simulations_dir() / p.name
        sc = load_scenario(p)
    if sc.model != model:
        msg = f"scenario: model is {sc.model!r}, this what-if needs a {model!r} scenario"
        raise ConfigError(msg)
    return sc


def _grid_values(name: str, values: Sequence[Any], *, positive: bool = True) -> list[Any]:
    vals = list(values) if not isinstance(values, str) else [values]
    if not vals:
        msg = f"{name} is empty; give at least one value"
        raise ConfigError(msg)
    for v in vals:
        if v is None:
            continue
        if not isinstance(v, int | float) or isinstance(v, bool) or not math.isfinite(v):
            msg = f"{name} holds {v!r}; expected numbers"
            raise ConfigError(msg)
        if positive and v < 0:
            msg = f"{name} holds {v!r}; expected values ≥ 0"
            raise ConfigError(msg)
    return vals


def _positive_int(name: str, v: Any, *, minimum: int = 1) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < minimum:
        msg = f"{name}={v!r}; expected an integer ≥ {minimum}"
        raise ConfigError(msg)
    return v


def _run_all(
    fn: Callable[..., dict[str, float]],
    tasks: Sequence[tuple[Any, ...]],
    executor: Executor | None,
) -> list[dict[str, float]]:
    if executor is None:
        return [fn(*t) for t in tasks]
    futures = [executor.submit(fn, *t) for t in tasks]
    return [f.result() for f in futures]


def _summarize_points(
    points: Sequence[Mapping[str, Any]], rows: Sequence[Mapping[str, float]], reps: int
) -> pl.DataFrame:
    records = []
    for i, pt in enumerate(points):
        s = summarize(rows[i * reps : (i + 1) * reps])
        rec: dict[str, Any] = dict(pt)
        for key, (lo, hi) in s["ci"].items():
            rec[key] = s[key]
            rec[f"{key}_ci_low"] = lo
            rec[f"{key}_ci_high"] = hi
        rec["replications"] = reps
        records.append(rec)
    return pl.DataFrame(records)


def _ci(row: Mapping[str, Any], key: str) -> list[float | None]:
    def f(x: Any) -> float | None:
        return float(x) if x is not None and math.isfinite(float(x)) else None

    return [f(row.get(f"{key}_ci_low")), f(row.get(f"{key}_ci_high"))]


def _ci_text(row: Mapping[str, Any], key: str, spec: str, scale: float = 1.0) -> str:
    """`` (95% CI a–b)`` or ``""`` when there is no interval (one replication)."""
    lo, hi = _ci(row, key)
    if lo is None or hi is None:
        return ""
    return f" (95% CI {format(lo * scale, spec)}–{format(hi * scale, spec)})"


def _jsonable(frame: pl.DataFrame) -> list[dict[str, Any]]:
    out = []
    for row in frame.to_dicts():
        out.append(
            {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in row.items()
            }
        )
    return out


# =============================================================================== capacity
@dataclass(frozen=True)
class CapacityResult:
    """The autoscaling sweep on replayed traffic.

    Attributes
    ----------
    table
        One row per (version, min_replicas, target_utilization): ``setting`` and the
        shorter ``label`` (for charts of one version),
        ``replica_hours``, ``response_p99`` (s), ``p_block`` (the 503 fraction),
        ``utilization``… each with ``_ci_low``/``_ci_high``; ``pareto`` (frontier of
        replica-hours vs p99 within its version) and ``meets`` (the targets hold at the
        interval's upper end).
    traffic
        The replayed request rate: ``timestamp, value`` (requests/s, after ``load_scale``).
    service_times
        Per version: ``version, source, n, mean_s, p50_s, p99_s``.
    timeline
        Replicas and queue length of the recommended setting per version (replication 0):
        ``timestamp, scenario, replicas, queue_length``.
    recommended
        The recommended row of ``table`` (a dict) or None when no setting meets the targets.
    """

    table: pl.DataFrame
    traffic: pl.DataFrame
    service_times: pl.DataFrame
    timeline: pl.DataFrame
    recommended: dict[str, Any] | None
    target_version: str
    p99_target: float
    block_target: float
    hours: float
    speedup: float
    load_scale: float

    def tradeoff(self, version: str | None = None) -> pl.DataFrame:
        """The rows of one version (default: the recommended one), for the trade-off chart."""
        v = version or self.target_version
        return self.table.filter(pl.col("version") == v)

    def same_setting(self) -> pl.DataFrame:
        """The recommended (or, without one, the lowest-p99) HPA setting under every version:
        ``version, replica_hours, response_p99, p_block, meets`` — what the release costs."""
        pick = self.recommended or self.tradeoff().sort("response_p99").row(0, named=True)
        return self.table.filter(
            (pl.col("min_replicas") == pick["min_replicas"])
            & (pl.col("target_utilization") == pick["target_utilization"])
        ).select("version", "replica_hours", "response_p99", "p_block", "meets")

    def summary(self) -> str:
        """One or two sentences for a PIP record."""
        if self.recommended is None:
            return (
                f"No autoscaling setting for {self.target_version} met p99 ≤ "
                f"{self.p99_target:g} s and 503s ≤ {self.block_target:.2%} on the replayed "
                f"traffic (×{self.load_scale:g})."
            )
        r = self.recommended
        return (
            f"For {self.target_version} on the replayed traffic (×{self.load_scale:g}, "
            f"{self.hours:g} measured hours), HPA min {r['min_replicas']} / target "
            f"{r['target_utilization']:g}% is the cheapest setting meeting p99 ≤ "
            f"{self.p99_target:g} s and 503s ≤ {self.block_target:.2%}: "
            f"{r['replica_hours']:.1f} replica-hours{_ci_text(r, 'replica_hours', '.1f')}, "
            f"p99 {r['response_p99'] * 1000:.0f} ms{_ci_text(r, 'response_p99', '.0f', 1000)}."
        )

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence: ``summary``, ``recommended`` (setting, replica_hours, p99,
        p_block with ``ci``), ``targets``, ``replay`` (window hours, speedup, load_scale),
        ``service_times``, ``settings`` (the whole table)."""
        rec = None
        if self.recommended is not None:
            r = self.recommended
            rec = {
                "version": r["version"],
                "min_replicas": r["min_replicas"],
                "target_utilization": r["target_utilization"],
                **{
                    k: {"mean": r[k], "ci": _ci(r, k)}
                    for k in ("replica_hours", "response_p99", "p_block", "utilization")
                },
            }
        return {
            "summary": self.summary(),
            "recommended": rec,
            "same_setting_by_version": self.same_setting().to_dicts(),
            "targets": {
                "version": self.target_version,
                "p99_s": self.p99_target,
                "p_block": self.block_target,
            },
            "replay": {"hours": self.hours, "speedup": self.speedup, "load_scale": self.load_scale},
            "service_times": self.service_times.to_dicts(),
            "settings": _jsonable(self.table),
        }


def _service_time(ds: Dataset, version: str, metric: str) -> tuple[Distribution, dict[str, Any]]:
    """The observed latency of a release: its spans' durations, else a log-normal fit to
    its histogram (p50 and p90 over the whole dataset)."""
    ev = ds.events()
    cols = ev.collect_schema().names()
    if "service_version" in cols and "duration_s" in cols:
        d = (
            ev.filter(pl.col("service_version") == version)
            .select("duration_s")
            .collect()
            .to_series()
            .drop_nulls()
            .to_numpy()
        )
        if d.size >= _MIN_EVENTS:
            q = np.quantile(d, [0.5, 0.99])
            info = {"source": "events", "n": int(d.size), "mean_s": float(d.mean())}
            return Distribution.empirical(d), {**info, "p50_s": float(q[0]), "p99_s": float(q[1])}
    from pipbench.sli.queries import histogram_quantile_frame
    from pipbench.sli.selectors import Matcher

    end = dt.datetime(9999, 1, 1, tzinfo=dt.UTC)
    start = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    b = interval_counts(
        ds, metric + "_bucket", [Matcher("version", "=", version)], start, end, by=["le"]
    )
    if b.height == 0:
        msg = f"no events and no {metric} histogram for version {version!r}"
        raise InputError(msg, field="versions", expected="versions present in the dataset")
    tot = b.group_by("le").agg(pl.col("value").sum()).with_columns(_k=pl.lit(0))
    p50 = float(histogram_quantile_frame(0.5, tot)["value"][0])
    p90 = float(histogram_quantile_frame(0.9, tot)["value"][0])
    p99 = float(histogram_quantile_frame(0.99, tot)["value"][0])
    sigma = max(math.log(p90 / p50) / 1.2815515655446004, 0.05)
    mean = p50 * math.exp(sigma**2 / 2)
    info = {"source": "histogram", "n": int(tot.filter(pl.col("le") == "+Inf")["value"].sum())}
    return Distribution("lognormal", mean, sigma), {
        **info,
        "mean_s": mean,
        "p50_s": p50,
        "p99_s": p99,
    }


def _scaled_behavior(speedup: float) -> Behavior:
    def rules(r: ScalingRules) -> ScalingRules:
        return ScalingRules(
            r.stabilization_window_seconds / speedup,
            tuple(ScalingPolicy(p.type, p.value, p.period_seconds / speedup) for p in r.policies),
            r.select_policy,
        )

    return Behavior(rules(DEFAULT_BEHAVIOR.scale_up), rules(DEFAULT_BEHAVIOR.scale_down))


def _capacity_run(
    service: Service, workload: Replay, duration: float, seed: int, rep: int, warmup: float
) -> dict[str, float]:
    run = simulate_service(
        service,
        workload,
        duration=duration,
        seed=np.random.SeedSequence(seed, spawn_key=(rep,)),
        warmup=warmup,
    )
    return run.summary()


def capacity_whatif(
    dataset: str | os.PathLike[str] | Dataset,
    *,
    start: str | dt.datetime = "2026-03-05T08:00:00Z",
    end: str | dt.datetime = "2026-03-05T17:00:00Z",
    versions: Sequence[str] = ("2.4.0", "2.4.1"),
    min_replicas: Sequence[int] = (1, 2),
    target_utilization: Sequence[float] = (50.0, 70.0, 90.0),
    scenario: str | os.PathLike[str] | Scenario = "checkout-capacity.toml",
    requests_metric: str = "http_requests_total",
    latency_metric: str = "http_request_duration_seconds",
    load_scale: float = 1.0,
    speedup: float = 24.0,
    replications: int = 2,
    seed: int = 1,
    warmup: float = 0.05,
    p99_target: float = 0.25,
    block_target: float = 0.001,
    executor: Executor | None = None,
) -> CapacityResult:
    """Replay the dataset's traffic through the HPA-scaled service model at a few settings.

    Parameters
    ----------
    dataset
        A dataset with the request counter (its rate is replayed) and, per version, events
        (``service_version``; their durations are the service time) or the histogram.
    start, end
        The traffic window to replay (default: the demo's Thursday 08:00–17:00, the ramp to
        the 15:00 peak and the start of the decline).
    versions
        Releases whose observed latency is used as the service time; the last one is the
        one the recommendation is for.
    min_replicas, target_utilization
        The HPA grid (``minReplicas`` and ``averageUtilization`` in percent).
    scenario
        A ``service`` scenario (TOML under ``simulations/`` or a :class:`~pipbench.sim.Scenario`)
        giving the rest of the model: ``concurrency``, ``queue_limit``, ``routing``,
        ``max_replicas``, ``provisioning_delay``, ``sync_period``.
    load_scale
        Multiply the replayed rate ("what if traffic doubles").
    speedup
        Replay ``speedup`` times faster: the HPA's sync period, stabilization windows,
        policy periods and the provisioning delay are divided by it too, so the control
        loop sees the same load changes per sync; requests keep their real service times.
        Replica-hours are reported in real time.
    replications, seed, warmup
        Independent runs per setting, the base seed, the fraction of the window discarded.
    p99_target, block_target
        The targets a recommended setting must meet at the upper end of its 95 % interval.
    executor
        A ``concurrent.futures.Executor`` for the runs (None: in this process).

    Returns
    -------
    CapacityResult
    """
    wf = "capacity_whatif"
    ds = need_dataset(dataset, workflow=wf)
    sc = _scenario(scenario, "service")
    t0 = need_time(start, parameter="start", workflow=wf)
    t1 = need_time(end, parameter="end", workflow=wf)
    if t1 <= t0:
        msg = f"the window is empty: end={t1.isoformat()} is not after start={t0.isoformat()}"
        raise ConfigError(msg)
    if not versions or isinstance(versions, str):
        msg = f"versions={versions!r}; expected a list of releases, e.g. ['2.4.0', '2.4.1']"
        raise ConfigError(msg)
    mins = [_positive_int("min_replicas", v) for v in min_replicas] if min_replicas else []
    if not mins:
        msg = "min_replicas is empty; give at least one value"
        raise ConfigError(msg)
    targets = _grid_values("target_utilization", target_utilization)
    if any(not 0 < t <= 100 for t in targets):
        msg = f"target_utilization={list(targets)}; expected percents in (0, 100]"
        raise ConfigError(msg)
    for name, num in (("load_scale", load_scale), ("speedup", speedup)):
        if not (isinstance(num, int | float) and math.isfinite(num) and num > 0):
            msg = f"{name}={num!r}; expected a positive number"
            raise ConfigError(msg)
    _positive_int("replications", replications)
    if not 0 <= warmup < 1:
        msg = f"warmup={warmup!r}; expected a fraction in [0, 1)"
        raise ConfigError(msg)
    have = set(ds.samples().select("metric").unique().collect().to_series().to_list())
    if requests_metric not in have:
        msg = f"no metric {requests_metric!r} in the dataset"
        raise InputError(msg, field="requests_metric", expected=f"one of {', '.join(sorted(have))}")
    counts = interval_counts(ds, requests_metric, (), t0, t1)
    if counts.height < 2:
        msg = f"no {requests_metric} traffic between {t0.isoformat()} and {t1.isoformat()}"
        raise InputError(msg, field="start/end", expected="a window inside the dataset")
    ts = counts["timestamp"].dt.epoch("us").to_numpy() / 1e6
    step = float(np.median(np.diff(ts)))
    rates = counts["value"].to_numpy() / step * load_scale
    begin = ts - step  # each count is the interval ending at its timestamp
    real_span = float(ts[-1] - begin[0])
    workload = Replay(((begin - begin[0]) / speedup).tolist(), rates.tolist(), real_span / speedup)
    traffic = counts.select("timestamp", value=pl.Series(rates))

    p = sc.resolved
    dists: dict[str, Distribution] = {}
    info_rows = []
    for v in versions:
        dists[v], info = _service_time(ds, str(v), latency_metric)
        info_rows.append({"version": str(v), **info})
    behavior = _scaled_behavior(speedup)
    points: list[dict[str, Any]] = []
    services: list[Service] = []
    for v in versions:
        for m in mins:
            for t in targets:
                hpa = HPA(
                    min_replicas=m,
                    max_replicas=max(int(p["max_replicas"]), m),
                    target=float(t),
                    behavior=behavior,
                    sync_period=float(p["sync_period"]) / speedup,
                    downscale_stabilization=300.0 / speedup,
                )
                services.append(
                    Service(
                        replicas=m,
                        concurrency=int(p["concurrency"]),
                        service_time=dists[v],
                        queue_limit=None if p["queue_limit"] is None else int(p["queue_limit"]),
                        routing=p["routing"],
                        provisioning_delay=float(p["provisioning_delay"]) / speedup,
                        autoscaler=hpa,
                    )
                )
                points.append(
                    {
                        "version": str(v),
                        "min_replicas": m,
                        "target_utilization": float(t),
                        "setting": f"{v} min={m} target={t:g}%",
                        "label": f"min={m} t={t:g}%",
                    }
                )
    duration = real_span / speedup
    tasks = [
        (svc, workload, duration, seed, r, warmup) for svc in services for r in range(replications)
    ]
    rows = _run_all(_capacity_run, tasks, executor)
    hours = real_span * (1 - warmup) / 3600.0
    for row in rows:
        row["replica_hours"] = row["replicas_mean"] * hours
    table = _summarize_points(points, rows, replications)
    pareto = np.zeros(table.height, dtype=bool)
    for v in versions:
        idx = np.flatnonzero(table["version"].to_numpy() == str(v))
        sub = table[idx]
        pareto[idx] = pareto_mask(sub["replica_hours"].to_numpy(), sub["response_p99"].to_numpy())
    hi99 = table["response_p99_ci_high"].fill_nan(None).fill_null(table["response_p99"])
    hib = table["p_block_ci_high"].fill_nan(None).fill_null(table["p_block"])
    table = table.with_columns(
        pareto=pl.Series(pareto),
        meets=(hi99 <= p99_target) & (hib <= block_target),
    )
    target_version = str(versions[-1])
    ok = table.filter((pl.col("version") == target_version) & pl.col("meets"))
    recommended = ok.sort("replica_hours").row(0, named=True) if ok.height else None

    # replicas and queue over time for the recommended setting, per version
    pick = recommended or table.filter(pl.col("version") == target_version).sort(
        "response_p99"
    ).row(0, named=True)
    frames = []
    for v in versions:
        i = next(
            k
            for k, pt in enumerate(points)
            if pt["version"] == str(v)
            and pt["min_replicas"] == pick["min_replicas"]
            and pt["target_utilization"] == pick["target_utilization"]
        )
        run = simulate_service(
            replace(services[i], sample_interval=max(duration / 400.0, 1e-3)),
            workload,
            duration=duration,
            seed=np.random.SeedSequence(seed, spawn_key=(0,)),
            warmup=warmup,
        )
        st = run.states
        stamp = begin[0] + st["t"] * speedup
        frames.append(
            pl.DataFrame(
                {
                    "timestamp": pl.Series((stamp * 1e6).astype(np.int64)).cast(
                        pl.Datetime("us", "UTC")
                    ),
                    "scenario": [f"{v} ({pick['setting'].split(' ', 1)[1]})"] * st["t"].size,
                    "replicas": st["replicas"],
                    "queue_length": st["queue"],
                }
            )
        )
    return CapacityResult(
        table=table,
        traffic=traffic,
        service_times=pl.DataFrame(info_rows),
        timeline=pl.concat(frames),
        recommended=recommended,
        target_version=target_version,
        p99_target=p99_target,
        block_target=block_target,
        hours=round(hours, 3),
        speedup=float(speedup),
        load_scale=float(load_scale),
    )


# ================================================================================== cache
@dataclass(frozen=True)
class CacheResult:
    """The TTL sweep.

    Attributes
    ----------
    table
        One row per (ttl, capacity): ``hit_ratio``, ``backend_rate`` (fetches/s),
        ``stale_given_hit``, ``response_p99``… with ``_ci_low``/``_ci_high``; the closed
        forms ``theory_hit_ratio``, ``theory_backend_rate``, ``theory_stale_given_hit``
        (TTL without a capacity limit; null with one); ``pareto`` (backend rate vs
        staleness) and ``meets`` (the backend limit holds at the interval's upper end).
    recommended
        The row with the least staleness among those meeting the backend limit (None if none).
    """

    table: pl.DataFrame
    recommended: dict[str, Any] | None
    max_backend_rate: float
    arrival_rate: float
    keys: int
    zipf_alpha: float
    notes: tuple[str, ...] = ()

    def theory_frame(self, metric: str = "hit_ratio") -> pl.DataFrame:
        """Simulation against the closed form for ``metric`` (``hit_ratio``,
        ``backend_rate`` or ``stale_given_hit``), rows without a capacity limit:
        ``ttl, source ("simulation"/"theory"), value, ci_low, ci_high``."""
        if metric not in ("hit_ratio", "backend_rate", "stale_given_hit"):
            msg = f"metric={metric!r}; expected hit_ratio, backend_rate or stale_given_hit"
            raise ConfigError(msg)
        t = self.table.filter(pl.col("capacity").is_null())
        sim = t.select(
            "ttl",
            source=pl.lit("simulation"),
            value=pl.col(metric),
            ci_low=pl.col(f"{metric}_ci_low"),
            ci_high=pl.col(f"{metric}_ci_high"),
        )
        th = t.select(
            "ttl",
            source=pl.lit("theory"),
            value=pl.col(f"theory_{metric}"),
            ci_low=pl.col(f"theory_{metric}"),
            ci_high=pl.col(f"theory_{metric}"),
        )
        return pl.concat([sim, th])

    def summary(self) -> str:
        """One or two sentences for a PIP record."""
        if self.recommended is None:
            return (
                f"No TTL kept the backend under {self.max_backend_rate:g} fetches/s at "
                f"{self.arrival_rate:g} req/s over {self.keys} Zipf({self.zipf_alpha:g}) keys."
            )
        r = self.recommended
        cap = "" if r.get("capacity") is None else f" with {int(r['capacity'])} entries"
        return (
            f"TTL {r['ttl']:g} s{cap} is the freshest setting keeping the backend under "
            f"{self.max_backend_rate:g} fetches/s: hit ratio {r['hit_ratio']:.1%}, backend "
            f"{r['backend_rate']:.1f}/s{_ci_text(r, 'backend_rate', '.1f')}, "
            f"{r['stale_given_hit']:.2%} of hits stale."
        )

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence: ``summary``, ``recommended`` (ttl, capacity, hit_ratio,
        backend_rate, stale_given_hit with ``ci``), ``limit``, ``workload``, ``settings``."""
        rec = None
        if self.recommended is not None:
            r = self.recommended
            rec = {
                "ttl": r["ttl"],
                "capacity": r.get("capacity"),
                **{
                    k: {"mean": r[k], "ci": _ci(r, k)}
                    for k in ("hit_ratio", "backend_rate", "stale_given_hit")
                },
            }
        return {
            "summary": self.summary(),
            "recommended": rec,
            "limit": {"max_backend_rate": self.max_backend_rate},
            "workload": {
                "arrival_rate": self.arrival_rate,
                "keys": self.keys,
                "zipf_alpha": self.zipf_alpha,
            },
            "settings": _jsonable(self.table),
            "notes": list(self.notes),
        }


def _run_scenario(sc: Scenario, rep: int) -> dict[str, float]:
    return run_once(sc, rep)


def cache_ttl_tradeoff(
    *,
    scenario: str | os.PathLike[str] | Scenario = "cache-ttl.toml",
    ttls: Sequence[float] = (5.0, 10.0, 20.0, 30.0, 45.0, 60.0, 90.0),
    capacities: Sequence[int | None] = (None,),
    arrival_rate: float | None = None,
    requests: int | None = None,
    replications: int | None = None,
    seed: int | None = None,
    max_backend_rate: float = 75.0,
    executor: Executor | None = None,
) -> CacheResult:
    """Sweep the TTL (and optionally the capacity) of a cache over a Zipf key space.

    Parameters
    ----------
    scenario
        A ``cache`` scenario (default ``simulations/cache-ttl.toml``): keys, Zipf
        exponent, arrival rate, update rate, TTL mode, backend latency, run settings.
    ttls
        TTLs in seconds.
    capacities
        Entry limits (LRU); ``None`` is unbounded.
    arrival_rate, requests, replications, seed
        Override the scenario's (``requests`` per run).
    max_backend_rate
        The backend's limit (fetches/s) a recommended TTL must respect.
    executor
        A ``concurrent.futures.Executor`` for the runs.

    Returns
    -------
    CacheResult
    """
    sc = _scenario(scenario, "cache")
    overrides: dict[str, Any] = {}
    if requests is not None:
        overrides["requests"] = _positive_int("requests", requests, minimum=10)
    if replications is not None:
        overrides["replications"] = _positive_int("replications", replications)
    if seed is not None:
        overrides["seed"] = seed
    if arrival_rate is not None:
        if not (isinstance(arrival_rate, int | float) and arrival_rate > 0):
            msg = f"arrival_rate={arrival_rate!r}; expected requests per second > 0"
            raise ConfigError(msg)
        overrides["arrival_rate"] = float(arrival_rate)
    sc = sc.with_params(**overrides)
    if "requests" in overrides:
        sc = replace(sc, duration=None)
    ttl_list = [float(t) for t in _grid_values("ttls", ttls)]
    caps = _grid_values("capacities", capacities)
    if any(c is not None and (int(c) != c or c < 1) for c in caps):
        msg = f"capacities={list(caps)}; expected entry counts ≥ 1 or None"
        raise ConfigError(msg)
    if not max_backend_rate > 0:
        msg = f"max_backend_rate={max_backend_rate!r}; expected fetches per second > 0"
        raise ConfigError(msg)
    model, workload = sc.build()
    points = [{"ttl": t, "capacity": c} for c in caps for t in ttl_list]
    scenarios = [sc.with_params(ttl=pt["ttl"], capacity=pt["capacity"]) for pt in points]
    reps = sc.replications
    rows = _run_all(_run_scenario, [(s, r) for s in scenarios for r in range(reps)], executor)
    table = _summarize_points(points, rows, reps).with_columns(pl.col("capacity").cast(pl.Int64))
    p = sc.resolved
    pop = model.popularity  # type: ignore[union-attr]
    rate = float(workload.mean_rate)
    th_hit: list[float | None] = []
    th_stale: list[float | None] = []
    for pt in points:
        if pt["capacity"] is None:
            th_hit.append(ttl_hit_ratio(pop, rate, ttl=pt["ttl"], mode=p["ttl_mode"]))
            th_stale.append(
                ttl_stale_given_hit(
                    pop,
                    rate,
                    ttl=pt["ttl"],
                    update_rate=float(p["update_rate"]),
                    mode=p["ttl_mode"],
                )
            )
        else:
            th_hit.append(None)
            th_stale.append(None)
    table = table.with_columns(
        theory_hit_ratio=pl.Series(th_hit, dtype=pl.Float64),
        theory_stale_given_hit=pl.Series(th_stale, dtype=pl.Float64),
    ).with_columns(theory_backend_rate=rate * (1 - pl.col("theory_hit_ratio")))
    hi = table["backend_rate_ci_high"].fill_nan(None).fill_null(table["backend_rate"])
    table = table.with_columns(
        pareto=pl.Series(
            pareto_mask(table["backend_rate"].to_numpy(), table["stale_given_hit"].to_numpy())
        ),
        meets=hi <= max_backend_rate,
    )
    ok = table.filter("meets").sort("stale_given_hit", "backend_rate")
    notes = []
    n_req, dur = sc.horizon()
    span = (dur if dur is not None else (n_req or 0) / rate) * (1 - sc.warmup)
    long = [t for t in ttl_list if t > span / 4]
    if long:
        notes.append(
            f"TTL {', '.join(f'{t:g}' for t in long)} s exceed a quarter of the measured "
            f"{span:.0f} s: those runs hold few expiry cycles per key and sit off the "
            "steady-state theory; give more requests"
        )
    return CacheResult(
        table=table,
        recommended=ok.row(0, named=True) if ok.height else None,
        max_backend_rate=float(max_backend_rate),
        arrival_rate=rate,
        keys=int(p["keys"]),
        zipf_alpha=float(p["zipf_alpha"]),
        notes=tuple(notes),
    )


# ============================================================================== coldstart
@dataclass(frozen=True)
class ColdStartResult:
    """The keep-alive × provisioned-concurrency sweep.

    Attributes
    ----------
    table
        One row per (keep_alive, provisioned): ``cold_fraction``, ``cost_per_day`` (the
        bill, USD), ``warm_cost_per_day`` (idle warm memory at ``idle_price_per_gb_s``),
        ``total_cost_per_day``, ``response_p99``… with intervals; ``theory_cold_fraction``
        (``e^{-λK}`` for a Poisson workload without provisioned instances, else null);
        ``pareto`` (total cost vs cold fraction) and ``meets``.
    recommended
        The cheapest row meeting ``max_cold_fraction`` (None if none).
    """

    table: pl.DataFrame
    recommended: dict[str, Any] | None
    max_cold_fraction: float
    idle_price_per_gb_s: float
    workload: str

    def summary(self) -> str:
        """One or two sentences for a PIP record."""
        if self.recommended is None:
            return f"No setting kept cold starts under {self.max_cold_fraction:.1%}."
        r = self.recommended
        return (
            f"Keep-alive {r['keep_alive']:g} s with {int(r['provisioned'])} provisioned "
            f"instance(s) is the cheapest setting with cold starts under "
            f"{self.max_cold_fraction:.1%}: {r['cold_fraction']:.2%} cold"
            f"{_ci_text(r, 'cold_fraction', '.2%')} for ${r['total_cost_per_day']:.2f}/day."
        )

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence: ``summary``, ``recommended`` (keep_alive, provisioned,
        cold_fraction and total_cost_per_day with ``ci``), ``limit``, ``settings``."""
        rec = None
        if self.recommended is not None:
            r = self.recommended
            rec = {
                "keep_alive": r["keep_alive"],
                "provisioned": r["provisioned"],
                **{
                    k: {"mean": r[k], "ci": _ci(r, k)}
                    for k in ("cold_fraction", "total_cost_per_day", "response_p99")
                },
            }
        return {
            "summary": self.summary(),
            "recommended": rec,
            "limit": {
                "max_cold_fraction": self.max_cold_fraction,
                "idle_price_per_gb_s": self.idle_price_per_gb_s,
            },
            "workload": self.workload,
            "settings": _jsonable(self.table),
        }


def _coldstart_run(sc: Scenario, rep: int, idle_price: float) -> dict[str, float]:
    s = run_once(sc, rep)
    p = sc.resolved
    _, duration = sc.horizon()
    gb = float(p["memory_mb"]) / 1024.0
    idle_gb_s = s["idle_warm_s_per_invocation"] * s["invocations"] * gb
    days = (duration or 0.0) * (1 - sc.warmup) / 86400.0
    if not days > 0:  # a requests horizon: the measured span is unknown here
        days = math.nan
    s["cost_per_day"] = s["cost_usd"] / days
    s["warm_cost_per_day"] = idle_gb_s * idle_price / days
    s["total_cost_per_day"] = s["cost_per_day"] + s["warm_cost_per_day"]
    return s


def coldstart_tradeoff(
    *,
    scenario: str | os.PathLike[str] | Scenario = "coldstart.toml",
    keep_alives: Sequence[float] = (0.0, 60.0, 300.0, 900.0, 1800.0),
    provisioned: Sequence[int] = (0, 1),
    duration: float | None = None,
    replications: int | None = None,
    seed: int | None = None,
    max_cold_fraction: float = 0.01,
    idle_price_per_gb_s: float = 0.0000041667,
    executor: Executor | None = None,
) -> ColdStartResult:
    """Sweep keep-alive and provisioned concurrency of a serverless function.

    Parameters
    ----------
    scenario
        A ``coldstart`` scenario (default ``simulations/coldstart.toml``: bursts on a
        quiet background, 1 GB, 250 ms executions); it must run for a ``duration``.
    keep_alives
        Keep-alive windows in seconds.
    provisioned
        Provisioned-concurrency instances.
    duration, replications, seed
        Override the scenario's (``duration`` in seconds).
    max_cold_fraction
        The cold-start budget a recommended setting must meet (upper end of its interval).
    idle_price_per_gb_s
        What keeping idle memory warm costs (default: AWS Lambda's provisioned-concurrency
        price, what a self-hosted platform pays for it; 0 for a provider that absorbs it).
    executor
        A ``concurrent.futures.Executor`` for the runs.

    Returns
    -------
    ColdStartResult
    """
    sc = _scenario(scenario, "coldstart")
    overrides: dict[str, Any] = {}
    if duration is not None:
        if not (isinstance(duration, int | float) and duration > 0):
            msg = f"duration={duration!r}; expected seconds > 0"
            raise ConfigError(msg)
        overrides["duration"] = float(duration)
    if replications is not None:
        overrides["replications"] = _positive_int("replications", replications)
    if seed is not None:
        overrides["seed"] = seed
    sc = sc.with_params(**overrides)
    if "duration" in overrides:
        sc = replace(sc, requests=None)
    if sc.duration is None:
        msg = "the coldstart scenario must run for a duration (seconds) to price it per day"
        raise ConfigError(msg)
    kas = [float(k) for k in _grid_values("keep_alives", keep_alives)]
    provs = [_positive_int("provisioned", v, minimum=0) for v in provisioned]
    if not provs:
        msg = "provisioned is empty; give at least one value"
        raise ConfigError(msg)
    if not 0 < max_cold_fraction < 1:
        msg = f"max_cold_fraction={max_cold_fraction!r}; expected a fraction in (0, 1)"
        raise ConfigError(msg)
    if not (math.isfinite(idle_price_per_gb_s) and idle_price_per_gb_s >= 0):
        msg = f"idle_price_per_gb_s={idle_price_per_gb_s!r}; expected a price ≥ 0"
        raise ConfigError(msg)
    _, workload = sc.build()
    points = [{"keep_alive": k, "provisioned": n} for n in provs for k in kas]
    scenarios = [
        sc.with_params(keep_alive=pt["keep_alive"], provisioned=pt["provisioned"]) for pt in points
    ]
    reps = sc.replications
    rows = _run_all(
        _coldstart_run,
        [(s, r, float(idle_price_per_gb_s)) for s in scenarios for r in range(reps)],
        executor,
    )
    table = _summarize_points(points, rows, reps)
    p = sc.resolved
    poisson = p["workload"] == "poisson"
    theory = [
        cold_start_fraction(float(workload.mean_rate), pt["keep_alive"])
        if poisson and pt["provisioned"] == 0
        else None
        for pt in points
    ]
    hi = table["cold_fraction_ci_high"].fill_nan(None).fill_null(table["cold_fraction"])
    table = table.with_columns(
        theory_cold_fraction=pl.Series(theory, dtype=pl.Float64),
        pareto=pl.Series(
            pareto_mask(table["total_cost_per_day"].to_numpy(), table["cold_fraction"].to_numpy())
        ),
        meets=hi <= max_cold_fraction,
        setting=pl.format(
            "K={}s P={}", pl.col("keep_alive").round(0).cast(pl.Int64), pl.col("provisioned")
        ),
    )
    ok = table.filter("meets").sort("total_cost_per_day")
    return ColdStartResult(
        table=table,
        recommended=ok.row(0, named=True) if ok.height else None,
        max_cold_fraction=float(max_cold_fraction),
        idle_price_per_gb_s=float(idle_price_per_gb_s),
        workload=str(p["workload"]),
    )
