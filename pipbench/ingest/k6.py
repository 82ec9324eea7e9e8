"""k6 results: ``--out json`` (NDJSON), ``--out csv``, and end-of-test summaries.

What it reads
-------------
- ``k6 run --out json=results.json``: one JSON object per line (NDJSON, whatever the file
  is called): ``{"type":"Metric",…}`` declarations and ``{"type":"Point","metric":…,
  "data":{"time":…,"value":…,"tags":{…}}}`` points; times are RFC 3339 with nanoseconds
  and offsets (``2017-05-09T14:34:45.625742514+02:00``).
- ``k6 run --out csv=results.csv``: ``metric_name,timestamp,metric_value,check,error,…,
  extra_tags,metadata`` with unix-second (or RFC 3339) timestamps; ``extra_tags`` is
  ``k=v&k2=v2``.
- ``handleSummary`` JSON (``JSON.stringify(data)``): ``metrics.<name>.{type, contains,
  values, thresholds: {expr: {ok}}}``, and the legacy ``--summary-export`` JSON:
  ``metrics.<name>.{avg, min, …, passes, fails, value, thresholds: {expr: bool}}``.

Rules
-----
- Every ``http_req_duration`` point is one request: it goes to ``events`` with
  ``timestamp`` = the point's time minus the duration (k6 stamps request metrics at the
  request's end), ``duration_s``, ``name`` (the ``name`` tag, which k6 sets to the URL by
  default), ``status``, ``ok`` (the ``expected_response`` tag when present, else a status
  from 1 to 399) and the other tags as labels. Every other point is a sample of its metric
  (``http_reqs``, ``vus``, ``iteration_duration``, ``checks``, …) with its tags as labels;
  k6's values are kept in k6's units (milliseconds for time metrics).
- Summaries become samples at the ingest time (``--at``; a summary carries no date): one
  per metric and statistic, labelled ``stat`` (``avg``, ``min``, ``med``, ``max``,
  ``p(95)``, ``count``, ``rate``, ``value``…); submetrics such as
  ``http_req_duration{expected_response:true}`` become labels. For rate metrics both
  summary kinds count non-zero values as ``passes`` and zeros as ``fails`` — so for
  ``http_req_failed`` "passes" are *failed* requests; pipbench writes them as
  ``stat="nonzero"`` and ``stat="zero"`` plus ``stat="rate"``. Thresholds become
  ``k6_threshold_ok`` (1 = passed) labelled ``k6_metric`` and ``threshold``; the legacy
  export's booleans mean "failed" and are inverted. Checks become ``k6_check_passes`` /
  ``k6_check_fails`` labelled ``check`` and ``group``.

Examples
--------
>>> from pipbench.ingest.k6 import K6Reader
>>> K6Reader().sniff(b'{"type":"Point","data":{"time":"2026-01-01T00:00:00Z","value":1},'
...                  b'"metric":"vus"}\\n', None)
1.0
"""

from __future__ import annotations

import gc
import re
from pathlib import Path
from typing import Any, ClassVar

import msgspec
import polars as pl

from pipbench.errors import InputError
from pipbench.ingest._tabular import head_text, read_strings, require_columns, to_float
from pipbench.ingest.normalize import parse_timestamps, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["K6Reader"]

_REQUEST_METRIC = "http_req_duration"
_CHUNK_LINES = 200_000


class _Data(msgspec.Struct):
    time: str | None = None
    value: float | None = None
    tags: dict[str, str] | None = None  # k6 writes every tag value as a string


class _Line(msgspec.Struct):
    type: str = ""
    metric: str = ""
    data: _Data | None = None


class _AnyData(msgspec.Struct):
    time: str | None = None
    value: float | None = None
    tags: dict[str, Any] | None = None


class _AnyLine(msgspec.Struct):
    type: str = ""
    metric: str = ""
    data: _AnyData | None = None


_lines_decoder = msgspec.json.Decoder(list[_Line])
_line_decoder = msgspec.json.Decoder(_Line)
_any_line_decoder = msgspec.json.Decoder(_AnyLine)


def _decode_line(line: bytes) -> _Line:
    """One line; tag values that are not strings (hand-made files) are turned into strings."""
    try:
        return _line_decoder.decode(line)
    except msgspec.ValidationError:
        loose = _any_line_decoder.decode(line)
        data = loose.data
        if data is None:
            return _Line(loose.type, loose.metric, None)
        tags = None
        if data.tags is not None:
            tags = {
                k: v if isinstance(v, str) else msgspec.json.encode(v).decode()
                for k, v in data.tags.items()
            }
        return _Line(loose.type, loose.metric, _Data(data.time, data.value, tags))


