"""Counter ``rate``/``increase``/``irate``, gauge ``delta`` and instant resampling, as PromQL.

Semantics follow Prometheus 3.x ``promql/functions.go`` (``extrapolatedRate``,
``instantValue``):

- A range ``[w]`` evaluated at time *T* holds the samples with ``T − w < t ≤ T``
  (left-open, Prometheus 3).
- At least two samples are needed; otherwise there is no result (not a zero).
- Counter resets: whenever a sample is below the previous one, the previous value is
  added back (the counter is assumed to restart from 0).
- Extrapolation: the increase between the first and last sample is extended to the
  window edges when the gap to an edge is under 1.1 × the average sample spacing, and
  by half a spacing otherwise; for counters the start is never extrapolated below zero
  (``durationToZero``).
- ``irate`` uses the last two samples (a drop counts as a reset).

Frames in and out are long: ``timestamp``, label columns, ``value``. Evaluation times are
the samples' own timestamps, or a ``step`` grid aligned to the epoch.

Examples
--------
>>> # Prometheus testdata: 0+10x10 every 5m, increase(x[50m]) at 50m is 100
>>> ts = [300.0 * i for i in range(11)]
>>> extrapolated_rate(ts, [10.0 * i for i in range(11)], at=3000, window=3000, rate=False)
100.0
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
import polars as pl

from pipbench.dataset import TIMESTAMP
from pipbench.errors import ConfigError
from pipbench.sli.selectors import Matcher, as_matchers, matchers_expr, parse_duration

__all__ = [
    "delta",
    "evaluate_range",
    "extrapolated_rate",
    "increase",
    "instant",
    "instant_rate",
    "irate",
    "rate",
    "select_series",
]

Where = str | Mapping[str, str] | Sequence[Matcher] | None
TimeLike = dt.datetime | str | None
_CORE = ("timestamp", "metric", "value", "source")


# ------------------------------------------------------------------ one-window reference
def extrapolated_rate(
    timestamps: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    *,
    at: float,
    window: float,
    counter: bool = True,
    rate: bool = True,
) -> float:
    """Prometheus ``extrapolatedRate`` for one series and one evaluation (the reference).

    Parameters
    ----------
    timestamps
        Sample times in seconds, ascending (all of the series; the window is cut here).
    values
        Sample values.
    at
        Evaluation time *T* (seconds).
    window
        Range ``w`` in seconds: samples with ``T − w < t ≤ T`` are used.
    counter
        Handle resets and clamp extrapolation at zero (``rate``/``increase``); ``False``
        for ``delta``.
    rate
        Per second (``rate``) instead of over the window (``increase``/``delta``).

    Returns
    -------
    float
        The value, or NaN when the window holds fewer than two samples.

    Examples
    --------
    >>> extrapolated_rate([300, 600, 900, 1200, 1500, 1800], [1, 2, 3, 2, 3, 4],
    ...                   at=1800, window=1800, rate=False)  # a reset: 3 → 2
    7.0
    """
    t = np.asarray(timestamps, dtype=np.float64)
    v = np.asarray(values, dtype=np.float64)
    start, end = at - window, at
    sel = (t > start) & (t <= end)
    ts, vs = t[sel], v[sel]
    if ts.size < 2:
        return math.nan
    result = float(vs[-1] - vs[0])
    if counter:
        for i in range(1, vs.size):
            if vs[i] < vs[i - 1]:
                result += float(vs[i - 1])
    return _extrapolate(
        result, float(ts[0]), float(ts[-1]), ts.size - 1, float(vs[0]), start, end, counter, rate
    )


def _extrapolate(
    result: float,
    first_t: float,
    last_t: float,
    n_minus_one: int,
    first_v: float,
    start: float,
    end: float,
    counter: bool,
    rate: bool,
) -> float:
    to_start = first_t - start
    to_end = end - last_t
    sampled = last_t - first_t
    avg = sampled / n_minus_one
    threshold = avg * 1.1
    if to_start >= threshold:
        to_start = avg / 2
    if counter:
        to_zero = to_start
        if result > 0 and first_v >= 0:
            to_zero = sampled * (first_v / result)
        if to_zero < to_start:
            to_start = to_zero
    if to_end >= threshold:
        to_end = avg / 2
    factor = (sampled + to_start + to_end) / sampled
    if rate:
        factor /= end - start
    return result * factor


# ------------------------------------------------------------------------- vectorised
def _windows(
    t_us: np.ndarray,
    v: np.ndarray,
    offsets: np.ndarray,
    eval_us: np.ndarray,
    range_us: int,
    func: Literal["rate", "increase", "delta", "irate", "idelta", "last"],
) -> tuple[np.ndarray, np.ndarray]:
    """Evaluate ``func`` for every (series, eval time); returns values and a has-result mask.

    ``t_us``/``v`` hold every series one after another (ascending time within a series);
    series *s* occupies ``offsets[s]:offsets[s+1]``.
    """
    S = offsets.size - 1
    T = eval_us.size
    if S == 0 or T == 0:
        return np.empty((S, T)), np.zeros((S, T), dtype=bool)
    base = min(int(t_us.min()), int(eval_us.min()) - range_us) - 1
    span = max(int(t_us.max()), int(eval_us.max())) - base + 2
    sid = np.repeat(np.arange(S, dtype=np.int64), np.diff(offsets))
    if S * span < 2**62:
        keys = sid * span + (t_us - base)
        ends = np.arange(S, dtype=np.int64)[:, None] * span + (eval_us[None, :] - base)
        b = np.searchsorted(keys, ends.ravel(), side="right") - 1
        a = np.searchsorted(keys, (ends - range_us).ravel(), side="right")
    else:  # pragma: no cover - astronomically long spans: one search per series
        b = np.empty(S * T, dtype=np.int64)
        a = np.empty(S * T, dtype=np.int64)
        for s in range(S):
            lo, hi = offsets[s], offsets[s + 1]
            b[s * T : (s + 1) * T] = lo + np.searchsorted(t_us[lo:hi], eval_us, "right") - 1
            a[s * T : (s + 1) * T] = lo + np.searchsorted(t_us[lo:hi], eval_us - range_us, "right")
    n = b - a + 1
    need = 1 if func == "last" else 2
    ok = n >= need
    out = np.full(S * T, np.nan)
    ai, bi = a[ok], b[ok]
    if func == "last":
        out[ok] = v[bi]
        return out.reshape(S, T), ok.reshape(S, T)
    if func in ("irate", "idelta"):
        last, prev = v[bi], v[bi - 1]
        dt_s = (t_us[bi] - t_us[bi - 1]) / 1e6
        if func == "irate":
            res = np.where(last < prev, last, last - prev)
            with np.errstate(divide="ignore", invalid="ignore"):
                res = res / dt_s
        else:
            res = last - prev
        good = dt_s != 0
        out_ok = np.flatnonzero(ok)
        out[out_ok[good]] = res[good]
        ok[out_ok[~good]] = False
        return out.reshape(S, T), ok.reshape(S, T)
    counter = func in ("rate", "increase")
    result = v[bi] - v[ai]
    if counter:
        drop = np.zeros(v.size, dtype=bool)
        drop[1:] = (v[1:] < v[:-1]) & (sid[1:] == sid[:-1])
        rpos = np.flatnonzero(drop)
        if rpos.size:
            rval = v[rpos - 1]
            lo = np.searchsorted(rpos, ai + 1, side="left")
            hi = np.searchsorted(rpos, bi + 1, side="left")
            nres = hi - lo
            most = int(nres.max()) if nres.size else 0
            if most <= 64:  # add resets one by one, in order, as Prometheus does
                for j in range(most):
                    m = nres > j
                    result[m] += rval[lo[m] + j]
            else:  # very many resets in a window: prefix sums (last-bit rounding may differ)
                csum = np.concatenate([[0.0], np.cumsum(rval)])
                result += csum[hi] - csum[lo]
    first_t = t_us[ai] / 1e6
    last_t = t_us[bi] / 1e6
    e_s = np.repeat(eval_us[None, :], S, axis=0).ravel()[ok] / 1e6
    start = e_s - range_us / 1e6
    to_start = first_t - start
    to_end = e_s - last_t
    sampled = last_t - first_t
    avg = sampled / (bi - ai)
    threshold = avg * 1.1
    to_start = np.where(to_start >= threshold, avg / 2, to_start)
    if counter:
        first_v = v[ai]
        with np.errstate(divide="ignore", invalid="ignore"):
            to_zero = np.where(
                (result > 0) & (first_v >= 0), sampled * (first_v / result), to_start
            )
        to_start = np.where(to_zero < to_start, to_zero, to_start)
    to_end = np.where(to_end >= threshold, avg / 2, to_end)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = (sampled + to_start + to_end) / sampled
        if func == "rate":
            factor = factor / (range_us / 1e6)
    out[ok] = result * factor
    return out.reshape(S, T), ok.reshape(S, T)


# ---------------------------------------------------------------------------- frames
def _to_utc(value: TimeLike, name: str) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            msg = f"{name} {value!r} is not an ISO-8601 time"
            raise ConfigError(msg) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value


def select_series(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    where: Where = None,
    *,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    """The points of ``metric`` matching ``where``, one row per (series, timestamp), sorted.

    Label columns that are null for every selected row are dropped; ``source`` is not
    part of a series' identity (two exports of the same series are one series; the first
    point at a timestamp wins). Adds ``_sid``, the series index.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> f = pl.DataFrame({"timestamp": [t, t], "metric": ["up", "up"], "value": [1.0, 0.0],
    ...                   "source": ["a", "a"], "job": ["api", "db"]})
    >>> select_series(f, "up", {"job": "db"})["value"].to_list()
    [0.0]
    """
    lf = samples.lazy()
    cols = lf.collect_schema().names()
    labels = [c for c in cols if c not in _CORE]
    pred = (pl.col("metric") == metric) & matchers_expr(as_matchers(where), cols)
    s, e = _to_utc(start, "start"), _to_utc(end, "end")
    if s is not None:
        pred = pred & (pl.col("timestamp") >= s)
    if e is not None:
        pred = pred & (pl.col("timestamp") <= e)
    df = lf.filter(pred).select("timestamp", "value", *labels).collect()
    keep = [c for c in labels if df[c].null_count() < df.height]
    df = df.select("timestamp", "value", *keep)
    df = df.sort([*keep, "timestamp"], maintain_order=True, nulls_last=True)
    df = df.with_columns(_sid=group_ids(keep))
    dup = (pl.col("_sid") == pl.col("_sid").shift(1)) & (
        pl.col("timestamp") == pl.col("timestamp").shift(1)
    )
    return df.filter(~dup.fill_null(False))


def group_ids(keys: Sequence[str]) -> pl.Expr:
    """0, 1, 2… numbering runs of equal ``keys`` in a frame sorted by them (nulls equal)."""
    if not keys:
        return pl.lit(0, pl.UInt32)
    first = pl.int_range(pl.len()) == 0
    changed = pl.any_horizontal([pl.col(k).ne_missing(pl.col(k).shift(1)) for k in keys])
    return ((first | changed).cum_sum() - 1).cast(pl.UInt32)


def _eval_grid(
    t_us: np.ndarray, step: str | float | dt.timedelta | None, start: TimeLike, end: TimeLike
) -> np.ndarray:
    if step is None:
        s, e = _to_utc(start, "start"), _to_utc(end, "end")
        if s is not None and s == e:  # an instant query
            return np.array([round(s.timestamp() * 1e6)], dtype=np.int64)
        grid = np.unique(t_us)
        if s is not None:
            grid = grid[grid >= int(s.timestamp() * 1e6)]
        if e is not None:
            grid = grid[grid <= int(e.timestamp() * 1e6)]
        return grid
    step_us = round(parse_duration(step, name="step") * 1e6)
    s, e = _to_utc(start, "start"), _to_utc(end, "end")
    lo = int(s.timestamp() * 1e6) if s else (int(t_us.min()) if t_us.size else 0)
    hi = int(e.timestamp() * 1e6) if e else (int(t_us.max()) if t_us.size else -1)
    if s is None:
        lo = -(-lo // step_us) * step_us  # align to the epoch, like Grafana
    return np.arange(lo, hi + 1, step_us, dtype=np.int64)


def evaluate_range(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    func: Literal["rate", "increase", "delta", "irate", "idelta", "last"],
    window: str | float | dt.timedelta,
    *,
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    """Evaluate a range function for every series of ``metric`` at every evaluation time.

    Returns a long frame ``timestamp, <labels…>, value`` with a row only where Prometheus
    would return a sample.
    """
    range_s = parse_duration(window, name="window")
    range_us = round(range_s * 1e6)
    lo = _to_utc(start, "start")
    pad_start = None if lo is None else lo - dt.timedelta(microseconds=range_us)
    df = select_series(samples, metric, where, start=pad_start, end=end)
    labels = [c for c in df.columns if c not in ("timestamp", "value", "_sid")]
    grid, offsets, vals, ok = evaluate_selected(df, func, range_us, step=step, start=start, end=end)
    si, ti = np.nonzero(ok)
    out = pl.DataFrame(
        {
            "timestamp": pl.Series(grid[ti]).cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
            "value": pl.Series(vals[si, ti], dtype=pl.Float64),
        }
    )
    if labels:  # the labels of each result row's series (its first sample's row)
        out = df[offsets[si].tolist()].select(labels).hstack(out)
    return out.select("timestamp", *labels, "value").cast({"timestamp": TIMESTAMP})


def evaluate_selected(
    df: pl.DataFrame,
    func: Literal["rate", "increase", "delta", "irate", "idelta", "last"],
    range_us: int,
    *,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The array core of :func:`evaluate_range` on a :func:`select_series` frame.

    Returns ``(grid_us, offsets, values, has_value)`` with ``values``/``has_value`` of
    shape (series, evaluation times); lets callers reuse one selection for many windows.
    """
    t_us = df["timestamp"].dt.epoch("us").to_numpy().astype(np.int64)
    v = df["value"].to_numpy().astype(np.float64)
    sid = df["_sid"].to_numpy()
    S = int(sid.max()) + 1 if sid.size else 0
    offsets = np.searchsorted(sid, np.arange(S + 1))
    grid = _eval_grid(t_us, step, start, end)
    vals, ok = _windows(t_us, v, offsets, grid, range_us, func)
    return grid, offsets, vals, ok


