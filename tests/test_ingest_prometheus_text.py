"""Prometheus text 0.0.4 / OpenMetrics 1.0 reader, checked against the published formats.

References: the Prometheus ``exposition_formats.md`` example (counts and the 0.0.4
millisecond timestamps) and the OpenMetrics 1.0 specification (seconds, ``_created``,
exemplars, ``# EOF``); ``promtool tsdb dump-openmetrics`` prints one ``%g %.3f`` line per
stored sample, series after series.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench.errors import InputError
from pipbench.ingest.prometheus_text import parse_sample_line
from tests.ingest_fixtures import AT, fixture, read, span

R = "prometheus-text"


def test_exposition_format_example() -> None:
    """The docs' example: 20 samples at 1395066363000 ms, one before the epoch."""
    frames, skipped, result = read(R, fixture(R, "exposition_0.0.4.prom"))
    s = frames["samples"]
    assert s.height == 20
    assert span(s) == ("1969-12-31T22:53:37.955000Z", "2014-03-17T14:26:03Z")
    assert not result.used_default_time
    assert not skipped
    msdos = s.filter(pl.col("metric") == "msdos_file_access_time_seconds").row(0, named=True)
    assert msdos["path"] == "C:\\DIR\\FILE.TXT"
    assert msdos["error"] == 'Cannot find file:\n"FILE.TXT"'
    assert s.filter(pl.col("metric") == "something_weird")["value"].item() == math.inf
    buckets = s.filter(pl.col("metric") == "http_request_duration_seconds_bucket")
    assert sorted(buckets["le"].to_list()) == sorted(["0.05", "0.1", "0.2", "0.5", "1.0", "+Inf"])
    assert s.filter(pl.col("metric") == "rpc_duration_seconds")["quantile"].n_unique() == 5


def test_scrape_without_timestamps_takes_the_ingest_time() -> None:
    frames, _, result = read(R, fixture(R, "node_scrape_no_timestamps.prom"))
    s = frames["samples"]
    assert s.height == 27
    assert result.used_default_time
    assert s["timestamp"].unique().to_list() == [AT]
    lat = s.filter(pl.col("metric") == "app_request_latency_seconds_bucket").sort("value")
    assert lat["le"].to_list() == ["-1.0", "0.0", "1.0", "+Inf"]  # negative bound kept
    only_inf = s.filter(pl.col("metric") == "queue_wait_seconds_bucket")
    assert only_inf["le"].to_list() == ["+Inf"]
    assert math.isnan(s.filter(pl.col("metric") == "node_temperature_celsius")["value"].item())
    info = s.filter(pl.col("metric") == "build_info").row(0, named=True)
    assert (info["branch"], info["note"]) == ("héllo-wörld", "a}b{c")
    # A trailing comma in the label set is allowed.
    assert s.filter(pl.col("mountpoint") == "/run/user/1000").height == 1


def test_openmetrics_seconds_created_and_exemplars() -> None:
    frames, skipped, result = read(R, fixture(R, "openmetrics_1.0.om.txt"))
    s = frames["samples"]
    # 25 sample lines, of which 4 are _created of a summary, a counter and a histogram.
    assert s.height == 15
    assert [(k.reason.startswith("OpenMetrics _created"), k.count) for k in skipped] == [(True, 4)]
    assert span(s) == ("2020-11-13T15:30:00.500000Z", "2020-11-13T15:31:00.500000Z")
    assert any("3 exemplars" in n for n in result.notes)
    # le="1.0" (OpenMetrics) is the same series as le="1" (0.0.4): both stored as "1.0" (Prometheus 3).
    les = s.filter(pl.col("metric") == "acme_http_request_seconds_bucket")["le"].to_list()
    assert sorted(les) == sorted(["0.1", "1.0", "+Inf"])
    assert "process_cpu_seconds_total" in s["metric"].to_list()
    assert s.filter(pl.col("metric") == "mystery")["weird.label"].item() == "x"


