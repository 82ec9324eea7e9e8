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

import re
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
_FAST_ANCHORED = "^" + _FAST.pattern + "$"
_CHUNK_BYTES = 32 << 20


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
        samples = bad = 0
        for ln in lines:
            if ln.lstrip().startswith("#"):
                continue
            m = _FAST.fullmatch(ln)
            try:
                value = m.group(3) if m is not None else parse_sample_line(ln)[2]
                float(value)
            except (_LineError, ValueError):
                bad += 1
                continue
            samples += 1
        if bad:
            # A broken line among good ones is still this format: read() will name it.
            return 0.5 if samples > bad or (meta and samples) else 0.0
        if meta and (samples or meta == len(lines)):
            return 0.95
        if samples == len(lines):
            return 0.7
        return 0.3 if samples else 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        state = _State()
        try:
            fh = open(path, "rb")  # noqa: SIM115
        except OSError as err:
            msg = f"cannot open the file: {err.strerror}"
            raise InputError(msg, file=path) from None
        with fh:
            first_line = 1
            bom_checked = False
            while True:
                chunk = fh.read(_CHUNK_BYTES)
                if not chunk:
                    break
                chunk += fh.readline()  # end the chunk at a line end
                if not bom_checked:
                    chunk = chunk.removeprefix(b"\xef\xbb\xbf")
                    bom_checked = True
                at_end = not fh.peek(1)
                self._chunk(chunk, first_line, path, state, last_chunk=at_end)
                first_line += chunk.count(b"\n")
        return self._frame(path, ctx, state)

    def _chunk(
        self, chunk: bytes, first_line: int, path: Path, st: _State, *, last_chunk: bool
    ) -> None:
        """Parse one block of whole lines (vectorised; odd lines go to the careful parser)."""
        try:
            text = chunk.decode("utf-8")
        except UnicodeDecodeError as err:
            line = first_line + chunk.count(b"\n", 0, err.start)
            msg = "the file is not UTF-8 text"
            raise InputError(msg, file=path, line=line, expected="UTF-8 text") from None
        ends_with_newline = text.endswith("\n")
        lines = pl.Series("line", text.split("\n"), dtype=pl.String)
        del text
        if ends_with_newline:
            lines = lines.head(len(lines) - 1)
        last_cut = last_chunk and not ends_with_newline
        last_no = first_line + len(lines) - 1
        frame = pl.DataFrame(
            {
                "line": lines.str.strip_suffix("\r"),
                "no": pl.int_range(first_line, last_no + 1, eager=True),
            }
        )
        stripped = pl.col("line").str.strip_chars_start(" \t")
        frame = frame.filter(pl.col("line").str.strip_chars() != "")
        comments = frame.filter(stripped.str.starts_with("#"))
        for line, no in comments.iter_rows():
            st.comment(line.strip(), no)
        body = frame.filter(~stripped.str.starts_with("#"))
        if st.eof_line is not None:
            st.after_eof += int((body["no"] > st.eof_line).sum())
        if not body.height:
            return
        parts = body.with_columns(
            pl.col("line").str.extract_groups(_FAST_ANCHORED).alias("m")
        ).unnest("m")
        parts = parts.rename({"1": "name", "2": "block", "3": "value", "4": "ts"})
        fast = parts.filter(pl.col("name").is_not_null())
        slow = parts.filter(pl.col("name").is_null())
        rows: list[pl.DataFrame] = []
        if fast.height:
            rows.append(self._fast_rows(fast, path, st, last_no if last_cut else None))
        if slow.height:
            rows.append(self._slow_rows(slow, path, st, last_no if last_cut else None))
        st.frames.extend(r for r in rows if r.height)

    def _fast_rows(
        self, fast: pl.DataFrame, path: Path, st: _State, cut_line: int | None
    ) -> pl.DataFrame:
        key = pl.col("name") + "\x00" + pl.col("block").fill_null("")
        fast = fast.with_columns(key.alias("key"))
        for key_text, block, no in (
            fast.group_by("key", maintain_order=True)
            .agg(pl.col("block").first(), pl.col("no").first())
            .iter_rows()
        ):
            if key_text in st.series:
                continue
            name = key_text.split("\x00", 1)[0]
            try:
                labels = _parse_labels(block, 0)[0] if block else {}
            except _LineError as err:
                raise InputError(err.reason, file=path, line=no, expected=err.expected) from None
            st.add_series(key_text, name, labels)
        return self._values(fast, path, st, cut_line, key_col="key")

    def _slow_rows(
        self, slow: pl.DataFrame, path: Path, st: _State, cut_line: int | None
    ) -> pl.DataFrame:
        keys: list[str] = []
        values: list[str] = []
        stamps: list[str | None] = []
        nos: list[int] = []
        for line, no in slow.select("line", "no").iter_rows():
            try:
                name, labels, v, t, ex = parse_sample_line(line)
            except _LineError as err:
                if no == cut_line:
                    st.skipped.append(Skip("cut-off last line", 1, no))
                    continue
                raise InputError(err.reason, file=path, line=no, expected=err.expected) from None
            st.exemplars += ex
            key = "\x01" + name + "\x00" + repr(sorted(labels.items()))
            if key not in st.series:
                st.add_series(key, name, labels)
            keys.append(key)
            values.append(v)
            stamps.append(t)
            nos.append(no)
        frame = pl.DataFrame(
            {"key": keys, "value": values, "ts": stamps, "no": nos},
            schema={"key": pl.String, "value": pl.String, "ts": pl.String, "no": pl.Int64},
        )
        return self._values(frame, path, st, cut_line, key_col="key")

    @staticmethod
    def _values(
        frame: pl.DataFrame, path: Path, st: _State, cut_line: int | None, *, key_col: str
    ) -> pl.DataFrame:
        out = frame.select(
            pl.col(key_col).replace_strict(st.series, return_dtype=pl.Int64).alias("sid"),
            pl.col("value").cast(pl.Float64, strict=False).alias("v"),
            pl.col("ts").cast(pl.Float64, strict=False).alias("t"),
            pl.col("no"),
            pl.col("value").alias("raw_v"),
            pl.col("ts").alias("raw_t"),
        )
        bad_v = out["v"].is_null()
        bad_t = out["t"].is_null() & out["raw_t"].is_not_null()
        bad_t = bad_t | (out["t"].is_infinite() | out["t"].is_nan()).fill_null(False)
        bad = bad_v | bad_t
        if bad.any():
            i = int(bad.arg_true()[0])
            no = int(out["no"][i])
            if no == cut_line and int(bad.sum()) == 1:
                st.skipped.append(Skip("cut-off last line", 1, no))
                out = out.filter(~bad)
            elif bad_v[i]:
                msg = f"value {out['raw_v'][i]!r} is not a number"
                raise InputError(
                    msg, file=path, line=no, field="value", expected="a float, NaN or ±Inf"
                )
            else:
                msg = f"timestamp {out['raw_t'][i]!r} is not a finite number"
                raise InputError(
                    msg,
                    file=path,
                    line=no,
                    field="timestamp",
                    expected="milliseconds (0.0.4) or seconds (OpenMetrics)",
                )
        if not st.ts_dot and out["raw_t"].str.contains(r"[.eE]").any():
            st.ts_dot = True
        return out.select("sid", "v", "t", "no")

    # ----------------------------------------------------------------------
    def _frame(self, path: Path, ctx: ReadContext, st: _State) -> ReadResult:
        notes, skipped = st.notes, st.skipped
        if st.exemplars:
            notes.append(f"{st.exemplars} exemplars dropped (trace links are not kept)")
        if st.after_eof:
            notes.append(f"{st.after_eof} lines after '# EOF' (concatenated expositions) were read")
        if st.om_marked and st.eof_line is None:
            notes.append("OpenMetrics without '# EOF': the file may have been cut short")
        if not st.frames:
            return ReadResult(skipped=[*skipped, Skip("no samples in the file")], notes=notes)
        rows = pl.concat(st.frames) if len(st.frames) > 1 else st.frames[0]
        st.frames.clear()
        names, label_rows = st.finish_series()
        # `_created` samples of counters/histograms/summaries: creation times, not values.
        drop = [
            n.endswith("_created")
            and n not in st.types
            and _family_type(n, st.types)[0] in _CREATED_OWNERS
            for n in names
        ]
        if any(drop):
            dropped = rows.filter(pl.col("sid").is_in([i for i, d in enumerate(drop) if d]))
            if dropped.height:
                skipped.append(
                    Skip(
                        "OpenMetrics _created sample (a creation time, not a value)",
                        dropped.height,
                        int(dropped["no"].min()),  # type: ignore[arg-type]
                    )
                )
                rows = rows.filter(~pl.col("sid").is_in([i for i, d in enumerate(drop) if d]))
        if not rows.height:
            return ReadResult(skipped=skipped, notes=notes)
        ts = rows["t"].to_numpy()
        missing = np.isnan(ts)
        used_default = bool(missing.any())
        if missing.all():
            stamps = pl.repeat(ctx.at, rows.height, eager=True).cast(pl.Datetime("us", "UTC"))
        else:
            stamps = epoch_to_datetime(
                ts,
                unit="s" if (st.om or st.ts_dot) else "ms",
                file=path,
                lines=rows["no"].to_numpy(),
            )
            if used_default:
                stamps = stamps.fill_null(ctx.at)
        sid = rows["sid"]
        keys = sorted({k for row in label_rows for k in row})
        cols: dict[str, Any] = {
            "timestamp": stamps.alias("timestamp"),
            "metric": pl.Series(names, dtype=pl.String).gather(sid),
            "value": rows["v"],
        }
        for k in keys:
            cols[k] = pl.Series([row.get(k) for row in label_rows], dtype=pl.String).gather(sid)
        return ReadResult(
            samples=pl.DataFrame(cols), skipped=skipped, notes=notes, used_default_time=used_default
        )


