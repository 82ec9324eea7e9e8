"""Shared rules every reader's output goes through.

- timestamps become UTC microseconds (ISO-8601 with or without offsets, epochs in s, ms,
  µs or ns, told apart by magnitude unless the unit is given);
- NaN and ±Inf stay floats; missing values are dropped and counted;
- exact duplicate points are dropped; conflicting duplicates (same series and time,
  another value) keep the first value in file order and are reported;
- a timestamp outside 0001–9999 is an :class:`~pipbench.errors.InputError` naming its line.

Examples
--------
>>> import polars as pl
>>> parse_timestamps(pl.Series([1.7e9, 1.7e12]), file="x").dt.year().to_list()
[2023, 2023]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np
import polars as pl

from pipbench.dataset import CORE_COLUMNS, TIMESTAMP
from pipbench.errors import InputError
from pipbench.ingest.registry import Skip

__all__ = [
    "EpochUnit",
    "epoch_to_datetime",
    "finalize_events",
    "finalize_samples",
    "first_distinct",
    "parse_timestamps",
    "sanitize_label",
]

EpochUnit = Literal["auto", "s", "ms", "us", "ns"]

_US_PER = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}
# Representable range: Python datetimes (years 1..9999), in µs since the epoch.
_MIN_US = -62_135_596_800_000_000
_MAX_US = 253_402_300_799_999_999

_ISO_FORMATS_TZ = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
_ISO_FORMATS_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def _guess_unit(values: np.ndarray) -> str:
    finite = np.abs(values[np.isfinite(values)])
    if finite.size == 0:
        return "s"
    m = float(np.median(finite))
    if m < 1e11:
        return "s"
    if m < 1e14:
        return "ms"
    if m < 1e17:
        return "us"
    return "ns"


def epoch_to_datetime(
    values: pl.Series | np.ndarray | Sequence[float],
    *,
    unit: EpochUnit = "auto",
    file: str | Path | None = None,
    field: str = "timestamp",
    first_line: int | None = None,
    lines: np.ndarray | None = None,
) -> pl.Series:
    """Epoch numbers → UTC µs datetimes; out-of-range values are an error naming the line.

    ``first_line`` (the line of element 0, for one row per line) or ``lines`` (one line
    number per element) make the error point at the input.
    """
    if isinstance(values, pl.Series) and values.dtype.is_integer() and unit in ("us", "ns"):
        ints = values.cast(pl.Int64).to_numpy()
        us = ints if unit == "us" else ints // 1000
        arr = us.astype("float64")
    else:
        arr = np.asarray(
            values.to_numpy() if isinstance(values, pl.Series) else values, dtype="float64"
        )
        u = _guess_unit(arr) if unit == "auto" else unit
        arr = arr * _US_PER[u]
        us = None
    bad = ~np.isfinite(arr) | (arr < _MIN_US) | (arr > _MAX_US)
    # NaN epochs are missing values; only finite out-of-range values are errors.
    out_of_range = bad & ~np.isnan(arr)
    if out_of_range.any():
        i = int(np.flatnonzero(out_of_range)[0])
        line = (
            int(lines[i])
            if lines is not None
            else (first_line + i if first_line is not None else None)
        )
        raw = values[i] if not isinstance(values, np.ndarray) else arr[i]
        msg = f"timestamp {raw!r} is outside the representable range"
        raise InputError(
            msg, file=file, line=line, field=field, expected="a date between years 1 and 9999"
        )
    if us is None:
        us = np.where(np.isnan(arr), 0, np.round(arr)).astype("int64")
    s = pl.Series(field, us, dtype=pl.Int64).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if np.isnan(arr).any():
        s = s.scatter(np.flatnonzero(np.isnan(arr)), None)
    return s


def parse_timestamps(
    values: pl.Series,
    *,
    unit: EpochUnit = "auto",
    file: str | Path | None = None,
    field: str = "timestamp",
    first_line: int | None = None,
    lines: np.ndarray | None = None,
    strict: bool = True,
) -> pl.Series:
    """Timestamps of any common form → UTC µs datetimes.

    Accepts datetimes (naive ones are taken as UTC), epoch numbers (unit by magnitude), and
    strings: ISO-8601/RFC 3339 with ``Z``, offsets (``+02:00``), a space for ``T``, up to
    nanosecond fractions, or epoch numbers. With ``strict=True`` an unparseable string is an
    :class:`InputError` naming its line; with ``strict=False`` it becomes null.
    """
    dtype = values.dtype
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            return values.dt.replace_time_zone("UTC").cast(TIMESTAMP)
        return values.dt.convert_time_zone("UTC").cast(TIMESTAMP)
    if isinstance(dtype, pl.Date):
        return values.cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    if dtype.is_numeric():
        return epoch_to_datetime(
            values, unit=unit, file=file, field=field, first_line=first_line, lines=lines
        )
    if dtype != pl.String:
        values = values.cast(pl.String)
    text = values.str.strip_chars()
    numeric = text.cast(pl.Float64, strict=False)
    is_num = numeric.is_not_null()
    out = pl.Series(field, [None] * len(values), dtype=TIMESTAMP)
    if is_num.any():
        out = pl.select(
            pl.when(pl.lit(is_num))
            .then(
                pl.lit(
                    epoch_to_datetime(
                        numeric.fill_null(float("nan")),
                        unit=unit,
                        file=file,
                        field=field,
                        first_line=first_line,
                        lines=lines,
                    )
                )
            )
            .otherwise(pl.lit(out))
        ).to_series()
    if not is_num.all():
        iso = (
            text.str.replace(r"^(\d{4}-\d{2}-\d{2})[ _]", "${1}T")
            .str.replace(r"(?i)z$", "+00:00")
            .str.replace(r"\s*UTC$", "+00:00")
            .str.replace(r"\s+([+-]\d{2}:?\d{2})$", "$1")
            # polars parses up to 9 fractional digits; longer fractions are truncated.
            .str.replace(r"(\.\d{9})\d+", "$1")
        )
        parsed: list[pl.Series] = [
            iso.str.to_datetime(f, time_zone="UTC", time_unit="us", strict=False)
            for f in _ISO_FORMATS_TZ
        ]
        parsed += [
            iso.str.to_datetime(f, time_unit="us", strict=False).dt.replace_time_zone("UTC")
            for f in _ISO_FORMATS_NAIVE
        ]
        combined = pl.select(pl.coalesce([pl.lit(s) for s in parsed])).to_series()
        out = pl.select(pl.coalesce([pl.lit(out), pl.lit(combined)])).to_series()
    out = out.alias(field)
    failed = out.is_null() & text.is_not_null() & (text != "")
    if strict and failed.any():
        i = int(failed.arg_true()[0])
        line = (
            int(lines[i])
            if lines is not None
            else (first_line + i if first_line is not None else None)
        )
        msg = f"cannot read {values[i]!r} as a time"
        raise InputError(
            msg,
            file=file,
            line=line,
            field=field,
            expected="RFC 3339 / ISO-8601 (e.g. 2026-01-01T00:00:00Z) or an epoch number",
        )
    return out


def sanitize_label(name: str, table: str = "samples") -> str:
    """A label key as a column name: core column names get a ``label_`` prefix."""
    core = CORE_COLUMNS[table]  # type: ignore[index]
    return (
        f"label_{name}"
        if name in core or (name.startswith("label_") and name[6:] in core)
        else name
    )


def _label_columns(frame: pl.DataFrame, table: str) -> list[str]:
    return [c for c in frame.columns if c not in CORE_COLUMNS[table]]  # type: ignore[index]


def first_distinct(frame: pl.DataFrame, subset: list[str] | None = None) -> pl.Series:
    """Mask of the rows seen first for their values of ``subset`` (all columns by default).

    Same rows as ``unique(subset, keep="first", maintain_order=True)``, at a fraction of its
    memory: rows are hashed, and only rows whose hash repeats are compared exactly (equal
    rows always hash alike; a hash collision only costs an exact comparison).

    Examples
    --------
    >>> f = pl.DataFrame({"a": [1, 2, 1], "b": ["x", "y", "x"]})
    >>> first_distinct(f).to_list()
    [True, True, False]
    """
    cols = frame.select(subset) if subset is not None else frame
    if cols.height == 0:
        return pl.Series("first", [], dtype=pl.Boolean)
    candidates = cols.hash_rows(seed=0).is_duplicated()
    if not candidates.any():
        return pl.Series("first", [True] * cols.height, dtype=pl.Boolean)
    exact = cols.filter(candidates).select(pl.struct(pl.all()).is_first_distinct()).to_series()
    mask = pl.Series("first", [True] * cols.height, dtype=pl.Boolean)
    return mask.scatter(candidates.arg_true(), exact)


def finalize_samples(frame: pl.DataFrame) -> tuple[pl.DataFrame, list[Skip]]:
    """Apply the shared rules to sample rows; returns the rows kept and what was skipped.

    ``frame`` has ``timestamp`` (UTC datetime), ``metric``, ``value`` and label columns.
    Rows keep file order until the final sort by series and time.
    """
    skipped: list[Skip] = []
    frame = frame.with_columns(pl.col("value").cast(pl.Float64))
    missing = frame.select((pl.col("value").is_null() | pl.col("timestamp").is_null()).sum()).item()
    if missing:
        skipped.append(Skip("missing value or timestamp", int(missing)))
        frame = frame.filter(pl.col("value").is_not_null() & pl.col("timestamp").is_not_null())
    labels = _label_columns(frame, "samples")
    key = ["metric", *labels, "timestamp"]
    n0 = frame.height
    # Exact duplicates: same series, time and value (NaN equals NaN here, bitwise).
    frame = frame.filter(first_distinct(frame, [*key, "value"]))
    if frame.height < n0:
        skipped.append(Skip("exact duplicate point", n0 - frame.height))
    n1 = frame.height
    frame = frame.filter(first_distinct(frame, key))
    if frame.height < n1:
        skipped.append(
            Skip(
                "conflicting duplicate (same series and time, another value): kept the first",
                n1 - frame.height,
            )
        )
    frame = frame.sort(key, nulls_last=True, maintain_order=True)
    return frame, skipped


def finalize_events(frame: pl.DataFrame, table: str = "events") -> tuple[pl.DataFrame, list[Skip]]:
    """Drop rows without a timestamp and exact duplicate rows; sort by time (stable)."""
    skipped: list[Skip] = []
    missing = frame.select(pl.col("timestamp").is_null().sum()).item()
    if missing:
        skipped.append(Skip("missing timestamp", int(missing)))
        frame = frame.filter(pl.col("timestamp").is_not_null())
    n0 = frame.height
    frame = frame.filter(first_distinct(frame))
    if frame.height < n0:
        skipped.append(Skip(f"exact duplicate {table[:-1]}", n0 - frame.height))
    return frame.sort("timestamp", maintain_order=True), skipped


def utc_now() -> dt.datetime:
    """The current time in UTC, truncated to µs (the dataset's resolution)."""
    return dt.datetime.now(dt.UTC)
