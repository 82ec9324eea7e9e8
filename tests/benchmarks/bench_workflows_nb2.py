"""Verification and what-if workflows (notebooks issue 8, nb2): calibration, accuracy, speed.

- A/A calibration of ``canary_verification`` on the demo: two instances running the same
  release (Mon–Tue, 2.3.9 everywhere) compared window by window — the false-fail rate of the
  whole verdict (target: ≤ alpha = 5 %), and the detection of the real 2.4.0 canary.
- Speed: one verification over the demo against the floor of reading the same samples
  (the polars scan of the window), measured in the same run.
- What-if accuracy: the cache sweep's hit ratio against the TTL-cache closed form, and the
  cold-start sweep against ``e^{-λK}``, as the largest absolute error over the grid.
- Notebook wall time at the shipped defaults (full run only), as a ratio to the runner's
  fixture notebook (kernel start, imports, export) measured in the same run.
"""

from __future__ import annotations

import datetime as dt
import math
import tempfile
import time
from pathlib import Path

import polars as pl

from pipbench.dataset import open_dataset
from pipbench.demo import STORY
from pipbench.demo.pipeline import demo_files
from pipbench.ingest import ingest
from pipbench.sim import Scenario
from pipbench.workflows import cache_ttl_tradeoff, canary_verification, coldstart_tradeoff
from tests.benchmarks._common import Result, timeit


def _aa(ds: Path, quick: bool) -> list[Result]:
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    hours = 24 if quick else 48
    pairs = [
        ("checkout-0", "checkout-1"),
        ("checkout-1", "checkout-2"),
        ("checkout-0", "checkout-2"),
    ]
    fails = n = nodata = 0
    for h in range(0, hours, 2):
        t0 = start + dt.timedelta(hours=h)
        for a, b in pairs:
            r = canary_verification(
                ds,
                baseline=f"instance={a}",
                canary=f"instance={b}",
                start=t0,
                end=t0 + dt.timedelta(hours=2),
                use_events=False,
                latency_threshold=None,
            )
            fails += r.verdict == "fail"
            nodata += r.verdict == "nodata"
            n += 1
    p = fails / n
    se = math.sqrt(max(p * (1 - p), 1e-12) / n)
    bad = canary_verification(ds, start=STORY.bad_canary, end=STORY.bad_rollout)
    return [
        Result(
            "canary A/A false-fail rate (same release, 2 h windows)",
            p,
            "rate",
            "≤ 0.05",
            f"{fails}/{n}, MC se {se:.3f}, {nodata} nodata",
        ),
        Result(
            "canary 2.4.0 regression detected",
            float(bad.verdict == "fail"),
            "bool",
            "1",
            f"p99 effect {bad.judgement.metrics[0].comparison.effect:+.0%}",
        ),
    ]


def _speed(ds: Path) -> list[Result]:
    d = open_dataset(ds, create=False)

    def floor() -> None:
        d.samples().filter(
            (pl.col("timestamp") > STORY.fix_canary - dt.timedelta(minutes=30))
            & (pl.col("timestamp") <= STORY.fix_rollout)
        ).collect()

    base = timeit(floor, repeat=3, warmup=1)
    subject = timeit(lambda: canary_verification(ds), repeat=3, warmup=1)
    return [
        Result("canary_verification on the demo", subject, "s", "", "3 metrics, power, budget"),
        Result(
            "  ratio: scan of the window / verification",
            base / subject,
            "ratio",
            "",
            f"scan {base * 1000:.0f} ms",
        ),
    ]


def _accuracy(quick: bool) -> list[Result]:
    c = cache_ttl_tradeoff(
        ttls=[5, 10, 20, 30], requests=20_000 if quick else 60_000, replications=3
    )
    err = (c.table["hit_ratio"] - c.table["theory_hit_ratio"]).abs().max()
    sc = Scenario(
        "coldstart",
        {"workload": "poisson", "arrival_rate": 0.02, "execution_time": "const:0"},
        duration=100_000.0 if quick else 400_000.0,
        replications=3,
        seed=5,
    )
    cs = coldstart_tradeoff(scenario=sc, keep_alives=[10, 30, 60, 120], provisioned=[0])
    err2 = (cs.table["cold_fraction"] - cs.table["theory_cold_fraction"]).abs().max()
    return [
        Result(
            "cache hit ratio vs λT/(1+λT), max |error|",
            float(err),
            "abs",
            "≤ 0.01",
            "4 TTLs, 3 replications",
        ),
        Result(
            "cold fraction vs e^-λK, max |error|",
            float(err2),
            "abs",
            "≤ 0.02",
            "4 keep-alives, Poisson, 3 replications",
        ),
    ]


def _notebooks(ds: Path) -> list[Result]:
    from pipbench.notebooks import run_notebook

    fixture = Path(__file__).resolve().parents[1] / "data" / "notebooks" / "fixture_report.ipynb"
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        run_notebook(fixture, {}, out_dir=Path(tmp) / "fixture", html=False)
        base = time.perf_counter() - t
        for name in ("canary_verification", "capacity_whatif", "cache_ttl_tradeoff",
                     "coldstart_tradeoff"):  # fmt: skip
            params = (
                {"dataset": str(ds)} if name in ("canary_verification", "capacity_whatif") else {}
            )
            t = time.perf_counter()
            run_notebook(name, params, out_dir=Path(tmp) / name, html=False)
            s = time.perf_counter() - t
            out.append(
                Result(
                    f"notebook {name} at defaults / fixture notebook",
                    s / base,
                    "ratio",
                    "",
                    f"{s:.1f} s vs {base:.1f} s",
                ),
            )
    return out


def run(quick: bool) -> list[Result]:
    with tempfile.TemporaryDirectory() as tmp:
        ds = Path(tmp) / "dataset"
        ingest(demo_files(), ds)
        results = [*_aa(ds, quick), *_speed(ds), *_accuracy(quick)]
        if not quick:
            results += _notebooks(ds)
    return results