def test_promtool_dump_not_in_time_order() -> None:
    frames, _, _ = read(R, fixture(R, "promtool_dump.om.txt"))
    s = frames["samples"]
    assert s.height == 11
    assert span(s) == ("2023-11-14T22:12:50Z", "2023-11-14T22:13:50Z")
    up = s.filter(pl.col("metric") == "up")
    assert up["value"].to_list() == [1.0, 1.0, 0.0, 1.0]
    assert up["instance"].unique().to_list() == ["api-1:8080"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('a{b="c\\\\d"} 1', ("a", {"b": "c\\d"}, "1", None, False)),
        ('a{b="x\\"y",} 2 3', ("a", {"b": 'x"y'}, "2", "3", False)),
        ('a{b="x\\ny"} NaN', ("a", {"b": "x\ny"}, "NaN", None, False)),
        ('{"my.metric", job="a"} 1', ("my.metric", {"job": "a"}, "1", None, False)),
        (
            'a_bucket{le="1"} 2 # {trace_id="t"} 0.5 1.6e9',
            ("a_bucket", {"le": "1"}, "2", None, True),
        ),
        ("  a\t-Inf\t-5", ("a", {}, "-Inf", "-5", False)),
    ],
)
def test_line_parser_escapes_and_corners(line: str, expected: tuple) -> None:
    assert parse_sample_line(line) == expected


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('ok 1\nbad{a="b" 1\nok 2\n', 2),
        ("ok 1\nbad{a=b} 1\n", 2),
        ("ok 1\nx nope\n", 2),
        ('a{b="c",b="d"} 1\n', 1),
        ("a 1 2 3\n", 1),
    ],
)
def test_invalid_lines_name_their_line(tmp_path: Path, text: str, line: int) -> None:
    p = tmp_path / "m.prom"
    p.write_text(text)
    with pytest.raises(InputError) as info:
        read(R, p)
    assert info.value.line == line


def test_cut_off_last_line_is_skipped_not_fatal(tmp_path: Path) -> None:
    p = tmp_path / "m.prom"
    p.write_text('up{job="a"} 1\nup{job="b"} 1\nup{job="c')
    frames, skipped, _ = read(R, p)
    assert frames["samples"].height == 2
    assert [(k.reason, k.line) for k in skipped] == [("cut-off last line", 3)]


_label_value = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    labels=st.dictionaries(
        st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True), _label_value, max_size=4
    ),
    value=st.floats(allow_nan=False),
)
def test_escaped_labels_round_trip(labels: dict[str, str], value: float) -> None:
    """Escaping as client libraries do (\\\\, \\", \\n) and parsing give the labels back."""

    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    body = ",".join(f'{k}="{esc(v)}"' for k, v in labels.items())
    name, got, v, t, ex = parse_sample_line(f"m{{{body}}} {value!r}")
    assert (name, got, float(v), t, ex) == ("m", labels, value, None, False)


_value_token = st.one_of(
    st.floats(allow_nan=False).map(repr),
    st.sampled_from(["NaN", "+Inf", "-Inf", "0", "1e3", "-0.5"]),
)
_plain_value = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters='\\"'),
    max_size=8,
)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(
    lines=st.lists(
        st.tuples(
            st.from_regex(r"[a-z_:][a-z0-9_:]{0,8}", fullmatch=True),
            st.dictionaries(
                st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True).filter(
                    lambda k: k not in ("le", "metric", "value", "source")  # renamed or recast
                ),
                st.one_of(_plain_value, _label_value),
                max_size=3,
            ),
            _value_token,
            st.one_of(st.none(), st.integers(0, 2**41)),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_vectorised_reader_agrees_with_the_line_parser(tmp_path_factory, lines) -> None:
    """The polars fast path and the careful parser give the same samples for any file."""

    def esc(v: str) -> str:
        return v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    text = []
    for name, labels, value, ts in lines:
        body = ",".join(f'{k}="{esc(v)}"' for k, v in labels.items())
        text.append(f"{name}{{{body}}} {value}" + (f" {ts}" if ts is not None else ""))
    p = tmp_path_factory.mktemp("vec") / "m.prom"
    p.write_text("\n".join(text) + "\n")
    from pipbench.ingest.registry import ReadContext, get_reader

    got = get_reader(R).read(p, ReadContext(at=AT)).samples
    label_cols = [c for c in got.columns if c not in ("timestamp", "metric", "value")]
    got_rows = sorted(
        repr((r["metric"], sorted((k, r[k]) for k in label_cols if r[k] is not None), r["value"]))
        for r in got.iter_rows(named=True)
    )
    want = []
    for line in text:
        name, labels, v, _, _ = parse_sample_line(line)
        want.append(repr((name, sorted(labels.items()), float(v))))
    assert got_rows == sorted(want)


@pytest.mark.parametrize(
    "head",
    [b"# Load test notes\nIt went fine.\n", b"# title\n\n## section\n", b"hello world\n"],
)
def test_prose_is_not_sniffed_as_prometheus(head: bytes) -> None:
    from pipbench.ingest.registry import get_reader

    assert get_reader(R).sniff(head, Path("x")) == 0.0


def test_openmetrics_cut_before_eof_is_noted(tmp_path: Path) -> None:
    text = fixture(R, "openmetrics_1.0.om.txt").read_text()
    p = tmp_path / "m.om.txt"
    p.write_text(text[: text.index("# TYPE foo info")])
    frames, _, result = read(R, p)
    assert frames["samples"].height == 15 - 4  # info, stateset ×2 and unknown are gone
    assert any("without '# EOF'" in n for n in result.notes)
    assert not any("EOF" in n for n in read(R, fixture(R, "openmetrics_1.0.om.txt"))[2].notes)
