"""Long-format metric tables (CSV or Parquet): one row per point, labels as columns.

Columns are found by name unless a mapping is given (``options={"columns": {...}}`` in
Python, or ``pipbench ingest --column timestamp=ts --column value=v``):

- ``timestamp``: ``timestamp``, ``time``, ``ts``, ``t``, ``datetime``, ``date``, ``_time``;
- ``value``: ``value``, ``val``, ``_value``, ``y``;
- ``metric`` (optional): ``metric``, ``metric_name``, ``__name__``, ``name``, ``_field``;
  without one, the metric is the file's stem (``cpu.csv`` → ``cpu``);
- every other column is a label (string).

Timestamps may be ISO-8601 with offsets or epochs (s, ms, µs, ns by magnitude); values may
be ``NaN``, ``Inf``, ``-Inf``; empty cells are skipped and counted.

Examples
--------
>>> from pipbench.ingest.csv_long import LongTableReader
>>> LongTableReader().sniff(b"timestamp,metric,value,pod\\n2026-01-01T00:00:00Z,up,1,a\\n", None)
0.6
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.normalize import parse_timestamps, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["LongTableReader", "find_columns"]

TIME_NAMES = ("timestamp", "time", "ts", "t", "datetime", "date", "_time")
VALUE_NAMES = ("value", "val", "_value", "y")
METRIC_NAMES = ("metric", "metric_name", "__name__", "name", "_field")

_PARQUET_MAGIC = b"PAR1"
#: Files larger than this are read in blocks (bounded memory); duplicates are found per block.
STREAM_BYTES = 256 << 20
CHUNK_BYTES = 32 << 20


def _pick(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.strip().lower(): c for c in columns}
    return next((lower[c] for c in candidates if c in lower), None)


def find_columns(
    columns: list[str], mapping: Mapping[str, str] | None = None
) -> dict[str, str | None]:
    """Resolve ``timestamp``, ``value`` and ``metric`` columns (mapping first, then by name)."""
    mapping = dict(mapping or {})
    for role in mapping:
        if role not in ("timestamp", "value", "metric"):
            msg = f"unknown column role {role!r}"
            raise InputError(msg, field="--column", expected="timestamp=, value= or metric=")
    out: dict[str, str | None] = {}
    for role, names in (
        ("timestamp", TIME_NAMES),
        ("value", VALUE_NAMES),
        ("metric", METRIC_NAMES),
    ):
        if role in mapping:
            if mapping[role] not in columns:
                msg = f"no column {mapping[role]!r} for {role}"
                raise InputError(msg, line=1, field=role, expected="one of " + ", ".join(columns))
            out[role] = mapping[role]
        else:
            out[role] = _pick(columns, names)
    return out


def _header(head: bytes) -> list[str] | None:
    text = head.decode("utf-8-sig", errors="replace")
    first = text.splitlines()[0] if text.splitlines() else ""
    if not first or ("," not in first and ";" not in first and "\t" not in first):
        return None
    delim = max((",", ";", "\t"), key=first.count)
    return [c.strip().strip('"') for c in next(csv.reader(io.StringIO(first), delimiter=delim))]


def _read_table(source: Path | io.BytesIO, value_col: str | None, **options: Any) -> pl.DataFrame:
    """Read a CSV as text, the value column as floats when every cell is one.

    polars reads NaN, inf, +Inf and -Infinity itself; a cell that is no number makes the
    whole column text, so that the caller can count and skip it with its line.
    """
    common: dict[str, Any] = {"infer_schema": False, "encoding": "utf8-lossy", "null_values": [""]}
    if value_col:
        try:
            return pl.read_csv(
                source, schema_overrides={value_col: pl.Float64}, **common, **options
            )
        except pl.exceptions.ComputeError:
            if isinstance(source, io.BytesIO):
                source.seek(0)
    return pl.read_csv(source, **common, **options)


@register_reader
class LongTableReader:
    """Long metric tables in CSV or Parquet."""

    name: ClassVar[str] = "csv-long"
    description: ClassVar[str] = (
        "long metric tables, CSV or Parquet: timestamp, [metric,] value, label columns"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        if head[:4] == _PARQUET_MAGIC:
            return 0.6
        cols = _header(head)
        if not cols:
            return 0.0
        found = find_columns(cols)
        if found["timestamp"] and found["value"]:
            return 0.6
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        mapping = ctx.options.get("columns")
        if path.open("rb").read(4) == _PARQUET_MAGIC:
            try:
                frame = pl.read_parquet(path)
            except Exception as err:
                msg = f"unreadable Parquet: {err}"
                raise InputError(msg, file=path, expected="a Parquet file") from None
            return self._from_frame(frame, path, mapping, first_line=None)
        return self._csv(path, mapping)

    def _csv(self, path: Path, mapping: Mapping[str, str] | None) -> ReadResult:
        with open(path, "rb") as fh:
            head = fh.read(65536)
        cols = _header(head)
        if not cols:
            msg = "no header line"
            raise InputError(
                msg, file=path, line=1, expected="a CSV header such as timestamp,metric,value"
            )
        delim = max((",", ";", "\t"), key=head.decode("utf-8-sig", "replace").splitlines()[0].count)
        found = find_columns(cols, mapping)
        if not found["timestamp"] or not found["value"]:
            missing = [r for r in ("timestamp", "value") if not found[r]]
            msg = f"no {' or '.join(missing)} column in the header {cols}"
            raise InputError(
                msg,
                file=path,
                line=1,
                field=missing[0],
                expected=f"a column named one of {TIME_NAMES if missing[0] == 'timestamp' else VALUE_NAMES}",
            )
        found_v = found["value"]
        if path.stat().st_size > STREAM_BYTES:
            return self._csv_stream(path, delim, found_v, mapping)
        try:
            frame = _read_table(path, found_v, separator=delim)
        except pl.exceptions.ComputeError as err:
            m = re.search(r"line (\d+)|row (\d+)", str(err))
            line = int(next(g for g in m.groups() if g)) + 1 if m else None
            msg = f"malformed CSV: {str(err).splitlines()[0]}"
            raise InputError(
                msg, file=path, line=line, expected=f"{len(cols)} fields per line"
            ) from None
        frame = frame.rename({c: c.lstrip("\ufeff").strip() for c in frame.columns})
        return self._from_frame(frame, path, mapping, first_line=2)

    def _csv_stream(
        self, path: Path, delim: str, value_col: str | None, mapping: Mapping[str, str] | None
    ) -> ReadResult:
        """Large files: blocks of whole lines (CHUNK_BYTES each) parsed and written one by one.

        Each block is read only when the previous one has been written, so memory stays at a
        few blocks whatever the file's size. (Quoted cells spanning lines are not expected in
        metric tables; a block boundary inside one is reported as malformed CSV.)
        """
        result = ReadResult()

        def chunks() -> Iterator[pl.DataFrame]:
            line = 2
            with open(path, "rb") as fh:
                header = fh.readline().decode("utf-8-sig", errors="replace")
                names = [c.strip() for c in next(csv.reader([header], delimiter=delim))]
                while block := fh.read(CHUNK_BYTES):
                    block += fh.readline()  # finish the block's last line
                    try:
                        batch = _read_table(
                            io.BytesIO(block),
                            value_col,
                            separator=delim,
                            has_header=False,
                            new_columns=names,
                        )
                    except pl.exceptions.ComputeError as err:
                        msg = f"malformed CSV: {str(err).splitlines()[0]}"
                        raise InputError(msg, file=path, line=line) from None
                    part = self._from_frame(batch, path, mapping, first_line=line)
                    result.skipped.extend(part.skipped)
                    line += block.count(b"\n")
                    if part.samples is not None:
                        yield part.samples  # type: ignore[misc]

        result.samples = chunks()
        return result

    def _from_frame(
        self,
        frame: pl.DataFrame,
        path: Path,
        mapping: Mapping[str, str] | None,
        first_line: int | None,
    ) -> ReadResult:
        found = find_columns(frame.columns, mapping)
        tcol, vcol, mcol = found["timestamp"], found["value"], found["metric"]
        if tcol is None or vcol is None:
            msg = f"needs a timestamp and a value column; it has {frame.columns}"
            raise InputError(msg, file=path, expected="columns such as timestamp, metric, value")
        skipped: list[Skip] = []
        bad: pl.Series | None = None
        ts = parse_timestamps(frame[tcol], file=path, field=tcol, first_line=first_line)
        raw_v = frame[vcol]
        if raw_v.dtype == pl.String:
            # polars reads NaN, inf, +Inf, -Infinity itself; padded cells get a second try
            value = raw_v.cast(pl.Float64, strict=False)
            text = raw_v
            if value.null_count() > raw_v.null_count():
                text = raw_v.str.strip_chars()
                value = text.cast(pl.Float64, strict=False)
            bad = value.is_null() & text.is_not_null() & (text != "")
            if bad.any():
                i = int(bad.arg_true()[0])
                skipped.append(
                    Skip(
                        f"value is not a number (e.g. {raw_v[i]!r})",
                        int(bad.sum()),
                        line=(first_line + i) if first_line else None,
                    )
                )
        else:
            value = raw_v.cast(pl.Float64)
        metric: Any = (
            frame[mcol].cast(pl.String)
            if mcol
            else pl.Series([re.sub(r"\W", "_", path.stem)] * frame.height)
        )
        out = {"timestamp": ts, "metric": metric, "value": value}
        used = {tcol, vcol, mcol}
        labels = {
            sanitize_label(c): frame[c].cast(pl.String) for c in frame.columns if c not in used
        }
        frame_out = pl.DataFrame({**out, **labels})
        if bad is not None and bad.any():
            frame_out = frame_out.filter(~bad)  # counted above, not again as missing
        return ReadResult(samples=frame_out, skipped=skipped)
