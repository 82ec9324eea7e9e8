"""Annotations (deploys, flag flips, incidents) from CSV or JSON.

CSV: a header with a time column (``timestamp``, ``time``, ``start``, ``started_at``), an
optional ``end`` (``end``, ``end_time``, ``ended_at``, ``resolved_at``), a ``kind``
(``kind``, ``type``, ``event``, ``category``) and a ``text`` (``text``, ``description``,
``message``, ``title``, ``summary``); every other column is a label (``service``,
``version``, ``flag``, …).

JSON: a list of objects, or ``{"annotations": [...]}``, with the same keys; a ``labels``
object is flattened into labels and a ``tags`` list is kept as one comma-separated label.

Examples
--------
>>> from pipbench.ingest.annotations import AnnotationsReader
>>> AnnotationsReader().sniff(b"timestamp,kind,text,version\\n", None)
0.7
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, ClassVar

import orjson
import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.csv_long import _header, _pick
from pipbench.ingest.normalize import parse_timestamps, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, register_reader

__all__ = ["AnnotationsReader"]

START = ("timestamp", "time", "start", "started_at", "start_time")
END = ("end", "end_time", "ended_at", "resolved_at", "timeend")
KIND = ("kind", "type", "event", "category")
TEXT = ("text", "description", "message", "title", "summary")


def _roles(columns: list[str]) -> dict[str, str | None]:
    return {
        "start": _pick(columns, START),
        "end": _pick(columns, END),
        "kind": _pick(columns, KIND),
        "text": _pick(columns, TEXT),
    }


@register_reader
class AnnotationsReader:
    """Deploy, flag and incident annotations in CSV or JSON."""

    name: ClassVar[str] = "annotations"
    description: ClassVar[str] = "annotations (deploys, flag flips, incidents) as CSV or JSON"

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.lstrip()
        if text[:1] in (b"[", b"{"):
            window = text[:4096].lower()
            has_time = any(f'"{k}"'.encode() in window for k in START)
            has_kind = any(f'"{k}"'.encode() in window for k in KIND + TEXT)
            is_other = any(
                k in window
                for k in (
                    b'"resulttype"',
                    b'"resourcemetrics"',
                    b'"resourcespans"',
                    b'"metricdataresults"',
                    b'"metric"',
                    b'"values"',
                )
            )
            return 0.5 if has_time and has_kind and not is_other else 0.0
        cols = _header(head)
        if not cols:
            return 0.0
        roles = _roles(cols)
        lower = {c.lower() for c in cols}
        if (
            roles["start"]
            and (roles["kind"] or roles["text"])
            and not lower & {"value", "val", "_value"}
        ):
            return 0.7
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        raw = path.read_bytes()
        if raw.lstrip()[:1] in (b"[", b"{"):
            records, first_line = self._json(raw, path), None
        else:
            records, first_line = self._csv(raw, path), 2
        if not records:
            return ReadResult()
        cols = sorted({k for r in records for k in r})
        roles = _roles(cols)
        if roles["start"] is None:
            msg = "no time field"
            raise InputError(
                msg, file=path, field="timestamp", expected="one of " + ", ".join(START)
            )
        frame = pl.DataFrame(
            {c: [None if r.get(c) is None else str(r.get(c)) for r in records] for c in cols},
            schema=dict.fromkeys(cols, pl.String),
        )
        out: dict[str, Any] = {
            "timestamp": parse_timestamps(
                frame[roles["start"]], file=path, field=roles["start"], first_line=first_line
            ),
            "end": (
                parse_timestamps(
                    frame[roles["end"]], file=path, field=roles["end"], first_line=first_line
                )
                if roles["end"]
                else pl.Series([None] * frame.height, dtype=pl.Datetime("us", "UTC"))
            ),
            "kind": frame[roles["kind"]].str.to_lowercase()
            if roles["kind"]
            else pl.Series(["annotation"] * frame.height),
            "text": frame[roles["text"]]
            if roles["text"]
            else pl.Series([None] * frame.height, dtype=pl.String),
        }
        used = {v for v in roles.values() if v}
        for c in cols:
            if c not in used:
                out[sanitize_label(c, "annotations")] = frame[c]
        return ReadResult(annotations=pl.DataFrame(out))

    @staticmethod
    def _csv(raw: bytes, path: Path) -> list[dict[str, Any]]:
        text = raw.decode("utf-8-sig", errors="replace")
        first = text.splitlines()[0] if text.strip() else ""
        delim = max((",", ";", "\t"), key=first.count)
        reader = csv.reader(io.StringIO(text), delimiter=delim)
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                msg = f"{len(row)} fields where the header has {len(header)}"
                raise InputError(
                    msg, file=path, line=reader.line_num, expected=f"{len(header)} fields"
                )
            rows.append({h: (v if v != "" else None) for h, v in zip(header, row, strict=True)})
        return rows

    @staticmethod
    def _json(raw: bytes, path: Path) -> list[dict[str, Any]]:
        try:
            doc = orjson.loads(raw)
        except orjson.JSONDecodeError as err:
            msg = f"invalid JSON: {err}"
            raise InputError(
                msg,
                file=path,
                line=getattr(err, "lineno", None),
                expected="a JSON list of annotations",
            ) from None
        items = doc.get("annotations", doc.get("items")) if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            msg = "expected a list of annotation objects"
            raise InputError(msg, file=path, expected='a list or {"annotations": [...]}')
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                msg = f"annotation #{i} is not an object"
                raise InputError(msg, file=path, field=f"[{i}]", expected="an object")
            flat: dict[str, Any] = {}
            for k, v in item.items():
                if k in ("labels", "tags") and isinstance(v, dict):
                    flat.update({str(kk): vv for kk, vv in v.items()})
                elif isinstance(v, list):
                    flat[k] = ",".join(str(x) for x in v)
                elif isinstance(v, dict):
                    continue
                else:
                    flat[k] = v
            out.append(flat)
        return out
