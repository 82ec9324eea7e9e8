"""Turn an SLO's indicator into good/total event counts per step, from the dataset.

The result, an *SLI series*, is the one input of budgets and burn rates: a frame
``timestamp, good, total`` where the row at *T* covers the interval ``(T − step, T]``.

- Ratio SLIs on counters: exact event counts, i.e. the sum over matching series of
  each counter's increments (a drop is a reset: the new value is the increment),
  attributed to the step holding the later sample. No extrapolation, so budgets add up.
- Threshold SLIs (a latency quantile or a gauge against a value): each evaluation at a
  step is one occurrence, good when the comparison holds.
- SLIs whose PromQL cannot be mapped raise :class:`UnmappedSLIError` saying which query
  and why.

Examples
--------
>>> import polars as pl, datetime as dt
>>> from pipbench.slo.model import SLI
>>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in range(3)]
>>> f = pl.DataFrame({"timestamp": t * 2, "metric": ["req_total"] * 6,
...                   "value": [0.0, 10, 20, 0, 1, 1], "code": ["200"] * 3 + ["500"] * 3})
>>> sli = SLI("ratio", bad='sum(rate(req_total{code="500"}[5m]))', total="sum(rate(req_total[5m]))")
>>> sli_series(sli, f, step="1m").select("good", "total").rows()
[(10.0, 11.0), (10.0, 10.0)]
"""

from __future__ import annotations

import datetime as dt
import operator

import numpy as np
import polars as pl

from pipbench.errors import ConfigError, PipbenchError
from pipbench.sli.queries import latency_quantiles
from pipbench.sli.rates import TimeLike, _to_utc, evaluate_selected, instant, select_series
from pipbench.sli.selectors import Selector, parse_duration
from pipbench.slo.model import SLI
from pipbench.slo.promql import (
    CounterQuery,
    QuantileQuery,
    Unmapped,
    map_counter,
    map_gauge,
    map_ratio,
)

__all__ = [
    "UnmappedSLIError",
    "counter_increments",
    "event_sli_series",
    "promql_error_ratios",
    "sli_series",
]

_OPS = {"lt": operator.lt, "lte": operator.le, "gt": operator.gt, "gte": operator.ge}


class UnmappedSLIError(PipbenchError, ValueError):
    """An SLI query that pipbench cannot evaluate on the dataset's series."""


