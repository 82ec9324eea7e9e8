"""SLI benchmarks: vectorised histogram_quantile and rate against per-series Python loops.

Quantiles: 10,000 histogram series × 1,000 timestamps × 12 buckets (10 M histograms),
vectorised, as a ratio against a loop of the one-histogram function over the same
histograms (timed on a sample of 20,000 and extrapolated: the loop is linear in n).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import time
from collections.abc import Callable

import numpy as np
import polars as pl

from pipbench.sli import (
    extrapolated_rate,
    histogram_quantile,
    histogram_quantile_frame,
    histogram_quantiles,
    rate,
)
from tests.benchmarks._common import Result, timeit

LE = np.array([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf])


def _counts(n: int, rng: np.random.Generator) -> np.ndarray:
    inc = rng.poisson(rng.uniform(0.5, 20, size=(n, 1)), size=(n, LE.size)).astype(np.float64)
    return np.cumsum(inc, axis=1)


def _interleaved_ratio(
    loop_fn: Callable[[], object],
    n_loop: int,
    vec_fn: Callable[[], object],
    n_vec: int,
    rounds: int,
) -> float:
    """Median over rounds of (loop s/hist) / (vectorised s/hist), timed back to back so
    that load drift on a shared machine hits both sides alike."""
    ratios = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        loop_fn()
        t1 = time.perf_counter()
        vec_fn()
        t2 = time.perf_counter()
        ratios.append(((t1 - t0) / n_loop) / ((t2 - t1) / n_vec))
    return statistics.median(ratios)


def _bench_quantiles(quick: bool) -> list[Result]:
    rng = np.random.default_rng(42)
    series, stamps = (1_000, 100) if quick else (10_000, 1_000)
    n = series * stamps
    counts = _counts(n, rng)
    t_full = timeit(lambda: histogram_quantiles(0.99, LE, counts), repeat=1 if not quick else 3)
    # the baseline: a per-series Python loop of the one-histogram function, on a sample
    n_loop = 5_000
    le_list = LE.tolist()
    rows = counts[:n_loop].tolist()
    loop = [histogram_quantile(0.99, le_list, r) for r in rows]
    vec, _ = histogram_quantiles(0.99, LE, counts[:n_loop])
    assert np.array_equal(np.asarray(loop), vec, equal_nan=True)
    n_vec = min(n, 500_000)
    sub = counts[:n_vec]
    # per-row bounds (n, k): two layouts (a quarter of the rows lack the 0.005 bucket and
    # are NaN-padded), in le order as the frame path builds them
    le_rows = np.tile(LE, (n_vec, 1))
    c_rows = sub.copy()
    short = rng.random(n_vec) < 0.25
    le_rows[short, :-1] = LE[1:]
    le_rows[short, -1] = np.nan
    c_rows[short, :-1] = sub[short, 1:]
    c_rows[short, -1] = 0.0
    # worst case: every row's buckets in its own random order (a per-row sort)
    perm = np.argsort(rng.random((n_vec, LE.size)), axis=1)
    le_shuf = LE[perm]
    c_shuf = np.take_along_axis(sub, perm, axis=1)

    def loop_fn() -> object:
        return [histogram_quantile(0.99, le_list, r) for r in rows]

    rounds = 3 if quick else 5
    r_shared = _interleaved_ratio(
        loop_fn, n_loop, lambda: histogram_quantiles(0.99, LE, sub), n_vec, rounds
    )
    r_rows = _interleaved_ratio(
        loop_fn, n_loop, lambda: histogram_quantiles(0.99, le_rows, c_rows), n_vec, rounds
    )
    r_shuf = _interleaved_ratio(
        loop_fn, n_loop, lambda: histogram_quantiles(0.99, le_shuf, c_shuf), n_vec, rounds
    )
    shape = f"{series:,} series × {stamps:,} timestamps × {LE.size} buckets"
    note = f"median of {rounds} interleaved rounds, loop on {n_loop:,} vs vectorised on {n_vec:,}"
    return [
        Result("sli.histogram_quantile vs loop (shared le)", r_shared, "x", ">= 20x", note),
        Result(
            "sli.histogram_quantile vs loop (per-row le)",
            r_rows,
            "x",
            ">= 20x",
            "(n, k) bounds, 2 layouts, NaN padding",
        ),
        Result(
            "sli.histogram_quantile vs loop (shuffled rows)",
            r_shuf,
            "x",
            "",
            "worst case: per-row sort",
        ),
        Result(
            "sli.histogram_quantile full size",
            t_full,
            "s",
            "",
            f"{shape} = {n / 1e6:g} M histograms, {n / t_full / 1e6:.2f} M/s",
        ),
    ]


def _bench_frame(quick: bool) -> list[Result]:
    rng = np.random.default_rng(1)
    series, stamps = (200, 50) if quick else (2_000, 200)
    counts = _counts(series * stamps, rng)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ts = pl.datetime_range(t0, t0 + dt.timedelta(minutes=stamps - 1), "1m", eager=True)
    frame = pl.DataFrame(
        {
            "timestamp": np.repeat(np.tile(ts.to_numpy(), series), LE.size),
            "instance": np.repeat(np.arange(series).astype(str), stamps * LE.size),
            "le": np.tile([f"{x:g}" if np.isfinite(x) else "+Inf" for x in LE], series * stamps),
            "value": counts.ravel(),
        }
    )
    t = timeit(lambda: histogram_quantile_frame(0.99, frame), repeat=1)
    return [
        Result(
            "sli.histogram_quantile_frame",
            frame.height / t / 1e6,
            "M rows/s",
            "",
            f"{series:,} series × {stamps} timestamps × {LE.size} le; {t:.2f} s",
        )
    ]


def _bench_rate(quick: bool) -> list[Result]:
    rng = np.random.default_rng(2)
    series, points = (200, 200) if quick else (2_000, 1_000)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    secs = np.arange(points) * 15.0
    vals = np.cumsum(rng.poisson(5, size=(series, points)), axis=1).astype(float)
    frame = pl.DataFrame(
        {
            "timestamp": [t0 + dt.timedelta(seconds=s) for s in secs] * series,
            "metric": "req_total",
            "value": vals.ravel(),
            "instance": np.repeat(np.arange(series).astype(str), points),
        }
    )
    t_vec = timeit(lambda: rate(frame, "req_total", "5m", step="1m"), repeat=1)
    out = rate(frame, "req_total", "5m", step="1m")
    sample = out.head(2_000)
    base = t0.timestamp()
    start = time.perf_counter()
    for inst, ts in zip(sample["instance"], sample["timestamp"], strict=True):
        extrapolated_rate(secs + base, vals[int(inst)], at=ts.timestamp(), window=300)
    t_loop = (time.perf_counter() - start) * out.height / sample.height
    return [
        Result(
            "sli.rate vectorised vs per-window loop",
            t_loop / t_vec,
            "x",
            "",
            f"{series:,} series × {points:,} points, 5m windows at 1m steps; {t_vec:.2f} s",
        )
    ]


def run(quick: bool) -> list[Result]:
    """All SLI benchmark results."""
    return [*_bench_quantiles(quick), *_bench_frame(quick), *_bench_rate(quick)]
