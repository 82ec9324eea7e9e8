"""Error budgets: remaining, consumed, over time, and per calendar week or month.

With target *t* and *N* events in the window, the budget is ``(1 − t)·N`` bad events;
``consumed = bad / ((1 − t)·N)`` and ``remaining = 1 − consumed`` (negative once it is
overspent). Timeslice budgeting first turns the SLI series into one row per slice
(:func:`timeslices`): OpenSLO ``Timeslices`` counts a slice good when its ratio meets
``timeSliceTarget``; ``RatioTimeslices`` averages the per-slice ratios.

Window edges: an SLI-series row at *T* covers ``(T − step, T]``, so a period
``[P₀, P₁)`` holds the rows with ``P₀ < T ≤ P₁``. Weeks start on Monday 00:00, months on
the 1st, both in UTC unless a time zone is given.

Examples
--------
>>> import polars as pl, datetime as dt
>>> t = [dt.datetime(2026, 1, 1, h, tzinfo=dt.UTC) for h in (1, 2)]
>>> s = pl.DataFrame({"timestamp": t, "good": [999.0, 1998.0], "total": [1000.0, 2000.0]})
>>> b = error_budget(s, 0.999)
>>> b.bad, round(b.consumed, 9), round(b.remaining, 9)
(3.0, 1.0, 0.0)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, cast

import numpy as np
import polars as pl

from pipbench.errors import ConfigError
from pipbench.sli.rates import TimeLike, _to_utc
from pipbench.sli.selectors import parse_duration
from pipbench.slo.model import BudgetingMethod

__all__ = ["Budget", "budget_series", "compliance", "error_budget", "timeslices"]

Period = Literal["day", "week", "month", "quarter", "year"]
_TRUNC = {"day": "1d", "week": "1w", "month": "1mo", "quarter": "1q", "year": "1y"}


@dataclass(frozen=True)
class Budget:
    """The error budget over one window."""

    target: float
    start: dt.datetime | None
    end: dt.datetime | None
    good: float
    total: float

    @property
    def bad(self) -> float:
        """Bad events (or slices)."""
        return self.total - self.good

    @property
    def sli(self) -> float:
        """Good fraction; NaN with no events."""
        return self.good / self.total if self.total else math.nan

    @property
    def allowed(self) -> float:
        """Bad events the budget allows: ``(1 − target) · total``."""
        return (1 - self.target) * self.total

    @property
    def consumed(self) -> float:
        """Fraction of the budget spent (> 1 when overspent); NaN with no events."""
        return self.bad / self.allowed if self.total else math.nan

    @property
    def remaining(self) -> float:
        """``1 − consumed``."""
        return 1 - self.consumed

    @property
    def compliant(self) -> bool:
        """Whether the SLI meets the target."""
        return bool(self.total) and self.sli >= self.target

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready fields, including the derived ones."""
        d = asdict(self)
        for k in ("start", "end"):
            d[k] = d[k].isoformat() if d[k] else None
        d.update(
            bad=self.bad,
            sli=self.sli,
            allowed=self.allowed,
            consumed=self.consumed,
            remaining=self.remaining,
            compliant=self.compliant,
        )
        return d


def _check_target(target: float) -> None:
    if not 0 < target < 1:
        msg = f"target {target!r} is not a fraction in (0, 1)"
        raise ConfigError(msg)


def error_budget(
    series: pl.DataFrame, target: float, *, start: TimeLike = None, end: TimeLike = None
) -> Budget:
    """The error budget of an SLI series over ``(start, end]`` (default: all of it).

    The returned ``start`` is the first row actually covered when the data begins later
    than the window.

    Parameters
    ----------
    series
        ``timestamp, good, total`` (from :func:`pipbench.slo.sli_series` or
        :func:`timeslices`).
    target
        The SLO target, a fraction.
    start, end
        Window bounds.
    """
    _check_target(target)
    s, e = _to_utc(start, "start"), _to_utc(end, "end")
    f = series
    if s is not None:
        f = f.filter(pl.col("timestamp") > s)
    if e is not None:
        f = f.filter(pl.col("timestamp") <= e)
    good = float(f["good"].sum()) if f.height else 0.0
    total = float(f["total"].sum()) if f.height else 0.0
    first = cast("dt.datetime | None", f["timestamp"].min() if f.height else None)
    last = cast("dt.datetime | None", f["timestamp"].max() if f.height else None)
    shown_start = first if s is None or (first is not None and first > s) else s
    return Budget(target, shown_start, e or last, good, total)  # type: ignore[arg-type]


