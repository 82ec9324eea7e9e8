"""Apache JMeter results (JTL) in CSV: one event per sample.

What it reads
-------------
- The JMeter 5 default column set ``timeStamp,elapsed,label,responseCode,responseMessage,
  threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,
  Latency,IdleTime,Connect`` and the older, shorter default (``…,success,bytes,grpThreads,
  allThreads,Latency`` of JMeter 2.x), with or without the header line (old JMeter wrote
  none: the columns are then told by their count), and any subset or order of columns
  configured through ``jmeter.save.saveservice.*``.
- ``timeStamp`` in epoch milliseconds, or formatted (``timestamp_format``) text; formatted
  times carry no zone and are read as UTC unless the option ``timezone`` says otherwise
  (``pipbench ingest … --option timezone=Europe/Paris``).

Rules
-----
- Each row is one sample: ``timestamp`` = ``timeStamp`` (the sample's start: JMeter's
  shipped ``jmeter.properties`` sets ``sampleresult.timestamp.start=true``), ``duration_s``
  = ``elapsed`` / 1000, ``name`` = ``label``, ``status`` = ``responseCode`` and ``ok`` =
  ``success`` — the truth, not the code (an assertion can fail a 200, and a 404 can be
  expected). JMeter writes rows when samples *end*, so the file's start times go backwards
  now and then; the pipeline sorts them.
- Kept as labels: ``thread``, ``url``, ``response_message``, ``failure_message``,
  ``latency_ms`` (time to first byte), ``connect_ms`` and ``hostname``; thread and byte
  counts are not kept.
- XML JTL files are refused with a message saying how to get CSV.

Examples
--------
>>> from pipbench.ingest.jmeter import JMeterReader
>>> JMeterReader().sniff(b"timeStamp,elapsed,label,responseCode,success\\n", None)
1.0
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import polars as pl

from pipbench.errors import InputError
from pipbench.ingest._tabular import (
    head_text,
    header_fields,
    read_strings,
    sniff_delimiter,
    to_float,
)
from pipbench.ingest.normalize import parse_timestamps
from pipbench.ingest.registry import ReadContext, ReadResult, register_reader

__all__ = ["JMeterReader"]

#: JMeter 5.x default CSV columns.
NEW_COLUMNS = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "failureMessage",
    "bytes",
    "sentBytes",
    "grpThreads",
    "allThreads",
    "URL",
    "Latency",
    "IdleTime",
    "Connect",
]
#: JMeter 2.x default CSV columns (written without a header line).
OLD_COLUMNS = [
    "timeStamp",
    "elapsed",
    "label",
    "responseCode",
    "responseMessage",
    "threadName",
    "dataType",
    "success",
    "bytes",
    "grpThreads",
    "allThreads",
    "Latency",
]

#: Columns kept as labels. Thread counts, byte counts, data type and idle time are not
#: kept: per-request numbers as string labels would bloat the dataset and no analysis
#: groups by them.
_LABELS = {
    "threadName": "thread",
    "URL": "url",
    "responseMessage": "response_message",
    "failureMessage": "failure_message",
    "Latency": "latency_ms",
    "Connect": "connect_ms",
    "Hostname": "hostname",
}
_READ = {"timeStamp", "elapsed", "label", "responseCode", "success", *_LABELS}
_HEADERLESS = re.compile(r"^\d{10,14}[,;\t|]\d+[,;\t|]")


@register_reader
class JMeterReader:
    """JMeter JTL results in CSV (any column set, with or without a header)."""

    name: ClassVar[str] = "jmeter"
    description: ClassVar[str] = "Apache JMeter JTL results, CSV (old and new default columns)"

    def sniff(self, head: bytes, path: Path | None) -> float:
        lines = head_text(head, 3)
        if not lines:
            return 0.0
        first = lines[0].strip()
        if first.startswith("<?xml") and b"<testResults" in head[:4096]:
            return 0.9  # refused in read() with a useful message
        if first.startswith("timeStamp") and "elapsed" in first:
            return 1.0
        if _HEADERLESS.match(first) and first.count(",") + 1 in (
            len(OLD_COLUMNS),
            len(NEW_COLUMNS),
        ):
            return 0.6
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with open(path, "rb") as fh:
            head = fh.read(65536)
        if head.lstrip().startswith(b"<?xml") or b"<testResults" in head[:4096]:
            msg = "this is an XML JTL file; pipbench reads the CSV form"
            raise InputError(
                msg,
                file=path,
                line=1,
                expected="CSV results (jmeter.save.saveservice.output_format=csv, "
                "the default since JMeter 2.13)",
            )
        lines = head_text(head, 1)
        if not lines:
            msg = "the file is empty"
            raise InputError(msg, file=path, expected="JMeter CSV results")
        first = lines[0]
        sep = sniff_delimiter(first, ",;\t|")
        if first.strip().startswith("timeStamp"):
            header = header_fields(first, sep)
            wanted = [c for c in header if c in _READ]
            raw = read_strings(path, separator=sep, file=path, columns=wanted or None)
            first_line = 2
        else:
            raw = read_strings(path, separator=sep, has_header=False, file=path)
            names = {len(OLD_COLUMNS): OLD_COLUMNS, len(NEW_COLUMNS): NEW_COLUMNS}.get(raw.width)
            if names is None:
                msg = f"no header line and {raw.width} columns"
                raise InputError(
                    msg,
                    file=path,
                    line=1,
                    expected=f"a header line, or the default {len(OLD_COLUMNS)} or "
                    f"{len(NEW_COLUMNS)} columns",
                )
            raw.columns = names
            first_line = 1
        for c in ("timeStamp", "elapsed", "label"):
            if c not in raw.columns:
                msg = f"no {c!r} column"
                raise InputError(msg, file=path, line=1, field=c, expected="a JMeter CSV header")
        lines_no = pl.Series(range(first_line, first_line + raw.height)).to_numpy()
        ts_raw = raw["timeStamp"].str.replace(r"^\s*(\d{4})/(\d{2})/(\d{2})", "$1-$2-$3")
        tz = ctx.options.get("timezone")
        stamps = parse_timestamps(ts_raw, unit="ms", file=path, field="timeStamp", lines=lines_no)
        notes: list[str] = []
        formatted = ts_raw.str.contains(r"[^0-9.\s-]").any()
        if formatted:
            if tz:
                stamps = stamps.dt.replace_time_zone(None).dt.replace_time_zone(
                    str(tz), ambiguous="earliest", non_existent="null"
                )
                stamps = stamps.dt.convert_time_zone("UTC")
            else:
                notes.append("formatted timeStamp without a zone: read as UTC (option timezone)")
        elapsed = to_float(raw["elapsed"], file=path, field="elapsed", first_line=first_line)
        if "success" in raw.columns:
            succ = raw["success"].str.strip_chars().str.to_lowercase()
            ok = pl.select(
                pl.when(pl.lit(succ) == "true")
                .then(True)
                .when(pl.lit(succ) == "false")
                .then(False)
                .otherwise(None)
            ).to_series()
        else:
            code = (
                raw["responseCode"].cast(pl.Int64, strict=False)
                if "responseCode" in raw.columns
                else None
            )
            ok = (
                ((code >= 200) & (code < 400))
                if code is not None
                else pl.Series([None] * raw.height, dtype=pl.Boolean)
            )
            notes.append("no success column: ok taken from responseCode 2xx/3xx")
        cols: dict[str, pl.Series] = {
            "timestamp": stamps,
            "duration_s": elapsed / 1000.0,
            "name": raw["label"],
            "status": raw["responseCode"]
            if "responseCode" in raw.columns
            else pl.Series([None] * raw.height, dtype=pl.String),
            "ok": ok,
        }
        for src, dst in _LABELS.items():
            if src in raw.columns and raw[src].null_count() < raw.height:
                # JMeter writes the word "null" where a sample has no URL (transactions).
                cols[dst] = raw[src].replace("null", None) if src == "URL" else raw[src]
        events = pl.DataFrame(cols)
        return ReadResult(events=events, notes=notes)
