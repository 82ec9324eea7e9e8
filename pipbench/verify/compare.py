"""Compare one metric between a baseline and a canary: a verdict people can trust.

:func:`compare_samples` is the entry point. Methods:

``mannwhitney``
    Mann-Whitney U (Wilcoxon rank-sum) with a Hodges-Lehmann estimate and the
    rank-inversion interval. Positive data (latencies) are compared on the log scale, so
    the effect is a ratio (``+0.12`` = 12 % slower) and a tolerance is multiplicative;
    ranks do not change, so the test is the ordinary one.
``mannwhitney-hac``
    The same statistic with its variance inflated by the integrated autocorrelation time
    of the ranks (lag-1 autocorrelation of the normal scores, both samples pooled,
    bias-corrected plus half a standard error, turned into the rank statistic's inflation
    under a Gaussian-copula AR(1)) and a Student-t reference on the effective sample size:
    per-interval aggregates are autocorrelated, and the plain test then fails healthy
    canaries far more often than ``alpha``.
``quantile``
    Difference (ratio) of a percentile (p95, p99) by an exact bootstrap of the order
    statistic (no resampling: the order statistic's bootstrap law is binomial); under
    autocorrelation an m-out-of-n version with ``m = n / τ``, ``τ`` the Gaussian-copula
    inflation of the indicator ``1{x ≤ quantile}`` (Owen's T).
``poisson``
    Error counts over exposures (requests, seconds): the exact conditional binomial test
    of the rate ratio (sparse errors are the common case) with a Clopper-Pearson interval.
``quasi-poisson``
    The same test on counts deflated by the variance inflation ``φ·τ`` (Pearson
    dispersion × autocorrelation of a bursty rate, "signal plus noise" plug-in), chosen
    by ``auto`` when the per-interval counts vary more than Poisson allows.
``binomial``
    Errors out of requests when errors are not rare: score test and interval of the
    ratio of proportions (Miettinen-Nurminen, via statsmodels).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(1)
>>> base = rng.lognormal(np.log(0.2), 0.5, 500)
>>> canary = rng.lognormal(np.log(0.2 * 1.15), 0.5, 500)
>>> r = compare_samples(base, canary, direction="increase")
>>> r.verdict, r.classification
('fail', 'high')
>>> round(r.effect, 2)
0.13
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from pipbench.errors import ConfigError, InputError
from pipbench.verify._stats import as_array
from pipbench.verify.counts import count_test, exposure_array
from pipbench.verify.quantile import quantile_test
from pipbench.verify.ranktest import mannwhitney_test
from pipbench.verify.result import Comparison, finish, nodata

__all__ = [
    "DIRECTIONS",
    "METHODS",
    "Comparison",
    "compare_samples",
    "compare_windows",
]

Direction = Literal["increase", "decrease", "either"]
Method = Literal[
    "auto", "mannwhitney", "mannwhitney-hac", "quantile", "poisson", "quasi-poisson", "binomial"
]
Kind = Literal["auto", "latency", "value", "count"]
Autocorrelation = Literal["auto", "ignore"]

DIRECTIONS: tuple[str, ...] = ("increase", "decrease", "either")
METHODS: tuple[str, ...] = (
    "auto",
    "mannwhitney",
    "mannwhitney-hac",
    "quantile",
    "poisson",
    "quasi-poisson",
    "binomial",
)

#: Smallest sample per side each method accepts (below it the verdict is "nodata").
MIN_N = {"mannwhitney": 5, "mannwhitney-hac": 8, "quantile": 20, "count": 1}

_TIME_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "sec": 1.0,
    "seconds": 1.0,
    "min": 60.0,
    "m": 60.0,
    "h": 3600.0,
}


# ----------------------------------------------------------------------------- helpers
def _unit_factor(unit: str | tuple[str, str] | None) -> tuple[float, str | None]:
    """Factor that converts canary values to the baseline's unit, and a note."""
    if unit is None or isinstance(unit, str):
        return 1.0, None
    ub, uc = (u.strip() for u in unit)
    if ub == uc:
        return 1.0, None
    if ub in _TIME_UNITS and uc in _TIME_UNITS:
        f = _TIME_UNITS[uc] / _TIME_UNITS[ub]
        return f, f"canary converted from {uc} to {ub}"
    msg = f"baseline is in {ub!r} and canary in {uc!r}; they cannot be compared"
    raise InputError(msg, field="unit", expected="the same unit, or two time units")


