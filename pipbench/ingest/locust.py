"""Locust's CSV statistics (``locust --csv PREFIX``): stats, stats history and failures.

What it reads
-------------
- ``PREFIX_stats.csv``: one row per request type and name plus an ``Aggregated`` row;
  counts, response-time statistics (ms), ``Requests/s``, percentiles ``50%`` … ``100%``.
  It carries no time: rows take the ingest time (``--at``).
- ``PREFIX_stats_history.csv``: the same every few seconds with a unix ``Timestamp`` and
  ``User Count``; percentiles are of the current window and the ``Total …`` columns are
  cumulative. Cells are ``N/A`` until a request has been seen.
- ``PREFIX_failures.csv``: ``Method,Name,Error,Occurrences`` (no time: ``--at``).
- Older Locust headers (``"Method","Name","# requests","# failures",…``) are read too.

Rows → samples (labels ``method`` and ``name``; the ``Aggregated`` row has ``name =
"Aggregated"`` and no method):

=============================== ==========================================================
``locust_requests_total``        Request Count / Total Request Count (cumulative)
``locust_failures_total``        Failure Count / Total Failure Count (cumulative)
``locust_requests_per_second``   Requests/s
``locust_failures_per_second``   Failures/s
``locust_response_time_ms``      percentiles, ``quantile`` = ``"0.5"`` … ``"1"``
``locust_response_time_avg_ms``  Average (and ``_median_ms``, ``_min_ms``, ``_max_ms``)
``locust_content_size_avg_bytes`` Average Content Size
``locust_users``                 User Count (history)
``locust_failure_occurrences``   Occurrences (failures, labelled ``error``)
=============================== ==========================================================

Examples
--------
>>> from pipbench.ingest.locust import LocustReader
>>> LocustReader().sniff(b"Type,Name,Request Count,Failure Count,Median Response Time\\n", None)
1.0
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

import polars as pl

from pipbench.errors import InputError
from pipbench.ingest._tabular import head_text, header_fields, read_strings, to_float
from pipbench.ingest.normalize import parse_timestamps
from pipbench.ingest.registry import ReadContext, ReadResult, register_reader

__all__ = ["LocustReader"]

_METRICS = {
    "request count": "locust_requests_total",
    "# requests": "locust_requests_total",
    "total request count": "locust_requests_total",
    "failure count": "locust_failures_total",
    "# failures": "locust_failures_total",
    "total failure count": "locust_failures_total",
    "requests/s": "locust_requests_per_second",
    "failures/s": "locust_failures_per_second",
    "requests failed/s": "locust_failures_per_second",
    "median response time": "locust_response_time_median_ms",
    "total median response time": "locust_response_time_median_ms",
    "average response time": "locust_response_time_avg_ms",
    "total average response time": "locust_response_time_avg_ms",
    "min response time": "locust_response_time_min_ms",
    "total min response time": "locust_response_time_min_ms",
    "max response time": "locust_response_time_max_ms",
    "total max response time": "locust_response_time_max_ms",
    "average content size": "locust_content_size_avg_bytes",
    "total average content size": "locust_content_size_avg_bytes",
    "user count": "locust_users",
    "occurrences": "locust_failure_occurrences",
}
_PERCENT = re.compile(r"^(\d+(?:\.\d+)?)%$")
_LABELS = {"type": "method", "method": "method", "name": "name", "error": "error"}


def _key(header: str) -> str:
    return header.strip().strip('"').lower()


@register_reader
class LocustReader:
    """Locust ``--csv`` output: ``_stats.csv``, ``_stats_history.csv``, ``_failures.csv``."""

    name: ClassVar[str] = "locust"
    description: ClassVar[str] = "Locust --csv: _stats.csv, _stats_history.csv, _failures.csv"

    def sniff(self, head: bytes, path: Path | None) -> float:
        lines = head_text(head, 1)
        if not lines:
            return 0.0
        keys = {_key(h) for h in header_fields(lines[0], ",")}
        if "name" in keys and (
            {"request count", "# requests", "total request count"} & keys
            or {"requests/s", "user count"} <= keys
        ):
            return 1.0
        if {"method", "name", "error", "occurrences"} <= keys:
            return 1.0
        return 0.0

    def read(self, path: Path, ctx: ReadContext) -> ReadResult:
        raw = read_strings(path, file=path)
        keys = {c: _key(c) for c in raw.columns}
        if "name" not in keys.values():
            msg = "no 'Name' column"
            raise InputError(msg, file=path, line=1, field="Name", expected="a Locust CSV header")
        labels = [pl.col(c).alias(_LABELS[k]) for c, k in keys.items() if k in _LABELS]
        has_time = "timestamp" in keys.values()
        if has_time:
            ts_col = next(c for c, k in keys.items() if k == "timestamp")
            stamps = parse_timestamps(
                raw[ts_col],
                file=path,
                field="Timestamp",
                lines=pl.Series(range(2, raw.height + 2)).to_numpy(),
            )
        else:
            stamps = pl.Series("timestamp", [ctx.at] * raw.height).cast(pl.Datetime("us", "UTC"))
        base = raw.select(labels).with_columns(stamps.alias("timestamp"))
        if "method" in base.columns:
            base = base.with_columns(pl.col("method").replace("", None))
        parts: list[pl.DataFrame] = []
        history = has_time
        for c, k in keys.items():
            metric = _METRICS.get(k)
            quantile = None
            m = _PERCENT.match(k)
            if m:
                metric = "locust_response_time_ms"
                quantile = _quantile(m.group(1))
            if metric is None:
                continue
            if (
                history
                and k in ("request count", "failure count")
                and f"total {k}" in keys.values()
            ):
                continue
            values = to_float(raw[c], file=path, field=c, nulls=("N/A", "NaN", "nan"))
            part = base.with_columns(pl.lit(metric).alias("metric"), values.alias("value"))
            if quantile is not None:
                part = part.with_columns(pl.lit(quantile).alias("quantile"))
            parts.append(part)
        if not parts:
            msg = "no statistics columns"
            raise InputError(
                msg, file=path, line=1, expected="Locust columns like 'Request Count' or '50%'"
            )
        samples = pl.concat(parts, how="diagonal")
        return ReadResult(samples=samples, used_default_time=not has_time)


def _quantile(percent: str) -> str:
    """``"99.9"`` → ``"0.999"``, ``"100"`` → ``"1"`` (the summary ``quantile`` form)."""
    return format(round(float(percent) / 100, 8), "g")
