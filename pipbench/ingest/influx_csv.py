"""InfluxDB 2 / Flux annotated CSV (query results, ``influx query --raw``, UI downloads).

What it reads
-------------
One or more tables, each introduced by annotation rows — ``#datatype`` (``string``,
``long``, ``unsignedLong``, ``double``, ``boolean``, ``dateTime:RFC3339``…), ``#group``
and ``#default`` (the value of an empty cell in that column) — and a header row that
starts with an empty column, then rows: ``,result,table,_start,_stop,_time,_value,_field,
_measurement,host``. Tables of another shape follow after a blank line with their own
annotations. Quoted string fields may hold commas, doubled quotes and newlines. A Flux
error table (``,error,reference``) is an :class:`~pipbench.errors.InputError` with the
message.

Rules
-----
- Each row with ``_time`` and ``_value`` is a sample: metric ``<_measurement>_<_field>``
  (as Telegraf names Prometheus metrics), labels = every other column except ``result``,
  ``table``, ``_start`` and ``_stop``. Pivoted tables (no ``_value``) give one sample per
  numeric column, named ``<_measurement>_<column>``.
- ``boolean`` values become 1/0; ``string`` values are not metric values: those rows are
  skipped and counted.

Examples
--------
>>> from pipbench.ingest.influx_csv import InfluxCSVReader
>>> InfluxCSVReader().sniff(b"#group,false,false,true\\n#datatype,string,long,double\\n", None)
1.0
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import ClassVar

import polars as pl

from pipbench.errors import InputError
from pipbench.ingest._tabular import BOM, read_strings
from pipbench.ingest.normalize import parse_timestamps, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["InfluxCSVReader"]

_ANNOTATION = re.compile(rb"^#(datatype|group|default),", re.MULTILINE)
_SECTION = re.compile(rb"\r?\n(?:[ \t]*\r?\n)+")
_NUMERIC = {"double", "long", "unsignedlong", "int", "float"}
_DROP = {"result", "table", "_start", "_stop"}


@register_reader
class InfluxCSVReader:
    """InfluxDB / Flux annotated CSV (several tables per file)."""

    name: ClassVar[str] = "influx-csv"
    description: ClassVar[str] = "InfluxDB 2 / Flux annotated CSV (#datatype, #group, #default)"

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.removeprefix(BOM).lstrip()[:8192]
        if text.startswith((b"#datatype,", b"#group,", b"#default,")):
            return 1.0
        if text.startswith(b",result,table,") and b"_time" in text[:2048]:
            return 0.9
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        data = path.read_bytes().removeprefix(BOM)
        frames: list[pl.DataFrame] = []
        skipped: list[Skip] = []
        pos = 0
        for m in [*_SECTION.finditer(data), None]:
            end = m.start() if m else len(data)
            section = data[pos:end]
            first_line = data.count(b"\n", 0, pos) + 1
            pos = m.end() if m else len(data)
            if section.strip():
                frame = self._section(section, path, first_line, skipped)
                if frame is not None and frame.height:
                    frames.append(frame)
        if not frames:
            return ReadResult(skipped=skipped)
        return ReadResult(samples=pl.concat(frames, how="diagonal_relaxed"), skipped=skipped)

    def _section(
        self, section: bytes, path: Path, first_line: int, skipped: list[Skip]
    ) -> pl.DataFrame | None:
        lines = section.split(b"\n")
        annotations: dict[str, list[str]] = {}
        n_ann = 0
        for raw in lines:
            if not raw.startswith(b"#"):
                break
            try:
                row = next(csv.reader([raw.decode("utf-8").rstrip("\r")]))
            except (UnicodeDecodeError, csv.Error, StopIteration):
                msg = "unreadable annotation row"
                raise InputError(msg, file=path, line=first_line + n_ann) from None
            annotations[row[0].lstrip("#").lower()] = row[1:]
            n_ann += 1
        header_line = first_line + n_ann
        body = read_strings(section, skip_rows=n_ann, file=path)
        if body.width == 0:
            return None
        cols = list(body.columns)
        # The header starts with an empty column (the annotation column).
        if cols and cols[0].strip() in ("", "_"):
            body = body.drop(cols[0])
            cols = cols[1:]
            for k in annotations:
                annotations[k] = annotations[k][: len(cols)]
        elif annotations:
            for k in annotations:
                annotations[k] = annotations[k][: len(cols)]
        if "error" in cols and "_time" not in cols:
            message = body["error"].drop_nulls().head(1).to_list()
            msg = f"the file is a Flux error: {message[0] if message else '(no message)'}"
            raise InputError(msg, file=path, line=header_line + 1, field="error")
        defaults = dict(zip(cols, annotations.get("default", []), strict=False))
        fills = [
            pl.col(c).fill_null(pl.lit(v))
            for c, v in defaults.items()
            if v != "" and c in body.columns
        ]
        if fills:
            body = body.with_columns(fills)
        types = {c: t.lower() for c, t in zip(cols, annotations.get("datatype", []), strict=False)}
        if "_time" not in cols:
            msg = "a table without a _time column"
            raise InputError(
                msg, file=path, line=header_line, field="_time", expected="Flux rows with _time"
            )
        lines_no = pl.Series(range(header_line + 1, header_line + 1 + body.height)).to_numpy()
        stamps = parse_timestamps(body["_time"], file=path, field="_time", lines=lines_no)
        measurement = body["_measurement"] if "_measurement" in cols else None
        if "_value" in cols:
            value_cols = ["_value"]
        else:
            value_cols = [
                c for c in cols if types.get(c) in _NUMERIC | {"boolean"} and c not in _DROP
            ]
        labels = [
            c
            for c in cols
            if c not in _DROP | {"_time", "_value", "_field", "_measurement"}
            and c not in value_cols
        ]
        parts = []
        for vc in value_cols:
            vtype = types.get(vc, "double")
            col = body[vc].str.strip_chars()
            if vtype == "boolean":
                value = col.str.to_lowercase().replace_strict(
                    {"true": 1.0, "false": 0.0}, default=None, return_dtype=pl.Float64
                )
            elif vtype == "string" or vtype.startswith("datetime"):
                n = int(col.is_not_null().sum())
                if n:
                    skipped.append(Skip(f"{vtype} field value (not a number)", n, header_line + 1))
                continue
            else:
                value = col.cast(pl.Float64, strict=False)
                bad = value.is_null() & col.is_not_null() & (col != "")
                if bad.any():
                    i = int(bad.arg_true()[0])
                    msg = f"{col[i]!r} is not a number"
                    raise InputError(
                        msg, file=path, line=int(lines_no[i]), field=vc, expected=vtype
                    )
            if vc == "_value":
                field = (
                    body["_field"]
                    if "_field" in cols
                    else pl.Series([None] * body.height, dtype=pl.String)
                )
            else:
                field = pl.Series([vc] * body.height, dtype=pl.String)
            if measurement is not None:
                metric = pl.select(
                    pl.when(pl.lit(field).is_not_null())
                    .then(pl.lit(measurement) + "_" + pl.lit(field))
                    .otherwise(pl.lit(measurement))
                ).to_series()
            else:
                metric = field.fill_null("value")
            part = pl.DataFrame(
                {"timestamp": stamps, "metric": metric, "value": value}
            ).with_columns(body[c].alias(sanitize_label(c)) for c in labels)
            parts.append(part)
        if not parts:
            return None
        return pl.concat(parts, how="diagonal_relaxed")
