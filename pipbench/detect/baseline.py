"""Seasonal baselines: what a metric should look like, with a band, for any window.

Three baselines with one contract (scikit-learn style): keyword parameters stored verbatim
in ``__init__``, validation in ``fit(timestamps, values)`` which returns ``self``, learned
state ending in ``_``, and ``predict(timestamps)`` returning a :class:`Forecast` (expected
value, lower and upper band, scale). A baseline that cannot be fitted raises
:class:`BaselineError` saying why; what it had to repair (gaps filled, duplicate timestamps
averaged, a level shift in the history) is listed in ``notes_``.

* :class:`ProfileBaseline`: robust time-of-day or time-of-week profile (median and MAD per
  bin) on top of the recent level.
* :class:`STLBaseline`: STL or MSTL decomposition (statsmodels) with R's speed-up jumps.
* :class:`ETSBaseline`: Holt-Winters / ETS (statsmodels ``ETSModel``) with its prediction
  intervals.

Examples
--------
>>> import numpy as np
>>> ts = 1_700_006_400 + 300.0 * np.arange(2016)      # a week at 5 min
>>> y = 50 + 10 * np.sin(2 * np.pi * np.arange(2016) / 288)
>>> fc = ProfileBaseline().fit(ts, y).predict(ts[-288:] + 86400)
>>> bool(np.allclose(fc.expected, y[-288:], atol=1e-6))
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

from pipbench.detect._base import ParamsMixin, clone
from pipbench.detect._series import DAY_S, as_float_array, infer_period, to_epoch_seconds
from pipbench.errors import ConfigError, NotFittedError, PipbenchError

__all__ = [
    "BaselineError",
    "ETSBaseline",
    "Forecast",
    "ProfileBaseline",
    "STLBaseline",
    "clone",
]

WEEK_S = 7 * DAY_S
_MAD = 1.4826


class BaselineError(PipbenchError, ValueError):
    """A baseline cannot be fitted on this history; the message says why and what is needed."""


@dataclass(frozen=True)
class Forecast:
    """Expected values and a band at the requested timestamps (epoch seconds)."""

    timestamps: np.ndarray
    expected: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    scale: np.ndarray
    """Standard-deviation-like spread of a point around ``expected``."""

    def to_frame(self) -> object:
        """A polars DataFrame (timestamp as UTC datetime)."""
        import polars as pl

        return pl.DataFrame(
            {
                "timestamp": (self.timestamps * 1e6).astype(np.int64),
                "expected": self.expected,
                "lower": self.lower,
                "upper": self.upper,
                "scale": self.scale,
            }
        ).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))


def _clean_history(timestamps: object, values: object) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Finite, time-ordered history with duplicate timestamps averaged."""
    y = as_float_array(values)
    ts = to_epoch_seconds(timestamps)
    if ts.shape != y.shape:
        msg = f"{ts.size} timestamps for {y.size} values; need one timestamp per value"
        raise BaselineError(msg)
    notes: list[str] = []
    ok = np.isfinite(y) & np.isfinite(ts)
    if (~ok).any():
        notes.append(f"{int((~ok).sum())} missing values ignored")
    ts, y = ts[ok], y[ok]
    if y.size == 0:
        msg = "the history has no finite values"
        raise BaselineError(msg)
    order = np.argsort(ts, kind="stable")
    ts, y = ts[order], y[order]
    uniq, inv, counts = np.unique(ts, return_inverse=True, return_counts=True)
    if uniq.size < ts.size:
        notes.append(f"{ts.size - uniq.size} duplicate timestamps averaged")
        y = np.bincount(inv, weights=y) / counts
        ts = uniq
    return ts, y, notes


