"""k6 reader, checked against k6's documented outputs.

References: k6 docs "Results output: JSON" (Metric/Point lines, RFC 3339 times), "CSV"
(column set, unix-second timestamps, ``extra_tags``), "End-of-test summary"
(``handleSummary`` data and the legacy ``--summary-export``, whose threshold booleans are
true when the threshold *failed*, k6 issue #1498); k6's ``httpext.Trail.SaveSamples``
stamps request metrics with the request's end time.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest

from pipbench.errors import InputError
from tests.ingest_fixtures import AT, fixture, read, span

R = "k6"


def test_out_json_requests_become_events_with_start_times() -> None:
    frames, skipped, _ = read(R, fixture(R, "out_json.json"))
    ev, s = frames["events"], frames["samples"]
    assert ev.height == 3  # three http_req_duration points
    assert s.height == 8  # http_reqs ×2, http_req_failed ×2, checks, vus ×2, iteration_duration
    assert not skipped
    get = ev.filter(pl.col("status") == "200").row(0, named=True)
    # 14:34:45.625742514+02:00 minus 459.865729 ms (truncated to µs by the dataset's type).
    end = dt.datetime(2017, 5, 9, 12, 34, 45, 625742, tzinfo=dt.UTC)
    assert abs((end - get["timestamp"]).total_seconds() - 0.459865729) < 2e-6
    assert get["duration_s"] == pytest.approx(0.459865729)
    assert get["ok"] is True
    assert ev.filter(pl.col("status") == "503")["ok"].item() is False
    dns = ev.filter(pl.col("status") == "0").row(0, named=True)
    assert dns["ok"] is False
    assert dns["error_code"] == "1101"
    assert span(s) == ("2017-05-09T12:34:45Z", "2017-05-09T12:34:47.100000Z")


def test_out_csv() -> None:
    frames, _, _ = read(R, fixture(R, "out_csv.csv"))
    ev, s = frames["events"], frames["samples"]
    assert ev.height == 3
    assert s.height == 10
    assert span(s) == ("2022-01-04T12:15:36Z", "2022-01-04T12:15:38Z")
    timeout = ev.filter(pl.col("status") == "0").row(0, named=True)
    assert timeout["duration_s"] == 60.0
    assert timeout["name"] == "http://test.k6.io/flip_coin.php?bet=heads,tails"  # quoted comma
    assert timeout["ok"] is False
    assert ev.filter(pl.col("team") == "perf")["region"].item() == "eu"  # extra_tags


def _stat(s: pl.DataFrame, metric: str, stat: str, **labels: str) -> float:
    f = s.filter((pl.col("metric") == metric) & (pl.col("stat") == stat))
    for k, v in labels.items():
        f = f.filter(pl.col(k) == v)
    if "expected_response" in s.columns and "expected_response" not in labels:
        f = f.filter(pl.col("expected_response").is_null())
    return f["value"].item()


def test_handle_summary() -> None:
    frames, _, result = read(R, fixture(R, "handle_summary.json"))
    s = frames["samples"]
    assert result.used_default_time
    assert s["timestamp"].unique().to_list() == [AT]
    assert _stat(s, "http_req_duration", "p(95)") == 215.95
    assert _stat(s, "http_req_duration", "p(95)", expected_response="true") == 215.95
    # http_req_failed: "passes" are the non-zero (failed) requests.
    assert _stat(s, "http_req_failed", "nonzero") == 2
    assert _stat(s, "http_req_failed", "rate") == pytest.approx(2 / 180)
    ok = s.filter(pl.col("metric") == "k6_threshold_ok").sort("k6_metric")
    assert ok["value"].to_list() == [1.0, 0.0]  # p(95)<500 passed, rate<0.01 failed
    checks = s.filter(pl.col("metric") == "k6_check_fails").sort("check")
    assert checks["value"].to_list() == [1.0, 0.0]  # nested group checks included


def test_legacy_summary_export_inverts_threshold_booleans() -> None:
    frames, _, result = read(R, fixture(R, "summary_export_legacy.json"))
    s = frames["samples"]
    ok = s.filter(pl.col("metric") == "k6_threshold_ok")
    assert ok["value"].to_list() == [1.0, 1.0]  # `false` in the file means "not failed"
    # The legacy `value` (0) of a rate is not its rate: 45 of 90 checks passed.
    assert _stat(s, "checks", "rate") == 0.5
    assert _stat(s, "http_req_failed", "zero") == 180
    assert _stat(s, "iteration_duration", "med") == 12770.4
    assert any("inverted" in n for n in result.notes)


def test_bad_line_is_named(tmp_path: Path) -> None:
    lines = fixture(R, "out_json.json").read_text().splitlines()
    lines[4] = lines[4][:-3] + "xx"
    p = tmp_path / "r.json"
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read(R, p)
    assert info.value.line == 5


def test_cut_off_last_line_is_skipped(tmp_path: Path) -> None:
    text = fixture(R, "out_json.json").read_text()
    p = tmp_path / "r.json"
    p.write_text(text[: len(text) - 40])
    frames, skipped, _ = read(R, p)
    assert [k.reason for k in skipped] == ["cut-off last line"]
    assert frames["samples"].height == 7


def test_absurd_durations_are_skipped_not_fatal(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text(
        '{"metric":"http_req_duration","type":"Point","data":{"time":"2024-01-01T00:00:01Z","value":1e300,"tags":{"status":"200"}}}\n'
        '{"metric":"http_req_duration","type":"Point","data":{"time":"2024-01-01T00:00:02Z","value":250,"tags":{"status":"200"}}}\n'
    )
    frames, skipped, _ = read(R, p)
    assert frames["events"]["duration_s"].to_list() == [0.25]
    assert [k.count for k in skipped] == [1]


def test_hand_made_non_string_tags_become_strings(tmp_path: Path) -> None:
    p = tmp_path / "r.json"
    p.write_text(
        '{"metric":"vus","type":"Point","data":{"time":"2024-01-01T00:00:01Z","value":3,"tags":{"vu":7,"canary":true}}}\n'
    )
    frames, _, _ = read(R, p)
    row = frames["samples"].row(0, named=True)
    assert (row["vu"], row["canary"], row["value"]) == ("7", "true", 3.0)
