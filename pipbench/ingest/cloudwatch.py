"""Amazon CloudWatch metric responses: ``GetMetricData`` (one page or many) and ``GetMetricStatistics``.

What it reads
-------------
- A ``GetMetricData`` response as the AWS CLI or boto3 prints it: ``{"MetricDataResults":
  [{"Id", "Label", "Timestamps", "Values", "StatusCode", "Messages"}], "Messages",
  "NextToken"}``. Timestamps are ISO-8601 strings with an offset (``…+00:00`` from the
  CLI, ``2024-03-10 14:05:00+00:00`` from ``json.dumps(…, default=str)``) or epoch
  seconds, newest first by default.
- A JSON array of such pages (a paginator's pages saved together): points that repeat on
  two pages are exact duplicates and are dropped (and counted) by the shared rules.
- A ``GetMetricStatistics`` response: ``{"Label", "Datapoints": [{"Timestamp",
  "Average"|"Sum"|"Minimum"|"Maximum"|"SampleCount"|"ExtendedStatistics", "Unit"}]}``.

Rules
-----
- Each ``MetricDataResults`` entry is a series: metric = its ``Label`` (else its ``Id``),
  label ``id`` = its ``Id``. Statistics of ``GetMetricStatistics`` become the label
  ``stat`` (``Average``, ``p99`` …) and ``unit``.
- ``StatusCode`` ``PartialData`` (more points exist than the response holds) or
  ``InternalError``/``Forbidden`` and every message are reported in the notes: the data
  may be incomplete.

Examples
--------
>>> from pipbench.ingest.cloudwatch import CloudWatchReader
>>> CloudWatchReader().sniff(b'{"MetricDataResults": [{"Id": "m1"', None)
1.0
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.normalize import parse_timestamps
from pipbench.ingest.registry import ReadContext, ReadResult, register_reader

__all__ = ["CloudWatchReader"]

_STATS = ("Average", "Sum", "Minimum", "Maximum", "SampleCount")


@register_reader
class CloudWatchReader:
    """CloudWatch ``GetMetricData`` pages and ``GetMetricStatistics`` responses."""

    name: ClassVar[str] = "cloudwatch"
    description: ClassVar[str] = (
        "Amazon CloudWatch GetMetricData (one page or a list of pages), GetMetricStatistics"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.lstrip()[:8192]
        if text[:1] not in (b"{", b"["):
            return 0.0
        if b'"MetricDataResults"' in text:
            return 1.0
        if b'"Datapoints"' in text and b'"Timestamp"' in text:
            return 0.9
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        raw = path.read_bytes()
        try:
            doc = msgspec.json.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError) as err:
            m = re.search(r"char (\d+)", str(err))
            line = raw.count(b"\n", 0, int(m.group(1))) + 1 if m else None
            msg = f"invalid JSON: {err}"
            raise InputError(
                msg, file=path, line=line, expected="a CloudWatch JSON response"
            ) from None
        pages = doc if isinstance(doc, list) else [doc]
        ids: list[str | None] = []
        metrics: list[str] = []
        stats: list[str | None] = []
        units: list[str | None] = []
        stamps: list[Any] = []
        values: list[Any] = []
        notes: list[str] = []
        for p, page in enumerate(pages):
            if not isinstance(page, dict):
                msg = f"page {p} is not an object"
                raise InputError(msg, file=path, field=f"[{p}]", expected="a response object")
            for m in _as_list(page.get("Messages"), path, "Messages"):
                notes.append(f"message: {_message(m)}")
            if "MetricDataResults" in page:
                for i, r in enumerate(
                    _as_list(page["MetricDataResults"], path, "MetricDataResults")
                ):
                    where = f"MetricDataResults[{i}]"
                    if not isinstance(r, dict):
                        msg = "a result is not an object"
                        raise InputError(msg, file=path, field=where, expected="an object")
                    ts = _as_list(r.get("Timestamps"), path, f"{where}.Timestamps")
                    vs = _as_list(r.get("Values"), path, f"{where}.Values")
                    if len(ts) != len(vs):
                        msg = f"{len(ts)} timestamps but {len(vs)} values"
                        raise InputError(msg, file=path, field=where, expected="as many of each")
                    rid = None if r.get("Id") is None else str(r.get("Id"))
                    label = str(r.get("Label") or rid or "cloudwatch")
                    status = r.get("StatusCode")
                    if status not in (None, "Complete"):
                        notes.append(f"{label}: StatusCode {status} (the data may be incomplete)")
                    for m in _as_list(r.get("Messages"), path, f"{where}.Messages"):
                        notes.append(f"{label}: {_message(m)}")
                    n = len(ts)
                    ids += [rid] * n
                    metrics += [label] * n
                    stats += [None] * n
                    units += [None] * n
                    stamps += ts
                    values += vs
            elif "Datapoints" in page:
                label = str(page.get("Label") or "cloudwatch")
                for i, d in enumerate(_as_list(page["Datapoints"], path, "Datapoints")):
                    if not isinstance(d, dict):
                        msg = "a datapoint is not an object"
                        raise InputError(
                            msg, file=path, field=f"Datapoints[{i}]", expected="an object"
                        )
                    found = {k: d[k] for k in _STATS if k in d}
                    ext = d.get("ExtendedStatistics")
                    if isinstance(ext, dict):
                        found.update(ext)
                    for stat, v in found.items():
                        ids.append(None)
                        metrics.append(label)
                        stats.append(str(stat))
                        units.append(None if d.get("Unit") is None else str(d.get("Unit")))
                        stamps.append(d.get("Timestamp"))
                        values.append(v)
            else:
                msg = "neither MetricDataResults nor Datapoints"
                raise InputError(
                    msg,
                    file=path,
                    field=f"[{p}]" if isinstance(doc, list) else None,
                    expected="a GetMetricData or GetMetricStatistics response",
                )
        if not values:
            return ReadResult(notes=notes)
        if any(
            not isinstance(v, (int, float)) or isinstance(v, bool) for v in values if v is not None
        ):
            bad = next(
                v
                for v in values
                if v is not None and (not isinstance(v, (int, float)) or isinstance(v, bool))
            )
            msg = f"value {bad!r} is not a number"
            raise InputError(msg, file=path, field="Values", expected="numbers")
        if any(
            not isinstance(t, (str, int, float)) or isinstance(t, bool)
            for t in stamps
            if t is not None
        ):
            msg = "a timestamp is neither a string nor a number"
            raise InputError(msg, file=path, field="Timestamps", expected="ISO-8601 strings")
        stamp_series = pl.Series(
            "t", [None if t is None else str(t) for t in stamps], dtype=pl.String
        )
        frame = pl.DataFrame(
            {
                "timestamp": parse_timestamps(stamp_series, file=path, field="Timestamps"),
                "metric": pl.Series(metrics, dtype=pl.String),
                "value": pl.Series(values, dtype=pl.Float64, strict=False),
                "id": pl.Series(ids, dtype=pl.String),
                "stat": pl.Series(stats, dtype=pl.String),
                "unit": pl.Series(units, dtype=pl.String),
            }
        )
        frame = frame.select(
            c
            for c in frame.columns
            if frame[c].null_count() < frame.height or c in ("timestamp", "metric", "value")
        )
        return ReadResult(samples=frame, notes=_dedupe(notes))


def _as_list(v: Any, path: Path, field: str) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list):
        msg = f"{field} is not a list"
        raise InputError(msg, file=path, field=field, expected="a JSON array")
    return v


def _message(m: Any) -> str:
    if isinstance(m, dict):
        return f"{m.get('Code', '')}: {m.get('Value', '')}".strip(": ")
    return str(m)


def _dedupe(notes: list[str]) -> list[str]:
    return list(dict.fromkeys(notes))
