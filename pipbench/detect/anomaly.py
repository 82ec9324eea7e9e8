"""Anomaly detectors that score every point in [0, 1].

Three detectors share one small contract (scikit-learn style: keyword parameters stored
verbatim, validation in ``fit``, learned state ending in ``_``, ``fit`` returns ``self``):

* :class:`OnlineDetector` (``"online"``, the default): causal and streaming, the score of a
  point uses only the points before it; bounded memory; vectorised over many series.
* :class:`RobustZDetector` (``"robust-z"``, offline): robust z of the residual to a seasonal
  baseline (:class:`~pipbench.detect.baseline.ProfileBaseline` by default).
* :class:`SeasonalESDDetector` (``"seasonal-esd"``, offline): seasonal hybrid ESD (Twitter's
  S-H-ESD): STL seasonal removal, then Rosner's generalized ESD test with median and MAD.

After ``fit(values, timestamps)`` a detector holds ``scores_`` (floats in [0, 1]) and
``is_anomaly_`` (booleans) in the input order, whatever order the timestamps were in.

Examples
--------
>>> import numpy as np
>>> from pipbench.detect import OnlineDetector
>>> rng = np.random.default_rng(0)
>>> y = rng.normal(10, 1, 600); y[400] += 12
>>> det = OnlineDetector().fit(y)
>>> np.flatnonzero(det.is_anomaly_).tolist()
[400]
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, Literal

import numpy as np
from scipy import stats

from pipbench.detect._base import ParamsMixin, clone
from pipbench.detect._series import (
    infer_period,
    phase_index,
    prepare,
    tail_score,
    to_epoch_seconds,
)
from pipbench.detect.online import OnlineParams, online_scores, online_scores_1d
from pipbench.errors import ConfigError, InputError, NotFittedError

__all__ = [
    "DETECTORS",
    "OnlineDetector",
    "RobustZDetector",
    "SeasonalESDDetector",
    "generalized_esd",
    "make_detector",
]


class _Detector(ParamsMixin):
    """Shared plumbing: parameters, fit on a prepared series, results in input order."""

    name: ClassVar[str] = ""
    online: ClassVar[bool] = False

    scores_: np.ndarray
    is_anomaly_: np.ndarray

    def fit(self, values: object, timestamps: object | None = None) -> _Detector:
        """Score ``values`` (optionally with their ``timestamps``); returns ``self``."""
        prep = prepare(values, timestamps)
        with np.errstate(over="ignore", invalid="ignore"):  # values near 1e308 saturate
            scores, flags = self._score_sorted(prep.values, prep.timestamps)
        scores = np.clip(np.nan_to_num(scores, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0)
        out_s = np.empty_like(scores)
        out_f = np.empty_like(flags)
        out_s[prep.order] = scores
        out_f[prep.order] = flags
        self.scores_ = out_s
        self.is_anomaly_ = out_f
        return self

    def fit_predict(self, values: object, timestamps: object | None = None) -> np.ndarray:
        """``fit`` and return ``is_anomaly_``."""
        return self.fit(values, timestamps).is_anomaly_

    def score_samples(self, values: object, timestamps: object | None = None) -> np.ndarray:
        """``fit`` and return ``scores_``."""
        return self.fit(values, timestamps).scores_

    def _check_fitted(self) -> None:
        if not hasattr(self, "scores_"):
            msg = f"{type(self).__name__} is not fitted; call fit(values, timestamps) first"
            raise NotFittedError(msg)

    def _score_sorted(
        self, y: np.ndarray, ts: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:  # pragma: no cover - abstract
        raise NotImplementedError


def _resolve_period(period: int | str | None, ts: np.ndarray | None, n: int) -> int | None:
    if period is None or period == 0:
        return None
    if period == "auto":
        return infer_period(ts)
    if isinstance(period, bool) or not isinstance(period, int | np.integer) or period < 2:
        msg = f"period={period!r} is not usable; expected 'auto', None or an int >= 2"
        raise ConfigError(msg)
    return int(period)


class OnlineDetector(_Detector):
    """Streaming robust detector: EWMA/Huber level + daily profile + change-aware reset.

    The score of point ``t`` depends only on points ``<= t`` (the point itself is compared
    with a forecast made before it); memory is a few floats plus ``period`` floats per
    series. See :mod:`pipbench.detect.online` for the model. Scores are
    ``-log10(p) / 10`` capped at 1 for a two-sided Gaussian tail probability ``p`` of the
    calibrated evidence (the default threshold 0.4 is ``p = 1e-4``, 0.5 is ``p = 1e-5``);
    a flagged onset damps the scores of the next
    ``cooldown`` points, so ``is_anomaly`` marks the start of an episode, not every point
    of it, and ``is_anomaly == (score >= threshold)``.

    Parameters
    ----------
    period
        Points per seasonal cycle: ``"auto"`` (one day, from the sampling interval, when
        timestamps are given), an int, or None for no seasonal model.
    alpha
        Level smoothing rate (higher follows smooth seasonality better).
    scale_alpha
        Rate of the residual-scale EWMA.
    clip
        Huber clip of level updates, in residual scales.
    z_outlier
        |z| above which a point is an outlier for the level-shift logic.
    reset_after
        Consecutive same-sign outliers that confirm a level shift (the level re-adapts).
    warmup
        Points used to initialise (scored 0).
    threshold
        Score at or above which a point is flagged.
    cooldown
        Points after a flag during which scores are damped.
    drift_ratio
        Gap between the current and a slow reference level, in residual scales, that
        counts as a drift or mean shift (0 disables).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.full(300, 5.0), np.full(300, 9.0)] + np.random.default_rng(1).normal(0, 0.5, 600)
    >>> np.flatnonzero(OnlineDetector().fit_predict(y)).tolist()  # one flag at the shift
    [300]
    """

    name = "online"
    online = True

    def __init__(
        self,
        *,
        period: int | Literal["auto"] | None = "auto",
        alpha: float = 0.25,
        scale_alpha: float = 0.02,
        clip: float = 2.5,
        z_outlier: float = 4.0,
        reset_after: int = 5,
        warmup: int = 30,
        threshold: float = 0.4,
        cooldown: int = 64,
        drift_ratio: float = 3.0,
    ) -> None:
        self.period = period
        self.alpha = alpha
        self.scale_alpha = scale_alpha
        self.clip = clip
        self.z_outlier = z_outlier
        self.reset_after = reset_after
        self.warmup = warmup
        self.threshold = threshold
        self.cooldown = cooldown
        self.drift_ratio = drift_ratio

    def _params(self) -> OnlineParams:
        checks = {
            "alpha": (self.alpha, 0.0, 1.0),
            "scale_alpha": (self.scale_alpha, 0.0, 1.0),
            "threshold": (self.threshold, 0.0, 1.0),
        }
        for name, (val, lo, hi) in checks.items():
            if not (isinstance(val, int | float) and lo < val <= hi):
                msg = f"{name}={val!r} must be a number in ({lo}, {hi}]"
                raise ConfigError(msg)
        for name in ("clip", "z_outlier"):
            val = getattr(self, name)
            if not (isinstance(val, int | float) and val > 0):
                msg = f"{name}={val!r} must be a positive number"
                raise ConfigError(msg)
        for name in ("reset_after", "warmup", "cooldown"):
            val = getattr(self, name)
            if not (isinstance(val, int) and val >= 0):
                msg = f"{name}={val!r} must be an int >= 0"
                raise ConfigError(msg)
        if not (isinstance(self.drift_ratio, int | float) and self.drift_ratio >= 0):
            msg = f"drift_ratio={self.drift_ratio!r} must be a number >= 0 (0 disables)"
            raise ConfigError(msg)
        return OnlineParams(
            alpha=float(self.alpha),
            scale_alpha=float(self.scale_alpha),
            clip=float(self.clip),
            z_outlier=float(self.z_outlier),
            reset_after=max(int(self.reset_after), 1),
            warmup=int(self.warmup),
            threshold=float(self.threshold),
            cooldown=int(self.cooldown),
            drift_ratio=float(self.drift_ratio),
        )

    def _score_sorted(self, y: np.ndarray, ts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        # one series: the plain-float kernel (same numbers as score_batch, ~50x faster)
        params = self._params()
        period = _resolve_period(self.period, ts, y.size)
        self.period_ = period
        phase = phase_index(ts, period, y.size) if period else None
        return online_scores_1d(y, phase, period, params)

    def score_batch(
        self, Y: object, timestamps: object | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Score many series sharing one time axis at once (rows = series, columns = time).

        Parameters
        ----------
        Y
            Array of shape ``(n_series, n_points)``, in time order; NaN marks a gap.
        timestamps
            The shared time axis (``n_points`` datetimes or epoch seconds), or None.

        Returns
        -------
        (scores, flags)
            Two arrays of the shape of ``Y``.

        Examples
        --------
        >>> import numpy as np
        >>> Y = np.random.default_rng(2).normal(0, 1, (3, 400)); Y[1, 300] = 15
        >>> s, f = OnlineDetector(period=None).score_batch(Y)
        >>> [np.flatnonzero(r).tolist() for r in f]
        [[], [300], []]
        """
        params = self._params()
        arr = np.asarray(Y, dtype=np.float64)
        if arr.ndim != 2:
            msg = f"Y has shape {arr.shape}"
            raise InputError(msg, field="Y", expected="a 2-D array (series x time)")
        ts = None if timestamps is None else to_epoch_seconds(timestamps)
        if ts is not None and ts.shape != (arr.shape[1],):
            msg = f"{ts.size} timestamps for {arr.shape[1]} columns"
            raise InputError(msg, field="timestamps", expected="one timestamp per column")
        period = _resolve_period(self.period, ts, arr.shape[1])
        self.period_ = period
        phase = phase_index(ts, period, arr.shape[1]) if period else None
        return online_scores(arr, phase, period, params)


