"""Long CSV/Parquet tables and annotation files."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import pipbench.ingest as ing
from pipbench.dataset import open_dataset
from pipbench.errors import InputError

DATA = Path(__file__).parent / "data" / "ingest"


def test_annotations_csv_with_offsets_and_empty_end(tmp_dataset: Path) -> None:
    (r,) = ing.ingest(DATA / "annotations" / "deploys.csv", tmp_dataset)
    assert (r.format, r.annotations) == ("annotations", 3)
    a = open_dataset(tmp_dataset).annotations().collect().sort("timestamp")
    assert a["kind"].to_list() == ["deploy", "flag", "incident"]
    assert a["timestamp"][1] == dt.datetime(2026, 3, 4, 15, 30, tzinfo=dt.UTC)
    assert a["end"][1] is None
    assert a["end"][2] - a["timestamp"][2] == dt.timedelta(minutes=47)
    assert a["version"].to_list() == ["2.4.0", None, "2.4.0"]


def test_annotations_json_with_labels_and_tags(tmp_dataset: Path) -> None:
    (r,) = ing.ingest(DATA / "annotations" / "events.json", tmp_dataset)
    a = open_dataset(tmp_dataset).annotations().collect().sort("timestamp")
    assert r.annotations == 2
    assert a["kind"].to_list() == ["deploy", "incident"]
    assert a["text"][0] == "checkout 2.4.1 (fix N+1 query)"
    assert a["tags"][0] == "release,fix"
    assert a["timestamp"][1] == dt.datetime(2026, 3, 7, 8, 0, tzinfo=dt.UTC)  # epoch ms


def test_long_csv_with_column_mapping(tmp_path: Path, tmp_dataset: Path) -> None:
    f = tmp_path / "export.csv"
    f.write_text(
        "when;series;reading;host\n2026-01-01T00:00:00Z;cpu;0.5;a\n2026-01-01T00:01:00Z;cpu;0.7;a\n"
    )
    (r,) = ing.ingest(
        f,
        tmp_dataset,
        format="csv-long",
        options={"columns": {"timestamp": "when", "metric": "series", "value": "reading"}},
    )
    assert (r.series, r.samples) == (1, 2)
    s = open_dataset(tmp_dataset).samples().collect()
    assert s["metric"].unique().to_list() == ["cpu"]
    assert s["host"].unique().to_list() == ["a"]


def test_mapping_to_a_missing_column_is_clear(tmp_path: Path, tmp_dataset: Path) -> None:
    f = tmp_path / "x.csv"
    f.write_text("ts,value\n1,2\n")
    with pytest.raises(InputError, match=r"x\.csv:1: field timestamp: no column 'when'"):
        ing.ingest(f, tmp_dataset, format="csv-long", options={"columns": {"timestamp": "when"}})


def test_long_parquet_and_metric_from_file_name(tmp_path: Path, tmp_dataset: Path) -> None:
    f = tmp_path / "latency_p99.parquet"
    pl.DataFrame(
        {
            "time": [1_767_225_600_000, 1_767_225_660_000],
            "value": [0.2, 0.3],
            "endpoint": ["/a", "/a"],
        }
    ).write_parquet(f)
    (r,) = ing.ingest(f, tmp_dataset)
    assert r.format == "csv-long"
    s = open_dataset(tmp_dataset).samples().collect()
    assert s["metric"].unique().to_list() == ["latency_p99"]
    assert s["timestamp"][0] == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def test_non_numeric_values_are_skipped_with_their_line(tmp_path: Path, tmp_dataset: Path) -> None:
    f = tmp_path / "v.csv"
    f.write_text("timestamp,value\n1,1\n2,oops\n3,3\n")
    (r,) = ing.ingest(f, tmp_dataset)
    assert r.samples == 2
    (skip,) = [s for s in r.skipped if "not a number" in s.reason]
    assert (skip.count, skip.line) == (1, 3)


def test_large_csv_streams_in_chunks_with_the_same_result(
    tmp_path: Path, tmp_dataset: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above STREAM_BYTES the reader yields chunks; rows, counts and skips match a whole read."""
    from pipbench.ingest import csv_long

    lines = ["timestamp,metric,value,pod"]
    lines += [f"{1767225600 + 15 * i},up,{i % 7},p{i % 3}" for i in range(1000)]
    lines.insert(500, "1767225600,up,,p0")  # one missing value
    f = tmp_path / "big.csv"
    f.write_text("\n".join(lines) + "\n")
    (whole,) = ing.ingest(f, tmp_path / "whole")
    monkeypatch.setattr(csv_long, "STREAM_BYTES", 100)
    monkeypatch.setattr(csv_long, "CHUNK_BYTES", 2048)
    (streamed,) = ing.ingest(f, tmp_dataset)
    assert (streamed.samples, streamed.series, streamed.t_min, streamed.t_max) == (
        whole.samples,
        whole.series,
        whole.t_min,
        whole.t_max,
    )
    assert [(s.reason, s.count) for s in streamed.skipped] == [
        (s.reason, s.count) for s in whole.skipped
    ]
    ds = open_dataset(tmp_dataset)
    assert len(ds.parts("samples")) > 1
    a = ds.samples().collect().sort("pod", "timestamp").drop("source")
    b = open_dataset(tmp_path / "whole").samples().collect().sort("pod", "timestamp").drop("source")
    assert a.equals(b)
    ing.ingest(f, tmp_dataset)  # again: replaced, not appended
    assert ds.samples().collect().height == whole.samples
