"""Grafana panel CSV exports (Inspect → Data → Download CSV), wide and long.

What it reads
-------------
- *Series joined by time* / *series as columns* (wide): ``"Time","series A","series B"``;
  one sample per non-empty cell.
- *Series as rows* (long): ``Series;Time;Value`` (Grafana ≤ 6) or ``Metric,Time,Value``,
  and table panels (``Time,instance,job,Value`` or ``Value #A``, ``Value #B`` per query):
  every column besides time, series and values is a label (``__name__`` names the metric).
- ``,`` or ``;`` delimiters (and the ``sep=;`` first line of "Download for Excel"; with
  ``;``, decimal commas such as ``0,52`` are read as numbers), quoted
  fields, a UTF-8 BOM, CRLF line ends, ``null`` / ``undefined`` / ``NaN`` / empty cells,
  times as RFC 3339 with offsets, ``YYYY-MM-DD HH:mm:ss`` (no zone: read as UTC unless the
  option ``timezone`` names one) or epoch milliseconds; repeated timestamps (the pipeline
  keeps the first value of a series at a time and reports the rest).

Rules
-----
- A series name written as a Prometheus selector, ``up{job="api", instance="a:9100"}``,
  becomes the metric ``up`` with labels ``job`` and ``instance``; ``{job="api"}`` gets the
  metric name from the file's stem; any other legend (``A-series``, ``p95 latency``) is
  the metric name itself.
- ``null`` and ``undefined`` are missing values (skipped and counted); ``NaN`` stays NaN.
  Values exported with *formatted data* on carry units (``12.5 ms``, ``97%``): the number
  is kept, the unit dropped, and the report names the units seen.

Examples
--------
>>> from pipbench.ingest.grafana_csv import GrafanaCSVReader
>>> GrafanaCSVReader().sniff(b'"Time","A-series"\\n2026-01-01 00:00:00,1\\n', None)
0.9
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import polars as pl

from pipbench.errors import InputError
from pipbench.ingest._tabular import head_text, header_fields, read_strings, sniff_delimiter
from pipbench.ingest.normalize import parse_timestamps, sanitize_label
from pipbench.ingest.prometheus_text import _LineError, parse_sample_line
from pipbench.ingest.registry import ReadContext, ReadResult, register_reader

__all__ = ["GrafanaCSVReader"]

_TIME = {"time", "timestamp", "date", "datetime"}
_SERIES = {"series", "metric", "name", "field"}
_MISSING = ("", "null", "undefined", "None", "-")
_NUMBER_UNIT = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([^\d\s].*)?$")


def _strip_sep_line(lines: list[str]) -> tuple[str | None, list[str]]:
    if lines and lines[0].lower().startswith("sep=") and len(lines[0].strip()) == 5:
        return lines[0].strip()[4], lines[1:]
    return None, lines


@register_reader
class GrafanaCSVReader:
    """Grafana panel CSV downloads: series as columns or as rows, ``,`` or ``;``."""

    name: ClassVar[str] = "grafana-csv"
    description: ClassVar[str] = (
        "Grafana panel CSV export (series as columns or rows, ; or , delimited, BOM)"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        sep, lines = _strip_sep_line(head_text(head, 5))
        if not lines:
            return 0.0
        sep = sep or sniff_delimiter(lines[0], ",;")
        fields = [f.lower() for f in header_fields(lines[0], sep)]
        if len(fields) < 2 or fields[0] not in _TIME | _SERIES:
            return 0.0
        generic = bool({"value", "metric"} & set(fields[1:]))  # timestamp,metric,value,… → csv-long
        if fields[0] == "time":  # what Grafana writes
            return 0.4 if generic else 0.9
        if fields[0] in _TIME:
            return 0.4 if generic else 0.5
        if fields[:3] in (["series", "time", "value"], ["metric", "time", "value"]):
            return 0.9
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with open(path, "rb") as fh:
            head = fh.read(65536)
        sep, lines = _strip_sep_line(head_text(head, 2))
        if not lines:
            msg = "the file is empty"
            raise InputError(msg, file=path, expected="a Grafana CSV export")
        skip = 1 if sep else 0
        sep = sep or sniff_delimiter(lines[0], ",;")
        raw = read_strings(path, separator=sep, skip_rows=skip, file=path)
        first_line = 2 + skip
        lower = {c: c.strip().lower() for c in raw.columns}
        time_col = next((c for c, k in lower.items() if k in _TIME), None)
        if time_col is None:
            msg = "no Time column"
            raise InputError(msg, file=path, line=1 + skip, field="Time", expected="a Time column")
        series_col = next((c for c, k in lower.items() if k in _SERIES | {"__name__"}), None)
        value_cols = [c for c, k in lower.items() if k == "value" or k.startswith("value #")]
        stamps, naive = _times(raw[time_col], path, first_line, ctx)
        notes: list[str] = []
        line_no = pl.Series("_line", range(first_line, first_line + raw.height))
        if value_cols:
            # Series as rows, or a table panel: the other columns are labels.
            label_cols = [c for c in raw.columns if c not in {time_col, series_col, *value_cols}]
            pieces: list[pl.DataFrame] = []
            for vc in value_cols:
                part = raw.select(
                    stamps.alias("timestamp"),
                    (raw[series_col] if series_col else pl.lit(None, pl.String)).alias("_series"),
                    pl.col(vc).alias("_raw"),
                    line_no,
                    *[pl.col(c).alias(sanitize_label(c)) for c in label_cols],
                )
                if len(value_cols) > 1:  # "Value #A", "Value #B": one per query
                    part = part.with_columns(pl.lit(vc.split("#", 1)[-1].strip()).alias("ref_id"))
                pieces.append(part)
            long = pl.concat(pieces)
        else:
            values = [c for c in raw.columns if c != time_col]
            if not values:
                msg = "no value columns besides Time"
                raise InputError(msg, file=path, line=1 + skip, expected="one column per series")
            wide = raw.select(values).with_columns(stamps.alias("timestamp"), line_no)
            long = wide.unpivot(
                index=["timestamp", "_line"],
                on=values,
                variable_name="_series",
                value_name="_raw",
            )
        if naive:
            notes.append("times carry no zone: read as UTC (option timezone)")
        cells = long["_raw"].str.strip_chars()
        if sep == ";":  # a European export: decimal commas ("0,52")
            cells = cells.str.replace(r"^([-+]?\d+),(\d+)$", "$1.$2")
        missing = cells.is_null() | cells.is_in(list(_MISSING))
        number = cells.cast(pl.Float64, strict=False)
        needs_unit = number.is_null() & ~missing
        if needs_unit.any():
            split = cells.str.extract_groups(_NUMBER_UNIT.pattern)
            number = pl.select(
                pl.when(pl.lit(needs_unit))
                .then(split.struct.field("1").cast(pl.Float64, strict=False))
                .otherwise(pl.lit(number))
            ).to_series()
            bad = needs_unit & number.is_null()
            if bad.any():
                i = int(bad.arg_true()[0])
                msg = f"{cells[i]!r} is not a number"
                raise InputError(
                    msg,
                    file=path,
                    line=int(long["_line"][i]),
                    field=str(long["_series"][i]),
                    expected="a number, null or empty",
                )
            units = sorted(set(split.struct.field("2").filter(needs_unit).drop_nulls().to_list()))
            notes.append(f"values carried units (formatted export); dropped: {', '.join(units)}")
        long = long.with_columns(number.alias("value")).drop("_raw", "_line")
        return ReadResult(samples=_split_series(long, path.stem), notes=notes)


def _times(col: pl.Series, path: Path, first_line: int, ctx: ReadContext) -> tuple[pl.Series, bool]:
    """Parse the Time column; also says whether zone-less times were read as UTC."""
    lines = pl.Series(range(first_line, first_line + len(col))).to_numpy()
    text = col.str.strip_chars()
    stamps = parse_timestamps(text, unit="auto", file=path, field="Time", lines=lines)
    tz = ctx.options.get("timezone")
    naive = text.str.contains(r"^\d{4}-\d{2}-\d{2}[ T][\d:.]+$").fill_null(False)
    if tz and naive.any():
        local = (
            stamps.dt.replace_time_zone(None)
            .dt.replace_time_zone(str(tz), ambiguous="earliest", non_existent="null")
            .dt.convert_time_zone("UTC")
        )
        stamps = pl.select(pl.when(pl.lit(naive)).then(local).otherwise(stamps)).to_series()
    return stamps.alias("timestamp"), bool(naive.any()) and not tz


def _split_series(long: pl.DataFrame, stem: str) -> pl.DataFrame:
    """``up{job="a"}`` legends → metric + label columns (once per distinct legend)."""
    long = long.with_columns(pl.col("_series").fill_null(stem))
    legends = long["_series"].unique().to_list()
    rows: dict[str, dict[str, str]] = {}
    for legend in legends:
        name = str(legend) if legend is not None else stem
        labels: dict[str, str] = {}
        if name.lstrip().startswith("{") and name.rstrip().endswith("}"):
            try:
                _, parsed, _, _, _ = parse_sample_line("x" + name.strip() + " 0")
            except _LineError:
                pass
            else:
                name, labels = stem, parsed
        elif "{" in name and name.rstrip().endswith("}"):
            try:
                metric, parsed, _, _, _ = parse_sample_line(name.strip() + " 0")
            except _LineError:
                pass
            else:
                name, labels = metric, parsed
        rows[str(legend)] = {"metric": name, **{sanitize_label(k): v for k, v in labels.items()}}
    if legends and all(r == {"metric": str(k)} for k, r in rows.items()):
        return long.rename({"_series": "metric"})
    # Labels the table already has as columns win over those parsed from a legend.
    keys = sorted({k for r in rows.values() for k in r} - (set(long.columns) - {"metric"}))
    mapping = pl.DataFrame(
        {"_series": list(rows), **{k: [r.get(k) for r in rows.values()] for k in keys}},
        schema={"_series": pl.String, **dict.fromkeys(keys, pl.String)},
    )
    return long.join(mapping, on="_series", how="left", maintain_order="left").drop("_series")
