"""The end-to-end demo behind ``make demo``: the whole PIP on the shipped demo data.

Each stage is a function of the dataset and the output directory, so the demo is the
library used the way a user would use it.

Examples
--------
>>> from pipbench.demo.pipeline import demo_files
>>> sorted(p.name for p in demo_files())[:1]
['deploys.csv']
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import polars as pl

from pipbench.dataset import Dataset, open_dataset
from pipbench.errors import InputError
from pipbench.ingest import IngestReport, ingest

__all__ = ["demo_dir", "demo_files", "run_demo", "summarize_dataset"]


def demo_dir() -> Path:
    """Where the shipped demo exports are (``datasets/demo`` of the checkout, or ``$PIPBENCH_DEMO_DATA``)."""
    env = os.environ.get("PIPBENCH_DEMO_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "datasets" / "demo"


def demo_files() -> list[Path]:
    """The demo's raw export files."""
    d = demo_dir()
    if not d.is_dir():
        msg = "the demo data is missing"
        raise InputError(
            msg, file=d, expected="datasets/demo from the repository (or set PIPBENCH_DEMO_DATA)"
        )
    return sorted(p for p in d.iterdir() if p.is_file() and p.suffix in (".json", ".csv"))


def summarize_dataset(ds: Dataset) -> pl.DataFrame:
    """One row per table and metric/name: rows, series and time range."""
    s = ds.samples()
    labels = [
        c for c in s.collect_schema().names() if c not in ("timestamp", "metric", "value", "source")
    ]
    samples = (
        s.group_by("metric")
        .agg(
            pl.len().alias("rows"),
            pl.struct(labels).n_unique().alias("series"),
            pl.col("timestamp").min().alias("t_min"),
            pl.col("timestamp").max().alias("t_max"),
        )
        .with_columns(pl.lit("samples").alias("table"))
        .rename({"metric": "what"})
    )
    events = (
        ds.events()
        .group_by("name")
        .agg(
            pl.len().alias("rows"),
            pl.lit(None, pl.UInt32).alias("series"),
            pl.col("timestamp").min().alias("t_min"),
            pl.col("timestamp").max().alias("t_max"),
        )
        .with_columns(pl.lit("events").alias("table"))
        .rename({"name": "what"})
    )
    ann = (
        ds.annotations()
        .group_by("kind")
        .agg(
            pl.len().alias("rows"),
            pl.lit(None, pl.UInt32).alias("series"),
            pl.col("timestamp").min().alias("t_min"),
            pl.col("timestamp").max().alias("t_max"),
        )
        .with_columns(pl.lit("annotations").alias("table"))
        .rename({"kind": "what"})
    )
    cols = ["table", "what", "rows", "series", "t_min", "t_max"]
    return (
        pl.concat([f.select(cols) for f in (samples, events, ann)], how="vertical_relaxed")
        .sort("table", "what")
        .collect()
    )


def run_demo(out: str | Path, *, echo: Callable[[str], None] = print) -> Path:
    """Run the demo into ``out`` (the dataset goes to ``out/dataset``); returns ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = open_dataset(out / "dataset")
    echo(f"1. ingest the demo exports from {demo_dir()}")
    reports: list[IngestReport] = ingest(demo_files(), ds)
    for r in reports:
        echo(
            f"   {Path(r.file).name:32} {r.format:16} {r.series:5} series {r.samples:8} samples "
            f"{r.events:6} events {r.annotations:3} annotations"
        )
    summary = summarize_dataset(ds)
    echo(
        "   dataset: "
        + ", ".join(
            f"{t} {n}"
            for t, n in summary.group_by("table")
            .agg(pl.col("rows").sum())
            .sort("table")
            .iter_rows()
        )
        + " rows"
    )
    return out
