"""Prometheus HTTP API JSON: ``query_range`` (matrix), ``query`` (vector, scalar) and bare results.

Accepts the full API envelope (``{"status": "success", "data": {"resultType": …,
"result": …}}``), the ``data`` object alone, or the bare ``result`` list that client
libraries dump. Values are strings and may be ``"NaN"``, ``"+Inf"``, ``"-Inf"``.

Native histograms (``histogram``/``histograms`` with ``{"count", "sum", "buckets":
[[boundary_rule, lower, upper, count], …]}``) become classic series: ``<name>_bucket`` with a
cumulative count per ``le`` (the bucket's upper bound, buckets sorted by it, plus ``+Inf``),
``<name>_count`` and ``<name>_sum``. Results without ``__name__`` (e.g. from ``rate(…)``)
get the metric name ``query:<file stem>``.

Examples
--------
>>> from pipbench.ingest.prometheus_json import PrometheusJSONReader
>>> PrometheusJSONReader().sniff(b'{"status":"success","data":{"resultType":"matrix"', None)
1.0
"""

from __future__ import annotations

import gc
import math
import re
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pipbench.errors import InputError
from pipbench.ingest.normalize import epoch_to_datetime, format_bound, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["PrometheusJSONReader"]


class _NativeHistogram(msgspec.Struct):
    count: str | float | None = None
    sum: str | float | None = None
    buckets: list[tuple[int, str | float, str | float, str | float]] | None = None


class _Result(msgspec.Struct):
    metric: dict[str, str] = {}
    values: list[tuple[float, str]] | None = None
    value: tuple[float, str] | None = None
    histograms: list[tuple[float, _NativeHistogram]] | None = None
    histogram: tuple[float, _NativeHistogram] | None = None


class _Data(msgspec.Struct):
    resultType: str | None = None  # noqa: N815 (the API's spelling)
    result: msgspec.Raw = msgspec.Raw(b"null")


class _Envelope(msgspec.Struct):
    status: str | None = None
    data: _Data | None = None
    errorType: str | None = None  # noqa: N815
    error: str | None = None


_SNIFF = re.compile(rb'"(resultType|values|metric|histograms?)"\s*:')


def _floats(strings: list[str] | np.ndarray) -> np.ndarray:
    """Prometheus sample strings → float64 (``NaN``, ``+Inf``, ``-Inf`` included)."""
    arr = pa.array(strings, type=pa.string()) if not isinstance(strings, pa.Array) else strings
    try:
        return pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:
        out = np.empty(len(strings), dtype="float64")
        for i, s in enumerate(strings):
            out[i] = _num(s)
        return out


