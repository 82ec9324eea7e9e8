"""Helpers the CSV-like readers share: decoding, delimiter sniffing, string-only reads.

Private to :mod:`pipbench.ingest`; every function raises :class:`InputError` for bad input.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl

from pipbench.errors import InputError

__all__: list[str] = []

BOM = b"\xef\xbb\xbf"


def head_text(head: bytes, lines: int = 20) -> list[str]:
    """The first complete ``lines`` lines of ``head`` as text (BOM removed, bad bytes replaced)."""
    text = head.removeprefix(BOM).decode("utf-8", "replace")
    out = text.splitlines()
    if len(out) > 1 and not text.endswith("\n"):
        out = out[:-1]
    return out[:lines]


def sniff_delimiter(line: str, candidates: str = ",;\t") -> str:
    """The candidate that splits ``line`` into the most fields outside quotes."""
    best, best_n = ",", 0
    for d in candidates:
        try:
            n = len(next(csv.reader([line], delimiter=d)))
        except (csv.Error, StopIteration):
            continue
        if n > best_n:
            best, best_n = d, n
    return best


def header_fields(line: str, delimiter: str) -> list[str]:
    """Split a header line, honouring quotes."""
    try:
        return [f.strip() for f in next(csv.reader([line], delimiter=delimiter))]
    except (csv.Error, StopIteration):
        return []


def read_strings(
    path: Path | bytes,
    *,
    separator: str = ",",
    skip_rows: int = 0,
    has_header: bool = True,
    file: Path | None = None,
    comment_prefix: str | None = None,
    columns: list[str] | None = None,
) -> pl.DataFrame:
    """Read a delimited file with every column as a string (quotes, BOM and CRLF handled).

    ``columns`` (header names) reads only those, to spare memory on large files. Ragged rows
    (more or fewer fields than the header) are an :class:`InputError`.
    """
    where = file if file is not None else (path if isinstance(path, Path) else None)
    source: Path | io.BytesIO
    if isinstance(path, Path):
        try:
            with open(path, "rb") as fh:
                bom = fh.read(3) == BOM
        except OSError as err:
            msg = f"cannot open the file: {err.strerror}"
            raise InputError(msg, file=where) from None
        # Without a BOM polars reads (and memory-maps) the file itself.
        source = io.BytesIO(path.read_bytes().removeprefix(BOM)) if bom else path
    else:
        source = io.BytesIO(path.removeprefix(BOM))
    try:
        frame = pl.read_csv(
            source,
            separator=separator,
            has_header=has_header,
            skip_rows=skip_rows,
            infer_schema=False,
            truncate_ragged_lines=False,
            comment_prefix=comment_prefix,
            raise_if_empty=False,
            columns=columns,
        )
    except (pl.exceptions.PolarsError, ValueError) as err:
        data = source.getvalue() if isinstance(source, io.BytesIO) else source.read_bytes()
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as uerr:
            line = data.count(b"\n", 0, uerr.start) + 1
            msg = "the file is not UTF-8 text"
            raise InputError(msg, file=where, line=line, expected="UTF-8 text") from None
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        msg = f"malformed delimited text: {first}"
        raise InputError(msg, file=where, expected=f"{separator!r}-separated rows") from None
    if has_header and '""' in frame.columns.__repr__():
        # polars keeps doubled quotes in header names; the csv module undoes them.
        with open(source, "rb") if isinstance(source, Path) else source as fh:
            fh.seek(0)
            for _ in range(skip_rows):
                fh.readline()
            header = fh.readline().decode("utf-8", "replace").rstrip("\r\n")
        names = header_fields(header, separator)
        if len(names) == frame.width and len(set(names)) == len(names):
            frame.columns = names
    return frame


def require_columns(frame: pl.DataFrame, needed: list[str], file: Path, what: str) -> None:
    """An :class:`InputError` naming the first of ``needed`` that ``frame`` lacks."""
    for c in needed:
        if c not in frame.columns:
            msg = f"no {c!r} column"
            raise InputError(msg, file=file, line=1, field=c, expected=what)


def to_float(
    col: pl.Series, *, file: Path, field: str, first_line: int = 2, nulls: tuple[str, ...] = ()
) -> pl.Series:
    """Strings → float64; empty cells and ``nulls`` become null, anything else unreadable errors."""
    s = col.str.strip_chars()
    s = pl.select(
        pl.when(pl.lit(s).is_in(["", *nulls]) | pl.lit(s).is_null()).then(None).otherwise(pl.lit(s))
    ).to_series()
    out = s.cast(pl.Float64, strict=False)
    bad = out.is_null() & s.is_not_null()
    if bad.any():
        i = int(bad.arg_true()[0])
        msg = f"{s[i]!r} is not a number"
        raise InputError(msg, file=file, line=first_line + i, field=field, expected="a number")
    return out.alias(col.name)
