"""The cache_ttl_tradeoff notebook, run headless with a small sweep."""

from __future__ import annotations

import json
from pathlib import Path

from pipbench.notebooks import run_notebook


def test_the_notebook_sweeps_ttls_against_theory(tmp_path: Path):
    params = {"ttls": [5, 20], "requests": 5000, "replications": 2, "max_backend_rate": 150.0}
    run = run_notebook("cache_ttl_tradeoff", params, out_dir=tmp_path, html=False)
    ev = json.loads((tmp_path / "evidence" / "cache_ttl_tradeoff.json").read_text())
    assert [s["ttl"] for s in ev["settings"]] == [5.0, 20.0]
    assert all(s["theory_hit_ratio"] is not None for s in ev["settings"])
    assert ev["recommended"]["ttl"] in (5.0, 20.0)
    assert {p.stem for p in run.charts} == {"cache_theory", "cache_tradeoff"}
