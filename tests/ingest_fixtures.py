"""Helpers shared by the reader tests: read a fixture with one reader, as the pipeline would."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from pipbench.ingest.pipeline import _finish, _Tally
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, get_reader

DATA = Path(__file__).parent / "data" / "ingest"
#: The time given to points that carry none (as ``--at`` would).
AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def fixture(reader: str, name: str) -> Path:
    """The path of a fixture file ``tests/data/ingest/<reader>/<name>``."""
    return DATA / reader / name


def read(
    reader: str, path: Path, **options: object
) -> tuple[dict[str, pl.DataFrame | None], list[Skip], ReadResult]:
    """Read ``path`` with ``reader`` and apply the pipeline's shared rules (no writing)."""
    result = get_reader(reader).read(path, ReadContext(at=AT, at_given=True, options=options))
    tally = _Tally()
    frames: dict[str, pl.DataFrame | None] = {}
    for table, chunks in _finish(result, tally).items():
        parts = list(chunks)
        frames[table] = pl.concat(parts, how="diagonal_relaxed") if parts else None
    tally.skip(list(result.skipped))
    return frames, tally.skipped, result


def span(frame: pl.DataFrame) -> tuple[str, str]:
    """(min, max) of the ``timestamp`` column as ISO strings with ``Z``."""
    lo, hi = frame["timestamp"].min(), frame["timestamp"].max()
    return (
        lo.isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
        hi.isoformat().replace("+00:00", "Z"),  # type: ignore[union-attr]
    )