def _check_params(direction: str, tolerance: float, alpha: float, method: str) -> None:
    if direction not in DIRECTIONS:
        msg = f"direction={direction!r}; expected one of {', '.join(DIRECTIONS)}"
        raise ConfigError(msg)
    if not (0.0 < alpha < 0.5):
        msg = f"alpha={alpha!r}; expected a number in (0, 0.5)"
        raise ConfigError(msg)
    if not (math.isfinite(tolerance) and 0.0 <= tolerance < 1.0):
        msg = f"tolerance={tolerance!r}; expected a relative change in [0, 1), e.g. 0.05 for 5 %"
        raise ConfigError(msg)
    if method not in METHODS:
        msg = f"method={method!r}; expected one of {', '.join(METHODS)}"
        raise ConfigError(msg)


# ----------------------------------------------------------------------------- public
def compare_samples(
    baseline: Any,
    canary: Any,
    *,
    direction: Direction = "increase",
    tolerance: float = 0.0,
    alpha: float = 0.05,
    method: Method = "auto",
    quantile: float | None = None,
    kind: Kind = "auto",
    baseline_exposure: Any = None,
    canary_exposure: Any = None,
    autocorrelation: Autocorrelation = "auto",
    unit: str | tuple[str, str] | None = None,
    min_n: int | None = None,
    reference: float | None = None,
    n_boot: int = 4000,
    seed: int = 0,
) -> Comparison:
    """Compare a canary's samples with a baseline's and return a verdict.

    Parameters
    ----------
    baseline, canary
        Array-likes in time order: per-request latencies, per-interval aggregates, or
        (with ``kind="count"`` or exposures) error counts per interval.
    direction
        Which change is harmful: ``"increase"`` (latency, errors), ``"decrease"``
        (throughput, success rate) or ``"either"``.
    tolerance
        Relative change allowed before "fail" (0.05 = 5 %).
    alpha
        False-fail rate under no change (one-sided; split in two for ``"either"``).
    method
        ``"auto"`` (picks by the data and says so in ``notes``), or one of
        :data:`METHODS`. ``auto`` chooses ``quantile`` when ``quantile`` is given, a
        count test when the data are counts, else Mann-Whitney with an autocorrelation
        correction when the ranks are autocorrelated.
    quantile
        Compare this percentile (0.95, 0.99) instead of the median.
    kind
        ``"latency"`` rejects negative values; ``"count"`` treats the samples as error
        counts (exposures default to one unit per interval).
    baseline_exposure, canary_exposure
        Requests (or seconds) per interval, or a total, for error counts.
    autocorrelation
        ``"auto"`` estimates it and corrects; ``"ignore"`` assumes independent samples.
    unit
        ``(baseline_unit, canary_unit)``: time units are converted, others must match.
    min_n
        Smallest sample per side; below it the verdict is ``"nodata"``. Defaults per
        method (:data:`MIN_N`; ``quantile`` needs ``≥ 5/(1−q)`` points too).
    reference
        Compare additively (no log scale) and express the effect and the tolerance
        relative to this level (default: ratios for positive data, else
        ``|median(baseline)|``).
    n_boot, seed
        Bootstrap replicates and seed (``quantile`` method).

    Returns
    -------
    Comparison

    Raises
    ------
    pipbench.errors.ConfigError
        For a parameter outside its range (named in the message).
    pipbench.errors.InputError
        For data that cannot be compared (negative latencies, mismatched units, non-integer
        counts, ragged exposures).

    Examples
    --------
    >>> r = compare_samples([0, 1, 0, 0], [3, 2, 4, 1], baseline_exposure=1000,
    ...                     canary_exposure=1000)
    >>> r.method, r.verdict
    ('poisson', 'fail')
    """
    result = _compare(
        baseline,
        canary,
        direction=direction,
        tolerance=tolerance,
        alpha=alpha,
        method=method,
        quantile=quantile,
        kind=kind,
        baseline_exposure=baseline_exposure,
        canary_exposure=canary_exposure,
        autocorrelation=autocorrelation,
        unit=unit,
        min_n=min_n,
        reference=reference,
        n_boot=n_boot,
        seed=seed,
    )
    if method == "auto" and result.verdict != "nodata":
        why = {
            "mannwhitney": "no autocorrelation detected in the ranks",
            "mannwhitney-hac": "positive lag-1 autocorrelation estimated in the ranks",
            "quantile": f"quantile={quantile} requested",
            "poisson": "error counts over exposures, errors rare",
            "quasi-poisson": "error counts over-dispersed or autocorrelated between intervals",
            "binomial": "error counts out of requests, errors not rare",
        }.get(result.method, "")
        note = f"auto picked {result.method}" + (f": {why}" if why else "")
        result = replace(result, notes=(note, *result.notes))
    return result


