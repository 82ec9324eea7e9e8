"""JMeter JTL CSV and Locust CSV readers, checked against the tools' documented columns.

References: JMeter "Listeners → CSV log format" (default columns of JMeter 5 and 2.x,
``sampleresult.timestamp.start=true`` in the shipped properties, ``success`` as the
verdict); Locust docs "Retrieve test statistics in CSV format" (``_stats.csv``,
``_stats_history.csv`` with ``N/A`` before the first request, ``_failures.csv``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipbench.errors import InputError
from tests.ingest_fixtures import AT, fixture, read, span


def test_jmeter5_default_columns() -> None:
    frames, skipped, _ = read("jmeter", fixture("jmeter", "results_jmeter5.jtl"))
    ev = frames["events"]
    assert ev.height == 7
    assert not skipped
    # The file's first row starts at .120 but the second started earlier, at .100.
    assert span(ev) == ("2023-11-14T22:13:20.100000Z", "2023-11-14T22:13:22.600000Z")
    assert ev["timestamp"].is_sorted()
    checkout = ev.filter(pl.col("name") == "POST /checkout").row(0, named=True)
    assert (checkout["status"], checkout["ok"]) == ("200", False)  # assertion failed a 200
    assert "Out of stock" in checkout["failure_message"]
    favicon = ev.filter(pl.col("name") == "GET /favicon.ico").row(0, named=True)
    assert (favicon["status"], favicon["ok"]) == ("404", True)  # an expected 404
    assert ev.filter(pl.col("name") == "GET /slow-report")["duration_s"].item() == 21.003
    assert ev["ok"].sum() == 4
    assert ev.filter(pl.col("name") == "Checkout flow")["url"].item() is None


def test_jmeter2_without_header() -> None:
    frames, _, _ = read("jmeter", fixture("jmeter", "results_jmeter2_no_header.csv"))
    ev = frames["events"]
    assert ev.height == 5
    assert span(ev) == ("2016-03-15T17:07:04.911000Z", "2016-03-15T17:07:05.380000Z")
    assert ev.filter(~pl.col("ok"))["name"].to_list() == ["Search"]


def test_jmeter_formatted_times_semicolons_and_timezone() -> None:
    path = fixture("jmeter", "results_formatted_semicolon.csv")
    frames, _, result = read("jmeter", path)
    assert span(frames["events"]) == ("2016-03-15T18:07:04.911000Z", "2016-03-15T18:07:05.380000Z")
    assert any("timezone" in n for n in result.notes)
    frames, _, _ = read("jmeter", path, timezone="Europe/Paris")  # UTC+1 in March 2016
    assert span(frames["events"])[0] == "2016-03-15T17:07:04.911000Z"


def test_jmeter_xml_is_refused_clearly(tmp_path: Path) -> None:
    p = tmp_path / "r.jtl"
    p.write_text('<?xml version="1.0" encoding="UTF-8"?>\n<testResults version="1.2">\n')
    with pytest.raises(InputError, match="XML JTL"):
        read("jmeter", p)


def test_locust_stats() -> None:
    frames, _, result = read("locust", fixture("locust", "example_stats.csv"))
    s = frames["samples"]
    assert s.height == 4 * 20  # 4 rows × (9 statistics + 11 percentiles)
    assert result.used_default_time
    assert s["timestamp"].unique().to_list() == [AT]
    agg = s.filter((pl.col("name") == "Aggregated") & (pl.col("metric") == "locust_requests_total"))
    assert agg["value"].item() == 6735
    assert agg["method"].item() is None
    p999 = s.filter((pl.col("name") == "/") & (pl.col("quantile") == "0.999"))
    assert p999["value"].item() == 1100


def test_locust_stats_history_na_cells() -> None:
    frames, skipped, result = read("locust", fixture("locust", "example_stats_history.csv"))
    s = frames["samples"]
    assert not result.used_default_time
    assert s.height == 5 * 21 - 2 * 11  # two early rows have N/A percentiles
    assert [(k.reason, k.count) for k in skipped] == [("missing value, metric or timestamp", 22)]
    assert span(s) == ("2023-11-14T22:13:20Z", "2023-11-14T22:13:26Z")
    users = s.filter((pl.col("metric") == "locust_users") & (pl.col("name") == "Aggregated"))
    assert users["value"].to_list() == [0, 10, 20, 30]


def test_locust_failures() -> None:
    frames, _, _ = read("locust", fixture("locust", "example_failures.csv"))
    s = frames["samples"]
    assert s["value"].sum() == 55
    assert s.filter(pl.col("error").str.contains('expected "ok"')).height == 1


def test_locust_old_quoted_header() -> None:
    """Locust 0.x: quoted headers, ``# requests``, ``Requests Failed/s``, a ``Total`` row."""
    frames, _, _ = read("locust", fixture("locust", "old_0.13_stats.csv"))
    s = frames["samples"]
    assert s.height == 3 * 20
    req = s.filter(pl.col("metric") == "locust_requests_total").sort("value")
    assert req["value"].to_list() == [40, 312, 352]
    fails = s.filter((pl.col("metric") == "locust_failures_per_second") & (pl.col("name") == "/"))
    assert fails["value"].item() == 0.07
