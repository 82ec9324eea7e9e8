"""Replications and sweeps on any ``concurrent.futures.Executor``, with confidence intervals
and the Pareto frontier of two objectives.

Replication ``r`` of every scenario runs with ``SeedSequence(seed, spawn_key=(r,))``: the
same arrivals and service draws across the grid (common random numbers, so differences
between scenarios are sharper) and results that do not depend on the executor, the number
of workers or the order tasks finish in. Intervals are Student-t over replications.

Examples
--------
>>> from pipbench.sim.scenario import Scenario
>>> sc = Scenario("service", {"arrival_rate": 1.0, "service_time": "exp:0.5"},
...               requests=500, replications=3, seed=7)
>>> s = replicate(sc)
>>> s["requests"], len(s["ci"]["response_mean"])
(500.0, 2)
>>> table = sweep(sc, {"replicas": [1, 2]})
>>> table["replicas"].to_list()
[1, 2]
"""

from __future__ import annotations

import contextlib
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from pipbench.errors import ConfigError
from pipbench.sim.cache import simulate_cache
from pipbench.sim.scenario import Scenario
from pipbench.sim.serverless import simulate_serverless
from pipbench.sim.service import simulate_service

__all__ = [
    "DEFAULT_OBJECTIVES",
    "executor",
    "pareto_front",
    "replicate",
    "run_once",
    "summarize",
    "sweep",
]

#: Objectives (both minimised) a sweep uses when the scenario names none.
DEFAULT_OBJECTIVES: dict[str, tuple[str, str]] = {
    "service": ("replicas_mean", "response_p99"),
    "cache": ("backend_rate", "stale_given_hit"),
    "coldstart": ("cost_usd", "cold_fraction"),
}

Progress = Callable[[int, int], None]


def run_once(scenario: Scenario, replication: int = 0, *, keep_run: bool = False) -> Any:
    """Run replication ``replication`` of ``scenario``; its summary (or the run itself)."""
    model, workload = scenario.build()
    requests, duration = scenario.horizon()
    seed = np.random.SeedSequence(scenario.seed, spawn_key=(replication,))
    kw: dict[str, Any] = {
        "requests": requests,
        "duration": duration,
        "seed": seed,
        "warmup": scenario.warmup,
    }
    if scenario.model == "service":
        run: Any = simulate_service(model, workload, **kw)  # type: ignore[arg-type]
    elif scenario.model == "cache":
        run = simulate_cache(model, workload, **kw)  # type: ignore[arg-type]
    else:
        run = simulate_serverless(model, workload, **kw)  # type: ignore[arg-type]
    return run if keep_run else run.summary()


def _task(scenario: Scenario, replication: int) -> dict[str, float]:
    return run_once(scenario, replication)


def summarize(summaries: Sequence[Mapping[str, float]], level: float = 0.95) -> dict[str, Any]:
    """Mean of each key over replications, plus ``ci`` (Student-t) and ``replications``.

    Examples
    --------
    >>> s = summarize([{"x": 1.0}, {"x": 3.0}])
    >>> s["x"], [round(v, 3) for v in s["ci"]["x"]]
    (2.0, [-10.706, 14.706])
    """
    if not summaries:
        msg = "no replications to summarise"
        raise ConfigError(msg)
    keys = list(summaries[0])
    out: dict[str, Any] = {}
    ci: dict[str, list[float]] = {}
    r = len(summaries)
    tq = float(stats.t.ppf(0.5 + level / 2, r - 1)) if r > 1 else math.nan
    for k in keys:
        v = np.array([float(s[k]) for s in summaries])
        fin = v[np.isfinite(v)]
        mean = float(fin.mean()) if fin.size else math.nan
        half = float(tq * fin.std(ddof=1) / math.sqrt(fin.size)) if fin.size > 1 else math.nan
        out[k] = mean
        ci[k] = [mean - half, mean + half]
    out["replications"] = r
    out["ci"] = ci
    return out