def _compare(
    baseline: Any,
    canary: Any,
    *,
    direction: Direction = "increase",
    tolerance: float = 0.0,
    alpha: float = 0.05,
    method: Method = "auto",
    quantile: float | None = None,
    kind: Kind = "auto",
    baseline_exposure: Any = None,
    canary_exposure: Any = None,
    autocorrelation: Autocorrelation = "auto",
    unit: str | tuple[str, str] | None = None,
    min_n: int | None = None,
    reference: float | None = None,
    n_boot: int = 4000,
    seed: int = 0,
) -> Comparison:
    """The body of :func:`compare_samples` (``auto`` not yet explained)."""
    _check_params(direction, tolerance, alpha, method)
    if quantile is not None and not (0.0 < quantile < 1.0):
        msg = f"quantile={quantile!r}; expected a probability in (0, 1), e.g. 0.99"
        raise ConfigError(msg)
    if autocorrelation not in ("auto", "ignore"):
        msg = f"autocorrelation={autocorrelation!r}; expected 'auto' or 'ignore'"
        raise ConfigError(msg)
    if kind not in ("auto", "latency", "value", "count"):
        msg = f"kind={kind!r}; expected 'auto', 'latency', 'value' or 'count'"
        raise ConfigError(msg)
    b_raw = as_array(baseline, "baseline")
    c_raw = as_array(canary, "canary")
    notes: list[str] = []
    factor, note = _unit_factor(unit)
    if note:
        notes.append(note)
        c_raw = c_raw * factor
    is_count = (
        kind == "count"
        or method in ("poisson", "quasi-poisson", "binomial")
        or baseline_exposure is not None
        or canary_exposure is not None
    )
    for arr, name in ((b_raw, "baseline"), (c_raw, "canary")):
        if np.any(np.isinf(arr)):
            msg = "contains infinite values"
            raise InputError(msg, field=name, expected="finite numbers (NaN marks a gap)")
    if is_count:
        mb = np.isfinite(b_raw)
        mc = np.isfinite(c_raw)
        eb = exposure_array(baseline_exposure, b_raw, "baseline_exposure")[mb]
        ec = exposure_array(canary_exposure, c_raw, "canary_exposure")[mc]
        b, c = b_raw[mb], c_raw[mc]
        dropped = int((~mb).sum() + (~mc).sum())
        if dropped:
            notes.append(f"{dropped} NaN intervals dropped")
        if b.size < (min_n or 1) or c.size < (min_n or 1):
            return nodata(
                f"no counts on {'baseline' if b.size == 0 else 'canary'} side",
                b.size,
                c.size,
                "poisson",
                notes=tuple(notes),
            )
        return count_test(
            b,
            c,
            eb=eb,
            ec=ec,
            method=method,
            direction=direction,
            tolerance=tolerance,
            alpha=alpha,
            autocorrelation=autocorrelation,
            notes=notes,
        )
    b = b_raw[np.isfinite(b_raw)]
    c = c_raw[np.isfinite(c_raw)]
    nan_b, nan_c = b_raw.size - b.size, c_raw.size - c.size
    if nan_b or nan_c:
        notes.append(f"NaN dropped: {nan_b} baseline, {nan_c} canary")
    if kind == "latency":
        for arr, name in ((b, "baseline"), (c, "canary")):
            neg = int((arr < 0).sum())
            if neg:
                msg = f"{neg} negative latencies"
                raise InputError(msg, field=name, expected="durations ≥ 0")
    if method == "auto" and quantile is not None:
        method = "quantile"
    resolved = "mannwhitney" if method == "auto" else method
    if resolved == "quantile":
        q = quantile if quantile is not None else 0.5
        need = max(min_n or MIN_N["quantile"], math.ceil(5.0 / (1.0 - q)))
    else:
        need = min_n or MIN_N[resolved]
    if b.size < need or c.size < need:
        side = "baseline" if b.size < need else "canary"
        why = (
            f"the {side} has {b.size if side == 'baseline' else c.size} usable points, "
            f"fewer than the {need} that {resolved} needs"
        )
        if b.size == 0 or c.size == 0:
            why = f"the {side} has no usable points" + (
                " (all NaN)" if (b_raw.size if side == "baseline" else c_raw.size) else ""
            )
        return nodata(why, b.size, c.size, resolved, notes=tuple(notes))
    if np.ptp(np.concatenate([b, c])) == 0:
        return finish(
            p_inc=1.0,
            p_dec=1.0,
            direction=direction,
            alpha=alpha,
            effect=0.0,
            ci=(0.0, 0.0),
            nb=b.size,
            nc=c.size,
            method=resolved,
            what="value (all identical)",
            statistic=math.nan,
            tolerance=tolerance,
            loc_b=float(b[0]),
            loc_c=float(c[0]),
            tau=1.0,
            notes=[*notes, "every value is identical"],
        )
    if resolved == "quantile":
        return quantile_test(
            b,
            c,
            q=quantile if quantile is not None else 0.5,
            direction=direction,
            tolerance=tolerance,
            alpha=alpha,
            autocorrelation=autocorrelation,
            n_boot=n_boot,
            seed=seed,
            notes=notes,
        )
    return mannwhitney_test(
        b,
        c,
        direction=direction,
        tolerance=tolerance,
        alpha=alpha,
        autocorrelation=autocorrelation,
        method=method,
        reference=reference,
        notes=notes,
    )


