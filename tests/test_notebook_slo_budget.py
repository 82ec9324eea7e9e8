"""The slo_budget notebook runs headless on the demo with the shipped slo.yaml."""

from __future__ import annotations

import json
from pathlib import Path

from pipbench.notebooks import run_notebook


def test_budget_notebook_writes_charts_and_evidence(demo_dataset: Path, tmp_path: Path) -> None:
    params = {"dataset": str(demo_dataset), "start": "2026-03-03T00:00Z", "step": "10m"}
    run = run_notebook("slo_budget", params, out_dir=tmp_path)
    names = {p.name for p in run.charts}
    assert {"budget_checkout-availability.svg", "budget_checkout-latency.svg"} <= names
    (evidence,) = run.evidence
    ev = json.loads(evidence.read_text())
    assert evidence.name == "slo_budget.json"
    assert [s["name"] for s in ev["slos"]] == ["checkout-availability", "checkout-latency"]
    assert ev["slos"][1]["budget"]["consumed"] > 1
    assert "checkout-latency" in ev["summary"]
