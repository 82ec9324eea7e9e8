"""Grafana panel CSV reader: wide and long exports with the corners real downloads have.

Reference: Grafana's panel inspector "Download CSV" (series joined by time as columns, or
series as rows; "Download for Excel" adds a ``sep=`` line and a BOM; "Formatted data"
writes values with units). Counts below are read off the fixture files by eye.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipbench.errors import InputError
from tests.ingest_fixtures import fixture, read, span

R = "grafana-csv"


def test_series_as_columns_with_bom_quotes_and_nulls() -> None:
    frames, skipped, result = read(R, fixture(R, "panel_series_as_columns.csv"))
    s = frames["samples"]
    assert s.height == 10 - 2  # 5 times × 2 series, one null and one undefined
    assert [(k.reason, k.count) for k in skipped] == [("missing value, metric or timestamp", 2)]
    assert set(s["metric"]) == {"http_request_duration_seconds"}
    assert sorted(set(s["handler"])) == ["/api/orders", "/api/users"]
    assert span(s) == ("2024-03-10T14:00:00Z", "2024-03-10T14:01:00Z")
    assert any("no zone" in n for n in result.notes)


def test_timezone_option_shifts_zoneless_times() -> None:
    frames, _, result = read(
        R, fixture(R, "panel_series_as_columns.csv"), timezone="America/New_York"
    )
    # 2024-03-10 is the US spring-forward day; 14:00 EDT = 18:00Z.
    assert span(frames["samples"]) == ("2024-03-10T18:00:00Z", "2024-03-10T18:01:00Z")
    assert not any("no zone" in n for n in result.notes)


def test_series_as_rows_semicolons_offsets_decimal_commas() -> None:
    frames, skipped, _ = read(R, fixture(R, "panel_series_as_rows_semicolon.csv"))
    s = frames["samples"]
    assert s.height == 4
    assert span(s) == ("2024-03-10T14:00:00Z", "2024-03-10T14:01:00Z")  # +01:00 offsets
    assert s.filter(pl.col("instance") == "api-1:9100")["value"].to_list() == [0.52, 0.61]
    # The legend had labels only: the metric is named after the file.
    assert set(s["metric"]) == {"panel_series_as_rows_semicolon"}
    assert [k.count for k in skipped] == [1]


def test_excel_download_with_units_and_repeated_rows() -> None:
    frames, skipped, result = read(R, fixture(R, "panel_excel_formatted.csv"))
    s = frames["samples"]
    assert s.height == 6
    assert [(k.reason, k.count) for k in skipped] == [("exact duplicate point", 2)]
    assert any("%, ms" in n for n in result.notes)
    assert s.filter(pl.col("metric") == "A-series")["value"].is_nan().sum() == 1


def test_epoch_ms_and_conflicting_repeated_timestamps() -> None:
    frames, skipped, _ = read(R, fixture(R, "panel_epoch_ms_repeated.csv"))
    s = frames["samples"]
    assert span(s) == ("2024-03-10T14:00:00Z", "2024-03-10T14:02:00Z")
    assert s.filter(pl.col("metric") == "cpu usage")["value"].to_list() == [0.25, 0.31]
    assert {k.reason.split(" (")[0] for k in skipped} == {
        "missing value, metric or timestamp",
        "exact duplicate point",
        "conflicting duplicate",
    }


def test_text_in_a_value_cell_names_line_and_series(tmp_path: Path) -> None:
    p = tmp_path / "p.csv"
    p.write_text("Time,errors\n2024-01-01T00:00:00Z,1\n2024-01-01T00:01:00Z,lots\n")
    with pytest.raises(InputError) as info:
        read(R, p)
    assert (info.value.line, info.value.field) == (3, "errors")


def test_table_panel_with_label_columns_and_two_queries() -> None:
    frames, _, _ = read(R, fixture(R, "table_panel.csv"))
    s = frames["samples"]
    assert s.height == 3 * 2
    assert set(s["metric"]) == {"up"}
    assert sorted(set(s["ref_id"])) == ["A", "B"]
    a2 = s.filter((pl.col("instance") == "api-2:9100") & (pl.col("ref_id") == "A"))
    assert (a2["value"].item(), a2["job"].item()) == (0.0, "node")
