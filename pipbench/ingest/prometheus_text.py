"""Prometheus text exposition (0.0.4) and OpenMetrics 1.0 text, including ``promtool`` dumps.

What it reads
-------------
- ``/metrics`` scrapes in the text format 0.0.4: ``# HELP`` / ``# TYPE`` lines, samples
  ``name{label="value",…} value [timestamp_ms]``; label values may hold ``\\\\``, ``\\"``
  and ``\\n`` escapes, a trailing comma and any UTF-8; values may be ``NaN``, ``+Inf``,
  ``-Inf``.
- OpenMetrics 1.0 (``application/openmetrics-text``): float-second timestamps, ``# UNIT``,
  ``_created`` series, exemplars (``… # {trace_id="…"} 0.1 1.6e9``), ``# EOF``; families of
  type ``info``, ``stateset``, ``gaugehistogram`` and ``unknown``. Quoted UTF-8 metric names
  (``{"my.metric", job="a"} 1``, OpenMetrics 2.0 / Prometheus 3) are accepted too.
- ``promtool tsdb dump-openmetrics`` output: no ``TYPE`` lines, one line per stored sample,
  series after series (so not in time order), float-second timestamps, ``# EOF``.

Rules
-----
- The family's ``TYPE`` does not change the rows: counters keep their ``_total`` sample
  name, histograms are ``<name>_bucket`` with ``le`` plus ``_sum``/``_count`` (negative
  bounds and ``+Inf``-only histograms included), summaries keep ``quantile``. ``le`` and
  ``quantile`` values are written in one canonical form (``"1"``, ``"0.25"``, ``"+Inf"``)
  so that ``le="1.0"`` from OpenMetrics and ``le="1"`` from 0.0.4 are the same series.
- ``_created`` samples of counters, histograms and summaries are creation times, not
  values: they are skipped and counted (as Prometheus does by default). Exemplars are
  dropped and counted.
- Timestamps are milliseconds in 0.0.4 and seconds in OpenMetrics; a file is OpenMetrics
  when it has ``# EOF``, ``# UNIT``, an OpenMetrics-only type or an exemplar. Samples
  without a timestamp take the ingest time (``--at``), and the report says so.
- A line that is not valid is an :class:`~pipbench.errors.InputError` naming it, except a
  cut-off last line (the file was truncated), which is skipped and counted.

Examples
--------
>>> from pipbench.ingest.prometheus_text import parse_sample_line
>>> parse_sample_line('http_requests_total{code="200",path="/a\\\\"b"} 1027 1395066363000')
('http_requests_total', {'code': '200', 'path': '/a"b'}, '1027', '1395066363000', False)
"""

from __future__ import annotations

import math
import re
from array import array
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import polars as pl

from pipbench.errors import InputError
from pipbench.ingest.normalize import epoch_to_datetime, format_bound, sanitize_label
from pipbench.ingest.registry import ReadContext, ReadResult, Skip, register_reader

__all__ = ["PrometheusTextReader", "parse_sample_line"]

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
# The common case (no escapes, no exemplar) in one match; anything else goes to the
# careful character parser.
_FAST = re.compile(
    r"[ \t]*(" + _NAME + r')(\{[^"\\}]*(?:"[^"\\]*"[^"\\}]*)*\})?[ \t]+([^ \t#]+)'
    r"(?:[ \t]+([^ \t#]+))?[ \t]*"
)
_NAME_RE = re.compile(_NAME)
_LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_METADATA = re.compile(r"#[ \t]+(HELP|TYPE|UNIT)[ \t]+(\S+)(?:[ \t]+(.*))?$")
_TYPES = {
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
    "unknown",
    "gaugehistogram",
    "info",
    "stateset",
}
_OM_ONLY_TYPES = {"unknown", "gaugehistogram", "info", "stateset"}
_CREATED_OWNERS = {"counter", "histogram", "summary", "gaugehistogram"}
_SUFFIXES = ("_total", "_bucket", "_count", "_sum", "_created", "_gcount", "_gsum", "_info")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n"}


