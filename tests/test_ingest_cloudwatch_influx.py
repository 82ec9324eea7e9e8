"""CloudWatch GetMetricData/GetMetricStatistics and InfluxDB annotated CSV readers.

References: the CloudWatch API reference (``MetricDataResult``: Id, Label, Timestamps,
Values, StatusCode ``Complete|InternalError|PartialData|Forbidden``, Messages;
``Datapoint`` with ExtendedStatistics), and InfluxData's "Annotated CSV" spec
(``#datatype``/``#group``/``#default`` rows, a leading annotation column, tables separated
by a blank line, RFC 4180 quoting). Counts are read off the fixtures.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipbench.errors import InputError
from tests.ingest_fixtures import fixture, read, span


def test_get_metric_data_from_the_cli() -> None:
    frames, skipped, result = read("cloudwatch", fixture("cloudwatch", "get_metric_data_cli.json"))
    s = frames["samples"]
    assert s.height == 7  # 5 + 2 points; the third result is empty
    assert not skipped
    assert not result.notes
    assert span(s) == ("2024-03-10T14:00:00Z", "2024-03-10T14:20:00Z")
    cpu = s.filter(pl.col("metric") == "CPUUtilization")
    assert cpu["value"].to_list() == [10.1, 12.5, 42.0, 68.9, 71.3]  # sorted, oldest first
    assert set(s["id"]) == {"m1", "e1"}


def test_paginator_pages_repeat_points_and_partial_data_is_reported() -> None:
    frames, skipped, result = read(
        "cloudwatch", fixture("cloudwatch", "get_metric_data_pages.json")
    )
    s = frames["samples"]
    assert s.height == 5  # 3 + 3 points, 14:01 on both pages
    assert [(k.reason, k.count) for k in skipped] == [("exact duplicate point", 1)]
    assert span(s) == ("2024-03-10T13:59:00Z", "2024-03-10T14:03:00Z")
    assert any("PartialData" in n for n in result.notes)
    assert any("MaxMetricsExceeded" in n for n in result.notes)


def test_get_metric_statistics_with_extended_statistics() -> None:
    frames, _, _ = read("cloudwatch", fixture("cloudwatch", "get_metric_statistics.json"))
    s = frames["samples"]
    assert s.height == 6
    assert sorted(set(s["stat"])) == ["Average", "Maximum", "p99"]
    assert s.filter(pl.col("stat") == "p99")["value"].to_list() == [0.62, 1.41]


def test_cloudwatch_mismatched_lengths(tmp_path: Path) -> None:
    p = tmp_path / "cw.json"
    p.write_text(
        '{"MetricDataResults": [{"Id": "m", "Timestamps": ["2024-01-01T00:00:00Z"], "Values": []}]}'
    )
    with pytest.raises(InputError, match="1 timestamps but 0 values"):
        read("cloudwatch", p)


def test_flux_tables_of_several_shapes() -> None:
    frames, skipped, _ = read("influx-csv", fixture("influx-csv", "flux_query_multiple_tables.csv"))
    s = frames["samples"]
    assert s.height == 5 + 2 + 2  # the string-field table is skipped
    assert [(k.reason, k.count, k.line) for k in skipped] == [
        ("string field value (not a number)", 1, 22)
    ]
    assert sorted(set(s["metric"])) == ["cpu_usage_user", "http_requests", "status_healthy"]
    assert s.filter(pl.col("metric") == "status_healthy")["value"].to_list() == [1.0, 0.0]
    assert s.filter(pl.col("metric") == "http_requests")["path"].unique().to_list() == [
        "/api/orders"
    ]
    assert span(s) == ("2024-03-10T14:00:10Z", "2024-03-10T14:00:40Z")


def test_flux_pivoted_table_with_offsets() -> None:
    frames, skipped, _ = read("influx-csv", fixture("influx-csv", "flux_pivoted.csv"))
    s = frames["samples"]
    assert sorted(s["metric"]) == ["cpu_usage_system", "cpu_usage_user", "cpu_usage_user"]
    assert span(s) == ("2024-03-10T13:00:00Z", "2024-03-10T13:00:10Z")
    assert [k.count for k in skipped] == [1]


def test_flux_error_table(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text(
        '#datatype,string,string\n#group,true,true\n#default,,\n,error,reference\n,"failed to initialize execute state: could not find bucket ""metrics""",897\n'
    )
    with pytest.raises(InputError, match='could not find bucket "metrics"'):
        read("influx-csv", p)


def test_flux_default_annotation_fills_empty_cells(tmp_path: Path) -> None:
    p = tmp_path / "q.csv"
    p.write_text(
        "#datatype,string,long,dateTime:RFC3339,double,string,string,string\n"
        "#group,false,false,false,false,true,true,true\n"
        "#default,_result,,,,,,eu-west-1\n"
        ",result,table,_time,_value,_field,_measurement,region\n"
        ",,0,2024-03-10T14:00:00Z,1.5,used,mem,\n"
        ",,0,2024-03-10T14:00:10Z,1.7,used,mem,us-east-1\n"
    )
    frames, _, _ = read("influx-csv", p)
    assert frames["samples"].sort("timestamp")["region"].to_list() == ["eu-west-1", "us-east-1"]


def test_cloudwatch_epoch_second_timestamps(tmp_path: Path) -> None:
    p = tmp_path / "cw.json"
    p.write_text(
        '{"MetricDataResults": [{"Id": "m", "Label": "Errors", '
        '"Timestamps": [1710079260, 1710079200], "Values": [2, 1], "StatusCode": "Complete"}]}'
    )
    frames, _, _ = read("cloudwatch", p)
    assert span(frames["samples"]) == ("2024-03-10T14:00:00Z", "2024-03-10T14:01:00Z")
