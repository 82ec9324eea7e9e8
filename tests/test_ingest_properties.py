"""Property tests: truncated, mutated and shuffled versions of real fixtures give rows or an InputError."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipbench.dataset import open_dataset
from pipbench.errors import InputError
from pipbench.ingest import ingest

DATA = Path(__file__).parent / "data" / "ingest"
FIXTURES = [
    ("prometheus-json", DATA / "prometheus" / "query_range.json"),
    ("prometheus-json", DATA / "prometheus" / "native_histogram.json"),
    ("otlp-json", DATA / "otlp" / "metrics.json"),
    ("otlp-json", DATA / "otlp" / "trace.json"),
    ("otlp-json", DATA / "otlp" / "logs.jsonl"),
    ("annotations", DATA / "annotations" / "deploys.csv"),
    ("annotations", DATA / "annotations" / "events.json"),
]

_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check(tmp: Path, fmt: str, data: bytes) -> None:
    f = tmp / "input"
    f.write_bytes(data)
    ds = tmp / "ds"
    message = None
    try:
        reports = ingest(f, ds, format=fmt)
    except InputError as err:
        message = str(err)
    if message is not None:
        assert "input" in message  # names the file
        assert "\n" not in message
        return
    # Rows were accepted: the dataset must be readable and hold what the report says.
    got = open_dataset(ds).samples().collect().height
    assert got >= reports[0].samples


@pytest.mark.parametrize(("fmt", "path"), FIXTURES, ids=[p.name for _, p in FIXTURES])
@_SETTINGS
@given(cut=st.floats(0, 1))
def test_truncated(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, path: Path, cut: float
) -> None:
    raw = path.read_bytes()
    _check(tmp_path_factory.mktemp("t"), fmt, raw[: int(len(raw) * cut)])


@pytest.mark.parametrize(("fmt", "path"), FIXTURES, ids=[p.name for _, p in FIXTURES])
@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1), flips=st.integers(1, 8))
def test_mutated(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, path: Path, seed: int, flips: int
) -> None:
    raw = bytearray(path.read_bytes())
    rng = random.Random(seed)
    for _ in range(flips):
        i = rng.randrange(len(raw))
        raw[i] = rng.choice(b'0123456789{}[]",:-.eE \nabcxyz\x00\xff')
    _check(tmp_path_factory.mktemp("m"), fmt, bytes(raw))


@pytest.mark.parametrize(
    ("fmt", "path"),
    [f for f in FIXTURES if f[1].suffix in (".csv", ".jsonl")],
    ids=lambda x: getattr(x, "name", x),
)
@_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_shuffled_lines(
    tmp_path_factory: pytest.TempPathFactory, fmt: str, path: Path, seed: int
) -> None:
    lines = path.read_bytes().splitlines(keepends=True)
    head, body = (lines[:1], lines[1:]) if path.suffix == ".csv" else ([], lines)
    random.Random(seed).shuffle(body)
    _check(tmp_path_factory.mktemp("s"), fmt, b"".join(head + body))