def _grid(ts: np.ndarray, y: np.ndarray, notes: list[str]) -> tuple[np.ndarray, np.ndarray, float]:
    """Resample onto a regular grid at the median step, filling gaps linearly."""
    if ts.size < 3:
        msg = f"only {ts.size} points of history; need at least 3"
        raise BaselineError(msg)
    step = float(np.median(np.diff(ts)))
    n = round((ts[-1] - ts[0]) / step) + 1
    pos = np.rint((ts - ts[0]) / step).astype(np.int64)
    sums = np.bincount(pos, weights=y, minlength=n)
    cnt = np.bincount(pos, minlength=n)
    have = cnt > 0
    grid = np.full(n, np.nan)
    grid[have] = sums[have] / cnt[have]
    missing = int((~have).sum())
    if missing:
        if missing > 0.5 * n:
            msg = f"{missing} of {n} grid points at the {step:g} s step are missing; the history is too gappy"
            raise BaselineError(msg)
        idx = np.flatnonzero(have)
        grid = np.interp(np.arange(n), idx, grid[idx])
        notes.append(f"{missing} gaps on the {step:g} s grid filled by linear interpolation")
    if np.any(cnt > 1):
        notes.append("irregular sampling: points sharing a grid step were averaged")
    return ts[0] + step * np.arange(n), grid, step


def _z(coverage: float) -> float:
    if not (0 < coverage < 1):
        msg = f"coverage={coverage!r} must be in (0, 1), e.g. 0.95"
        raise ConfigError(msg)
    return float(stats.norm.ppf(0.5 + coverage / 2))


def _level_shift_note(level_by_cycle: np.ndarray, scale: float) -> str | None:
    if level_by_cycle.size < 2 or not scale > 0:
        return None
    jumps = np.abs(np.diff(level_by_cycle)) / scale
    k = int(np.argmax(jumps))
    if jumps[k] > 3:
        return (
            f"level shift of {level_by_cycle[k + 1] - level_by_cycle[k]:+.4g} between cycles "
            f"{k} and {k + 1} of the history; the baseline follows the most recent level"
        )
    return None