def counter_increments(
    samples: pl.LazyFrame | pl.DataFrame,
    selector: Selector,
    *,
    step: str | float | dt.timedelta = "1m",
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    """Events counted by the counters matching ``selector``, per step: ``timestamp, value``.

    Each increment between consecutive samples of a series (with a reset, the new value)
    lands in the step ``(T − step, T]`` holding the later sample.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 1, 0, 0, s, tzinfo=dt.UTC) for s in (0, 30, 59)]
    >>> f = pl.DataFrame({"timestamp": t, "metric": ["c"] * 3, "value": [5.0, 9, 2]})
    >>> counter_increments(f, Selector("c"), step="1m")["value"].to_list()
    [6.0]
    """
    step_us = round(parse_duration(step, name="step") * 1e6)
    df = select_series(samples, selector.metric, selector.matchers, start=start, end=end)
    if df.height == 0:
        return pl.DataFrame(schema={"timestamp": pl.Datetime("us", "UTC"), "value": pl.Float64})
    inc = (
        df.with_columns(prev=pl.col("value").shift(1).over("_sid"))
        .filter(pl.col("prev").is_not_null())
        .with_columns(
            inc=pl.when(pl.col("value") >= pl.col("prev"))
            .then(pl.col("value") - pl.col("prev"))
            .otherwise(pl.col("value")),
            us=pl.col("timestamp").dt.epoch("us"),
        )
        .with_columns(bucket=(-((-pl.col("us")) // step_us)) * step_us)  # ceil: (T-step, T]
    )
    out = inc.group_by("bucket").agg(value=pl.col("inc").sum()).sort("bucket")
    return out.select(
        timestamp=pl.col("bucket").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        value=pl.col("value"),
    )


def event_sli_series(
    events: pl.LazyFrame | pl.DataFrame,
    *,
    threshold: float | None = None,
    name: str | None = None,
    step: str | float | dt.timedelta = "1m",
) -> pl.DataFrame:
    """An SLI series straight from the events table (simulated or load-test data).

    An event is good when ``ok`` is true and, with ``threshold``, its ``duration_s`` is at
    most ``threshold`` seconds; events with a null ``ok`` are not counted. ``name``
    keeps only events whose ``name`` matches that regular expression. Rows cover
    ``(T − step, T]`` like every SLI series.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 1, 1, 0, 0, 30, tzinfo=dt.UTC)
    >>> ev = pl.DataFrame({"timestamp": [t] * 3, "duration_s": [0.1, 0.5, 0.2],
    ...                    "ok": [True, True, False]})
    >>> event_sli_series(ev, threshold=0.3).select("good", "total").rows()
    [(1.0, 3.0)]
    """
    step_us = round(parse_duration(step, name="step") * 1e6)
    lf = events.lazy().filter(pl.col("ok").is_not_null())
    if name:
        lf = lf.filter(pl.col("name").fill_null("").str.contains(f"^(?:{name})$"))
    good = pl.col("ok")
    if threshold is not None:
        good = good & (pl.col("duration_s") <= threshold)
    us = pl.col("timestamp").dt.epoch("us")
    out = (
        lf.with_columns(_b=(-((-us) // step_us)) * step_us, _g=good.cast(pl.Float64))
        .group_by("_b")
        .agg(good=pl.col("_g").sum(), total=pl.len().cast(pl.Float64))
        .sort("_b")
        .collect()
    )
    return out.select(
        timestamp=pl.col("_b").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        good=pl.col("good"),
        total=pl.col("total"),
    )


def _counter(q: CounterQuery | Unmapped, role: str) -> Selector:
    if isinstance(q, Unmapped):
        msg = f"cannot map the SLI's {role} query {q.query!r} onto dataset series: {q.reason}"
        raise UnmappedSLIError(msg)
    return q.selector


def sli_series(
    sli: SLI,
    samples: pl.LazyFrame | pl.DataFrame,
    *,
    step: str | float | dt.timedelta = "1m",
    start: TimeLike = None,
    end: TimeLike = None,
    events: pl.LazyFrame | pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Good and total events per step for ``sli``: ``timestamp, good, total``.

    Parameters
    ----------
    sli
        The indicator (from a spec reader or built by hand).
    samples
        The samples table.
    step
        Step length; each row covers ``(T − step, T]``.
    start, end
        Bounds on the samples read.
    events
        The events table, for SLIs with ``source="events"`` (see :func:`event_sli_series`).

    Raises
    ------
    UnmappedSLIError
        When a query is not one of the forms :mod:`pipbench.slo.promql` understands.
    """
    if sli.source == "events":
        if events is None:
            msg = "an SLI with source='events' needs the events table"
            raise UnmappedSLIError(msg)
        return event_sli_series(events, threshold=sli.threshold, name=sli.query, step=step)
    if sli.kind == "ratio":
        return _ratio_series(sli, samples, step, start, end)
    return _threshold_series(sli, samples, step, start, end)


def promql_error_ratios(
    sli: SLI,
    samples: pl.LazyFrame | pl.DataFrame,
    windows_s: list[float],
    *,
    step: str | float | dt.timedelta | None = "1m",
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    """Error ratios as Prometheus rules compute them, for each window:
    ``sum(rate(bad[w])) / sum(rate(total[w]))`` (or ``1 − good/total``), evaluated every
    ``step`` with :func:`pipbench.sli.rate`'s extrapolation.

    Returns ``timestamp, ratio_<seconds>…`` (NaN where the total rate is 0, null where
    Prometheus has no sample), ready for :func:`pipbench.slo.backtest`'s ``ratios``.
    Only ratio SLIs over counters.
    """
    if sli.kind != "ratio" or sli.source != "prometheus":
        msg = "PromQL error ratios need a ratio SLI over Prometheus counters"
        raise UnmappedSLIError(msg)
    if step is None:
        msg = "promql_error_ratios needs a step (e.g. '1m'), as a rule's evaluation interval"
        raise ConfigError(msg)
    good_sel, bad_sel, total_sel = _ratio_selectors(sli)
    part_sel = good_sel or bad_sel
    assert part_sel is not None
    # select each counter's series once (padded by the longest window), then evaluate
    # rate() for every window on one evaluation grid
    lo = _to_utc(start, "start")
    pad = None if lo is None else lo - dt.timedelta(seconds=max(windows_s))
    tot_df = select_series(samples, total_sel.metric, total_sel.matchers, start=pad, end=end)
    part_df = select_series(samples, part_sel.metric, part_sel.matchers, start=pad, end=end)
    if lo is None and step is not None and tot_df.height:
        step_us = round(parse_duration(step, name="step") * 1e6)
        first_us = int(tot_df["timestamp"].dt.epoch("us").min())  # type: ignore[arg-type]
        lo = dt.datetime.fromtimestamp(-(-first_us // step_us) * step_us / 1e6, dt.UTC)
        if end is None:
            end = tot_df["timestamp"].max()  # type: ignore[assignment]
    cols: dict[str, np.ndarray] = {}
    grid = np.empty(0, dtype=np.int64)
    for w in windows_s:
        w_us = round(w * 1e6)
        grid, _, tv, tok = evaluate_selected(tot_df, "rate", w_us, step=step, start=lo, end=end)
        _, _, pv, pok = evaluate_selected(part_df, "rate", w_us, step=step, start=lo, end=end)
        total = np.where(tok, tv, 0.0).sum(axis=0)
        part = np.where(pok, pv, 0.0).sum(axis=0) if pv.shape[0] else np.zeros(grid.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = part / total
        if good_sel is not None:
            ratio = 1 - ratio
        cols[f"ratio_{w:g}"] = np.where(tok.any(axis=0), ratio, np.nan)
    out = pl.DataFrame({"timestamp": pl.Series(grid, dtype=pl.Int64), **cols})
    return out.with_columns(pl.col("timestamp").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"))


def _ratio_selectors(sli: SLI) -> tuple[Selector | None, Selector | None, Selector]:
    """(good, bad, total) selectors of a counter ratio SLI."""
    good_sel = bad_sel = None
    if sli.total is None:
        query = sli.bad or sli.good or ""
        r = map_ratio(query)
        if isinstance(r, Unmapped):
            msg = f"cannot map the SLI's ratio query {query!r} onto dataset series: {r.reason}"
            raise UnmappedSLIError(msg)
        if (sli.bad is None) != r.complement:
            good_sel = r.numerator.selector
        else:
            bad_sel = r.numerator.selector
        return good_sel, bad_sel, r.denominator.selector
    total_sel = _counter(map_counter(sli.total), "total")
    if sli.bad:
        bad_sel = _counter(map_counter(sli.bad), "bad")
    elif sli.good:
        good_sel = _counter(map_counter(sli.good), "good")
    else:
        msg = "a ratio SLI needs a good or a bad query"
        raise UnmappedSLIError(msg)
    return good_sel, bad_sel, total_sel


def _ratio_series(sli: SLI, samples, step, start, end) -> pl.DataFrame:
    good_sel, bad_sel, total_sel = _ratio_selectors(sli)
    kw = {"step": step, "start": start, "end": end}
    total = counter_increments(samples, total_sel, **kw).rename({"value": "total"})
    part_sel = good_sel or bad_sel
    assert part_sel is not None
    part = counter_increments(samples, part_sel, **kw).rename({"value": "part"})
    out = total.join(part, on="timestamp", how="full", coalesce=True).with_columns(
        pl.col("total").fill_null(0.0), pl.col("part").fill_null(0.0)
    )
    good = pl.col("part") if good_sel is not None else pl.col("total") - pl.col("part")
    return out.select("timestamp", good.alias("good"), "total").sort("timestamp")


def _threshold_series(sli: SLI, samples, step, start, end) -> pl.DataFrame:
    if sli.query is None or sli.op is None or sli.threshold is None:
        msg = "a threshold SLI needs a query, an op (lt/lte/gt/gte) and a value"
        raise UnmappedSLIError(msg)
    q = map_gauge(sli.query)
    if isinstance(q, Unmapped):
        msg = f"cannot map the SLI's query {q.query!r} onto dataset series: {q.reason}"
        raise UnmappedSLIError(msg)
    if isinstance(q, QuantileQuery):
        metric = q.selector.metric.removesuffix("_bucket")
        vals = latency_quantiles(
            samples,
            metric,
            q=q.q,
            window=q.window or "5m",
            where=q.selector.matchers,
            step=step,
            start=start,
            end=end,
        )
    else:
        vals = instant(
            samples, q.selector.metric, where=q.selector.matchers, step=step, start=start, end=end
        )
    vals = vals.filter(pl.col("value").is_not_nan())
    ok = _OPS[sli.op](vals["value"].to_numpy(), sli.threshold)
    vals = vals.with_columns(good=pl.Series(ok.astype(np.float64)), total=pl.lit(1.0))
    return (
        vals.group_by("timestamp")
        .agg(pl.col("good").sum(), pl.col("total").sum())
        .sort("timestamp")
    )
