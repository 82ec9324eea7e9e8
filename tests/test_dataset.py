"""The dataset contract: schema, atomic idempotent writes, plain Parquet."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from pipbench.dataset import CORE_COLUMNS, conform, open_dataset

T0 = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def _frame(n: int, **labels: str) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "timestamp": [T0 + dt.timedelta(seconds=15 * i) for i in range(n)],
            "metric": ["up"] * n,
            "value": [float(i) for i in range(n)],
            **{k: [v] * n for k, v in labels.items()},
        }
    )


def _tree_digest(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def test_conform_orders_core_then_sorted_labels() -> None:
    out = conform(_frame(2, zone="b", app="a"), "samples", source="s")
    assert out.columns == [*CORE_COLUMNS["samples"], "app", "zone"]
    assert out.schema["timestamp"] == pl.Datetime("us", "UTC")


def test_write_is_idempotent_per_key(tmp_dataset: Path) -> None:
    ds = open_dataset(tmp_dataset)
    ds.write({"samples": _frame(3, job="a")}, key="k1", source="a.json")
    first = _tree_digest(tmp_dataset)
    ds.write({"samples": _frame(3, job="a")}, key="k1", source="a.json")
    assert _tree_digest(tmp_dataset) == first
    assert ds.samples().collect().height == 3


def test_labels_union_across_parts(tmp_dataset: Path) -> None:
    ds = open_dataset(tmp_dataset)
    ds.write({"samples": _frame(2, job="a")}, key="k1", source="a")
    ds.write({"samples": _frame(2, pod="p")}, key="k2", source="b")
    out = ds.samples().collect()
    assert out.height == 4
    assert {"job", "pod"} <= set(out.columns)
    assert out.filter(pl.col("source") == "b")["job"].null_count() == 2


def test_plain_parquet_readable_by_duckdb_and_pyarrow(tmp_dataset: Path) -> None:
    ds = open_dataset(tmp_dataset)
    ds.write({"samples": _frame(5, job="a")}, key="k1", source="a")
    glob = str(tmp_dataset / "samples" / "*.parquet")
    n, total = (
        duckdb.connect()
        .execute(f"select count(*), sum(value) from read_parquet('{glob}')")
        .fetchall()[0]
    )
    assert (n, total) == (5, 10.0)
    table = pq.read_table(tmp_dataset / "samples")
    assert table.num_rows == 5
    assert str(table.schema.field("timestamp").type) == "timestamp[us, tz=UTC]"


def test_failed_write_changes_nothing(tmp_dataset: Path) -> None:
    ds = open_dataset(tmp_dataset)
    ds.write({"samples": _frame(2)}, key="k1", source="a")
    before = _tree_digest(tmp_dataset)
    bad = pl.DataFrame({"metric": ["x"], "value": [1.0]})  # no timestamp
    with pytest.raises(ValueError, match="timestamp"):
        ds.write({"samples": bad}, key="k2", source="b")
    assert _tree_digest(tmp_dataset) == before


def test_orphan_parts_are_invisible_and_collected(tmp_dataset: Path) -> None:
    # A crash between renaming a part and committing the manifest leaves an orphan.
    ds = open_dataset(tmp_dataset)
    ds.write({"samples": _frame(2)}, key="k1", source="a")
    orphan = tmp_dataset / "samples" / "part-orphan.parquet"
    _frame(7).write_parquet(orphan)
    assert ds.samples().collect().height == 2
    ds.write({"samples": _frame(1)}, key="k2", source="b")
    assert not orphan.exists()


def test_open_missing_dataset_without_create(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no dataset here"):
        open_dataset(tmp_path / "nope", create=False)
