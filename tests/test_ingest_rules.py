"""Rules every format obeys, and the command line's behaviour on good and bad input."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import math
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pipbench.ingest as ing
from pipbench.cli import main
from pipbench.dataset import open_dataset
from pipbench.errors import InputError, UnknownFormatError
from pipbench.ingest.normalize import parse_timestamps

CSV = "timestamp,metric,value,pod\n"


def _digest(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def test_timestamps_normalised_to_utc_from_every_form() -> None:
    """Offsets, Z, space separator, nanosecond fractions, and s/ms/µs/ns epochs."""
    want = dt.datetime(2026, 1, 1, 12, 0, tzinfo=dt.UTC)
    forms = [
        "2026-01-01T12:00:00Z",
        "2026-01-01T14:00:00+02:00",
        "2026-01-01 07:00:00-05:00",
        "2026-01-01T12:00:00.000000000Z",
        "1767268800",
        "1767268800000",
        "1767268800000000",
        "1767268800000000000",
        "2026-01-01 12:00:00",
    ]
    got = parse_timestamps(pl.Series(forms)).to_list()
    assert got == [want] * len(forms)


def test_out_of_range_timestamp_names_its_line(tmp_path: Path, tmp_dataset: Path) -> None:
    f = _write(tmp_path, "far.csv", CSV + "2026-01-01T00:00:00Z,up,1,a\n1e30,up,1,a\n")
    with pytest.raises(
        InputError, match=r"far\.csv:3: field timestamp: .*outside the representable range"
    ):
        ing.ingest(f, tmp_dataset)


def test_duplicates_dropped_conflicts_kept_first_and_reported(
    tmp_path: Path, tmp_dataset: Path
) -> None:
    rows = [
        "2026-01-01T00:00:00Z,up,1,a",
        "2026-01-01T00:00:00Z,up,1,a",  # exact duplicate
        "2026-01-01T00:01:00Z,up,5,a",
        "2026-01-01T00:01:00Z,up,7,a",  # conflict
        "2026-01-01T00:00:30Z,up,3,a",  # out of order
        "2026-01-01T00:02:00Z,up,,a",
    ]  # missing value
    f = _write(tmp_path, "d.csv", CSV + "\n".join(rows) + "\n")
    (r,) = ing.ingest(f, tmp_dataset)
    reasons = {s.reason.split(" (")[0].split(":")[0]: s.count for s in r.skipped}
    assert reasons == {
        "missing value, metric or timestamp": 1,
        "exact duplicate point": 1,
        "conflicting duplicate": 1,
    }
    s = open_dataset(tmp_dataset).samples().collect()
    assert s["value"].to_list() == [1.0, 3.0, 5.0]  # sorted by time, first value of the conflict


def test_nan_and_inf_are_kept_as_floats(tmp_path: Path, tmp_dataset: Path) -> None:
    f = _write(tmp_path, "s.csv", CSV + "1,up,NaN,a\n2,up,+Inf,a\n3,up,-inf,a\n")
    ing.ingest(f, tmp_dataset)
    v = open_dataset(tmp_dataset).samples().collect()["value"].to_list()
    assert math.isnan(v[0])
    assert v[1:] == [math.inf, -math.inf]


def test_ingest_twice_is_idempotent(tmp_path: Path, tmp_dataset: Path) -> None:
    f = _write(tmp_path, "s.csv", CSV + "1,up,1,a\n2,up,2,a\n")
    ing.ingest(f, tmp_dataset)
    before = _digest(tmp_dataset)
    ing.ingest(f, tmp_dataset)
    assert _digest(tmp_dataset) == before
    assert open_dataset(tmp_dataset).samples().collect().height == 2


@pytest.mark.parametrize(
    ("content", "fmt", "pattern"),
    [
        (b"", None, "the file is empty"),
        (b"\x00\x01\x02garbage\xff" * 50, None, "binary data"),
        (
            b'{"status":"success","data":{"resultType":"matrix","result":[{"metric":',
            "prometheus-json",
            "truncated JSON",
        ),
        (b"2026-01-01T00:00:00Z,up,1\n", "csv-long", "no timestamp or value column"),
        (b"timestamp,metric,value\n1,up,1\n", "otlp-json", "JSON"),
        (b"timestamp,metric,value\n1,up,1\n", "no-such-format", "unknown format 'no-such-format'"),
    ],
)
def test_bad_input_is_one_clear_line_and_changes_nothing(
    tmp_path: Path, tmp_dataset: Path, content: bytes, fmt: str | None, pattern: str
) -> None:
    good = _write(tmp_path, "good.csv", CSV + "1,up,1,a\n")
    ing.ingest(good, tmp_dataset)
    before = _digest(tmp_dataset)
    bad = tmp_path / "bad.dat"
    bad.write_bytes(content)
    with pytest.raises(InputError, match=pattern) as info:
        ing.ingest(bad, tmp_dataset, format=fmt)
    assert "bad.dat" in str(info.value)
    assert "\n" not in str(info.value)
    assert _digest(tmp_dataset) == before


def test_unknown_format_lists_the_known_ones(tmp_path: Path, tmp_dataset: Path) -> None:
    f = _write(tmp_path, "x.txt", "hello world\n")
    with pytest.raises(UnknownFormatError, match="prometheus-json") as info:
        ing.ingest(f, tmp_dataset)
    assert "csv-long" in str(info.value)


def test_cli_json_report_and_exit_codes(
    tmp_path: Path, tmp_dataset: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = _write(
        tmp_path, "s.csv", CSV + "2026-01-01T00:00:00Z,up,1,a\n2026-01-01T00:05:00Z,up,2,b\n"
    )
    assert main(["ingest", str(f), "--dataset", str(tmp_dataset), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert {
        k: out[k]
        for k in ("format", "series", "samples", "events", "annotations", "t_min", "t_max")
    } == {
        "format": "csv-long",
        "series": 2,
        "samples": 2,
        "events": 0,
        "annotations": 0,
        "t_min": "2026-01-01T00:00:00Z",
        "t_max": "2026-01-01T00:05:00Z",
    }
    assert out["file"] == str(f)
    assert out["skipped"] == []
    bad = _write(tmp_path, "bad.csv", "just,some,words\n")
    assert main(["ingest", str(bad), "--dataset", str(tmp_dataset)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "bad.csv" in err
    assert "Traceback" not in err


def test_console_script_without_traceback(tmp_path: Path) -> None:
    bad = _write(
        tmp_path, "bad.json", '{"status": "success", "data": {"resultType": "matrix", "result": ['
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pipbench", "ingest", str(bad), "-d", str(tmp_path / "ds")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "bad.json" in proc.stderr
    assert not (tmp_path / "ds").exists()


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_rows_or_input_error(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    """Property: whatever the bytes, sniffing+reading yields rows or pipbench's InputError."""
    d = tmp_path_factory.mktemp("fuzz")
    f = d / "blob"
    f.write_bytes(data)
    with contextlib.suppress(InputError):
        ing.ingest(f, d / "ds")


def test_usage_error_is_a_message_not_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ingest", "x", "-d"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "-d" in err