_PARAMS = """
    Parameters
    ----------
    samples
        The samples table (lazy or not), e.g. ``open_dataset(d).samples()``.
    metric
        The metric name.
    window
        The range, ``"5m"`` or seconds.
    where
        Label matchers: ``'{code=~"5.."}'``, ``{"job": "api"}`` or a list of ``Matcher``.
    step
        Evaluation step; default: at every sample timestamp (or the single instant
        ``start`` when ``start == end``).
    start, end
        Evaluation bounds (UTC).

    Returns
    -------
    polars.DataFrame
        ``timestamp, <labels…>, value``.
"""


def rate(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    window: str | float | dt.timedelta,
    *,
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    return evaluate_range(
        samples, metric, "rate", window, where=where, step=step, start=start, end=end
    )


rate.__doc__ = (
    "PromQL ``rate(metric{where}[window])``: per-second increase of a counter.\n" + _PARAMS
)


def increase(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    window: str | float | dt.timedelta,
    *,
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    return evaluate_range(
        samples, metric, "increase", window, where=where, step=step, start=start, end=end
    )


increase.__doc__ = (
    "PromQL ``increase(metric{where}[window])``: a counter's increase over the window.\n" + _PARAMS
)


def irate(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    window: str | float | dt.timedelta,
    *,
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    return evaluate_range(
        samples, metric, "irate", window, where=where, step=step, start=start, end=end
    )


irate.__doc__ = (
    "PromQL ``irate(metric{where}[window])``: per-second rate from the last two samples.\n"
    + _PARAMS
)


def delta(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    window: str | float | dt.timedelta,
    *,
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    return evaluate_range(
        samples, metric, "delta", window, where=where, step=step, start=start, end=end
    )


delta.__doc__ = (
    "PromQL ``delta(gauge{where}[window])``: a gauge's change, extrapolated, no resets.\n" + _PARAMS
)

instant_rate = irate


def instant(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    *,
    where: Where = None,
    step: str | float | dt.timedelta | None = None,
    lookback: str | float | dt.timedelta = "5m",
    start: TimeLike = None,
    end: TimeLike = None,
) -> pl.DataFrame:
    """A gauge resampled to ``step`` as a PromQL instant vector: the last sample within
    ``lookback`` (default 5m) before each evaluation time.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in (0, 1)]
    >>> f = pl.DataFrame({"timestamp": t, "metric": ["g", "g"], "value": [1.0, 2.0]})
    >>> instant(f, "g", step="30s")["value"].to_list()
    [1.0, 1.0, 2.0]
    """
    return evaluate_range(
        samples, metric, "last", lookback, where=where, step=step, start=start, end=end
    )
