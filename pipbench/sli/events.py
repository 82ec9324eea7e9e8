"""Exact SLIs from the ``events`` table: percentiles, throughput, error rate, availability.

Unlike histograms, events hold every duration, so percentiles here are exact order
statistics. ``method="linear"`` is Hyndman & Fan type 7 (numpy's and polars' default);
``"nearest"``, ``"lower"``, ``"higher"``, ``"midpoint"`` are also accepted.

An event is an error when ``ok`` is false; events with a null ``ok`` count towards
throughput but not towards error rate or availability. Time buckets are left-closed
``[T, T + every)`` and labelled by their start (the polars ``group_by_dynamic`` habit).

Examples
--------
>>> import polars as pl, datetime as dt
>>> t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
>>> ev = pl.DataFrame({"timestamp": [t] * 4, "duration_s": [0.1, 0.2, 0.3, 0.4],
...                    "ok": [True, True, True, False]})
>>> percentiles(ev, quantiles=(0.5,))["p50"].to_list()
[0.25]
>>> event_stats(ev, every="1m").select("requests", "error_rate").rows()
[(4, 0.25)]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Literal

import polars as pl

from pipbench.errors import ConfigError
from pipbench.sli.selectors import parse_duration

__all__ = ["DEFAULT_QUANTILES", "event_stats", "percentiles", "quantile_name"]

DEFAULT_QUANTILES: tuple[float, ...] = (0.5, 0.9, 0.95, 0.99, 0.999)
Method = Literal["linear", "nearest", "lower", "higher", "midpoint"]
Where = pl.Expr | Mapping[str, str] | None


def quantile_name(q: float) -> str:
    """``0.99`` → ``"p99"``, ``0.999`` → ``"p99.9"``."""
    return f"p{round(q * 100, 6):g}"


def _filter(events: pl.LazyFrame | pl.DataFrame, where: Where) -> pl.LazyFrame:
    lf = events.lazy()
    if where is None:
        return lf
    if isinstance(where, pl.Expr):
        return lf.filter(where)
    cols = lf.collect_schema().names()
    for k in where:
        if k not in cols:
            msg = f"where: the events have no column {k!r} (columns: {cols})"
            raise ConfigError(msg)
    return lf.filter(pl.all_horizontal(pl.col(k) == v for k, v in where.items()))


def _keys(
    lf: pl.LazyFrame, by: Sequence[str], every: str | float | dt.timedelta | None
) -> tuple[pl.LazyFrame, list[str]]:
    cols = lf.collect_schema().names()
    missing = [b for b in by if b not in cols]
    if missing:
        msg = f"by: the events have no column(s) {missing} (columns: {cols})"
        raise ConfigError(msg)
    keys = list(by)
    if every is not None:
        us = round(parse_duration(every, name="every") * 1e6)
        lf = lf.with_columns(pl.col("timestamp").dt.truncate(f"{us}us").alias("timestamp"))
        keys = ["timestamp", *keys]
    return lf, keys


def percentiles(
    events: pl.LazyFrame | pl.DataFrame,
    *,
    quantiles: Sequence[float] = DEFAULT_QUANTILES,
    by: Sequence[str] = (),
    every: str | float | dt.timedelta | None = None,
    where: Where = None,
    method: Method = "linear",
    column: str = "duration_s",
) -> pl.DataFrame:
    """Exact duration percentiles, overall or per label and/or time bucket.

    Parameters
    ----------
    events
        The events table.
    quantiles
        Quantiles in [0, 1]; columns are named ``p50``, ``p99.9``…
    by
        Label columns to group by.
    every
        Time bucket length (``"1m"``); ``None`` for the whole range.
    where
        A polars predicate or ``{column: value}`` equalities.
    method
        Interpolation between order statistics.
    column
        The duration column.

    Returns
    -------
    polars.DataFrame
        ``[timestamp,] <by…>, count, p50, …``, sorted by the keys.
    """
    for q in quantiles:
        if not 0 <= q <= 1:
            msg = f"quantile {q!r} is not in [0, 1]"
            raise ConfigError(msg)
    lf, keys = _keys(_filter(events, where), by, every)
    aggs = [pl.col(column).count().alias("count")] + [
        pl.col(column).quantile(q, interpolation=method).alias(quantile_name(q)) for q in quantiles
    ]
    if keys:
        return lf.group_by(keys).agg(aggs).sort(keys).collect()
    return lf.select(aggs).collect()


def event_stats(
    events: pl.LazyFrame | pl.DataFrame,
    *,
    every: str | float | dt.timedelta | None = "1m",
    by: Sequence[str] = (),
    where: Where = None,
) -> pl.DataFrame:
    """Throughput, error rate and availability per time bucket and label.

    Returns
    -------
    polars.DataFrame
        ``[timestamp,] <by…>, requests, errors, throughput_rps, error_rate, availability``.
        ``throughput_rps`` is requests per second of bucket (of the observed span when
        ``every`` is None); ``error_rate = errors / events with a known ok``;
        ``availability = 1 − error_rate``.
    """
    lf, keys = _keys(_filter(events, where), by, every)
    aggs = [
        pl.len().alias("requests"),
        (pl.col("ok") == False).sum().alias("errors"),  # noqa: E712 - null stays null
        pl.col("ok").is_not_null().sum().alias("_known"),
        pl.col("timestamp").min().alias("_t0"),
        pl.col("timestamp").max().alias("_t1"),
    ]
    g = lf.group_by(keys).agg(aggs).sort(keys) if keys else lf.select(aggs)
    if every is not None:
        span = pl.lit(parse_duration(every, name="every"))
    else:
        span = (pl.col("_t1") - pl.col("_t0")).dt.total_microseconds() / 1e6
    out = g.with_columns(
        throughput_rps=pl.col("requests") / span,
        error_rate=pl.col("errors") / pl.col("_known"),
    ).with_columns(availability=1 - pl.col("error_rate"))
    return out.drop("_known", "_t0", "_t1").collect()