class RobustZDetector(_Detector):
    """Offline robust z of the residual to a seasonal baseline, mapped to [0, 1].

    The baseline is fitted on the whole series (its medians and MADs resist the anomalies
    themselves); the score is the same log tail probability as :class:`OnlineDetector`.
    When the baseline cannot be fitted (too little history), a global median/MAD is used
    and ``baseline_note_`` says why.

    Parameters
    ----------
    baseline
        An unfitted baseline (``fit(timestamps, values)``, ``predict(timestamps)``), or
        None for :class:`~pipbench.detect.baseline.ProfileBaseline`.
    threshold
        Score at or above which a point is flagged.
    local_window
        The centred rolling median of the residual over this many points is removed first,
        so a level shift inside the history is a short episode, not a long run of anomalies
        (0 disables).
    cooldown
        ``is_anomaly`` marks the first point of an episode: flags within this many points
        of the previous one are dropped (0 flags every point above the threshold).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.random.default_rng(3).normal(0, 1, 500); y[100] = 9
    >>> np.flatnonzero(RobustZDetector().fit_predict(y)).tolist()
    [100]
    """

    name = "robust-z"

    def __init__(
        self,
        *,
        baseline: Any = None,
        threshold: float = 0.5,
        local_window: int = 25,
        cooldown: int = 64,
    ) -> None:
        self.baseline = baseline
        self.threshold = threshold
        self.local_window = local_window
        self.cooldown = cooldown

    def _score_sorted(self, y: np.ndarray, ts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        from pipbench.detect.baseline import BaselineError, ProfileBaseline

        self.baseline_note_ = ""
        z = np.zeros_like(y)
        ok = np.isfinite(y)
        if ok.sum() < 3:
            return z, np.zeros(y.size, dtype=bool)
        tsx = ts if ts is not None else np.arange(y.size, dtype=np.float64) * 300.0
        base = clone(self.baseline) if self.baseline is not None else ProfileBaseline()
        try:
            fc = base.fit(tsx, y).predict(tsx)
            expected, scale = fc.expected, fc.scale
        except BaselineError as err:
            self.baseline_note_ = f"baseline not used: {err}"
            med = float(np.nanmedian(y))
            expected = np.full(y.size, med)
            scale = np.full(y.size, 1.4826 * float(np.nanmedian(np.abs(y - med))))
        floor = 1e-9 * (1.0 + np.nanmedian(np.abs(y)))
        resid = y - expected
        if self.local_window:
            resid = resid - _local_level(resid, int(self.local_window))
        z = np.where(ok & np.isfinite(expected), resid / np.maximum(scale, floor), 0.0)
        z = np.where(np.isfinite(z), z, 0.0)
        scores = tail_score(z, decades=10.0)
        return scores, _onsets(scores >= self.threshold, int(self.cooldown))


def generalized_esd(
    x: np.ndarray, *, max_outliers: int, alpha: float = 0.05, hybrid: bool = True
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rosner's generalized ESD test for up to ``max_outliers`` outliers.

    Parameters
    ----------
    x
        Finite values.
    max_outliers
        Upper bound ``r`` on the number of outliers.
    alpha
        Significance level.
    hybrid
        Use median and MAD (Twitter's hybrid ESD) instead of mean and standard deviation.

    Returns
    -------
    (outliers, R, lam)
        Indices of the outliers found (in removal order), the test statistics ``R_i`` and
        critical values ``lambda_i`` for ``i = 1..r``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.r_[np.random.default_rng(0).normal(0, 1, 100), 8.0]
    >>> generalized_esd(x, max_outliers=3, hybrid=False)[0].tolist()
    [100]
    """
    x = np.asarray(x, dtype=np.float64)
    n = x.size
    r = int(min(max_outliers, n - 2))
    idx = np.arange(n)
    alive = np.ones(n, dtype=bool)
    removed: list[int] = []
    R = np.zeros(max(r, 0))
    lam = np.zeros(max(r, 0))
    for i in range(1, r + 1):
        xs = x[alive]
        if hybrid:
            c = np.median(xs)
            s = 1.4826 * np.median(np.abs(xs - c))
        else:
            c = xs.mean()
            s = xs.std(ddof=1)
        dev = np.abs(xs - c)
        j = int(np.argmax(dev))
        R[i - 1] = dev[j] / s if s > 0 else (np.inf if dev[j] > 0 else 0.0)
        m = n - i + 1
        p = 1.0 - alpha / (2.0 * m)
        t = stats.t.ppf(p, m - 2)
        lam[i - 1] = (m - 1) * t / math.sqrt((m - 2 + t * t) * m)
        k = idx[alive][j]
        removed.append(int(k))
        alive[k] = False
    sig = np.flatnonzero(lam < R)
    n_out = int(sig[-1]) + 1 if sig.size else 0
    return np.array(removed[:n_out], dtype=np.int64), R, lam


class SeasonalESDDetector(_Detector):
    """Seasonal hybrid ESD (offline): STL seasonal removal, then generalized ESD.

    Residual = value - seasonal - median (Hochenbaum et al., 2017), the seasonal component being
    the per-phase median over cycles: the robust form of STL with ``s.window = "periodic"``
    (a periodic STL averages each cycle-subseries, which leaks a spike into every cycle).
    Outliers by :func:`generalized_esd` with median/MAD; needs two whole cycles for the
    seasonal part (three or more resist a spike in one of them). Score = ``0.5 * R / lambda`` capped at 1
    (flagged points score >= 0.5).

    Parameters
    ----------
    period
        ``"auto"`` (one day from the timestamps), an int, or None (plain hybrid ESD).
    max_anomalies
        Upper bound on the share of anomalies (Twitter's ``max_anoms``).
    alpha
        Significance level of the ESD test.
    local_window
        Twitter's S-H-ESD removes one median (or a piecewise median per two weeks); here a
        centred rolling median over this many points is removed, so a level shift does not
        make half the series anomalous (0 restores the single median).
    cooldown
        When > 0, ``is_anomaly`` keeps only the first outlier of each episode (outliers within
        this many points of the previous kept one are dropped); 0 (the default) keeps every
        outlier the test finds, as S-H-ESD does.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.sin(np.arange(480) * 2 * np.pi / 48) + np.random.default_rng(4).normal(0, 0.1, 480)
    >>> y[200] += 2
    >>> np.flatnonzero(SeasonalESDDetector(period=48).fit_predict(y)).tolist()
    [200]
    """

    name = "seasonal-esd"

    def __init__(
        self,
        *,
        period: int | Literal["auto"] | None = "auto",
        max_anomalies: float = 0.02,
        alpha: float = 0.05,
        local_window: int = 25,
        cooldown: int = 0,
    ) -> None:
        self.period = period
        self.max_anomalies = max_anomalies
        self.alpha = alpha
        self.local_window = local_window
        self.cooldown = cooldown

    def _score_sorted(self, y: np.ndarray, ts: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        if not (0 < self.max_anomalies < 0.5):
            msg = f"max_anomalies={self.max_anomalies!r} must be in (0, 0.5)"
            raise ConfigError(msg)
        if not (0 < self.alpha < 1):
            msg = f"alpha={self.alpha!r} must be in (0, 1)"
            raise ConfigError(msg)
        n = y.size
        scores = np.zeros(n)
        flags = np.zeros(n, dtype=bool)
        ok = np.flatnonzero(np.isfinite(y))
        if ok.size < 5:
            return scores, flags
        yv = y[ok]
        period = _resolve_period(self.period, ts, n)
        self.period_ = period
        resid = yv - np.median(yv)
        if period and ok.size >= 2 * period:
            ph = (phase_index(ts, period, n) if ts is not None else np.arange(n) % period)[ok]
            if ts is not None:
                tk = ts[ok]
                good = np.isfinite(tk)
                if not good.all():  # a missing time: interpolate it from its neighbours
                    idx = np.arange(tk.size)
                    tk = np.interp(idx, idx[good], tk[good]) if good.any() else idx * 1.0
                step = float(np.median(np.diff(tk))) if tk.size > 1 else 1.0
                span = period * (step if step > 0 else 1.0)
                cyc = np.floor((tk - tk[0]) / span).astype(np.int64)
            else:
                cyc = ok // period
            resid = yv - _seasonal_median(yv, ph, cyc, period)
        r = max(int(self.max_anomalies * ok.size), 1)
        outl, _R, lam = generalized_esd(resid, max_outliers=r, alpha=self.alpha)
        c = np.median(resid)
        s = 1.4826 * np.median(np.abs(resid - c))
        crit = lam[len(outl) - 1] if len(outl) else (lam[0] if lam.size else np.inf)
        if s > 0 and np.isfinite(crit):
            scores[ok] = np.clip(0.5 * np.abs(resid - c) / s / crit, 0.0, 1.0)
        elif s == 0:
            scores[ok] = np.where(np.abs(resid - c) > 0, 1.0, 0.0)
        flags[ok[outl]] = True
        scores[ok[outl]] = np.maximum(scores[ok[outl]], 0.5)
        return scores, _onsets(flags, int(self.cooldown))


def _seasonal_median(y: np.ndarray, ph: np.ndarray, cyc: np.ndarray, period: int) -> np.ndarray:
    """Per-phase median over cycles, leaving each point's own cycle out when there are few
    cycles (with 3 or 4 a point would otherwise pull its own seasonal value and the residual
    would look heavy-tailed to the ESD test)."""
    from pipbench.detect.baseline import _group_median

    c = int(cyc.max()) + 1
    if c > 10:
        return _group_median(ph, y, period)[ph]
    M = np.full((c, period), np.nan)
    M[cyc, ph] = y
    out = np.empty_like(y)
    fallback = float(np.median(y))
    import warnings

    for k in range(c):
        others = np.delete(M, k, axis=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # phases seen in no other cycle
            med = np.nanmedian(others, axis=0)
        med = np.where(np.isfinite(med), med, fallback)
        mine = cyc == k
        out[mine] = med[ph[mine]]
    return out


def _onsets(flags: np.ndarray, cooldown: int) -> np.ndarray:
    """Keep the first flag of each episode: flags closer than ``cooldown`` points to the
    previous kept flag are dropped (the online detector's semantics, for offline ones)."""
    if cooldown <= 0:
        return flags
    out = np.zeros_like(flags)
    last = -(10**18)
    for i in np.flatnonzero(flags).tolist():  # a handful of flags per series
        if i - last > cooldown:
            out[i] = True
            last = i
    return out


def _local_level(resid: np.ndarray, window: int) -> np.ndarray:
    """Centred rolling median (NaN-aware), the local level of a residual."""
    import polars as pl

    s = pl.Series(resid).fill_nan(None)
    out = s.rolling_median(window_size=max(window, 1), center=True, min_samples=1)
    return np.nan_to_num(out.to_numpy().astype(np.float64), nan=0.0)


DETECTORS: dict[str, type[_Detector]] = {
    OnlineDetector.name: OnlineDetector,
    RobustZDetector.name: RobustZDetector,
    SeasonalESDDetector.name: SeasonalESDDetector,
}
"""Detectors by name (``pipbench detect --method NAME``)."""


def make_detector(name: str = "online", **params: Any) -> _Detector:
    """Build a detector by name; the error lists the valid names.

    Examples
    --------
    >>> make_detector("online", threshold=0.6).threshold
    0.6
    """
    try:
        cls = DETECTORS[name]
    except KeyError:
        msg = f"unknown detector {name!r}; choose one of {sorted(DETECTORS)}"
        raise ConfigError(msg) from None
    return cls(**params)
