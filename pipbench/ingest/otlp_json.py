"""OpenTelemetry OTLP/JSON: metrics → samples, traces and logs → events.

Reads an ``ExportMetricsServiceRequest`` / ``ExportTraceServiceRequest`` /
``ExportLogsServiceRequest`` in the OTLP/JSON encoding, one document or one per line (the
collector's file exporter). Field names may be lowerCamelCase (the spec) or snake_case;
enums may be numbers or names; uint64 fields arrive as strings; ids are hex of either case.

Conversions (the Prometheus-compatible form the dataset stores):

- names and attribute keys: ``.`` and other non ``[A-Za-z0-9_:]`` characters become ``_``
  (``http.route`` → ``http_route``); resource attributes become labels too
  (``service.name`` → ``service_name``);
- gauge → samples; sum → samples, delta temporality accumulated to cumulative per series;
- histogram → ``<name>_bucket`` (cumulative counts per ``le``, ``+Inf`` = count),
  ``<name>_count``, ``<name>_sum``; delta histograms accumulated;
- exponential histogram → the same classic form, with bucket upper bounds
  ``base**(index + 1)``, ``base = 2**(2**-scale)`` (negative buckets mirrored, the zero
  bucket at ``zeroThreshold``);
- summary → ``<name>{quantile=…}``, ``<name>_count``, ``<name>_sum``;
- spans → one event each: start time, duration, name, status (``ok``/``error``/``unset``),
  ``ok`` false only for ``STATUS_CODE_ERROR``, ids lower-cased, span kind, attributes;
- log records → one event each (``name="log"``, severity as status, body as a label).

Examples
--------
>>> from pipbench.ingest.otlp_json import exponential_bounds
>>> exponential_bounds(scale=0, offset=0, n=3)
[2.0, 4.0, 8.0]
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import orjson
import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.normalize import epoch_to_datetime, format_bound, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["OTLPJSONReader", "exponential_bounds"]

_ROOTS = (
    b'"resourceMetrics"',
    b'"resourceSpans"',
    b'"resourceLogs"',
    b'"resource_metrics"',
    b'"resource_spans"',
    b'"resource_logs"',
)
_BAD = re.compile(r"[^A-Za-z0-9_:]")
_SNAKE = re.compile(r"_([a-z])")

_TEMPORALITY_DELTA = {1, "AGGREGATION_TEMPORALITY_DELTA"}
_STATUS = {
    0: "unset",
    1: "ok",
    2: "error",
    "STATUS_CODE_UNSET": "unset",
    "STATUS_CODE_OK": "ok",
    "STATUS_CODE_ERROR": "error",
}
_KIND = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


def _camel(obj: Any) -> Any:
    """Normalise snake_case keys to the spec's lowerCamelCase, recursively."""
    if isinstance(obj, dict):
        return {
            (_SNAKE.sub(lambda m: m.group(1).upper(), k) if "_" in k else k): _camel(v)
            for k, v in obj.items()
        }
    if isinstance(obj, list):
        return [_camel(v) for v in obj]
    return obj


def _name(s: str) -> str:
    return _BAD.sub("_", s)


def _any_value(v: Any) -> str | None:
    if not isinstance(v, dict) or not v:
        return None
    if "stringValue" in v:
        return str(v["stringValue"])
    if "intValue" in v:
        return str(int(v["intValue"]))
    if "doubleValue" in v:
        return repr(float(v["doubleValue"]))
    if "boolValue" in v:
        return "true" if v["boolValue"] else "false"
    if "arrayValue" in v:
        items = [_any_value(x) for x in (v["arrayValue"] or {}).get("values", [])]
        return "[" + ",".join(i or "" for i in items) + "]"
    if "kvlistValue" in v:
        kv = (v["kvlistValue"] or {}).get("values", [])
        return "{" + ",".join(f"{x.get('key')}={_any_value(x.get('value'))}" for x in kv) + "}"
    if "bytesValue" in v:
        return str(v["bytesValue"])
    return None


