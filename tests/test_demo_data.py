"""The shipped demo data is exactly what its seeded generator makes, and tells its story."""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from pipbench.dataset import open_dataset
from pipbench.demo import STORY, generate_demo
from pipbench.demo.pipeline import demo_dir, demo_files
from pipbench.ingest import ingest


def test_shipped_files_are_the_generators_bytes(tmp_path: Path) -> None:
    made = generate_demo(tmp_path)
    for f in made:
        shipped = demo_dir() / f.name
        assert (
            hashlib.sha256(shipped.read_bytes()).digest() == hashlib.sha256(f.read_bytes()).digest()
        ), f.name


def test_demo_ingests_and_carries_the_regression(tmp_path: Path) -> None:
    reports = ingest(demo_files(), tmp_path / "ds")
    by_name = {Path(r.file).name: r for r in reports}
    assert by_name["deploys.csv"].annotations == 6
    # 7 days at 5 minutes = 2017 points per series; 3 instances × 3 endpoints × 2 codes, split by version.
    assert by_name["prometheus_http_requests.json"].t_min == "2026-03-02T00:00:00Z"
    assert by_name["prometheus_http_requests.json"].t_max == "2026-03-09T00:00:00Z"
    ev = open_dataset(tmp_path / "ds").events().collect()
    p99 = (
        ev.filter(pl.col("http_route") == STORY.regressed_endpoint)
        .group_by("service_version")
        .agg(pl.col("duration_s").quantile(0.99))
        .sort("service_version")
    )
    before, bad, fixed = p99["duration_s"].to_list()
    assert bad > 2 * before
    assert fixed < 1.3 * before