def compare_windows(
    values: Any,
    *,
    before: slice | tuple[Any, Any],
    after: slice | tuple[Any, Any],
    timestamps: Any = None,
    seasonal: Any = None,
    direction: Direction = "increase",
    tolerance: float = 0.0,
    alpha: float = 0.05,
    min_n: int | None = None,
) -> Comparison:
    """Before/after on one series: compare two windows, optionally adjusted for seasonality.

    Parameters
    ----------
    values
        The series, in time order.
    before, after
        Windows as index slices, or ``(start, end)`` pairs of timestamps (end exclusive)
        when ``timestamps`` is given.
    timestamps
        Array-like of the points' times (numbers or datetimes), same length as ``values``.
    seasonal
        Expected values to remove first: an estimator with ``fit(t, y)`` and
        ``predict(t)`` (fitted here on the before window only; ``t`` is ``timestamps``
        or the index), an already fitted object with ``predict(t)``, or a callable
        ``f(t) -> expected``. The comparison is then on the residuals ``y − expected``
        (autocorrelation-corrected), and the effect and tolerance are relative to the
        mean expected level of the before window.
    direction, tolerance, alpha, min_n
        As in :func:`compare_samples` (autocorrelation is always corrected: one series).

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.full(60, 100.0), np.full(60, 90.0)] + np.tile([0.0, 1.0], 60)
    >>> compare_windows(y, before=slice(0, 60), after=slice(60, 120),
    ...                 direction="decrease").verdict
    'fail'
    """
    y = as_array(values, "values")
    t = None if timestamps is None else np.asarray(timestamps)
    if t is not None and t.shape[0] != y.shape[0]:
        msg = f"has {t.shape[0]} values but the series has {y.shape[0]}"
        raise InputError(msg, field="timestamps", expected="one timestamp per value")

    def mask(w: slice | tuple[Any, Any], name: str) -> np.ndarray:
        m = np.zeros(y.size, dtype=bool)
        if isinstance(w, slice):
            m[w] = True
            return m
        if t is None:
            msg = f"{name}={w!r} is a time range but no timestamps were given"
            raise ConfigError(msg)
        lo, hi = (np.asarray(v, dtype=t.dtype) for v in w)
        return (t >= lo) & (t < hi)

    mb, ma = mask(before, "before"), mask(after, "after")
    if np.any(mb & ma):
        msg = "the before and after windows overlap"
        raise ConfigError(msg)
    if seasonal is None:
        return compare_samples(
            y[mb], y[ma], direction=direction, tolerance=tolerance, alpha=alpha, min_n=min_n
        )
    tt = t if t is not None else np.arange(y.size)
    if callable(seasonal) and not hasattr(seasonal, "predict"):
        expected = np.asarray(seasonal(tt), dtype=float)
        how = "callable"
    elif hasattr(seasonal, "fit") and hasattr(seasonal, "predict"):
        ok = mb & np.isfinite(y)
        model = seasonal.fit(tt[ok], y[ok])
        model = seasonal if model is None else model
        expected = np.asarray(model.predict(tt), dtype=float)
        how = type(seasonal).__name__
    elif hasattr(seasonal, "predict"):  # already fitted elsewhere
        expected = np.asarray(seasonal.predict(tt), dtype=float)
        how = type(seasonal).__name__
    else:
        msg = "seasonal must have fit/predict or be a callable returning expected values"
        raise ConfigError(msg)
    if expected.shape != y.shape:
        msg = f"the seasonal model returned shape {expected.shape}, expected {y.shape}"
        raise InputError(msg, field="seasonal")
    resid = y - expected
    level = float(np.nanmean(np.abs(expected[mb]))) if mb.any() else math.nan
    if not (math.isfinite(level) and level > 0):
        msg = "the seasonal model's expected level in the before window is 0 or undefined"
        raise InputError(msg, field="seasonal", expected="a positive expected level")
    res = compare_samples(
        resid[mb],
        resid[ma],
        direction=direction,
        tolerance=tolerance,
        alpha=alpha,
        min_n=min_n,
        kind="value",
        reference=level,
    )
    return replace(
        res,
        method=res.method + "+seasonal",
        explanation=res.explanation.rstrip(".") + f"; seasonality removed by {how}.",
        notes=(*res.notes, f"seasonality removed by {how}; effect relative to expected level"),
    )