class _State:
    """What the reader learns across chunks: series, types, flags, parsed rows."""

    def __init__(self) -> None:
        self.types: dict[str, str] = {}
        self.series: dict[str, int] = {}
        self.raw_series: list[tuple[str, dict[str, str]]] = []
        self.frames: list[pl.DataFrame] = []
        self.notes: list[str] = []
        self.skipped: list[Skip] = []
        self.om = False
        self.ts_dot = False
        self.exemplars = 0
        self.after_eof = 0
        self.eof_line: int | None = None
        self.om_marked = False  # UNIT or an OpenMetrics-only TYPE seen

    def comment(self, line: str, no: int) -> None:
        if line == "# EOF":
            self.om = True
            if self.eof_line is None:
                self.eof_line = no
            return
        m = _METADATA.match(line)
        if m is None:
            return
        kind, fam, rest = m.groups()
        if kind == "TYPE":
            t = (rest or "").strip().lower()
            if t not in _TYPES:
                self.notes.append(f"line {no}: unknown TYPE {t!r} read as untyped")
                t = "untyped"
            if t in _OM_ONLY_TYPES:
                self.om = self.om_marked = True
            self.types[fam] = t
        elif kind == "UNIT":
            self.om = self.om_marked = True

    def add_series(self, key: str, name: str, labels: dict[str, str]) -> None:
        self.series[key] = len(self.raw_series)
        self.raw_series.append((name, labels))

    def finish_series(self) -> tuple[list[str], list[dict[str, str]]]:
        """Names and label rows, with ``le``/``quantile`` in canonical form (types now known)."""
        names: list[str] = []
        rows: list[dict[str, str]] = []
        for name, labels in self.raw_series:
            ftype, _ = _family_type(name, self.types)
            row: dict[str, str] = {}
            for k, v in labels.items():
                if (k == "le" and (name.endswith("_bucket") or ftype == "histogram")) or (
                    k == "quantile" and ftype in (None, "summary", "untyped")
                ):
                    v = _canonical(v)
                row[sanitize_label(k)] = v
            names.append(name)
            rows.append(row)
        return names, rows