class ProfileBaseline(ParamsMixin):
    """Robust time-of-day / time-of-week profile: median shape and MAD band per bin.

    Each history cycle is centred on its own median, so a level shift in the history moves
    the level, not the shape; the expected value is the median of the most recent cycle plus
    the median shape of the bin.

    Parameters
    ----------
    season
        ``"day"`` or ``"week"``.
    bin_s
        Width of a profile bin in seconds; None uses the median sampling interval (at least
        ``span / 2016``).
    min_cycles
        Whole cycles of history required.
    coverage
        Probability mass of the band under a Gaussian residual (0.95 gives ±1.96 scales).

    Attributes
    ----------
    profile_, scale_ : ndarray
        Median shape per bin, and the predictive scale: a trimmed absolute deviation pooled
        over neighbouring bins (at least 30 points) plus the sampling error of the median.
    level_ : float
        The recent level.
    notes_ : list of str
        What was repaired or noticed in the history.

    Examples
    --------
    >>> import numpy as np
    >>> ts = 300.0 * np.arange(600)
    >>> ProfileBaseline().fit(ts, np.ones(600)).predict([1e6]).expected.tolist()
    [1.0]
    >>> try:
    ...     ProfileBaseline().fit(ts[:100], np.ones(100))
    ... except BaselineError as e:
    ...     print(e)
    history covers 0.35 day(s); a day profile needs at least 2
    """

    def __init__(
        self,
        *,
        season: Literal["day", "week"] = "day",
        bin_s: float | None = None,
        min_cycles: int = 2,
        coverage: float = 0.95,
    ) -> None:
        self.season = season
        self.bin_s = bin_s
        self.min_cycles = min_cycles
        self.coverage = coverage

    def fit(self, timestamps: object, values: object) -> ProfileBaseline:
        """Learn the profile from a history; returns ``self``."""
        if self.season not in ("day", "week"):
            msg = f"season={self.season!r}; expected 'day' or 'week'"
            raise ConfigError(msg)
        if not (isinstance(self.min_cycles, int) and self.min_cycles >= 1):
            msg = f"min_cycles={self.min_cycles!r} must be an int >= 1"
            raise ConfigError(msg)
        self._k = _z(self.coverage)
        span = DAY_S if self.season == "day" else WEEK_S
        ts, y, notes = _clean_history(timestamps, values)
        step = float(np.median(np.diff(ts))) if ts.size > 2 else span
        covered = (ts[-1] - ts[0] + step) / span if ts.size > 1 else 0.0
        if covered < self.min_cycles - 1e-9:
            msg = f"history covers {covered:.2f} {self.season}(s); a {self.season} profile needs at least {self.min_cycles}"
            raise BaselineError(msg)
        bin_s = float(self.bin_s) if self.bin_s else max(step, span / 2016)
        if not bin_s > 0:
            msg = f"bin_s={self.bin_s!r} must be positive"
            raise ConfigError(msg)
        n_bins = max(round(span / bin_s), 1)
        cyc = np.floor((ts - ts[0]) / span).astype(np.int64)
        n_cyc = int(cyc.max()) + 1
        # per-cycle medians (vectorised by sorting on (cycle, value))
        level_by_cycle = _group_median(cyc, y, n_cyc)
        centred = y - level_by_cycle[cyc]
        b = np.minimum((np.mod(ts, span) / span * n_bins).astype(np.int64), n_bins - 1)
        prof = _group_median(b, centred, n_bins)
        counts = np.bincount(b, minlength=n_bins).astype(np.float64)
        empty = ~np.isfinite(prof)
        if empty.any():
            notes.append(f"{int(empty.sum())} of {n_bins} profile bins had no data; interpolated")
            idx = np.flatnonzero(~empty)
            xs = np.r_[idx - n_bins, idx, idx + n_bins]
            prof = np.interp(np.arange(n_bins), xs, np.tile(prof[idx], 3))
        dev = np.abs(centred - prof[b])
        overall = _MAD * float(np.median(dev))
        # scale from differences between cycles at the same bin (a deviation from the bin's
        # own median is biased low with few cycles), |d| / sqrt(2) ~ |N(0, sigma)|, trimmed and
        # pooled over neighbouring bins until >= 30 pairs
        order = np.lexsort((ts, b))
        same = b[order][1:] == b[order][:-1]
        d = np.abs(np.diff(centred[order]))[same] / np.sqrt(2)
        db = b[order][1:][same]
        if d.size == 0:
            d, db = dev, b
        cap = 5 * _MAD * float(np.median(d)) if np.median(d) > 0 else np.inf
        sums = np.bincount(db, weights=np.minimum(d, cap), minlength=n_bins)
        pairs = np.bincount(db, minlength=n_bins).astype(np.float64)
        half = int(np.ceil(30 / max(float(pairs.mean()), 1.0) / 2))
        kernel = np.ones(2 * half + 1)
        sigma = (
            np.sqrt(np.pi / 2)
            * _circular_conv(sums, kernel)
            / np.maximum(_circular_conv(pairs, kernel), 1)
        )
        # add the sampling error of the bin median (var of a median ~ pi/2 sigma^2 / n)
        mad = sigma * np.sqrt(1 + (np.pi / 2) / np.maximum(counts, 1))
        mad = np.maximum(mad, 1e-12)
        note = _level_shift_note(level_by_cycle, overall)
        if note:
            notes.append(note)
        last = cyc == cyc.max()
        full_last = (ts[last][-1] - ts[last][0] + step) >= 0.5 * span
        level_src = last if full_last else ts >= ts[-1] - span
        self.level_ = float(np.median(y[level_src] - prof[b[level_src]]))
        self.profile_ = prof
        self.scale_ = mad
        self.bin_s_ = span / n_bins
        self.span_s_ = span
        self.notes_ = notes
        return self

    def predict(self, timestamps: object) -> Forecast:
        """Expected value and band at ``timestamps`` (datetimes or epoch seconds)."""
        if not hasattr(self, "profile_"):
            msg = "ProfileBaseline is not fitted; call fit(timestamps, values) first"
            raise NotFittedError(msg)
        ts = to_epoch_seconds(timestamps).reshape(-1)
        n_bins = self.profile_.size
        known = np.isfinite(ts)
        frac = np.mod(np.where(known, ts, 0.0), self.span_s_) / self.span_s_
        b = np.clip((frac * n_bins).astype(np.int64), 0, n_bins - 1)
        exp = np.where(known, self.level_ + self.profile_[b], np.nan)  # no time, no forecast
        sc = np.where(known, self.scale_[b], np.nan)
        return Forecast(ts, exp, exp - self._k * sc, exp + self._k * sc, sc)