def replicate(
    scenario: Scenario,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Run every replication of ``scenario`` (on ``executor`` if given) and summarise."""
    rows = _run_tasks([(scenario, r) for r in range(scenario.replications)], executor, progress)
    return summarize(rows)


def _run_tasks(
    tasks: Sequence[tuple[Scenario, int]],
    executor: Executor | None,
    progress: Progress | None,
) -> list[dict[str, float]]:
    results: list[dict[str, float] | None] = [None] * len(tasks)
    if executor is None:
        for i, (sc, r) in enumerate(tasks):
            results[i] = _task(sc, r)
            if progress:
                progress(i + 1, len(tasks))
    else:
        futures: dict[Future[dict[str, float]], int] = {
            executor.submit(_task, sc, r): i for i, (sc, r) in enumerate(tasks)
        }
        for done, fut in enumerate(as_completed(futures), 1):
            results[futures[fut]] = fut.result()
            if progress:
                progress(done, len(tasks))
    return [r for r in results if r is not None]


def _grid(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    for k, values in grid.items():
        if not values:
            msg = f"grid key {k!r} has no values"
            raise ConfigError(msg)
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Sequence[Any]],
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    level: float = 0.95,
) -> pl.DataFrame:
    """Run ``scenario`` at every point of ``grid`` (the product of its value lists).

    Returns
    -------
    polars.DataFrame
        One row per point: the grid values, then for each summary key its mean and
        ``<key>_ci_low``/``<key>_ci_high``; ``pareto`` marks the frontier of the scenario's
        two objectives.
    """
    points = _grid(grid)
    scenarios = [scenario.with_params(**pt) for pt in points]
    tasks = [(sc, r) for sc in scenarios for r in range(scenario.replications)]
    rows = _run_tasks(tasks, executor, progress)
    k = scenario.replications
    records = []
    for i, pt in enumerate(points):
        s = summarize(rows[i * k : (i + 1) * k], level)
        rec: dict[str, Any] = dict(pt)
        for key, (lo, hi) in s["ci"].items():
            rec[key] = s[key]
            rec[f"{key}_ci_low"] = lo
            rec[f"{key}_ci_high"] = hi
        records.append(rec)
    frame = pl.DataFrame(records)
    x, y = _objectives(scenario)
    for o in (x, y):
        if o not in frame.columns:
            msg = f"objective {o!r} is not a summary key of model {scenario.model}"
            raise ConfigError(msg)
    return frame.with_columns(pareto=pl.Series(_mask(frame, x, y)))


def _objectives(scenario: Scenario) -> tuple[str, str]:
    return scenario.objectives or DEFAULT_OBJECTIVES[scenario.model]


def _mask(frame: pl.DataFrame, x: str, y: str) -> list[bool]:
    a = frame[x].to_numpy().astype(float)
    b = frame[y].to_numpy().astype(float)
    keep = []
    for i in range(len(a)):
        dominated = np.any((a <= a[i]) & (b <= b[i]) & ((a < a[i]) | (b < b[i])))
        keep.append(bool(not dominated and np.isfinite(a[i]) and np.isfinite(b[i])))
    return keep


def pareto_front(frame: pl.DataFrame, x: str, y: str) -> pl.DataFrame:
    """Rows not dominated on ``(x, y)`` (both minimised), sorted by ``x``.

    Examples
    --------
    >>> f = pl.DataFrame({"cost": [1, 2, 3, 2], "p99": [5, 3, 1, 4]})
    >>> pareto_front(f, "cost", "p99")["cost"].to_list()
    [1, 2, 3]
    """
    return frame.filter(pl.Series(_mask(frame, x, y))).sort(x)


@contextlib.contextmanager
def executor(
    kind: Literal["process", "dask", "serial"] = "process", workers: int = 2
) -> Iterator[Executor | None]:
    """An executor for sweeps: a process pool, a Dask ``LocalCluster``'s, or none (serial)."""
    if workers < 1:
        msg = f"workers must be ≥ 1, got {workers!r}"
        raise ConfigError(msg)
    if kind == "serial":
        yield None
    elif kind == "process":
        with ProcessPoolExecutor(max_workers=workers) as pool:
            yield pool
    elif kind == "dask":
        from distributed import Client, LocalCluster

        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client.get_executor()
    else:
        msg = f"executor must be 'process', 'dask' or 'serial', got {kind!r}"
        raise ConfigError(msg)
