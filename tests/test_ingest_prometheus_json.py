"""Prometheus HTTP API JSON reader (shapes from the Prometheus querying API docs)."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import polars as pl
import pytest

import pipbench.ingest as ing
from pipbench.dataset import open_dataset
from pipbench.errors import InputError

DATA = Path(__file__).parent / "data" / "ingest" / "prometheus-json"


def test_query_range_matrix_from_the_api_docs(tmp_dataset: Path) -> None:
    """The docs' example: 2 series × 3 points, 1435781430.781 → 2015-07-01T20:10:30.781Z."""
    (r,) = ing.ingest(DATA / "query_range_docs.json", tmp_dataset)
    assert (r.format, r.series, r.samples) == ("prometheus-json", 2, 6)
    assert (r.t_min, r.t_max) == ("2015-07-01T20:10:30.781000Z", "2015-07-01T20:11:00.781000Z")
    s = open_dataset(tmp_dataset).samples().collect()
    node = s.filter(pl.col("job") == "node").sort("timestamp")
    assert node["value"].to_list() == [0.0, 0.0, 1.0]
    assert node["instance"][0] == "localhost:9091"
    assert node["timestamp"][0] == dt.datetime(2015, 7, 1, 20, 10, 30, 781000, tzinfo=dt.UTC)


def test_special_values_and_missing_name(tmp_dataset: Path) -> None:
    (r,) = ing.ingest(DATA / "vector_special.json", tmp_dataset)
    s = open_dataset(tmp_dataset).samples().collect().sort("instance")
    vals = s["value"].to_list()
    assert math.isnan(vals[0])
    assert vals[1] == math.inf
    assert vals[2] == -math.inf
    assert vals[3] == 0.25
    assert s["metric"][3] == "query:vector_special"
    assert any("__name__" in n for n in r.notes)


def test_native_histogram_to_cumulative_le_buckets(tmp_dataset: Path) -> None:
    """Per-bucket counts sorted by upper bound and summed; +Inf bucket = count."""
    ing.ingest(DATA / "native_histogram_cumulative.json", tmp_dataset)
    s = open_dataset(tmp_dataset).samples().collect()
    b = s.filter(
        (pl.col("metric") == "http_request_duration_seconds_bucket")
        & (pl.col("timestamp") == dt.datetime(2023, 11, 14, 22, 13, 35, tzinfo=dt.UTC))
    )
    got = dict(zip(b["le"].to_list(), b["value"].to_list(), strict=True))
    assert got == {"-0.5": 1.0, "0.001": 4.0, "1.0": 12.0, "+Inf": 12.0}
    count = s.filter(pl.col("metric") == "http_request_duration_seconds_count").sort("timestamp")
    assert count["value"].to_list() == [10.0, 12.0]


def test_bare_result_list_and_scalar(tmp_path: Path, tmp_dataset: Path) -> None:
    bare = tmp_path / "dump.json"
    bare.write_text(json.dumps([{"metric": {"__name__": "x"}, "values": [[1, "1"], [2, "2"]]}]))
    scalar = tmp_path / "scalar.json"
    scalar.write_text(
        json.dumps(
            {"status": "success", "data": {"resultType": "scalar", "result": [1700000000, "42"]}}
        )
    )
    r1, r2 = ing.ingest([bare, scalar], tmp_dataset)
    assert (r1.samples, r2.samples) == (2, 1)
    s = open_dataset(tmp_dataset).samples().collect()
    assert s.filter(pl.col("metric") == "query:scalar")["value"].item() == 42.0


def test_error_response_is_reported(tmp_path: Path, tmp_dataset: Path) -> None:
    f = tmp_path / "err.json"
    f.write_text(
        json.dumps(
            {
                "status": "error",
                "errorType": "bad_data",
                "error": "parse error",
                "data": {"resultType": "matrix", "result": []},
            }
        )
    )
    with pytest.raises(InputError, match="bad_data: parse error"):
        ing.ingest(f, tmp_dataset)


def test_wrong_value_type_names_the_field(tmp_path: Path, tmp_dataset: Path) -> None:
    f = tmp_path / "bad.json"
    f.write_text(
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}}'
    )
    with pytest.raises(InputError, match=r"bad\.json: field data\.result\[0\]\.values"):
        ing.ingest(f, tmp_dataset)