class _LineError(Exception):
    """A line that is not a sample; carries the reason and what was expected."""

    def __init__(self, reason: str, expected: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.expected = expected


def _quoted(line: str, i: int) -> tuple[str, int]:
    """Read a double-quoted string starting at ``line[i] == '"'``; returns (text, next index)."""
    out: list[str] = []
    j = i + 1
    n = len(line)
    while j < n:
        c = line[j]
        if c == '"':
            return "".join(out), j + 1
        if c == "\\":
            if j + 1 >= n:
                break
            nxt = line[j + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            j += 2
            continue
        out.append(c)
        j += 1
    msg = "unterminated quoted string"
    raise _LineError(msg, 'a closing "')


def _skip_ws(line: str, i: int) -> int:
    n = len(line)
    while i < n and line[i] in " \t":
        i += 1
    return i


def _parse_labels(line: str, i: int) -> tuple[dict[str, str], str | None, int]:
    """Parse ``{…}`` starting at ``line[i] == '{'``; returns labels, a quoted name, next index."""
    labels: dict[str, str] = {}
    quoted_name: str | None = None
    i += 1
    n = len(line)
    while True:
        i = _skip_ws(line, i)
        if i >= n:
            msg = "the label set is not closed"
            raise _LineError(msg, "'}'")
        if line[i] == "}":
            return labels, quoted_name, i + 1
        if line[i] == '"':
            text, i = _quoted(line, i)
            i = _skip_ws(line, i)
            if i < n and line[i] == "=":
                key = text
            elif quoted_name is None and not labels:
                quoted_name = text
                key = ""
            else:
                msg = f"unexpected quoted string {text!r} in the label set"
                raise _LineError(msg, 'label="value"')
        else:
            m = _LABEL_RE.match(line, i)
            if m is None:
                msg = f"invalid label name at column {i + 1}"
                raise _LineError(msg, "a label name [a-zA-Z_][a-zA-Z0-9_]*")
            key = m.group()
            i = _skip_ws(line, m.end())
        if key:
            if i >= n or line[i] != "=":
                msg = f"label {key!r} has no '='"
                raise _LineError(msg, 'label="value"')
            i = _skip_ws(line, i + 1)
            if i >= n or line[i] != '"':
                msg = f"the value of label {key!r} is not quoted"
                raise _LineError(msg, 'label="value"')
            value, i = _quoted(line, i)
            if key in labels:
                msg = f"label {key!r} appears twice"
                raise _LineError(msg, "each label once per sample")
            labels[key] = value
        i = _skip_ws(line, i)
        if i < n and line[i] == ",":
            i += 1
        elif i < n and line[i] != "}":
            msg = f"expected ',' or '}}' at column {i + 1}"
            raise _LineError(msg, "',' or '}'")


def parse_sample_line(line: str) -> tuple[str, dict[str, str], str, str | None, bool]:
    """Parse one sample line of the text format or OpenMetrics.

    Returns
    -------
    tuple
        ``(name, labels, value, timestamp_or_None, has_exemplar)``; value and timestamp
        are the raw tokens.

    Raises
    ------
    ValueError
        (a private subclass) with the reason, when the line is not a sample.
    """
    i = _skip_ws(line, 0)
    n = len(line)
    name = ""
    labels: dict[str, str] = {}
    m = _NAME_RE.match(line, i)
    if m is not None:
        name = m.group()
        i = m.end()
    if i < n and line[i] == "{":
        labels, quoted, i = _parse_labels(line, i)
        if quoted is not None:
            if name:
                msg = "a metric name both before and inside the braces"
                raise _LineError(msg, 'name{labels} or {"name", labels}')
            name = quoted
    if not name:
        msg = "no metric name"
        raise _LineError(msg, "a metric name [a-zA-Z_:][a-zA-Z0-9_:]*")
    if i >= n or line[i] not in " \t":
        msg = "no value after the metric name and labels"
        raise _LineError(msg, "a space and a value")
    rest = line[i:].split("#", 1)
    tokens = rest[0].split()
    exemplar = len(rest) > 1
    if not tokens or len(tokens) > 2:
        msg = "expected a value and an optional timestamp"
        raise _LineError(msg, "name{labels} value [timestamp]")
    return name, labels, tokens[0], (tokens[1] if len(tokens) == 2 else None), exemplar


def _canonical(value: str) -> str:
    try:
        return format_bound(float(value))
    except ValueError:
        return value


def _family_type(name: str, types: dict[str, str]) -> tuple[str | None, str]:
    """The declared type of the family that sample ``name`` belongs to, and the family name."""
    t = types.get(name)
    if t is not None:
        return t, name
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            t = types.get(base)
            if t is not None:
                return t, base
    return None, name


@register_reader
class PrometheusTextReader:
    """Prometheus text exposition 0.0.4, OpenMetrics 1.0 and ``promtool`` OpenMetrics dumps."""

    name: ClassVar[str] = "prometheus-text"
    description: ClassVar[str] = (
        "Prometheus /metrics text 0.0.4, OpenMetrics 1.0, promtool tsdb dump-openmetrics"
    )

    def sniff(self, head: bytes, path: Path | None) -> float:
        text = head.removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
        lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
        if not lines:
            return 0.0
        if len(head) >= 65536 and len(lines) > 1:
            lines = lines[:-1]  # the last line of the head may be cut
        meta = sum(1 for ln in lines if _METADATA.match(ln) or ln.strip() == "# EOF")
        samples = 0
        for ln in lines:
            if ln.startswith("#"):
                continue
            try:
                m = _FAST.fullmatch(ln)
                value = m.group(3) if m is not None else parse_sample_line(ln)[2]
                float(value)  # "hello world" is not a sample: its value is no number
            except (_LineError, ValueError):
                return 0.0
            samples += 1
        if meta and (samples or meta == len(lines)):
            return 0.95
        if samples == len(lines):
            return 0.7
        return 0.3

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        types: dict[str, str] = {}
        series: dict[tuple[str, str | None], int] = {}
        series_names: list[str] = []
        series_labels: list[dict[str, str]] = []
        idx = array("l")
        values = array("d")
        stamps = array("d")
        lines_of = array("l")
        om = False
        ts_dot = False
        exemplars = 0
        after_eof = 0
        eof_seen = False
        notes: list[str] = []
        skipped: list[Skip] = []
        fast = _FAST.fullmatch
        nan = math.nan
        lineno = 0
        pending_error: InputError | None = None
        try:
            fh = open(path, encoding="utf-8-sig", newline="\n")  # noqa: SIM115
        except OSError as err:
            msg = f"cannot open the file: {err.strerror}"
            raise InputError(msg, file=path) from None
        with fh:
            it = iter(fh)
            while True:
                try:
                    raw = next(it)
                except StopIteration:
                    break
                except UnicodeDecodeError:
                    msg = "the file is not UTF-8 text"
                    raise InputError(
                        msg, file=path, line=lineno + 1, expected="UTF-8 text"
                    ) from None
                lineno += 1
                if pending_error is not None:
                    raise pending_error
                line = raw.rstrip("\r\n")
                if not line or line.isspace():
                    continue
                if eof_seen:
                    after_eof += 1
                if line[0] == "#" or line.lstrip().startswith("#"):
                    stripped = line.strip()
                    if stripped == "# EOF":
                        om = True
                        eof_seen = True
                        continue
                    mm = _METADATA.match(stripped)
                    if mm is not None:
                        kind, fam, rest = mm.groups()
                        if kind == "TYPE":
                            t = (rest or "").strip().lower()
                            if t not in _TYPES:
                                notes.append(f"line {lineno}: unknown TYPE {t!r} read as untyped")
                                t = "untyped"
                            om = om or t in _OM_ONLY_TYPES
                            types[fam] = t
                        elif kind == "UNIT":
                            om = True
                    continue
                m = fast(line)
                sid = -1
                if m is not None:
                    name, block, v, t = m.groups()
                    key = (name, block)
                    sid = series.get(key, -1)
                    if sid < 0:
                        try:
                            labels = _parse_labels(block, 0)[0] if block else {}
                        except _LineError:
                            m = None  # let the careful parser say what is wrong
                        else:
                            sid = self._new_series(name, labels, types, series_names, series_labels)
                            series[key] = sid
                if m is None:
                    try:
                        name, labels, v, t, ex = parse_sample_line(line)
                    except _LineError as err:
                        pending_error = InputError(
                            err.reason, file=path, line=lineno, expected=err.expected
                        )
                        if not raw.endswith("\n"):
                            # The last line, cut off: a truncated file.
                            skipped.append(Skip("cut-off last line", 1, lineno))
                            pending_error = None
                        continue
                    if ex:
                        exemplars += 1
                        om = True
                    skey = (name, repr(sorted(labels.items())))
                    sid = series.get(skey, -1)
                    if sid < 0:
                        sid = self._new_series(name, labels, types, series_names, series_labels)
                        series[skey] = sid
                try:
                    fv = float(v)
                except ValueError:
                    if not raw.endswith("\n"):
                        skipped.append(Skip("cut-off last line", 1, lineno))
                        continue
                    msg = f"value {v!r} is not a number"
                    raise InputError(
                        msg, file=path, line=lineno, field="value", expected="a float, NaN or ±Inf"
                    ) from None
                if t is None:
                    ft = nan
                else:
                    try:
                        ft = float(t)
                    except ValueError:
                        if not raw.endswith("\n"):
                            skipped.append(Skip("cut-off last line", 1, lineno))
                            continue
                        msg = f"timestamp {t!r} is not a number"
                        raise InputError(
                            msg,
                            file=path,
                            line=lineno,
                            field="timestamp",
                            expected="milliseconds (0.0.4) or seconds (OpenMetrics)",
                        ) from None
                    if not math.isfinite(ft):
                        msg = f"timestamp {t!r} is not finite"
                        raise InputError(msg, file=path, line=lineno, field="timestamp")
                    if "." in t or "e" in t or "E" in t:
                        ts_dot = True
                idx.append(sid)
                values.append(fv)
                stamps.append(ft)
                lines_of.append(lineno)
        if pending_error is not None:
            raise pending_error
        return self._frame(
            path,
            ctx,
            series_names,
            series_labels,
            idx,
            values,
            stamps,
            lines_of,
            om=om or ts_dot,
            exemplars=exemplars,
            after_eof=after_eof,
            notes=notes,
            skipped=skipped,
            types=types,
        )

    # ----------------------------------------------------------------------
    @staticmethod
    def _new_series(
        name: str,
        labels: dict[str, str],
        types: dict[str, str],
        names: list[str],
        label_rows: list[dict[str, str]],
    ) -> int:
        ftype, _ = _family_type(name, types)
        row: dict[str, str] = {}
        for k, v in labels.items():
            if (k == "le" and (name.endswith("_bucket") or ftype == "histogram")) or (
                k == "quantile" and ftype in (None, "summary", "untyped")
            ):
                v = _canonical(v)
            row[sanitize_label(k)] = v
        names.append(name)
        label_rows.append(row)
        return len(names) - 1

    def _frame(
        self,
        path: Path,
        ctx: ReadContext,
        names: list[str],
        label_rows: list[dict[str, str]],
        idx: array[int],
        values: array[float],
        stamps: array[float],
        lines_of: array[int],
        *,
        om: bool,
        exemplars: int,
        after_eof: int,
        notes: list[str],
        skipped: list[Skip],
        types: dict[str, str],
    ) -> ReadResult:
        if exemplars:
            notes.append(f"{exemplars} exemplars dropped (trace links are not kept)")
        if after_eof:
            notes.append(f"{after_eof} lines after '# EOF' (concatenated expositions) were read")
        if not idx:
            return ReadResult(skipped=[*skipped, Skip("no samples in the file")])
        sid = np.frombuffer(idx, dtype=np.dtype(idx.typecode))
        vals = np.frombuffer(values, dtype="float64")
        ts = np.frombuffer(stamps, dtype="float64")
        lines = np.frombuffer(lines_of, dtype=np.dtype(lines_of.typecode))
        # `_created` samples of counters/histograms/summaries: creation times, not values.
        drop = np.zeros(len(names), dtype=bool)
        for i, n in enumerate(names):
            if n.endswith("_created") and n not in types:
                ftype, _ = _family_type(n, types)
                drop[i] = ftype in _CREATED_OWNERS
        keep = ~drop[sid]
        n_created = int((~keep).sum())
        if n_created:
            first = int(lines[~keep][0])
            skipped.append(
                Skip("OpenMetrics _created sample (a creation time, not a value)", n_created, first)
            )
            sid, vals, ts, lines = sid[keep], vals[keep], ts[keep], lines[keep]
        missing = np.isnan(ts)
        used_default = bool(missing.any())
        stamp_series: pl.Series
        if missing.all():
            stamp_series = pl.Series("timestamp", [ctx.at] * len(ts)).cast(pl.Datetime("us", "UTC"))
        else:
            stamp_series = epoch_to_datetime(
                np.where(missing, np.nan, ts),
                unit="s" if om else "ms",
                file=path,
                lines=lines,
            )
            if used_default:
                stamp_series = stamp_series.fill_null(ctx.at)
        keys = sorted({k for row in label_rows for k in row})
        cols: dict[str, Any] = {
            "timestamp": stamp_series,
            "metric": pl.Series(names, dtype=pl.String).gather(sid),
            "value": vals,
        }
        for k in keys:
            cols[k] = pl.Series([row.get(k) for row in label_rows], dtype=pl.String).gather(sid)
        if not keep.any():
            return ReadResult(skipped=skipped, notes=notes)
        return ReadResult(
            samples=pl.DataFrame(cols),
            skipped=skipped,
            notes=notes,
            used_default_time=used_default,
        )