@register_reader
class K6Reader:
    """k6 ``--out json`` / ``--out csv`` results and end-of-test summary JSON."""

    name: ClassVar[str] = "k6"
    description: ClassVar[str] = (
        "k6 --out json (NDJSON) and --out csv results; handleSummary / --summary-export JSON"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        lines = head_text(head, 5)
        if not lines:
            return 0.0
        first = lines[0].lstrip()
        if first.startswith("{") and re.search(r'"type"\s*:\s*"(Point|Metric)"', first):
            return 1.0
        if first.startswith("metric_name,timestamp,metric_value"):
            return 1.0
        text = head[:65536]
        if b'"metrics"' in text and (
            b'"root_group"' in text or b'"testRunDurationMs"' in text or b'"setup_data"' in text
        ):
            return 0.95
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        with open(path, "rb") as fh:
            head = fh.read(4096)
        first = head_text(head, 1)
        start = first[0].lstrip() if first else ""
        if start.startswith("metric_name,"):
            return self._read_csv(path)
        if start.startswith("{") and re.search(r'"type"\s*:\s*"(Point|Metric)"', start):
            return self._read_ndjson(path)
        return self._read_summary(path, ctx)

    # ------------------------------------------------------------------ NDJSON
    def _read_ndjson(self, path: Path) -> ReadResult:
        # Decoded 64 MB of lines at a time into a compact frame, so that memory follows the
        # rows kept, not the Python objects of the whole file.
        frames: list[pl.DataFrame] = []
        skipped: list[Skip] = []
        lineno = 0
        gc_was = gc.isenabled()
        gc.disable()
        try:
            with open(path, "rb") as fh:
                while True:
                    chunk = fh.readlines(64 << 20)
                    if not chunk:
                        break
                    numbered = [(lineno + i + 1, ln) for i, ln in enumerate(chunk) if ln.strip()]
                    lineno += len(chunk)
                    cut = not chunk[-1].endswith(b"\n")
                    decoded = self._decode_lines(numbered, path, cut, skipped)
                    del chunk, numbered
                    frame = self._points_frame(decoded, path)
                    del decoded
                    if frame is not None:
                        frames.append(frame)
        finally:
            if gc_was:
                gc.enable()
        if not frames:
            return ReadResult(skipped=[*skipped, Skip("no Point lines in the file")])
        frame = pl.concat(frames, how="diagonal") if len(frames) > 1 else frames[0]
        return self._split(frame, skipped)

    @staticmethod
    def _points_frame(decoded: list[tuple[int, _Line]], path: Path) -> pl.DataFrame | None:
        points = [(n, line) for n, line in decoded if line.type == "Point" and line.data]
        if not points:
            return None
        frame = pl.DataFrame(
            {
                "metric": pl.Series([ln.metric for _, ln in points], dtype=pl.String),
                "time": pl.Series([ln.data.time for _, ln in points], dtype=pl.String),  # type: ignore[union-attr]
                "value": pl.Series([ln.data.value for _, ln in points], dtype=pl.Float64),  # type: ignore[union-attr]
                "_line": pl.Series([n for n, _ in points], dtype=pl.Int64),
            }
        )
        tag_frame = _tags_frame([ln.data.tags for _, ln in points])  # type: ignore[union-attr]
        if tag_frame.width:
            frame = pl.concat([frame, tag_frame], how="horizontal")
        return frame.with_columns(_k6_times(frame, path).alias("timestamp")).drop("time", "_line")

    @staticmethod
    def _decode_lines(
        numbered: list[tuple[int, bytes]], path: Path, cut: bool, skipped: list[Skip]
    ) -> list[tuple[int, _Line]]:
        if not numbered:
            return []
        try:
            decoded = _lines_decoder.decode(b"[" + b",".join(ln for _, ln in numbered) + b"]")
            return [(n, line) for (n, _), line in zip(numbered, decoded, strict=True)]
        except (msgspec.DecodeError, UnicodeDecodeError):
            pass
        out: list[tuple[int, _Line]] = []
        for k, (n, ln) in enumerate(numbered):
            try:
                out.append((n, _decode_line(ln)))
            except (msgspec.DecodeError, UnicodeDecodeError) as err:
                if cut and k == len(numbered) - 1:
                    skipped.append(Skip("cut-off last line", 1, n))
                    continue
                msg = f"not a k6 JSON line: {err}"
                raise InputError(
                    msg, file=path, line=n, expected='one JSON object per line ({"type": …})'
                ) from None
        return out

    # --------------------------------------------------------------------- CSV
    def _read_csv(self, path: Path) -> ReadResult:
        raw = read_strings(path, file=path)
        require_columns(raw, ["metric_name", "timestamp", "metric_value"], path, "k6 CSV output")
        lines = pl.Series(range(2, raw.height + 2), dtype=pl.Int64).to_numpy()
        frame = raw.select(
            pl.col("metric_name").alias("metric"),
            to_float(raw["metric_value"], file=path, field="metric_value").alias("value"),
            parse_timestamps(raw["timestamp"], file=path, lines=lines).alias("timestamp"),
        )
        skip_cols = {"metric_name", "timestamp", "metric_value", "extra_tags", "metadata"}
        labels = {
            sanitize_label(c): raw[c] for c in raw.columns if c not in skip_cols and c.strip()
        }
        for c, col in labels.items():
            frame = frame.with_columns(col.replace("", None).alias(c))
        if "extra_tags" in raw.columns and raw["extra_tags"].str.len_chars().fill_null(0).sum():
            extra = _tags_frame(
                [
                    dict(kv.split("=", 1) for kv in s.split("&") if "=" in kv) if s else None
                    for s in raw["extra_tags"].to_list()
                ]
            )
            extra = extra.select([c for c in extra.columns if c not in frame.columns])
            frame = pl.concat([frame, extra], how="horizontal")
        return self._split(frame, [])

    # ------------------------------------------------------------------ shared
    @staticmethod
    def _split(frame: pl.DataFrame, skipped: list[Skip]) -> ReadResult:
        """http_req_duration points → events; everything else → samples."""
        is_req = frame["metric"] == _REQUEST_METRIC
        req = frame.filter(is_req)
        samples = frame.filter(~is_req)
        events = None
        if req.height:
            ms = req["value"]
            status = req["status"] if "status" in req.columns else pl.Series([None] * req.height)
            code = status.cast(pl.Int64, strict=False)
            ok_default = (code >= 1) & (code < 400)
            if "expected_response" in req.columns:
                exp = req["expected_response"].str.to_lowercase()
                ok = pl.select(
                    pl.when(exp == "true")
                    .then(True)
                    .when(exp == "false")
                    .then(False)
                    .otherwise(pl.lit(ok_default))
                ).to_series()
            else:
                ok = ok_default
            name = (
                req["name"]
                if "name" in req.columns
                else (req["url"] if "url" in req.columns else pl.Series([None] * req.height))
            )
            events = req.select(
                (
                    pl.col("timestamp")
                    - pl.duration(
                        # NaN, ±Inf or absurd durations (> 30 years) give a null start:
                        # the row is skipped and counted by the shared rules.
                        microseconds=pl.when(pl.col("value").abs() < 1e12)
                        .then(pl.col("value") * 1000)
                        .otherwise(None)
                        .round()
                        .cast(pl.Int64, strict=False)
                    )
                ).alias("timestamp"),
                (ms / 1000).alias("duration_s"),
                name.cast(pl.String).alias("name"),
                status.cast(pl.String).alias("status"),
                ok.alias("ok"),
                *[
                    pl.col(c)
                    for c in req.columns
                    if c not in ("timestamp", "value", "metric", "name", "status")
                ],
            )
            core = ("timestamp", "duration_s", "name", "status", "ok")
            events = events.select(
                c for c in events.columns if c in core or events[c].null_count() < events.height
            )
        if samples.height:
            samples = samples.select(
                c
                for c in samples.columns
                if c in ("timestamp", "metric", "value") or samples[c].null_count() < samples.height
            )
        return ReadResult(
            samples=samples if samples.height else None, events=events, skipped=skipped
        )

    # ----------------------------------------------------------------- summary
    def _read_summary(self, path: Path, ctx: ReadContext) -> ReadResult:
        try:
            doc = msgspec.json.decode(path.read_bytes())
        except (msgspec.DecodeError, UnicodeDecodeError) as err:
            m = re.search(r"char (\d+)", str(err))
            line = None
            if m:
                line = path.read_bytes().count(b"\n", 0, int(m.group(1))) + 1
            msg = f"invalid JSON: {err}"
            raise InputError(msg, file=path, line=line, expected="a k6 summary JSON") from None
        if not isinstance(doc, dict) or not isinstance(doc.get("metrics"), dict):
            msg = "no `metrics` object"
            raise InputError(msg, file=path, field="metrics", expected="a k6 end-of-test summary")
        rows: list[dict[str, Any]] = []
        legacy = False
        for key, body in doc["metrics"].items():
            if not isinstance(body, dict):
                msg = f"metric {key!r} is not an object"
                raise InputError(msg, file=path, field=f"metrics.{key}", expected="an object")
            name, sub = _split_submetric(str(key))
            if isinstance(body.get("values"), dict):
                values = body["values"]
                thresholds = {
                    expr: (v.get("ok") if isinstance(v, dict) else v)
                    for expr, v in (body.get("thresholds") or {}).items()
                }
            else:
                legacy = True
                values = {k: v for k, v in body.items() if k != "thresholds"}
                thresholds = {
                    expr: (not v) if isinstance(v, bool) else None
                    for expr, v in (body.get("thresholds") or {}).items()
                }
            is_rate = body.get("type") == "rate" or ("passes" in values and "fails" in values)
            for stat, v in values.items():
                if is_rate and stat in ("passes", "fails"):
                    stat = "nonzero" if stat == "passes" else "zero"
                elif is_rate and stat in ("value", "rate"):
                    continue  # recomputed below (the legacy `value` is not the rate)
                rows.append({"metric": name, "stat": stat, "value": _number(v, path, key), **sub})
            if is_rate:
                p, f = (
                    _number(values.get("passes"), path, key),
                    _number(values.get("fails"), path, key),
                )
                rate = p / (p + f) if p is not None and f is not None and p + f > 0 else None
                rows.append({"metric": name, "stat": "rate", "value": rate, **sub})
            for expr, ok in thresholds.items():
                rows.append(
                    {
                        "metric": "k6_threshold_ok",
                        "k6_metric": str(key),
                        "threshold": str(expr),
                        "value": None if ok is None else float(bool(ok)),
                    }
                )
        rows += _checks(doc.get("root_group"), path)
        if not rows:
            return ReadResult(skipped=[Skip("the summary has no metrics")])
        frame = pl.from_dicts(rows, infer_schema_length=None)
        frame = frame.with_columns(
            pl.col("value").cast(pl.Float64), pl.lit(ctx.at).alias("timestamp")
        )
        notes = (
            ["legacy --summary-export: threshold booleans inverted to mean passed"]
            if legacy
            else []
        )
        return ReadResult(samples=frame, notes=notes, used_default_time=True)


def _k6_times(frame: pl.DataFrame, path: Path) -> pl.Series:
    """k6's RFC 3339 times in one strict format; anything else goes to the general parser."""
    fast = (
        frame["time"]
        .str.replace(r"[Zz]$", "+00:00")
        .str.to_datetime("%Y-%m-%dT%H:%M:%S%.f%:z", time_unit="us", time_zone="UTC", strict=False)
    )
    if fast.null_count() == frame["time"].null_count():
        return fast
    return parse_timestamps(
        frame["time"], file=path, field="data.time", lines=frame["_line"].to_numpy()
    )


def _number(v: Any, path: Path, key: str) -> float | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return float(v)
    if isinstance(v, (int, float)):
        return float(v)
    msg = f"value {v!r} is not a number"
    raise InputError(msg, file=path, field=f"metrics.{key}", expected="a number")


def _split_submetric(key: str) -> tuple[str, dict[str, str]]:
    """``http_req_duration{expected_response:true,status:200}`` → name and tags."""
    m = re.fullmatch(r"([^{]+)\{(.*)\}", key)
    if not m:
        return key, {}
    tags: dict[str, str] = {}
    for part in m.group(2).split(","):
        if ":" in part:
            k, v = part.split(":", 1)
            tags[sanitize_label(k.strip())] = v.strip()
    tags.pop("stat", None)
    return m.group(1), tags


def _checks(group: Any, path: Path) -> list[dict[str, Any]]:
    """The checks of ``root_group`` and its sub-groups, as pass/fail counts."""
    rows: list[dict[str, Any]] = []
    stack = [group]
    while stack:
        g = stack.pop()
        if not isinstance(g, dict):
            continue
        checks = g.get("checks") or []
        if isinstance(checks, dict):  # the legacy export keys checks by name
            checks = list(checks.values())
        for c in checks:
            if not isinstance(c, dict):
                continue
            labels = {"check": str(c.get("name")), "group": str(c.get("path", g.get("path", "")))}
            for stat in ("passes", "fails"):
                if stat in c:
                    rows.append(
                        {
                            "metric": f"k6_check_{stat}",
                            "value": _number(c[stat], path, "root_group.checks"),
                            **labels,
                        }
                    )
        groups = g.get("groups") or []
        stack.extend(groups.values() if isinstance(groups, dict) else groups)
    return rows


def _tags_frame(tags: list[dict[str, str] | None]) -> pl.DataFrame:
    """One string column per tag key (null where a point lacks it)."""
    rows = [t if t else {} for t in tags]
    keys: dict[str, None] = {}
    for t in rows:
        if len(t) != len(keys) or not keys.keys() >= t.keys():
            keys.update(dict.fromkeys(t))
    if not keys:
        return pl.DataFrame()
    frame = pl.from_dicts(rows, schema=dict.fromkeys(keys, pl.String))
    return frame.rename({k: sanitize_label(k) for k in keys if sanitize_label(k) != k})
