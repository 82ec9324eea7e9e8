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

import json
import os
import time
from collections.abc import Callable, Sequence
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


#: The demo's notebooks in PIP order, with the report view each belongs to.
DEMO_NOTEBOOKS: tuple[tuple[str, str], ...] = (
    ("regression_triage", "on-call"),
    ("slo_budget", "executive"),
    ("canary_verification", "executive"),
    ("capacity_whatif", "debug"),
    ("cache_ttl_tradeoff", "debug"),
    ("coldstart_tradeoff", "debug"),
    ("pip_drill", "debug"),
    ("pip_report", "executive"),
)


def run_demo(
    out: str | Path,
    *,
    echo: Callable[[str], None] = print,
    notebooks: Sequence[str] | None = None,
) -> Path:
    """Run the whole PIP on the demo data into ``out``; returns the path of ``index.html``.

    ``out/dataset`` holds the ingested dataset, ``out/<notebook>/`` each notebook's
    executed copy, HTML report, charts and evidence, and ``out/index.html`` links them all
    by view (executive, on-call, debug). ``notebooks`` limits the run to some of
    :data:`DEMO_NOTEBOOKS` (by name).
    """
    from pipbench.notebooks import (
        entries_for_run,
        find_notebook,
        list_notebooks,
        notebook_parameters,
        run_notebook,
        write_index,
    )

    out = Path(out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    dataset_path = out / "dataset"
    ds = open_dataset(dataset_path)
    echo(f"1. ingest the demo exports from {demo_dir()}")
    reports: list[IngestReport] = ingest(demo_files(), ds)
    for r in reports:
        echo(
            f"   {Path(r.file).name:32} {r.format:16} {r.series:5} series {r.samples:8} samples "
            f"{r.events:6} events {r.annotations:3} annotations"
        )
    summary = summarize_dataset(ds)
    totals = summary.group_by("table").agg(pl.col("rows").sum()).sort("table").iter_rows()
    echo("   dataset: " + ", ".join(f"{t} {n}" for t, n in totals) + " rows")
    available = {nb.name for nb in list_notebooks()}
    wanted = [
        (n, v)
        for n, v in DEMO_NOTEBOOKS
        if (notebooks is None or n in notebooks) and n in available
    ]
    entries = []
    for i, (name, view) in enumerate(wanted, start=2):
        accepted = notebook_parameters(find_notebook(name))
        given = {"dataset": str(dataset_path), "runs": str(out)}
        params = {k: v for k, v in given.items() if k in accepted}
        t0 = time.perf_counter()
        run = run_notebook(name, params, out_dir=out / name)
        echo(
            f"{i}. {name:22} {time.perf_counter() - t0:5.1f} s  → {run.html.relative_to(out) if run.html else '-'}"
        )
        for line in _summaries(run.evidence):
            echo(f"   {line}")
        entries += entries_for_run(run, view=view)  # type: ignore[arg-type]
    index = write_index(
        out,
        entries,
        title="pipbench demo: checkout p99 regression PIP",
        subtitle="release 2.4.0 regressed /api/checkout; 2.4.1 fixed it",
    )
    echo(f"report: {index}")
    return index


def _summaries(evidence: Sequence[Path]) -> list[str]:
    """The ``summary`` sentence of each evidence file, if it has one."""
    lines = []
    for p in evidence:
        try:
            data = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and isinstance(data.get("summary"), str):
            lines.append(data["summary"])
    return lines