def budget_series(
    series: pl.DataFrame, target: float, window: str | float | dt.timedelta
) -> pl.DataFrame:
    """The budget over a rolling ``window`` ending at every row of ``series``.

    Returns ``timestamp, good, total, sli, consumed, remaining`` where good/total are
    the sums over ``(T − window, T]``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 1, h, tzinfo=dt.UTC) for h in range(3)]
    >>> s = pl.DataFrame({"timestamp": t, "good": [99.0, 98, 100], "total": [100.0] * 3})
    >>> [round(x, 9) for x in budget_series(s, 0.99, "2h")["consumed"]]
    [1.0, 1.5, 1.0]
    """
    _check_target(target)
    w_us = round(parse_duration(window, name="window") * 1e6)
    f = series.sort("timestamp")
    t = f["timestamp"].dt.epoch("us").to_numpy()
    cg = np.concatenate([[0.0], np.cumsum(f["good"].cast(pl.Float64).to_numpy())])
    ct = np.concatenate([[0.0], np.cumsum(f["total"].cast(pl.Float64).to_numpy())])
    lo = np.searchsorted(t, t - w_us, side="right")
    hi = np.arange(1, t.size + 1)
    good = cg[hi] - cg[lo]
    total = ct[hi] - ct[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        sli = good / total
        consumed = (total - good) / ((1 - target) * total)
    return f.select("timestamp").with_columns(
        good=pl.Series(good),
        total=pl.Series(total),
        sli=pl.Series(sli),
        consumed=pl.Series(consumed),
        remaining=pl.Series(1 - consumed),
    )


def compliance(
    series: pl.DataFrame, target: float, period: Period = "month", *, time_zone: str = "UTC"
) -> pl.DataFrame:
    """Per calendar period: ``period_start, period_end, good, total, sli, consumed,
    remaining, compliant``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 31, 23, 59, tzinfo=dt.UTC), dt.datetime(2026, 2, 1, tzinfo=dt.UTC),
    ...      dt.datetime(2026, 2, 1, 0, 1, tzinfo=dt.UTC)]
    >>> s = pl.DataFrame({"timestamp": t, "good": [1.0, 0, 1], "total": [1.0, 1, 1]})
    >>> compliance(s, 0.9)["total"].to_list()   # the row at 00:00 belongs to January
    [2.0, 1.0]
    """
    _check_target(target)
    if period not in _TRUNC:
        msg = f"period {period!r} is not one of {tuple(_TRUNC)}"
        raise ConfigError(msg)
    every = _TRUNC[period]
    local = pl.col("timestamp").dt.convert_time_zone(time_zone) - pl.duration(microseconds=1)
    f = series.with_columns(_p=local.dt.truncate(every))
    out = (
        f.group_by("_p")
        .agg(pl.col("good").sum(), pl.col("total").sum())
        .sort("_p")
        .with_columns(
            period_start=pl.col("_p").dt.convert_time_zone("UTC"),
            period_end=pl.col("_p").dt.offset_by(every).dt.convert_time_zone("UTC"),
        )
    )
    return out.select(
        "period_start",
        "period_end",
        "good",
        "total",
        sli=pl.col("good") / pl.col("total"),
        consumed=(pl.col("total") - pl.col("good")) / ((1 - target) * pl.col("total")),
    ).with_columns(remaining=1 - pl.col("consumed"), compliant=pl.col("sli") >= target)


def timeslices(
    series: pl.DataFrame,
    slice_window: str | float | dt.timedelta,
    *,
    method: BudgetingMethod = "Timeslices",
    timeslice_target: float | None = None,
) -> pl.DataFrame:
    """Re-express an SLI series as one row per time slice (OpenSLO budgeting methods).

    ``Timeslices``: ``good`` is 1 when the slice's good/total ≥ ``timeslice_target``
    (else 0), ``total`` is 1. ``RatioTimeslices``: ``good`` is the slice's ratio.
    ``Occurrences`` returns the series unchanged. Slices without events are dropped.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in (1, 2, 3, 4)]
    >>> s = pl.DataFrame({"timestamp": t, "good": [1.0, 0, 1, 1], "total": [1.0] * 4})
    >>> timeslices(s, "2m", timeslice_target=0.9)["good"].to_list()
    [0.0, 1.0]
    """
    if method == "Occurrences":
        return series
    if method == "Timeslices" and timeslice_target is None:
        msg = "Timeslices budgeting needs a timeslice_target (OpenSLO timeSliceTarget)"
        raise ConfigError(msg)
    w_us = round(parse_duration(slice_window, name="timeslice window") * 1e6)
    f = series.with_columns(_us=pl.col("timestamp").dt.epoch("us")).with_columns(
        _slice=(-((-pl.col("_us")) // w_us)) * w_us
    )
    g = (
        f.group_by("_slice")
        .agg(pl.col("good").sum(), pl.col("total").sum())
        .filter(pl.col("total") > 0)
    )
    ratio = pl.col("good") / pl.col("total")
    good = (ratio >= timeslice_target).cast(pl.Float64) if method == "Timeslices" else ratio
    return g.sort("_slice").select(
        timestamp=pl.col("_slice").cast(pl.Datetime("us")).dt.replace_time_zone("UTC"),
        good=good,
        total=pl.lit(1.0),
    )
