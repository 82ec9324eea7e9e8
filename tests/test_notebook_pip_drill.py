"""The pip_drill notebook runs headless with small parameters (no dataset needed)."""

from __future__ import annotations

import json
from pathlib import Path

from pipbench.notebooks import run_notebook


def test_drill_notebook_writes_charts_and_evidence(tmp_path: Path) -> None:
    params = {"days": 3.0, "at": "2026-03-03T12:00Z", "size": 3.0, "seed": 2, "sweep": [0.5, 3.0]}
    run = run_notebook("pip_drill", params, out_dir=tmp_path)
    assert {"drill_sli.svg", "drill_budget.svg"} <= {p.name for p in run.charts}
    (evidence,) = run.evidence
    ev = json.loads(evidence.read_text())
    assert ev["size"] == 3.0
    assert ev["injected_at"] == "2026-03-03T12:00:00Z"
    assert {row["size"] for row in ev["sweep"]} == {0.5, 3.0}
    online = next(a for a in ev["alarms"] if a["alarm"] == "online detector")
    assert online["caught"]