@register_reader
class PrometheusJSONReader:
    """Prometheus HTTP API responses (matrix, vector, scalar, native histograms)."""

    name: ClassVar[str] = "prometheus-json"
    description: ClassVar[str] = (
        "Prometheus HTTP API JSON: query_range/query responses or bare result lists"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.lstrip()
        if text[:1] not in (b"{", b"["):
            return 0.0
        if b'"resultType"' in text[:4096]:
            return 1.0
        hits = {m.group(1) for m in _SNIFF.finditer(text[:8192])}
        if b"metric" in hits and (b"values" in hits or b"histograms" in hits):
            return 0.9
        if b"metric" in hits and (b'"value"' in text[:8192] or b"histogram" in hits):
            return 0.8
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        raw = path.read_bytes()
        gc_was = gc.isenabled()
        gc.disable()  # decoding millions of small objects: the collector is most of the time
        try:
            results, result_type = self._decode(raw, path)
        except UnicodeDecodeError:
            raise _utf8_error(raw, path) from None
        finally:
            if gc_was:
                gc.enable()
        fallback = "query:" + re.sub(r"[^A-Za-z0-9_:]", "_", path.stem)
        skipped: list[Skip] = []
        if result_type == "scalar":
            return self._scalar(results, fallback)
        if result_type == "string":
            return ReadResult(skipped=[Skip("a string result holds no metric values")])
        return self._series(results, fallback, skipped)

    # ----------------------------------------------------------------------
    def _decode(self, raw: bytes, path: Path) -> tuple[Any, str | None]:
        stripped = raw.lstrip()
        try:
            if stripped[:1] == b"[":
                return msgspec.json.decode(raw, type=list[_Result]), "matrix"
            env = msgspec.json.decode(raw, type=_Envelope)
        except msgspec.ValidationError as err:
            return self._decode_untyped(raw, path, err)
        except msgspec.DecodeError as err:
            raise _decode_error(raw, path, err) from None
        if env.status == "error":
            msg = f"the file is a Prometheus error response: {env.errorType}: {env.error}"
            raise InputError(msg, file=path, field="status", expected='"success"')
        data = env.data
        if data is None:
            # Maybe the `data` object itself.
            try:
                data = msgspec.json.decode(raw, type=_Data)
            except msgspec.ValidationError as err:
                msg = f"unexpected structure: {err}"
                raise InputError(msg, file=path, expected="a Prometheus API response") from None
        if bytes(data.result).strip() == b"null":
            msg = "no `result` in the response"
            raise InputError(
                msg,
                file=path,
                field="data.result",
                expected="a list of series or a [time, value] pair",
            )
        if data.resultType in ("scalar", "string"):
            try:
                return msgspec.json.decode(data.result), data.resultType
            except msgspec.DecodeError as err:  # e.g. a number out of range
                msg = f"unexpected value: {err}"
                raise InputError(
                    msg, file=path, field="data.result", expected="[time, value]"
                ) from None
        try:
            return msgspec.json.decode(data.result, type=list[_Result]), data.resultType
        except msgspec.ValidationError as err:
            field = re.search(r"at `([^`]*)`", str(err))
            msg = f"unexpected value: {err}"
            raise InputError(
                msg,
                file=path,
                field="data.result" + (field.group(1).removeprefix("$") if field else ""),
                expected="the Prometheus API schema",
            ) from None

    def _decode_untyped(self, raw: bytes, path: Path, err: Exception) -> tuple[Any, str | None]:
        # Scalars/strings have `result: [t, "v"]`, which the typed schema rejects.
        try:
            obj = msgspec.json.decode(raw)
        except msgspec.DecodeError as derr:
            raise _decode_error(raw, path, derr) from None
        data = obj.get("data", obj) if isinstance(obj, dict) else None
        if isinstance(data, dict) and data.get("resultType") in ("scalar", "string"):
            return data.get("result"), data["resultType"]
        field = re.search(r"at `([^`]*)`", str(err))
        msg = f"unexpected value: {err}"
        raise InputError(
            msg,
            file=path,
            field=field.group(1) if field else None,
            expected="the Prometheus API schema",
        ) from None

    def _scalar(self, result: Any, name: str) -> ReadResult:
        if not (isinstance(result, list) and len(result) == 2):
            msg = "a scalar result must be [time, value]"
            raise InputError(msg, field="data.result")
        ts = epoch_to_datetime([_num(result[0])], unit="s")
        frame = pl.DataFrame({"timestamp": ts, "metric": [name], "value": [_num(result[1])]})
        return ReadResult(samples=frame)

    def _series(self, results: list[_Result], fallback: str, skipped: list[Skip]) -> ReadResult:
        metrics: list[str] = []
        lengths: list[int] = []
        label_rows: list[dict[str, str]] = []
        ts_parts: list[np.ndarray] = []
        val_parts: list[Any] = []
        unnamed = 0
        for r in results:
            labels = {sanitize_label(k): v for k, v in r.metric.items() if k != "__name__"}
            name = r.metric.get("__name__")
            if name is None:
                unnamed += 1
                name = fallback
            pts = r.values if r.values is not None else ([r.value] if r.value is not None else [])
            if pts:
                t, v = zip(*pts, strict=True)
                ts_parts.append(np.asarray(t, dtype="float64"))
                val_parts.append(v)
                metrics.append(name)
                lengths.append(len(pts))
                label_rows.append(labels)
            hist = (
                r.histograms if r.histograms is not None else ([r.histogram] if r.histogram else [])
            )
            if hist:
                for m, lab, t_arr, v_arr in _native_to_classic(name, labels, hist):
                    ts_parts.append(t_arr)
                    val_parts.append(v_arr)
                    metrics.append(m)
                    lengths.append(len(t_arr))
                    label_rows.append(lab)
            if not pts and not hist:
                skipped.append(Skip("series with no points"))
        if not ts_parts:
            return ReadResult(skipped=skipped)
        counts = np.asarray(lengths)
        ts = np.concatenate(ts_parts)
        strings = [v for part in val_parts if isinstance(part, tuple) for v in part]
        if len(strings) == len(ts):
            values = _floats(strings)
        else:  # mixed string and numeric parts (native histograms give floats)
            values = np.concatenate(
                [
                    _floats(list(p)) if isinstance(p, tuple) else np.asarray(p, dtype="float64")
                    for p in val_parts
                ]
            )
        series_idx = np.repeat(np.arange(len(counts)), counts)
        keys = sorted({k for row in label_rows for k in row})
        cols: dict[str, Any] = {
            "timestamp": epoch_to_datetime(ts, unit="s"),
            "metric": pl.Series(metrics, dtype=pl.String).gather(series_idx),
            "value": values,
        }
        for k in keys:
            cols[k] = pl.Series([row.get(k) for row in label_rows], dtype=pl.String).gather(
                series_idx
            )
        notes = [f"{unnamed} series had no __name__: named {fallback!r}"] if unnamed else []
        return ReadResult(samples=pl.DataFrame(cols), skipped=skipped, notes=notes)


def _num(x: str | float | None) -> float:
    if x is None:
        return math.nan
    try:
        return float(x)
    except (TypeError, ValueError):
        msg = f"sample value {x!r} is not a number"
        raise InputError(
            msg, field="value", expected='a float string ("1.5", "NaN", "+Inf")'
        ) from None


def _native_to_classic(
    name: str, labels: dict[str, str], hist: list[tuple[float, _NativeHistogram]]
) -> list[tuple[str, dict[str, str], np.ndarray, np.ndarray]]:
    """Native histogram points → cumulative ``le`` bucket series plus ``_count``/``_sum``."""
    per_le: dict[float, tuple[list[float], list[float]]] = {}
    t_all: list[float] = []
    counts: list[float] = []
    sums: list[float] = []
    for t, h in hist:
        t_all.append(float(t))
        counts.append(_num(h.count))
        sums.append(_num(h.sum))
        buckets = sorted(
            ((_num(u), _num(c)) for _, _, u, c in (h.buckets or [])), key=lambda b: b[0]
        )
        cum = 0.0
        seen: dict[float, float] = {}
        for upper, c in buckets:
            cum += c
            seen[upper] = cum
        seen[math.inf] = _num(h.count)
        for le, c in seen.items():
            per_le.setdefault(le, ([], []))
            per_le[le][0].append(float(t))
            per_le[le][1].append(c)
    base = name[: -len("_bucket")] if name.endswith("_bucket") else name
    out: list[tuple[str, dict[str, str], np.ndarray, np.ndarray]] = []
    for le, (ts, vs) in sorted(per_le.items()):
        out.append(
            (f"{base}_bucket", {**labels, "le": format_bound(le)}, np.asarray(ts), np.asarray(vs))
        )
    out.append((f"{base}_count", labels, np.asarray(t_all), np.asarray(counts)))
    out.append((f"{base}_sum", labels, np.asarray(t_all), np.asarray(sums)))
    return out


def _decode_error(raw: bytes, path: Path, err: Exception) -> InputError:
    text = str(err)
    m = re.search(r"char (\d+)", text)
    line = raw.count(b"\n", 0, int(m.group(1))) + 1 if m else None
    if not raw.strip():
        return InputError("the file is empty", file=path, expected="JSON")
    if "truncated" in text.lower():
        return InputError(
            "truncated JSON (the file ends mid-document)",
            file=path,
            line=line,
            expected="a complete JSON document",
        )
    return InputError(f"invalid JSON: {text}", file=path, line=line, expected="JSON")


def _utf8_error(raw: bytes, path: Path) -> InputError:
    """Name the line of the first byte that is not UTF-8."""
    line: int | None = None
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
    return InputError("the file is not UTF-8 text", file=path, line=line, expected="UTF-8 JSON")
