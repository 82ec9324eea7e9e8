"""Property tests for every reader: mangled input gives rows or pipbench's InputError, nothing else.

Each fixture under ``tests/data/ingest/<reader>/`` is truncated, has bytes replaced, or has
its lines shuffled, dropped or repeated (hypothesis chooses how); the reader named by the
folder then reads it. Whatever comes back must be a :class:`ReadResult` that passes the
pipeline's shared rules, or an :class:`InputError`; any other exception escaping is a bug.
Every reader's ``sniff`` must also return a score in [0, 1] for any bytes.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipbench.errors import InputError
from pipbench.ingest.registry import get_reader, readers
from tests.ingest_fixtures import DATA, read

FIXTURES = sorted(p for p in DATA.glob("*/*") if p.is_file())
_SPECIAL = [*b'"{}[],=#;:\n\r\t\\ 0123456789.-+eENaIfT', 0, 0xFF, 0xC3]

_EXTREMES = [
    b"1e308",
    b"-1e308",
    b"1e999",
    b"99999999999999999999999",
    b"-1",
    b"NaN",
    b"-0",
    b"0.000000000000000000001",
    b"",
]

_SETTINGS = settings(
    max_examples=int(os.environ.get("PIPBENCH_PROPERTY_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@st.composite
def _mangled(draw: st.DrawFn, data: bytes) -> bytes:
    how = draw(st.sampled_from(["truncate", "bytes", "lines", "drop", "repeat", "number"]))
    if how == "truncate":
        return data[: draw(st.integers(0, len(data)))]
    if how == "number":
        runs = list(re.finditer(rb"\d+(?:\.\d+)?", data))
        if not runs:
            return data
        m = draw(st.sampled_from(runs))
        extreme = draw(st.sampled_from(_EXTREMES))
        return data[: m.start()] + extreme + data[m.end() :]
    if how == "bytes":
        out = bytearray(data)
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, max(len(out) - 1, 0)))
            if out:
                out[i] = draw(st.sampled_from(_SPECIAL))
        return bytes(out)
    lines = data.splitlines(keepends=True)
    if how == "lines":
        return b"".join(draw(st.permutations(lines)))
    if not lines:
        return data
    i = draw(st.integers(0, len(lines) - 1))
    if how == "drop":
        return b"".join(lines[:i] + lines[i + 1 :])
    return b"".join(lines[: i + 1] + [lines[i]] * draw(st.integers(1, 3)) + lines[i + 1 :])


def _reader_for(path: Path) -> str:
    return path.parent.name


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_fixture_reads_cleanly(path: Path) -> None:
    """Every fixture, unmangled, gives rows (the baseline of the properties below)."""
    frames, _, _ = read(_reader_for(path), path)
    assert any(f is not None and f.height for f in frames.values())


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_mangled_input_gives_rows_or_input_error(path: Path) -> None:
    data = path.read_bytes()
    reader = _reader_for(path)

    @_SETTINGS
    @given(mangled=_mangled(data))
    def check(mangled: bytes) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / path.name
            p.write_bytes(mangled)
            try:
                read(reader, p)
            except InputError as err:
                assert str(err)  # noqa: PT017 (the property: only InputError may escape)

    check()


@_SETTINGS
@given(head=st.binary(max_size=300))
def test_sniff_never_raises(head: bytes) -> None:
    for r in readers():
        score = r.sniff(head, Path("x"))
        assert 0.0 <= score <= 1.0


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_sniff_picks_the_folder_reader(path: Path) -> None:
    """Content alone (the file name is hidden from the readers) selects the right reader."""
    head = path.read_bytes()[: 64 * 1024]
    scores = {r.name: r.sniff(head, Path("anonymous")) for r in readers()}
    best = max(scores, key=lambda k: (scores[k], k))
    assert best == _reader_for(path), scores
    assert get_reader(best).name == best


_FOREIGN = {
    "prose": b"The load test went fine until 14:05, then p99 rose.\nSee the dashboard.\n",
    "markdown": b"# PIP-42\n\n- trigger: p99 > 500ms\n- owner: alice\n",
    "html": b"<!DOCTYPE html><html><head><title>Report</title></head><body>hi</body></html>\n",
    "csv": b"a,b,c\n1,2,3\n4,5,6\n",
    "json": b'{"foo": 1, "bar": [1,2,3]}\n',
    "yaml": b"service: checkout\nslo:\n  target: 0.999\n",
    "log": b"2024-03-10 14:00:00 INFO started\n2024-03-10 14:00:01 WARN slow request 812ms\n",
}


@pytest.mark.parametrize("kind", sorted(_FOREIGN))
def test_no_reader_claims_a_foreign_file(kind: str) -> None:
    """Notes, configs and logs next to the exports are reported as unknown, not misread."""
    scores = {r.name: r.sniff(_FOREIGN[kind], Path("x")) for r in readers()}
    assert max(scores.values()) == 0.0, scores


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    rows=st.lists(
        st.tuples(
            st.sampled_from([0.0, 1.0, float("nan"), float("inf"), None]),
            st.sampled_from(["a", "b", None]),
            st.integers(0, 2),
        ),
        max_size=40,
    ),
    subset=st.sampled_from([None, ["v"], ["k", "t"]]),
)
def test_first_distinct_matches_polars_unique(rows: list, subset: list[str] | None) -> None:
    """The shared de-duplication keeps exactly the rows ``unique(keep="first")`` keeps."""
    import polars as pl

    from pipbench.ingest.normalize import first_distinct

    frame = pl.DataFrame(
        rows, schema={"v": pl.Float64, "k": pl.String, "t": pl.Int64}, orient="row"
    )
    want = frame.unique(subset=subset, keep="first", maintain_order=True)
    got = frame.filter(first_distinct(frame, subset))
    assert repr(got.rows()) == repr(want.rows())
