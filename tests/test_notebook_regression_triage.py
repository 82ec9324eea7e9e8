"""The regression_triage notebook runs headless on the demo and stops early on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipbench.notebooks import NotebookError, run_notebook


def test_triage_notebook_writes_charts_and_evidence(demo_dataset: Path, tmp_path: Path) -> None:
    params = {
        "dataset": str(demo_dataset),
        "start": "2026-03-03T00:00Z",
        "end": "2026-03-06T12:00Z",
    }
    run = run_notebook("regression_triage", params, out_dir=tmp_path)
    names = {p.name for p in run.charts}
    for chart in ("triage_sli", "triage_change_points", "triage_drilldown", "triage_heatmap"):
        assert f"{chart}.svg" in names
    (evidence,) = run.evidence
    assert evidence.name == "regression_triage.json"
    ev = json.loads(evidence.read_text())
    assert "2.4.0" in ev["summary"]
    assert ev["drilldown"]["segments"][0]["segment"] == "endpoint=/api/checkout, version=2.4.0"
    assert run.html is not None
    assert "/api/checkout" in run.html.read_text()


def test_bad_parameter_stops_at_the_validation_cell(demo_dataset: Path, tmp_path: Path) -> None:
    """quantile=1.5 fails in the first cell after setup, with the workflow's one-line message."""
    with pytest.raises(NotebookError) as info:
        run_notebook(
            "regression_triage",
            {"dataset": str(demo_dataset), "quantile": 1.5},
            out_dir=tmp_path,
            html=False,
        )
    err = info.value
    assert err.ename == "ConfigError"
    assert "'quantile'" in err.evalue
    assert err.source_line.startswith("triage = workflows.regression_triage(")
    assert not (tmp_path / "evidence").exists()
