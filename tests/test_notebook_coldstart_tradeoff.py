"""The coldstart_tradeoff notebook, run headless with a small sweep."""

from __future__ import annotations

import json
from pathlib import Path

from pipbench.notebooks import run_notebook


def test_the_notebook_sweeps_keep_alive_and_provisioned(tmp_path: Path):
    params = {
        "keep_alives": [60, 600],
        "provisioned": [0, 1],
        "duration": 7200.0,
        "replications": 2,
        "max_cold_fraction": 0.5,
    }
    run = run_notebook("coldstart_tradeoff", params, out_dir=tmp_path, html=False)
    ev = json.loads((tmp_path / "evidence" / "coldstart_tradeoff.json").read_text())
    assert len(ev["settings"]) == 4
    assert ev["summary"].startswith("Keep-alive ")
    assert ev["recommended"]["cold_fraction"]["mean"] <= 0.5
    assert {p.stem for p in run.charts} == {"coldstart_tradeoff"}
