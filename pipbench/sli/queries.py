"""The SLI queries a PIP asks most: latency quantiles and error ratios, as tidy frames.

These compose :mod:`~pipbench.sli.rates` and :mod:`~pipbench.sli.quantiles` the way the
usual PromQL does::

    histogram_quantile(q, sum by (le, <by>) (rate(<metric>_bucket{<where>}[<window>])))
    sum by (<by>) (rate(<errors>[w])) / sum by (<by>) (rate(<total>[w]))

Examples
--------
>>> import polars as pl, datetime as dt
>>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in range(3)]
>>> rows = [{"timestamp": ts, "metric": "lat_bucket", "value": float(n * c), "le": le}
...         for n, ts in enumerate(t) for le, c in (("0.1", 5), ("0.5", 9), ("+Inf", 10))]
>>> latency_quantiles(pl.DataFrame(rows), "lat", q=0.5, window="2m")["value"].to_list()
[0.1, 0.1]
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import polars as pl

from pipbench.sli.quantiles import REASONS, histogram_quantiles
from pipbench.sli.rates import TimeLike, Where, group_ids, rate
from pipbench.sli.selectors import as_matchers

__all__ = ["error_ratio", "histogram_quantile_frame", "latency_quantiles"]


def histogram_quantile_frame(
    q: float,
    buckets: pl.DataFrame,
    *,
    le: str = "le",
    value: str = "value",
    reasons: bool = False,
) -> pl.DataFrame:
    """``histogram_quantile`` over a long frame of many histograms (vectorised).

    Every column except ``le`` and ``value`` identifies a histogram (typically
    ``timestamp`` and the labels kept by ``sum by (le, …)``). Buckets whose ``le`` does
    not parse are skipped, as Prometheus does.

    Parameters
    ----------
    q
        The quantile.
    buckets
        Long frame: identity columns, ``le`` (string or float), ``value`` (cumulative).
    le, value
        Column names.
    reasons
        Add a ``reason`` column (empty string for real answers).

    Returns
    -------
    polars.DataFrame
        One row per histogram: identity columns, ``value`` (and ``reason``).

    Examples
    --------
    >>> f = pl.DataFrame({"job": ["a"] * 3, "le": ["1", "2", "+Inf"], "value": [1.0, 3, 4]})
    >>> histogram_quantile_frame(0.5, f)["value"].to_list()
    [1.5]
    """
    keys = [c for c in buckets.columns if c not in (le, value)]
    df = buckets.with_columns(_le=pl.col(le).cast(pl.Float64, strict=False)).filter(
        pl.col("_le").is_not_null()
    )
    df = df.sort([*keys, "_le"], maintain_order=True, nulls_last=True)
    df = df.with_columns(_hid=group_ids(keys).cast(pl.Int64))
    if df.height == 0:
        out = df.select(keys).with_columns(value=pl.lit(None, pl.Float64))
        return out.with_columns(reason=pl.lit("", pl.String)) if reasons else out
    hid = df["_hid"].to_numpy()
    n = int(hid.max()) + 1
    first = np.searchsorted(hid, np.arange(n))
    pos = np.arange(hid.size) - first[hid]
    k = int(pos.max()) + 1
    le2 = np.full((n, k), np.nan)
    c2 = np.zeros((n, k))
    le2[hid, pos] = df["_le"].to_numpy()
    c2[hid, pos] = df[value].to_numpy()
    vals, rs = histogram_quantiles(q, le2, c2)
    out = df[first.tolist()].select(keys)
    out = out.with_columns(value=pl.Series(vals, dtype=pl.Float64))
    if reasons:
        out = out.with_columns(reason=pl.Series(np.asarray(REASONS, dtype=object)[rs].tolist()))
    return out


def latency_quantiles(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str = "http_request_duration_seconds",
    *,
    q: float = 0.99,
    by: Sequence[str] = (),
    window: str | float | dt.timedelta = "5m",
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
    reasons: bool = False,
) -> pl.DataFrame:
    """Latency quantile over time from a classic histogram, as Grafana's usual panel.

    ``histogram_quantile(q, sum by (le, <by>) (rate(<metric>_bucket{<where>}[<window>])))``

    Parameters
    ----------
    samples
        The samples table.
    metric
        Histogram base name (``_bucket`` is appended unless present).
    q
        Quantile, e.g. 0.99.
    by
        Labels to keep (e.g. ``["endpoint"]``); every other label is summed away.
    window, where, step, start, end
        As for :func:`pipbench.sli.rate`.
    reasons
        Add a ``reason`` column explaining NaN values.

    Returns
    -------
    polars.DataFrame
        ``timestamp, <by…>, value`` (seconds, when the histogram is in seconds).
    """
    name = metric if metric.endswith("_bucket") else metric + "_bucket"
    r = rate(samples, name, window, where=where, step=step, start=start, end=end)
    by = list(by)
    missing = [b for b in by if b not in r.columns]
    for b in missing:  # a label no series has is "" everywhere
        r = r.with_columns(pl.lit(None, pl.String).alias(b))
    if "le" not in r.columns:
        r = r.with_columns(le=pl.lit(None, pl.String))
    summed = r.group_by(["timestamp", *by, "le"], maintain_order=True).agg(pl.col("value").sum())
    out = histogram_quantile_frame(q, summed, reasons=reasons)
    return out.sort(["timestamp", *by])


def _sum_by(frame: pl.DataFrame, by: Sequence[str]) -> pl.DataFrame:
    for b in by:
        if b not in frame.columns:
            frame = frame.with_columns(pl.lit(None, pl.String).alias(b))
    return frame.group_by(["timestamp", *by]).agg(pl.col("value").sum())


def error_ratio(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str = "http_requests_total",
    *,
    errors: Where = '{code=~"5.."}',
    total: Where = None,
    total_metric: str | None = None,
    by: Sequence[str] = (),
    window: str | float | dt.timedelta = "5m",
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    """Error ratio over time: ``sum by (<by>) (rate(errors[w])) / sum by (<by>) (rate(total[w]))``.

    Parameters
    ----------
    samples
        The samples table.
    metric
        Counter of requests (errors are selected from it with ``errors``).
    errors
        Matchers picking the bad requests, e.g. ``'{code=~"5.."}'``. They are added to
        ``total``'s matchers.
    total
        Matchers for all requests (default: every series of the metric).
    total_metric
        A different counter for the total (e.g. errors in ``x_errors_total``): then
        ``errors`` applies to ``metric`` and ``total`` to ``total_metric``.
    by, window, step, start, end
        As for :func:`pipbench.sli.rate`.

    Returns
    -------
    polars.DataFrame
        ``timestamp, <by…>, errors, total, value`` where ``errors``/``total`` are per-second
        rates and ``value`` their ratio. Where no error series exists at a timestamp the
        error rate is 0 (like ``or vector(0)``); 0/0 is NaN, as in Prometheus.
    """
    tm = as_matchers(total)
    em = as_matchers(errors)
    bad_where = em if total_metric else (*tm, *em)
    bad = _sum_by(
        rate(samples, metric, window, where=bad_where, step=step, start=start, end=end), by
    )
    tot = _sum_by(
        rate(samples, total_metric or metric, window, where=tm, step=step, start=start, end=end), by
    )
    keys = ["timestamp", *by]
    out = tot.rename({"value": "total"}).join(
        bad.rename({"value": "errors"}), on=keys, how="left", nulls_equal=True
    )
    out = out.with_columns(pl.col("errors").fill_null(0.0))
    return (
        out.with_columns(value=pl.col("errors") / pl.col("total"))
        .select(*keys, "errors", "total", "value")
        .sort(keys)
    )
