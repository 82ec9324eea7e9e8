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
import re
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
    "format_bound",
    "parse_timestamps",
    "run_starts",
    "sanitize_label",
]

EpochUnit = Literal["auto", "s", "ms", "us", "ns"]

_US_PER = {"s": 1e6, "ms": 1e3, "us": 1.0, "ns": 1e-3}
# Representable range: Python datetimes (years 1..9999), in µs since the epoch.
_MIN_US = -62_135_596_800_000_000
_MAX_US = 253_402_300_799_999_999

_ISO_FORMATS_TZ = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%dT%H:%M%z")
_ISO_FORMATS_NAIVE = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d")


def _auto_scale(values: np.ndarray) -> np.ndarray:
    """µs per unit for each value, told by magnitude: s < 1e11 ≤ ms < 1e14 ≤ µs < 1e17 ≤ ns."""
    mag = np.abs(values)
    return np.select([mag < 1e11, mag < 1e14, mag < 1e17], [1e6, 1e3, 1.0], default=1e-3)


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
        with np.errstate(over="ignore", invalid="ignore"):  # huge values are reported below
            arr = arr * (_auto_scale(arr) if unit == "auto" else _US_PER[unit])
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
    if unit == "auto":
        fast = _fast_iso(values)  # the common case: one ISO format for the whole column
        if fast is not None:
            return _check_years(
                fast.alias(field),
                values,
                file=file,
                field=field,
                first_line=first_line,
                lines=lines,
            )
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
    fast = _fast_iso(text) if not is_num.any() else None
    if fast is not None:
        out = fast
    elif not is_num.all():
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
    out = _check_years(
        out.alias(field), values, file=file, field=field, first_line=first_line, lines=lines
    )
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


def format_bound(x: float) -> str:
    """A bucket bound or quantile as a label value, as Prometheus 3 normalises them.

    >>> [format_bound(v) for v in (1, 0.25, float("inf"), -2)]
    ['1.0', '0.25', '+Inf', '-2.0']
    """
    if x != x:
        return "NaN"
    if x in (float("inf"), float("-inf")):
        return "+Inf" if x > 0 else "-Inf"
    return repr(float(x))


_FAST_FORMATS = (
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"), "%Y-%m-%dT%H:%M:%SZ", True),
    (re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{1,9}Z$"), "%Y-%m-%dT%H:%M:%S%.fZ", True),
    (
        re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?[+-]\d{2}:\d{2}$"),
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        False,
    ),
    (re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"), "%Y-%m-%d %H:%M:%S", True),
)


def _check_years(
    out: pl.Series,
    values: pl.Series,
    *,
    file: str | Path | None,
    field: str,
    first_line: int | None,
    lines: np.ndarray | None,
) -> pl.Series:
    """Parsed times outside years 1–9999 are an error naming the line (Python cannot hold them)."""
    year = out.dt.year()
    outside = ((year < 1) | (year > 9999)).fill_null(False)
    if outside.any():
        i = int(outside.arg_true()[0])
        line = (
            int(lines[i])
            if lines is not None
            else (first_line + i if first_line is not None else None)
        )
        msg = f"timestamp {values[i]!r} is outside the representable range"
        raise InputError(
            msg, file=file, line=line, field=field, expected="a date between years 1 and 9999"
        )
    return out


def _fast_iso(text: pl.Series) -> pl.Series | None:
    """One explicit format for the whole column when its first value shows a common one.

    Returns None unless every non-empty value parses with that format (then the general,
    slower path handles the column).
    """
    first = text.drop_nulls().head(1)
    if first.len() == 0:
        return None
    sample = first.item()
    for pattern, fmt, naive_utc in _FAST_FORMATS:
        if pattern.match(sample):
            if naive_utc:
                parsed = text.str.to_datetime(
                    fmt, time_unit="us", strict=False
                ).dt.replace_time_zone("UTC")
            else:
                parsed = text.str.to_datetime(fmt, time_zone="UTC", time_unit="us", strict=False)
            if parsed.null_count() == text.null_count():
                return parsed
            return None
    return None


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
    Rows are sorted by series and time (a stable sort, so file order decides among equal
    keys); duplicates are then adjacent and found in one vectorised pass.
    """
    skipped: list[Skip] = []
    frame = frame.with_columns(pl.col("value").cast(pl.Float64))
    present = (
        pl.col("value").is_not_null()
        & pl.col("timestamp").is_not_null()
        & pl.col("metric").is_not_null()
    )
    missing = frame.select((~present).sum()).item()
    if missing:
        skipped.append(Skip("missing value, metric or timestamp", int(missing)))
        frame = frame.filter(present)
    series = ["metric", *_label_columns(frame, "samples")]
    if not _grouped_and_ordered(frame, series):
        frame = frame.sort([*series, "timestamp"], nulls_last=True, maintain_order=True)
    same_key = ~run_starts(series) & pl.col("timestamp").eq(pl.col("timestamp").shift(1)).fill_null(
        False
    )
    first_value = pl.when(~pl.col("_same")).then(pl.col("value")).forward_fill()
    flags = frame.select(same_key.alias("_same"), pl.col("value")).select(
        pl.col("_same"),
        (pl.col("_same") & pl.col("value").eq_missing(first_value)).alias("_exact"),
    )
    n_same = int(flags["_same"].sum())
    if n_same:
        n_exact = int(flags["_exact"].sum())
        if n_exact:
            skipped.append(Skip("exact duplicate point", n_exact))
        if n_same - n_exact:
            skipped.append(
                Skip(
                    "conflicting duplicate (same series and time, another value): kept the first",
                    n_same - n_exact,
                )
            )
        frame = frame.filter(~flags["_same"])
    return frame, skipped


def run_starts(series: list[str]) -> pl.Expr:
    """True where a row's series differs from the previous row's (exact comparisons, no hash)."""
    change = pl.lit(False)
    for c in series:
        change = change | pl.col(c).ne_missing(pl.col(c).shift(1))
    return change | (pl.int_range(pl.len()) == 0)


def _grouped_and_ordered(frame: pl.DataFrame, series: list[str]) -> bool:
    """Whether each series already forms one run with non-decreasing times (exports usually do).

    Then duplicates are adjacent without a sort. Runs are found by comparing each row with
    the one before; only the first row of each run is then checked for repeats, so the
    check costs a few column comparisons, not a hash of every row.
    """
    if frame.height < 2:
        return True
    starts = frame.select(
        run_starts(series).alias("_start"),
        pl.col("timestamp").ge(pl.col("timestamp").shift(1)).fill_null(True).alias("_up"),
    )
    if not bool((starts["_start"] | starts["_up"]).all()):
        return False
    heads = frame.select(series).filter(starts["_start"])
    return heads.height == heads.n_unique()


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