def _attrs(items: Any, table: str = "samples") -> dict[str, str]:
    out: dict[str, str] = {}
    for kv in items or []:
        key = kv.get("key")
        if key is None:
            continue
        val = _any_value(kv.get("value"))
        if val is not None:
            out[sanitize_label(_name(key), table)] = val
    return out


def _num(x: Any) -> float:
    if x is None:
        return math.nan
    if isinstance(x, str):
        if x in ("NaN", "Infinity", "-Infinity"):
            return float(x.replace("Infinity", "inf"))
        return float(x)
    return float(x)


def _ns(x: Any) -> float:
    return float(int(x)) if x not in (None, "") else math.nan


def exponential_bounds(*, scale: int, offset: int, n: int) -> list[float]:
    """Upper bounds of ``n`` exponential-histogram buckets starting at index ``offset``.

    Bucket ``i`` holds values in ``(base**i, base**(i + 1)]`` with ``base = 2**(2**-scale)``
    (the OTLP data model).
    """
    base = 2.0 ** (2.0**-scale)
    return [base ** (offset + k + 1) for k in range(n)]


class _Rows:
    """Column builder for sample rows (one dict of labels per series, points appended)."""

    def __init__(self) -> None:
        self.ts: list[float] = []
        self.val: list[float] = []
        self.series: list[int] = []
        self.index: dict[tuple[str, tuple[tuple[str, str], ...]], int] = {}
        self.names: list[str] = []
        self.labels: list[dict[str, str]] = []

    def add(self, metric: str, labels: dict[str, str], t_ns: float, value: float) -> None:
        key = (metric, tuple(sorted(labels.items())))
        sid = self.index.get(key)
        if sid is None:
            sid = self.index[key] = len(self.names)
            self.names.append(metric)
            self.labels.append(labels)
        self.ts.append(t_ns)
        self.val.append(value)
        self.series.append(sid)

    def frame(self) -> pl.DataFrame | None:
        if not self.ts:
            return None
        idx = np.asarray(self.series)
        cols: dict[str, Any] = {
            "timestamp": epoch_to_datetime(np.asarray(self.ts), unit="ns", field="timeUnixNano"),
            "metric": pl.Series(self.names, dtype=pl.String).gather(idx),
            "value": np.asarray(self.val, dtype="float64"),
        }
        for k in sorted({k for lab in self.labels for k in lab}):
            cols[k] = pl.Series([lab.get(k) for lab in self.labels], dtype=pl.String).gather(idx)
        return pl.DataFrame(cols)


