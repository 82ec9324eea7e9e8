"""``pipbench simulate service|cache|coldstart|hpa`` and ``pipbench sweep``.

Thin: options become a :class:`~pipbench.sim.scenario.Scenario` (over ``--config``'s
parameters when given), the library runs it, the summary is printed or emitted as one JSON
object (``--json``; the keys are the public contract). With ``--replications R`` each key is
the mean over replications and ``ci`` holds its 95 % Student-t interval; counts such as
``requests`` are of the measured requests (after ``--warmup``).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from pipbench.errors import ConfigError, InputError
from pipbench.sim.hpa import HPA, replay_hpa
from pipbench.sim.scenario import Scenario, load_scenario
from pipbench.sim.sweep import executor, pareto_front, run_once, summarize, sweep
from pipbench.sim.workload import read_series

__all__ = ["register"]

simulate_app = typer.Typer(
    name="simulate",
    help="What-if simulations: service autoscaling, cache TTL, serverless cold starts, HPA replay.",
    no_args_is_help=True,
)

KEYS: dict[str, tuple[str, ...]] = {
    "service": (
        "requests",
        "completed",
        "rejected",
        "p_block",
        "throughput",
        "utilization",
        "p_wait",
        "wait_mean",
        "response_mean",
        "response_p50",
        "response_p95",
        "response_p99",
        "replicas_mean",
    ),
    "cache": ("requests", "hit_ratio", "backend_rate", "stale_given_hit"),
    "coldstart": (
        "invocations",
        "cold_fraction",
        "spillover_fraction",
        "idle_warm_s_per_invocation",
        "cost_usd",
    ),
}
_COUNTS = {"requests", "completed", "rejected", "invocations"}

# ---------------------------------------------------------------- shared options
SEED = typer.Option(None, "--seed", help="Base seed (replication r uses spawn key r).")
REQUESTS = typer.Option(None, "--requests", help="Simulate N requests (default 10000).")
DURATION = typer.Option(None, "--duration", help="Simulate S seconds of arrivals.")
WARMUP = typer.Option(None, "--warmup", help="Fraction discarded from statistics.")
REPS = typer.Option(None, "--replications", help="Independent replications (CIs over them).")
CONFIG = typer.Option(None, "--config", help="Scenario TOML (e.g. under simulations/).")
OUT = typer.Option(None, "--out", help="Write the simulated telemetry to this dataset.")
JSON = typer.Option(False, "--json", help="Print one JSON object.")
RATE = typer.Option(None, "--arrival-rate", help="Requests per second.")


def _config_path(config: Path) -> Path:
    """``--config NAME`` also finds ``simulations/NAME`` (and ``simulations/NAME.toml``)."""
    if config.exists():
        return config
    for cand in (Path("simulations") / config, Path("simulations") / f"{config}.toml"):
        if cand.exists():
            return cand
    return config


def _scenario(
    model: str, config: Path | None, params: dict[str, Any], run: dict[str, Any]
) -> Scenario:
    base = load_scenario(_config_path(config)) if config else Scenario(model)  # type: ignore[arg-type]
    if base.model != model:
        msg = f"--config {config} is a {base.model!r} scenario, not {model!r}"
        raise ConfigError(msg)
    given = {k: v for k, v in params.items() if v is not None}
    runs = {k: v for k, v in run.items() if v is not None}
    if "requests" in runs or "duration" in runs:
        base = replace(base, requests=None, duration=None)
    return base.with_params(**given, **runs)


def _clean(v: Any) -> Any:
    if isinstance(v, float):
        if not math.isfinite(v):
            return None
        return v
    return v


def _run(sc: Scenario, out: Path | None, as_json: bool) -> None:
    summaries = []
    ds = None
    if out is not None:
        from pipbench.dataset import open_dataset
        from pipbench.sim.output import write_run

        ds = open_dataset(out)
    for r in range(sc.replications):
        run = run_once(sc, r, keep_run=True)
        summaries.append(run.summary())
        if ds is not None:
            write_run(
                ds,
                run,
                key=f"sim-{sc.model}-seed{sc.seed}-r{r}",
                labels={"scenario": sc.model, "replication": str(r)},
            )
    s = summarize(summaries)
    keys = KEYS[sc.model]
    obj: dict[str, Any] = {}
    for k in keys:
        v = s[k]
        obj[k] = int(v) if k in _COUNTS and float(v).is_integer() else _clean(v)
    obj["replications"] = s["replications"]
    obj["ci"] = {k: [_clean(x) for x in s["ci"][k]] for k in keys if k not in _COUNTS}
    if as_json:
        typer.echo(json.dumps(obj))
        return
    for k in keys:
        lo, hi = s["ci"][k]
        ci = f"  [{lo:.6g}, {hi:.6g}]" if sc.replications > 1 and k not in _COUNTS else ""
        typer.echo(f"{k:28} {s[k]:.6g}{ci}")
    if out is not None:
        typer.echo(f"telemetry written to {out}")


# ---------------------------------------------------------------- commands
@simulate_app.command("service")
def service_cmd(
    arrival_rate: float | None = RATE,
    service_time: str | None = typer.Option(
        None,
        "--service-time",
        help="exp:MEAN, lognormal:MEAN:SIGMA, const:X, gamma:MEAN:CV, empirical:FILE",
    ),
    replicas: int | None = typer.Option(None, "--replicas"),
    concurrency: int | None = typer.Option(None, "--concurrency"),
    queue_limit: int | None = typer.Option(None, "--queue-limit", help="Waiting slots per queue."),
    routing: str | None = typer.Option(
        None, "--routing", help="shared, random, round-robin or least-loaded"
    ),
    autoscaler: str | None = typer.Option(
        None, "--autoscaler", help="none, hpa, target-tracking or step"
    ),
    min_replicas: int | None = typer.Option(None, "--min-replicas"),
    max_replicas: int | None = typer.Option(None, "--max-replicas"),
    target_utilization: float | None = typer.Option(None, "--target-utilization", help="Percent."),
    sync_period: float | None = typer.Option(None, "--sync-period"),
    behavior: str | None = typer.Option(None, "--behavior", help="default or legacy (HPA)"),
    provisioning_delay: float | None = typer.Option(None, "--provisioning-delay"),
    workload: str | None = typer.Option(None, "--workload", help="poisson, diurnal, mmpp, replay"),
    trace: str | None = typer.Option(None, "--trace", help="t_seconds,rate CSV for replay"),
    seed: int | None = SEED,
    requests: int | None = REQUESTS,
    duration: float | None = DURATION,
    warmup: float | None = WARMUP,
    replications: int | None = REPS,
    config: Path | None = CONFIG,
    out: Path | None = OUT,
    as_json: bool = JSON,
) -> None:
    """Replicas behind a queue with a waiting limit (503s), routing and autoscaling."""
    params = {
        "arrival_rate": arrival_rate,
        "service_time": service_time,
        "replicas": replicas,
        "concurrency": concurrency,
        "queue_limit": queue_limit,
        "routing": routing,
        "autoscaler": autoscaler,
        "min_replicas": min_replicas,
        "max_replicas": max_replicas,
        "target_utilization": target_utilization,
        "sync_period": sync_period,
        "behavior": behavior,
        "provisioning_delay": provisioning_delay,
        "workload": workload,
        "trace": trace,
    }
    run = {
        "seed": seed,
        "requests": requests,
        "duration": duration,
        "warmup": warmup,
        "replications": replications,
    }
    _run(_scenario("service", config, params, run), out, as_json)


@simulate_app.command("cache")
def cache_cmd(
    keys: int | None = typer.Option(None, "--keys"),
    zipf_alpha: float | None = typer.Option(None, "--zipf-alpha"),
    arrival_rate: float | None = RATE,
    ttl: float | None = typer.Option(None, "--ttl", help="Seconds (absent: never expires)."),
    ttl_mode: str | None = typer.Option(None, "--ttl-mode", help="set-on-miss or reset-on-hit"),
    capacity: int | None = typer.Option(None, "--capacity", help="LRU capacity in entries."),
    update_rate: float | None = typer.Option(None, "--update-rate", help="Per key per second."),
    backend_latency: str | None = typer.Option(None, "--backend-latency"),
    backend_concurrency: int | None = typer.Option(
        None, "--backend-concurrency", help="Fetches the backend serves at once (queue beyond)."
    ),
    no_coalescing: bool = typer.Option(False, "--no-coalescing"),
    seed: int | None = SEED,
    requests: int | None = REQUESTS,
    duration: float | None = DURATION,
    warmup: float | None = WARMUP,
    replications: int | None = REPS,
    config: Path | None = CONFIG,
    out: Path | None = OUT,
    as_json: bool = JSON,
) -> None:
    """A cache with Zipf keys, TTL, LRU capacity, origin updates and request coalescing."""
    params = {
        "keys": keys,
        "zipf_alpha": zipf_alpha,
        "arrival_rate": arrival_rate,
        "ttl": ttl,
        "ttl_mode": ttl_mode,
        "capacity": capacity,
        "update_rate": update_rate,
        "backend_latency": backend_latency,
        "backend_concurrency": backend_concurrency,
        "coalescing": False if no_coalescing else None,
    }
    if ttl is not None and ttl < 0:
        msg = f"--ttl must be ≥ 0 seconds, got {ttl!r}"
        raise ConfigError(msg)
    run = {
        "seed": seed,
        "requests": requests,
        "duration": duration,
        "warmup": warmup,
        "replications": replications,
    }
    _run(_scenario("cache", config, params, run), out, as_json)


@simulate_app.command("coldstart")
def coldstart_cmd(
    arrival_rate: float | None = RATE,
    keep_alive: float | None = typer.Option(None, "--keep-alive", help="Seconds (0 allowed)."),
    execution_time: str | None = typer.Option(None, "--execution-time"),
    init_time: str | None = typer.Option(None, "--init-time"),
    provisioned: int | None = typer.Option(None, "--provisioned"),
    memory_mb: int | None = typer.Option(None, "--memory-mb"),
    concurrency: int | None = typer.Option(None, "--concurrency"),
    policy: str | None = typer.Option(None, "--policy", help="fixed or histogram"),
    prewarm: float | None = typer.Option(
        None, "--prewarm", help="Fixed policy: reload an instance S seconds after it idles."
    ),
    seed: int | None = SEED,
    requests: int | None = REQUESTS,
    duration: float | None = DURATION,
    warmup: float | None = WARMUP,
    replications: int | None = REPS,
    config: Path | None = CONFIG,
    out: Path | None = OUT,
    as_json: bool = JSON,
) -> None:
    """Serverless cold starts: keep-alive, provisioned concurrency, pre-warming, cost."""
    params = {
        "arrival_rate": arrival_rate,
        "keep_alive": keep_alive,
        "execution_time": execution_time,
        "init_time": init_time,
        "provisioned": provisioned,
        "memory_mb": memory_mb,
        "concurrency": concurrency,
        "policy": policy,
        "prewarm": prewarm,
    }
    run = {
        "seed": seed,
        "requests": requests,
        "duration": duration,
        "warmup": warmup,
        "replications": replications,
    }
    _run(_scenario("coldstart", config, params, run), out, as_json)


@simulate_app.command("hpa")
def hpa_cmd(
    trace: Path = typer.Option(..., "--trace", help="CSV of t_seconds,demand (a step function)."),
    pod_request: float = typer.Option(..., "--pod-request", help="Per-pod request, demand's unit."),
    target_utilization: float = typer.Option(..., "--target-utilization", help="Percent."),
    min_replicas: int = typer.Option(..., "--min-replicas"),
    max_replicas: int = typer.Option(..., "--max-replicas"),
    initial_replicas: int | None = typer.Option(
        None, "--initial-replicas", help="Replicas at t = 0 (default: min replicas)."
    ),
    sync_period: float = typer.Option(15.0, "--sync-period"),
    behavior: str = typer.Option("default", "--behavior", help="default or legacy"),
    readiness_delay: float = typer.Option(0.0, "--readiness-delay", help="Seconds to ready."),
    metric_window: float = typer.Option(
        0.0, "--metric-window", help="A new pod's metric counts this long after it is ready."
    ),
    duration: float | None = typer.Option(
        None, "--duration", help="Last sync time (default: trace end)."
    ),
    out: Path | None = OUT,
    as_json: bool = JSON,
) -> None:
    """Replay a demand trace through the Kubernetes HPA algorithm; replicas after every sync."""
    if behavior not in ("default", "legacy"):
        msg = f"--behavior must be 'default' or 'legacy', got {behavior!r}"
        raise ConfigError(msg)
    times, demand = read_series(str(trace), "demand")
    hpa = HPA(
        min_replicas,
        max_replicas,
        target_utilization,
        "default" if behavior == "default" else None,
        sync_period=sync_period,
        metric_window=metric_window,
    )
    try:
        steps = replay_hpa(
            times,
            demand,
            pod_request=pod_request,
            hpa=hpa,
            initial_replicas=initial_replicas,
            readiness_delay=readiness_delay,
            end=duration,
        )
    except InputError as err:
        raise err.with_file(trace) from None
    if out is not None:
        from pipbench.dataset import open_dataset
        from pipbench.sim.output import replica_samples

        key = f"sim-hpa-{trace.name}"
        frame = replica_samples(steps, source=key, labels={"scenario": "hpa"})
        open_dataset(out).write({"samples": frame}, key=key, source=key)
    if as_json:
        typer.echo(json.dumps({"replicas": [[t, n] for t, n in steps]}))
        return
    for t, n in steps:
        typer.echo(f"{t:10.1f} {n}")


def sweep_cmd(
    scenario: Path = typer.Argument(..., help="Scenario TOML."),
    grid: list[str] = typer.Option(..., "--grid", help="key=v1,v2 (repeat for more keys)."),
    executor_kind: str = typer.Option("process", "--executor", help="process, dask or serial"),
    workers: int = typer.Option(2, "--workers"),
    out: Path | None = typer.Option(None, "--out", help="Write the table (.parquet or .csv)."),
    objectives: str | None = typer.Option(
        None, "--objectives", help="X,Y summary keys for the Pareto frontier (both minimised)."
    ),
    as_json: bool = JSON,
) -> None:
    """Run a scenario over a grid; summaries with CIs and the Pareto frontier."""
    from rich.console import Console
    from rich.progress import Progress

    sc = load_scenario(_config_path(scenario))
    if objectives is not None:
        pair = [o.strip() for o in objectives.split(",")]
        if len(pair) != 2 or not all(pair):
            msg = f"--objectives must be two summary keys X,Y, got {objectives!r}"
            raise ConfigError(msg)
        sc = replace(sc, objectives=(pair[0], pair[1]))
    g = _parse_grid(grid)
    for k, values in g.items():  # fail fast, before any worker starts
        for v in values:
            sc.with_params(**{k: v}).build()
    with (
        executor(executor_kind, workers) as ex,  # type: ignore[arg-type]
        Progress(console=Console(stderr=True), transient=True, disable=as_json) as bar,
    ):
        task = bar.add_task("sweep", total=None)
        table = sweep(
            sc, g, executor=ex, progress=lambda d, n: bar.update(task, completed=d, total=n)
        )
    if out is not None:
        if out.suffix == ".csv":
            table.write_csv(out)
        else:
            table.write_parquet(out)
    from pipbench.sim.sweep import _objectives

    x, y = _objectives(sc)
    front = pareto_front(table, x, y)
    if as_json:
        typer.echo(
            json.dumps(
                {"objectives": [x, y], "rows": table.to_dicts(), "pareto": front.to_dicts()},
                default=_clean,
            )
        )
        return
    typer.echo(table.select([*g, x, y, "pareto"]))
    if out is not None:
        typer.echo(f"table written to {out}")


def _value(text: str) -> Any:
    low = text.strip().lower()
    if low in ("true", "false"):
        return low == "true"
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text.strip()


def _parse_grid(items: list[str]) -> dict[str, list[Any]]:
    grid: dict[str, list[Any]] = {}
    for item in items:
        key, eq, values = item.partition("=")
        if not eq or not key.strip() or not values.strip():
            msg = f"--grid {item!r}: expected key=v1,v2,..."
            raise ConfigError(msg)
        grid[key.strip().replace("-", "_")] = [_value(v) for v in values.split(",")]
    return grid


def register(app: typer.Typer) -> None:
    app.add_typer(simulate_app, name="simulate")
    app.command("sweep")(sweep_cmd)