def _circular_conv(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Sum of ``x`` over a centred window, wrapping around the cycle."""
    half = kernel.size // 2
    if half == 0:
        return x.astype(np.float64)
    reps = int(np.ceil(half / x.size)) + 1
    ext = np.concatenate([np.tile(x, reps)[-half:], x, np.tile(x, reps)[:half]])
    return np.convolve(ext, kernel, mode="valid")


def _group_median(g: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    """Median of ``v`` per group id ``g`` in ``0..n-1`` (NaN for empty groups), vectorised."""
    order = np.lexsort((v, g))
    gs, vs = g[order], v[order]
    counts = np.bincount(gs, minlength=n)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    out = np.full(n, np.nan)
    has = counts > 0
    lo = starts + (counts - 1) // 2
    hi = starts + counts // 2
    out[has] = 0.5 * (vs[lo[has]] + vs[hi[has]])
    return out


def r_stl_jumps(period: int, seasonal: int = 7) -> dict[str, int]:
    """R's ``stl`` defaults for the speed-up jumps: ``ceil(window / 10)`` for each smoother.

    Examples
    --------
    >>> r_stl_jumps(288)
    {'seasonal_jump': 1, 'trend_jump': 56, 'low_pass_jump': 29}
    """
    trend = math.ceil(1.5 * period / (1 - 1.5 / seasonal))
    trend += (trend % 2) == 0
    low_pass = period + 1 if period % 2 == 0 else period
    return {
        "seasonal_jump": math.ceil(seasonal / 10),
        "trend_jump": math.ceil(trend / 10),
        "low_pass_jump": math.ceil(low_pass / 10),
    }


class _GridBaseline(ParamsMixin):
    """Shared parts of the grid-based baselines (STL, ETS)."""

    t0_: float
    step_: float
    n_: int

    def _periods(self, ts: np.ndarray, n: int) -> list[int]:
        per = getattr(self, "period", "auto")
        if per == "auto":
            p = infer_period(ts)
            if p is None:
                msg = "cannot infer a daily period from the sampling interval; pass period=INT"
                raise BaselineError(msg)
            periods = [p]
        elif isinstance(per, int | np.integer) and not isinstance(per, bool):
            periods = [int(per)]
        elif isinstance(per, tuple | list) and all(isinstance(p, int | np.integer) for p in per):
            periods = sorted(int(p) for p in per)
        else:
            msg = f"period={per!r}; expected 'auto', an int or a tuple of ints"
            raise ConfigError(msg)
        if min(periods) < 2:
            msg = f"period={per!r}: every period must be >= 2"
            raise ConfigError(msg)
        need = 2 * max(periods)
        if n < need:
            msg = f"history has {n} points on its grid; period {max(periods)} needs at least {need} (two cycles)"
            raise BaselineError(msg)
        return periods

    def _positions(self, timestamps: object) -> tuple[np.ndarray, np.ndarray]:
        if not hasattr(self, "t0_"):
            msg = f"{type(self).__name__} is not fitted; call fit(timestamps, values) first"
            raise NotFittedError(msg)
        ts = to_epoch_seconds(timestamps).reshape(-1)
        known = np.isfinite(ts)
        pos = np.rint((np.where(known, ts, self.t0_) - self.t0_) / self.step_).astype(np.int64)
        return ts, pos


class STLBaseline(_GridBaseline):
    """STL (one period) or MSTL (several) decomposition with R's speed-up jumps.

    In the history the expected value is trend + seasonal; beyond it, the last trend value
    plus the seasonal component of the last cycle at the same phase. The band is
    ``±z * 1.4826 * MAD(residual)``.

    Parameters
    ----------
    period
        ``"auto"`` (points per day from the sampling interval), an int, or a tuple of ints
        (MSTL, e.g. ``(288, 2016)`` for daily and weekly at 5 min).
    seasonal
        Seasonal smoother length (odd, >= 7).
    robust
        Robust (bisquare) STL iterations: slower, resists outliers in the history.
    r_jumps
        Use R's ``stl`` jump defaults (``ceil(window/10)``): about 30x faster, same fit to a
        few decimals.
    coverage
        Probability mass of the band.

    Examples
    --------
    >>> import numpy as np
    >>> ts = 300.0 * np.arange(864)
    >>> y = 5 + np.sin(2 * np.pi * np.arange(864) / 288)
    >>> fc = STLBaseline().fit(ts, y).predict(ts[-1] + 300.0 * np.arange(1, 289))
    >>> bool(np.allclose(fc.expected, y[:288], atol=0.05))
    True
    """

    def __init__(
        self,
        *,
        period: int | tuple[int, ...] | Literal["auto"] = "auto",
        seasonal: int = 7,
        robust: bool = False,
        r_jumps: bool = True,
        coverage: float = 0.95,
    ) -> None:
        self.period = period
        self.seasonal = seasonal
        self.robust = robust
        self.r_jumps = r_jumps
        self.coverage = coverage

    def fit(self, timestamps: object, values: object) -> STLBaseline:
        """Decompose the history; returns ``self``."""
        self._k = _z(self.coverage)
        if not (isinstance(self.seasonal, int) and self.seasonal >= 7 and self.seasonal % 2):
            msg = f"seasonal={self.seasonal!r} must be an odd int >= 7"
            raise ConfigError(msg)
        ts, y, notes = _clean_history(timestamps, values)
        gts, gy, step = _grid(ts, y, notes)
        periods = self._periods(gts, gy.size)
        if len(periods) == 1:
            from statsmodels.tsa.seasonal import STL

            kw = r_stl_jumps(periods[0], self.seasonal) if self.r_jumps else {}
            res = STL(gy, period=periods[0], seasonal=self.seasonal, robust=self.robust, **kw).fit()
            seasonal = np.asarray(res.seasonal).reshape(gy.size, -1).sum(axis=1)
            trend = np.asarray(res.trend)
        else:
            from statsmodels.tsa.seasonal import MSTL

            stl_kw: dict[str, object] = {"robust": self.robust}
            if self.r_jumps:
                stl_kw.update(r_stl_jumps(periods[-1], self.seasonal))
            res = MSTL(gy, periods=periods, stl_kwargs=stl_kw).fit()
            seasonal = np.asarray(res.seasonal).reshape(gy.size, -1).sum(axis=1)
            trend = np.asarray(res.trend)
        resid = gy - trend - seasonal
        scale = _MAD * float(np.median(np.abs(resid - np.median(resid))))
        if not scale > 0:
            scale = float(np.std(resid))
        note = _level_shift_note(
            np.array(
                [np.median(trend[i : i + periods[-1]]) for i in range(0, trend.size, periods[-1])]
            ),
            max(scale, 1e-12),
        )
        if note:
            notes.append(note)
        self.t0_, self.step_, self.n_ = float(gts[0]), step, gy.size
        self.periods_ = periods
        self.trend_ = trend
        self.seasonal_ = seasonal
        self.resid_scale_ = scale
        self.notes_ = notes
        return self

    def predict(self, timestamps: object) -> Forecast:
        """Expected value and band at ``timestamps``."""
        ts, pos = self._positions(timestamps)
        n = self.n_
        inside = (pos >= 0) & (pos < n)
        pc = np.clip(pos, 0, n - 1)
        exp = np.where(inside, self.trend_[pc] + self.seasonal_[pc], np.nan)
        big = max(self.periods_) if len(self.periods_) == 1 else int(np.lcm.reduce(self.periods_))
        big = min(big, n)
        # beyond the history: last trend + seasonal of the same phase in the last cycle(s)
        last_start = n - big
        ph = np.mod(pos - last_start, big) + last_start
        out = np.where(pos >= n, self.trend_[-1] + self.seasonal_[ph], exp)
        first_ph = np.mod(pos, big)
        out = np.where(pos < 0, self.trend_[0] + self.seasonal_[first_ph], out)
        out = np.where(np.isfinite(ts), out, np.nan)
        sc = np.full(ts.size, self.resid_scale_)
        return Forecast(ts, out, out - self._k * sc, out + self._k * sc, sc)


class ETSBaseline(_GridBaseline):
    """Holt-Winters / ETS (statsmodels ``ETSModel``, additive error and season).

    In the history the expected value is the one-step fitted value; beyond it, the ETS
    forecast with the model's own prediction interval.

    Parameters
    ----------
    period
        ``"auto"`` (points per day), an int, or None (no seasonal component).
    trend
        None or ``"add"``.
    damped_trend
        Damp the trend (only with ``trend="add"``).
    coverage
        Probability mass of the band.

    Examples
    --------
    >>> import numpy as np
    >>> ts = 3600.0 * np.arange(24 * 14)
    >>> y = 20 + 5 * np.sin(2 * np.pi * np.arange(24 * 14) / 24)
    >>> fc = ETSBaseline().fit(ts, y).predict(ts[-1] + 3600.0 * np.arange(1, 25))
    >>> bool(np.allclose(fc.expected, y[:24], atol=0.5))
    True
    """

    def __init__(
        self,
        *,
        period: int | Literal["auto"] | None = "auto",
        trend: Literal["add"] | None = None,
        damped_trend: bool = False,
        coverage: float = 0.95,
    ) -> None:
        self.period = period
        self.trend = trend
        self.damped_trend = damped_trend
        self.coverage = coverage

    def fit(self, timestamps: object, values: object) -> ETSBaseline:
        """Fit the ETS model by maximum likelihood (heuristic initial states)."""
        import pandas as pd
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        self._k = _z(self.coverage)
        if self.trend not in (None, "add"):
            msg = f"trend={self.trend!r}; expected None or 'add'"
            raise ConfigError(msg)
        ts, y, notes = _clean_history(timestamps, values)
        gts, gy, step = _grid(ts, y, notes)
        periods = [] if self.period is None else self._periods(gts, gy.size)
        if gy.size < 10:
            msg = f"history has {gy.size} points; ETS needs at least 10"
            raise BaselineError(msg)
        model = ETSModel(
            pd.Series(gy),
            error="add",
            trend=self.trend,
            damped_trend=bool(self.damped_trend and self.trend),
            seasonal="add" if periods else None,
            seasonal_periods=periods[0] if periods else None,
            initialization_method="heuristic" if periods else "estimated",
        )
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = model.fit(disp=False)
        self.t0_, self.step_, self.n_ = float(gts[0]), step, gy.size
        self.result_ = res
        self.fitted_ = np.asarray(res.fittedvalues)
        self.sigma_ = float(np.sqrt(res.mse))
        self.period_ = periods[0] if periods else None
        self.notes_ = notes
        return self

    def predict(self, timestamps: object) -> Forecast:
        """Expected value and band at ``timestamps`` (ETS intervals beyond the history)."""
        ts, pos = self._positions(timestamps)
        n = self.n_
        pc = np.clip(pos, 0, n - 1)
        exp = self.fitted_[pc].astype(np.float64)
        lo = exp - self._k * self.sigma_
        hi = exp + self._k * self.sigma_
        sc = np.full(ts.size, self.sigma_)
        ahead = pos >= n
        if ahead.any():
            h = int(pos[ahead].max())
            sf = self.result_.get_prediction(start=n, end=h).summary_frame(alpha=1 - self.coverage)
            k = pos[ahead] - n
            exp[ahead] = sf["mean"].to_numpy()[k]
            lo[ahead] = sf["pi_lower"].to_numpy()[k]
            hi[ahead] = sf["pi_upper"].to_numpy()[k]
            sc[ahead] = (hi[ahead] - lo[ahead]) / (2 * self._k)
        unknown = ~np.isfinite(ts)
        exp[unknown] = lo[unknown] = hi[unknown] = np.nan
        return Forecast(ts, exp, lo, hi, sc)
