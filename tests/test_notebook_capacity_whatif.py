"""The capacity_whatif notebook, run headless with a small sweep."""

from __future__ import annotations

import json
from pathlib import Path

from pipbench.notebooks import run_notebook


def test_the_notebook_recommends_an_autoscaling_setting(demo_dataset: Path, tmp_path: Path):
    params = {
        "dataset": str(demo_dataset),
        "start": "2026-03-05T13:00:00Z",
        "end": "2026-03-05T15:00:00Z",
        "min_replicas": [1],
        "target_utilization": [50, 90],
        "replications": 1,
        "speedup": 12.0,
    }
    run = run_notebook("capacity_whatif", params, out_dir=tmp_path, html=False)
    ev = json.loads((tmp_path / "evidence" / "capacity_whatif.json").read_text())
    assert ev["summary"].startswith("For 2.4.1 on the replayed traffic")
    assert len(ev["settings"]) == 4
    assert ev["recommended"]["version"] == "2.4.1"
    names = {p.stem for p in run.charts}
    assert {
        "capacity_traffic",
        "capacity_tradeoff_2.4.0",
        "capacity_tradeoff_2.4.1",
        "capacity_503s",
        "capacity_timeline",
    } <= names
