"""Grafana annotations as the HTTP API returns them (``GET /api/annotations``).

What it reads
-------------
A JSON array of annotation objects — ``time`` and ``timeEnd`` in epoch milliseconds,
``text`` (may hold HTML), ``tags``, ``dashboardUID``, ``panelId``, ``alertId``,
``newState``/``prevState`` for alert state changes, ``login`` — or an object holding such
an array under ``annotations`` (some export scripts wrap it).

Rules
-----
- One annotation row per object: ``timestamp`` = ``time``; ``end`` = ``timeEnd`` for a
  region (null when it equals ``time``); ``text`` with HTML tags removed.
- ``kind`` comes from the tags (the first of ``deploy``/``deployment``/``release`` →
  ``deploy``, ``rollback``, ``flag``/``feature-flag``/``feature_flag`` → ``flag``,
  ``incident``/``outage`` → ``incident``, ``maintenance``, ``config``), ``alert`` for an
  alert state change (its text says ``prevState → newState``), else ``annotation``.
- Labels: ``tags`` (comma-joined), ``dashboard_uid``, ``panel_id``, ``user``, ``id``.

Examples
--------
>>> from pipbench.ingest.grafana_annotations import GrafanaAnnotationsReader
>>> GrafanaAnnotationsReader().sniff(
...     b'[{"id": 1, "dashboardUID": "x", "panelId": 2, "time": 1507266395000, "text": "v2"}]', None)
1.0
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.normalize import epoch_to_datetime
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["GrafanaAnnotationsReader"]

_KINDS = {
    "deploy": "deploy",
    "deployment": "deploy",
    "release": "deploy",
    "rollback": "rollback",
    "flag": "flag",
    "feature-flag": "flag",
    "feature_flag": "flag",
    "incident": "incident",
    "outage": "incident",
    "maintenance": "maintenance",
    "config": "config",
}
_HTML = re.compile(r"<[^>]+>")


@register_reader
class GrafanaAnnotationsReader:
    """Grafana ``/api/annotations`` JSON (point and region annotations, alert states)."""

    name: ClassVar[str] = "grafana-annotations"
    description: ClassVar[str] = "Grafana annotations JSON (GET /api/annotations) → annotations"

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.lstrip()[:8192]
        if text[:1] not in (b"[", b"{"):
            return 0.0
        if not (b'"time"' in text and b'"text"' in text):
            return 0.0
        hits = sum(
            k in text
            for k in (b'"dashboardUID"', b'"timeEnd"', b'"alertId"', b'"panelId"', b'"tags"')
        )
        return 1.0 if hits >= 2 else (0.6 if hits else 0.0)

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        raw = path.read_bytes()
        try:
            doc = msgspec.json.decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError) as err:
            m = re.search(r"char (\d+)", str(err))
            line = raw.count(b"\n", 0, int(m.group(1))) + 1 if m else None
            msg = f"invalid JSON: {err}"
            raise InputError(
                msg, file=path, line=line, expected="Grafana annotations JSON"
            ) from None
        items = doc.get("annotations") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            msg = "expected a list of annotations"
            raise InputError(msg, file=path, expected="[{time, timeEnd, text, tags…}]")
        rows: list[dict[str, Any]] = []
        no_time = 0
        for i, a in enumerate(items):
            if not isinstance(a, dict):
                msg = f"annotation {i} is not an object"
                raise InputError(msg, file=path, field=f"[{i}]", expected="an object")
            t = a.get("time")
            if not isinstance(t, (int, float)) or isinstance(t, bool):
                no_time += 1
                continue
            end = a.get("timeEnd")
            if not isinstance(end, (int, float)) or isinstance(end, bool) or end == t:
                end = None
            tags = a.get("tags") or []
            if not isinstance(tags, list):
                tags = [tags]
            tags = [str(x) for x in tags]
            kind = next((_KINDS[x.lower()] for x in tags if x.lower() in _KINDS), None)
            text = _HTML.sub("", str(a.get("text") or "")).strip()
            if kind is None and (a.get("alertId") or a.get("newState")):
                kind = "alert"
                if a.get("newState"):
                    state = f"{a.get('prevState') or '?'} → {a.get('newState')}"
                    text = f"{state}: {text}" if text else state
            rows.append(
                {
                    "t": float(t),
                    "e": None if end is None else float(end),
                    "kind": kind or "annotation",
                    "text": text,
                    "tags": ",".join(tags) or None,
                    "dashboard_uid": _str(a.get("dashboardUID")),
                    "panel_id": _str(a.get("panelId") or None),
                    "user": _str(a.get("login")),
                    "id": _str(a.get("id")),
                }
            )
        skipped = [Skip("annotation without a numeric time", no_time)] if no_time else []
        if not rows:
            return ReadResult(skipped=skipped)
        frame = pl.DataFrame(rows, infer_schema_length=None)
        frame = frame.with_columns(
            epoch_to_datetime(frame["t"], unit="ms", file=path, field="time").alias("timestamp"),
            epoch_to_datetime(
                frame["e"].fill_null(float("nan")), unit="ms", file=path, field="timeEnd"
            ).alias("end"),
        ).drop("t", "e")
        frame = frame.select(
            c
            for c in frame.columns
            if c in ("timestamp", "end", "kind", "text") or frame[c].null_count() < frame.height
        )
        return ReadResult(annotations=frame, skipped=skipped)


def _str(v: Any) -> str | None:
    return None if v is None or v == "" else str(v)
