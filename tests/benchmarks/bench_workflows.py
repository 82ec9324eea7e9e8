"""Notebook workflows: what a triage, a budget report and a drill cost, and what a drill finds.

Costs are ratios to the one query each workflow cannot avoid, measured in the same run
(the p99 SLI query for the triage, the SLI event counts for the budget, one online-detector
pass for the drill). Quality: over several seeds, the smallest injected latency increase
the online detector catches within 15 minutes, its false alarms per simulated week, and
the smallest increase the Workbook's burn-rate alerts catch at all (30-day, 99 % SLO).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tests.benchmarks._common import Result, timeit


def run(quick: bool) -> list[Result]:
    from pipbench.dataset import open_dataset
    from pipbench.demo.pipeline import demo_files
    from pipbench.detect import OnlineDetector
    from pipbench.ingest import ingest
    from pipbench.sli import latency_quantiles
    from pipbench.slo import read_slo_specs, sli_series
    from pipbench.workflows import drill_sweep, pip_drill, regression_triage, slo_budget

    out: list[Result] = []
    repeat = 1 if quick else 3
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ds"
        ingest(demo_files(), path)
        samples = open_dataset(path).samples()
        spec = Path(__file__).resolve().parents[2] / "datasets" / "demo" / "slo.yaml"

        base = timeit(
            lambda: latency_quantiles(samples, q=0.99, window="10m", step="5m"), repeat=repeat
        )
        tri = timeit(lambda: regression_triage(path), repeat=repeat)
        out.append(
            Result(
                "triage / p99 SLI query (demo week)",
                tri / base,
                "x",
                "< 15",
                f"triage {tri:.2f} s, query {base:.2f} s",
            )
        )
        slos = read_slo_specs(spec)
        base = timeit(lambda: [sli_series(s.sli, samples, step="5m") for s in slos], repeat=repeat)
        bud = timeit(lambda: slo_budget(path, spec=spec), repeat=repeat)
        out.append(
            Result(
                "slo_budget / SLI event counts (2 SLOs)",
                bud / base,
                "x",
                "< 3",
                f"budget {bud:.2f} s, counts {base:.2f} s",
            )
        )
    y = np.random.default_rng(0).normal(0.15, 0.01, 2016)
    ts = 1_772_409_600 + 300.0 * np.arange(1, 2017)
    base = timeit(lambda: OnlineDetector().fit(y, ts), repeat=repeat)
    drill = timeit(lambda: pip_drill(size=1.0, seed=0), repeat=repeat)
    out.append(
        Result(
            "pip_drill / one online-detector pass (7 d, 5 min)",
            drill / base,
            "x",
            "< 5",
            f"drill {drill:.2f} s",
        )
    )

    seeds = range(3 if quick else 8)
    sizes = [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 4.0]
    caught_fast, caught_burn, false_alarms = [], [], []
    for seed in seeds:
        t = drill_sweep(sizes, seed=seed)
        online = t.filter(t["alarm"] == "online detector")
        fast = online.filter(online["caught"] & (online["delay_s"] <= 900))["size"]
        caught_fast.append(float(fast.min()) if fast.len() else np.inf)
        false_alarms.append(float(online["false_alarms"].mean()))
        burn = t.filter((t["alarm"] != "online detector") & t["caught"])["size"]
        caught_burn.append(float(burn.min()) if burn.len() else np.inf)
    out.append(
        Result(
            "online detector: smallest increase caught in 15 min",
            float(np.median(caught_fast)),
            "+ (rel.)",
            "",
            f"median over {len(seeds)} seeds; worst {max(caught_fast):g}",
        )
    )
    out.append(
        Result(
            "online detector: false alarms before the injection",
            float(np.mean(false_alarms)),
            "per 3.4 d",
            "< 1",
            "synthetic diurnal traffic, 5 req/s",
        )
    )
    out.append(
        Result(
            "burn-rate alerts: smallest increase caught at all",
            float(np.median(caught_burn)),
            "+ (rel.)",
            "",
            "Workbook rules, 99 % under 0.25 s, 30 d",
        )
    )
    return out
