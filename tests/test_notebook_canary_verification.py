"""The canary_verification notebook, run headless on the demo dataset."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipbench.notebooks import NotebookError, notebook_parameters, run_notebook
from pipbench.notebooks.run import find_notebook


def test_the_notebook_verifies_the_fix_canary(demo_dataset: Path, tmp_path: Path):
    run = run_notebook(
        "canary_verification", {"dataset": str(demo_dataset)}, out_dir=tmp_path, html=False
    )
    ev = json.loads((tmp_path / "evidence" / "canary_verification.json").read_text())
    assert ev["verdict"] == "pass"
    assert "PASS" in ev["summary"]
    assert [m["name"] for m in ev["judgement"]["metrics"]][:2] == ["p99 latency", "error ratio"]
    names = {p.name for p in run.charts}
    assert {
        "canary_ecdf.svg",
        "canary_ecdf.png",
        "canary_events_ecdf.svg",
        "canary_latency_over_time.svg",
    } <= names
    assert [p.name for p in run.evidence] == ["canary_verification.json"]


def test_a_bad_selector_stops_at_the_validation_cell(demo_dataset: Path, tmp_path: Path):
    with pytest.raises(NotebookError) as err:
        run_notebook(
            "canary_verification",
            {"dataset": str(demo_dataset), "canary": "instance=nope"},
            out_dir=tmp_path,
            html=False,
        )
    e = err.value
    assert e.ename == "InputError"
    assert "the canary selection 'instance=nope' has no" in e.evalue
    assert e.source_line.startswith("result = workflows.canary_verification(")
    assert not (tmp_path / "evidence").exists()


def test_the_parameters_are_typed_and_default_to_the_demo_window():
    params = notebook_parameters(find_notebook("canary_verification"))
    assert params["start"].default == '"2026-03-06T14:00:00Z"'
    assert params["end"].default == '"2026-03-06T16:00:00Z"'
    assert params["latency_threshold"].type_name == "float | None"
    assert params["dataset"].default == '"../reports/demo/dataset"'