def _documents(raw: bytes, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        # The collector's file exporter writes one request per line.
        if len(raw.splitlines()) < 2:
            raise _json_error(raw, path, err) from None
        yield from _lines(raw, path)
        return
    items = doc if isinstance(doc, list) else [doc]
    for item in items:
        if not isinstance(item, dict):
            msg = "the document is not a JSON object"
            raise InputError(msg, file=path, expected="an OTLP/JSON export request")
        yield 1, item


def _lines(raw: bytes, path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    for i, line in enumerate(raw.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as err:
            msg = f"invalid JSON: {err}"
            raise InputError(
                msg, file=path, line=i, expected="one OTLP/JSON request per line"
            ) from None
        if not isinstance(obj, dict):
            msg = "a line is not a JSON object"
            raise InputError(msg, file=path, line=i, expected="an OTLP/JSON export request")
        yield i, obj


def _json_error(raw: bytes, path: Path, err: Exception) -> InputError:
    m = re.search(r"line (\d+)", str(err))
    line = int(m.group(1)) if m else None
    kind = "truncated JSON" if "EOF" in str(err) or "end of" in str(err).lower() else "invalid JSON"
    msg = f"{kind}: {err}"
    return InputError(msg, file=path, line=line, expected="an OTLP/JSON export request")


@register_reader
class OTLPJSONReader:
    """OTLP/JSON metrics, traces and logs."""

    name: ClassVar[str] = "otlp-json"
    description: ClassVar[str] = (
        "OpenTelemetry OTLP/JSON metrics, traces and logs (also one request per line)"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.lstrip()[:8192]
        if text[:1] not in (b"{", b"["):
            return 0.0
        return 1.0 if any(r in text for r in _ROOTS) else 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        rows = _Rows()
        events: list[dict[str, Any]] = []
        skipped: list[Skip] = []
        for line, doc in _documents(path.read_bytes(), path):
            doc = _camel(doc)
            try:
                for rm in doc.get("resourceMetrics") or []:
                    self._metrics(rm, rows, skipped)
                for rs in doc.get("resourceSpans") or []:
                    self._spans(rs, events)
                for rl in doc.get("resourceLogs") or []:
                    self._logs(rl, events)
            except (TypeError, ValueError, AttributeError, OverflowError) as err:
                msg = f"unexpected value in the OTLP document: {type(err).__name__}: {err}"
                raise InputError(
                    msg, file=path, line=line, expected="the OTLP/JSON schema"
                ) from None
        ev = None
        if events:
            ev = self._event_frame(events)
        return ReadResult(samples=rows.frame(), events=ev, skipped=skipped)

    # ------------------------------------------------------------------ metrics
    def _metrics(self, rm: dict[str, Any], rows: _Rows, skipped: list[Skip]) -> None:
        res = _attrs((rm.get("resource") or {}).get("attributes"))
        scopes = rm.get("scopeMetrics") or rm.get("instrumentationLibraryMetrics") or []
        for sm in scopes:
            for m in sm.get("metrics") or []:
                name = _name(m.get("name") or "unnamed")
                if "gauge" in m:
                    for dp in (m["gauge"] or {}).get("dataPoints") or []:
                        self._number(name, res, dp, rows, skipped)
                elif "sum" in m:
                    body = m["sum"] or {}
                    delta = body.get("aggregationTemporality") in _TEMPORALITY_DELTA
                    points = body.get("dataPoints") or []
                    if delta:
                        points = _accumulate(points, ("asDouble", "asInt"))
                    for dp in points:
                        self._number(name, res, dp, rows, skipped)
                elif "histogram" in m:
                    body = m["histogram"] or {}
                    for dp in _maybe_accumulate_hist(body):
                        self._histogram(name, res, dp, rows, skipped)
                elif "exponentialHistogram" in m:
                    body = m["exponentialHistogram"] or {}
                    for dp in body.get("dataPoints") or []:
                        self._exp_histogram(name, res, dp, rows, skipped)
                elif "summary" in m:
                    for dp in (m["summary"] or {}).get("dataPoints") or []:
                        self._summary(name, res, dp, rows)
                else:
                    skipped.append(Skip(f"metric {name!r} has no data of a known type"))

    @staticmethod
    def _number(
        name: str, res: dict[str, str], dp: dict[str, Any], rows: _Rows, skipped: list[Skip]
    ) -> None:
        if dp.get("flags", 0) and int(dp["flags"]) & 1:
            skipped.append(Skip("data point flagged 'no recorded value'"))
            return
        value = dp.get("asDouble", dp.get("asInt"))
        if value is None:
            skipped.append(Skip(f"data point of {name!r} without a value"))
            return
        rows.add(
            name, {**res, **_attrs(dp.get("attributes"))}, _ns(dp.get("timeUnixNano")), _num(value)
        )

    @staticmethod
    def _histogram(
        name: str, res: dict[str, str], dp: dict[str, Any], rows: _Rows, skipped: list[Skip]
    ) -> None:
        labels = {**res, **_attrs(dp.get("attributes"))}
        t = _ns(dp.get("timeUnixNano"))
        counts = [_num(c) for c in dp.get("bucketCounts") or []]
        bounds = [_num(b) for b in dp.get("explicitBounds") or []]
        count = _num(dp.get("count"))
        if counts and len(counts) != len(bounds) + 1:
            skipped.append(
                Skip(f"histogram {name!r}: {len(counts)} bucket counts for {len(bounds)} bounds")
            )
            return
        cum = np.cumsum(counts) if counts else np.asarray([])
        for le, c in zip(bounds, cum[:-1], strict=False):
            rows.add(f"{name}_bucket", {**labels, "le": format_bound(le)}, t, float(c))
        rows.add(f"{name}_bucket", {**labels, "le": "+Inf"}, t, count)
        rows.add(f"{name}_count", labels, t, count)
        if dp.get("sum") is not None:
            rows.add(f"{name}_sum", labels, t, _num(dp["sum"]))

    @staticmethod
    def _exp_histogram(
        name: str, res: dict[str, str], dp: dict[str, Any], rows: _Rows, skipped: list[Skip]
    ) -> None:
        labels = {**res, **_attrs(dp.get("attributes"))}
        t = _ns(dp.get("timeUnixNano"))
        scale = int(dp.get("scale", 0))
        base = 2.0 ** (2.0**-scale)
        buckets: list[tuple[float, float]] = []
        neg = dp.get("negative") or {}
        ncounts = [_num(c) for c in neg.get("bucketCounts") or []]
        noff = int(neg.get("offset", 0))
        # Negative bucket i holds [-base**(i+1), -base**i): its upper bound is -base**i.
        for k in reversed(range(len(ncounts))):
            buckets.append((-(base ** (noff + k)), ncounts[k]))
        zero = _num(dp.get("zeroCount", 0))
        zt = _num(dp.get("zeroThreshold", 0.0))
        buckets.append((zt if not math.isnan(zt) else 0.0, zero))
        pos = dp.get("positive") or {}
        pcounts = [_num(c) for c in pos.get("bucketCounts") or []]
        bounds = exponential_bounds(scale=scale, offset=int(pos.get("offset", 0)), n=len(pcounts))
        buckets.extend(zip(bounds, pcounts, strict=True))
        cum = 0.0
        for le, c in buckets:
            cum += c
            rows.add(f"{name}_bucket", {**labels, "le": format_bound(le)}, t, cum)
        count = _num(dp.get("count"))
        rows.add(f"{name}_bucket", {**labels, "le": "+Inf"}, t, count)
        rows.add(f"{name}_count", labels, t, count)
        if dp.get("sum") is not None:
            rows.add(f"{name}_sum", labels, t, _num(dp["sum"]))

    @staticmethod
    def _summary(name: str, res: dict[str, str], dp: dict[str, Any], rows: _Rows) -> None:
        labels = {**res, **_attrs(dp.get("attributes"))}
        t = _ns(dp.get("timeUnixNano"))
        for qv in dp.get("quantileValues") or []:
            q = _num(qv.get("quantile", 0.0))
            rows.add(name, {**labels, "quantile": format_bound(q)}, t, _num(qv.get("value")))
        rows.add(f"{name}_count", labels, t, _num(dp.get("count")))
        rows.add(f"{name}_sum", labels, t, _num(dp.get("sum")))

    # ------------------------------------------------------------ traces, logs
    @staticmethod
    def _spans(rs: dict[str, Any], events: list[dict[str, Any]]) -> None:
        res = _attrs((rs.get("resource") or {}).get("attributes"), "events")
        scopes = rs.get("scopeSpans") or rs.get("instrumentationLibrarySpans") or []
        for ss in scopes:
            for sp in ss.get("spans") or []:
                start = _ns(sp.get("startTimeUnixNano"))
                end = _ns(sp.get("endTimeUnixNano"))
                status = sp.get("status") or {}
                code = _STATUS.get(status.get("code", 0), "unset")
                kind = sp.get("kind", 0)
                row = {
                    **res,
                    **_attrs(sp.get("attributes"), "events"),
                    "t_ns": start,
                    "duration_s": (end - start) / 1e9,
                    "name": sp.get("name"),
                    "status": code,
                    "ok": code != "error",
                    "trace_id": (sp.get("traceId") or "").lower() or None,
                    "span_id": (sp.get("spanId") or "").lower() or None,
                    "parent_span_id": (sp.get("parentSpanId") or "").lower() or None,
                    "span_kind": _KIND.get(kind, str(kind).removeprefix("SPAN_KIND_").lower()),
                }
                if status.get("message"):
                    row["status_message"] = status["message"]
                events.append(row)

    @staticmethod
    def _logs(rl: dict[str, Any], events: list[dict[str, Any]]) -> None:
        res = _attrs((rl.get("resource") or {}).get("attributes"), "events")
        scopes = rl.get("scopeLogs") or rl.get("instrumentationLibraryLogs") or []
        for sl in scopes:
            for lr in sl.get("logRecords") or []:
                t = _ns(lr.get("timeUnixNano"))
                if not t or math.isnan(t):
                    t = _ns(lr.get("observedTimeUnixNano"))
                sev = int(lr.get("severityNumber", 0) or 0)
                events.append(
                    {
                        **res,
                        **_attrs(lr.get("attributes"), "events"),
                        "t_ns": t,
                        "duration_s": None,
                        "name": "log",
                        "status": lr.get("severityText") or (str(sev) if sev else None),
                        "ok": sev < 17,  # 17–24 are ERROR and FATAL
                        "body": _any_value(lr.get("body")),
                        "trace_id": (lr.get("traceId") or "").lower() or None,
                        "span_id": (lr.get("spanId") or "").lower() or None,
                    }
                )

    @staticmethod
    def _event_frame(events: list[dict[str, Any]]) -> pl.DataFrame:
        keys = sorted({k for e in events for k in e} - {"t_ns", "duration_s", "ok"})
        cols: dict[str, Any] = {
            "timestamp": epoch_to_datetime(
                np.asarray([e["t_ns"] for e in events]), unit="ns", field="startTimeUnixNano"
            ),
            "duration_s": pl.Series([e.get("duration_s") for e in events], dtype=pl.Float64),
            "ok": pl.Series([e.get("ok") for e in events], dtype=pl.Boolean),
        }
        for k in keys:
            cols[k] = pl.Series(
                [None if e.get(k) is None else str(e.get(k)) for e in events], dtype=pl.String
            )
        return pl.DataFrame(cols)


def _series_key(dp: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(_attrs(dp.get("attributes")).items()))


def _accumulate(points: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """Delta sum points → cumulative, per attribute set, in time order."""
    by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for dp in points:
        by[_series_key(dp)].append(dp)
    out = []
    for pts in by.values():
        total = 0.0
        for dp in sorted(pts, key=lambda d: _ns(d.get("timeUnixNano"))):
            field = next((f for f in fields if f in dp), None)
            if field is None:
                out.append(dp)
                continue
            total += _num(dp[field])
            out.append(
                {**dp, "asDouble": total, "asInt": None}
                if field == "asInt"
                else {**dp, field: total}
            )
    return out


def _maybe_accumulate_hist(body: dict[str, Any]) -> list[dict[str, Any]]:
    points = body.get("dataPoints") or []
    if body.get("aggregationTemporality") not in _TEMPORALITY_DELTA:
        return points
    by: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for dp in points:
        by[(_series_key(dp), tuple(dp.get("explicitBounds") or []))].append(dp)
    out = []
    for pts in by.values():
        count = total = 0.0
        buckets: np.ndarray | None = None
        for dp in sorted(pts, key=lambda d: _ns(d.get("timeUnixNano"))):
            bc = np.asarray([_num(c) for c in dp.get("bucketCounts") or []])
            buckets = bc if buckets is None or buckets.shape != bc.shape else buckets + bc
            count += _num(dp.get("count"))
            total += _num(dp.get("sum", 0.0))
            out.append({**dp, "bucketCounts": buckets.tolist(), "count": count, "sum": total})
    return out
