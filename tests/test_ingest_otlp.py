"""OTLP/JSON reader, on files shaped like opentelemetry-proto's examples/*.json."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

import pipbench.ingest as ing
from pipbench.dataset import open_dataset
from pipbench.errors import InputError
from pipbench.ingest.otlp_json import exponential_bounds

DATA = Path(__file__).parent / "data" / "ingest" / "otlp-json"
T0 = dt.datetime(2018, 12, 13, 14, 51, 0, 300000, tzinfo=dt.UTC)  # 1544712660300000000 ns


@pytest.fixture
def metrics(tmp_dataset: Path) -> pl.DataFrame:
    (report,) = ing.ingest(DATA / "metrics.json", tmp_dataset)
    assert report.format == "otlp-json"
    return open_dataset(tmp_dataset).samples().collect()


def _series(frame: pl.DataFrame, metric: str) -> pl.DataFrame:
    return frame.filter(pl.col("metric") == metric).sort("timestamp")


def test_delta_sum_is_accumulated_to_a_cumulative_counter(metrics: pl.DataFrame) -> None:
    """Data model: delta points add up; the dataset stores cumulative counters."""
    s = _series(metrics, "my_counter")
    assert s["value"].to_list() == [5.0, 8.0]
    assert s["timestamp"][0] == T0
    assert s["my_counter_attr"].to_list() == ["some value"] * 2
    assert s["service_name"].unique().to_list() == ["my.service"]


def test_gauge_takes_double_and_string_int(metrics: pl.DataFrame) -> None:
    s = _series(metrics, "my_gauge")
    assert s["value"].to_list() == [10.0, 7.0]


def test_histogram_becomes_cumulative_le_buckets(metrics: pl.DataFrame) -> None:
    """bucketCounts [1,2,1] with bounds [0.25,1] → le 0.25:1, 1:3, +Inf:4 (= count)."""
    b = _series(metrics, "my_histogram_bucket")
    got = dict(zip(b["le"].to_list(), b["value"].to_list(), strict=True))
    assert got == {"0.25": 1.0, "1.0": 3.0, "+Inf": 4.0}
    assert _series(metrics, "my_histogram_count")["value"].to_list() == [4.0]
    assert _series(metrics, "my_histogram_sum")["value"].to_list() == [2.5]
    assert b["http_route"].unique().to_list() == ["/api/checkout"]


def test_exponential_histogram_bounds_follow_the_data_model(metrics: pl.DataFrame) -> None:
    """scale 0 → base 2; positive offset 1, counts [0,2] → (2,4]:0, (4,8]:2; zero bucket 1."""
    assert exponential_bounds(scale=0, offset=1, n=2) == [4.0, 8.0]
    assert exponential_bounds(scale=1, offset=0, n=2) == pytest.approx([2**0.5, 2.0])
    b = _series(metrics, "my_exponential_histogram_bucket")
    got = dict(zip(b["le"].to_list(), b["value"].to_list(), strict=True))
    assert got == {"0.0": 1.0, "4.0": 1.0, "8.0": 3.0, "+Inf": 3.0}


def test_summary_keeps_quantile_label(metrics: pl.DataFrame) -> None:
    s = _series(metrics, "rpc_server_duration_summary")
    assert dict(zip(s["quantile"].to_list(), s["value"].to_list(), strict=True)) == {
        "0.5": 40.1,
        "0.99": 180.0,
    }
    assert _series(metrics, "rpc_server_duration_summary_count")["value"].item() == 100.0


def test_spans_become_events_with_status_and_lowercase_ids(tmp_dataset: Path) -> None:
    (report,) = ing.ingest(DATA / "trace.json", tmp_dataset)
    assert (report.events, report.samples) == (2, 0)
    ev = open_dataset(tmp_dataset).events().collect().sort("timestamp")
    assert ev["name"].to_list() == ["GET /api/cart", "POST /api/checkout"]
    assert ev["duration_s"].to_list() == pytest.approx([0.04, 1.25])
    assert ev["ok"].to_list() == [True, False]
    assert ev["status"].to_list() == ["unset", "error"]
    assert ev["trace_id"][1] == "5b8efff798038103d269b633813fc60c"
    assert ev["span_kind"].to_list() == ["server", "server"]
    assert ev["http_response_status_code"].to_list() == ["200", "500"]
    assert ev["service_version"].unique().to_list() == ["2.4.0"]
    assert report.t_min == "2018-12-13T14:50:59Z"


def test_logs_one_request_per_line_in_either_key_case(tmp_dataset: Path) -> None:
    (report,) = ing.ingest(DATA / "logs.jsonl", tmp_dataset)
    ev = open_dataset(tmp_dataset).events().collect().sort("timestamp")
    assert report.events == 2
    assert ev["body"].to_list() == ["Example log record", "payment failed"]
    assert ev["ok"].to_list() == [True, False]  # severity 17 = ERROR
    assert ev["array_attribute"][0] == "[many,values]"


def test_truncated_otlp_is_a_clear_error(tmp_path: Path, tmp_dataset: Path) -> None:
    bad = tmp_path / "cut.json"
    bad.write_bytes((DATA / "metrics.json").read_bytes()[:700])
    with pytest.raises(InputError, match=r"cut\.json.*(truncated|invalid) JSON"):
        ing.ingest(bad, tmp_dataset, format="otlp-json")
    assert not tmp_dataset.exists()
