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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
from scipy import special, stats

from pipbench.errors import ConfigError, InputError
from pipbench.verify._stats import (
    ar1_tau,
    arma11_tau,
    average_ranks,
    copula_tau_indicator,
    copula_tau_ranks,
    pairwise_diff_quantiles,
)

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

#: Standard errors added to the lag-1 autocorrelation before correcting (small-n safety).
_MARGIN = 0.5

#: The same for per-interval counts, whose bursty autocorrelation is harder to estimate.
_COUNT_MARGIN = 1.0

#: Level of the dispersion / autocorrelation tests that switch counts to quasi-Poisson.
_SWITCH_P = 0.1
_SWITCH_INFLATION = 1.5

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


@dataclass(frozen=True)
class Comparison:
    """The outcome of comparing one metric; every field is plain data.

    Attributes
    ----------
    verdict
        ``"pass"``, ``"fail"`` (a significant change in the harmful direction larger
        than the tolerance) or ``"nodata"``.
    classification
        ``"pass"``, ``"high"``, ``"low"`` or ``"nodata"``.
    p_value
        Of the test of "no harmful change beyond the tolerance" (NaN without data).
    effect
        Relative change of the canary's location against the baseline's (0.12 = +12 %).
    ci
        ``(low, high)`` for ``effect``. For a one-sided direction it is the two-sided
        ``1 − 2·alpha`` interval, so its relevant end is the test's one-sided bound.
    n_baseline, n_canary
        Observations used (after dropping NaN).
    method
        The method actually used (``auto`` resolved).
    explanation
        One sentence a person can read in a postmortem.
    statistic
        The test statistic (U, z, t, count…; see ``method``).
    tau
        Variance inflation used for autocorrelation/over-dispersion (1 = none).
    notes
        Anything the caller should know (dropped NaN, method choice, unit conversion…).
    """

    verdict: Literal["pass", "fail", "nodata"]
    classification: Literal["pass", "high", "low", "nodata"]
    p_value: float
    effect: float
    ci: tuple[float, float]
    n_baseline: int
    n_canary: int
    method: str
    explanation: str
    statistic: float = math.nan
    alpha: float = 0.05
    direction: str = "increase"
    tolerance: float = 0.0
    baseline_location: float = math.nan
    canary_location: float = math.nan
    tau: float = 1.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (NaN becomes ``None``)."""
        out = {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v)
            for k, v in asdict(self).items()
        }
        out["ci"] = [v if math.isfinite(v) else None for v in self.ci]
        out["notes"] = list(self.notes)
        return out


# ----------------------------------------------------------------------------- helpers
def _as_array(values: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        msg = "values must be numbers"
        raise InputError(msg, field=name, expected="an array-like of numbers") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        msg = f"values must be one-dimensional, got shape {arr.shape}"
        raise InputError(msg, field=name, expected="a 1-D array-like in time order")
    return arr


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


def _nodata(reason: str, nb: int, nc: int, method: str, **kw: Any) -> Comparison:
    return Comparison(
        verdict="nodata",
        classification="nodata",
        p_value=math.nan,
        effect=math.nan,
        ci=(math.nan, math.nan),
        n_baseline=nb,
        n_canary=nc,
        method=method,
        explanation=f"No verdict: {reason}.",
        **kw,
    )


def _pct(x: float) -> str:
    if not math.isfinite(x):
        return "n/a"
    return f"{x * 100:+.1f} %"


def _finish(
    *,
    p_inc: float,
    p_dec: float,
    direction: str,
    alpha: float,
    effect: float,
    ci: tuple[float, float],
    nb: int,
    nc: int,
    method: str,
    what: str,
    statistic: float,
    tolerance: float,
    loc_b: float,
    loc_c: float,
    tau: float,
    notes: list[str],
) -> Comparison:
    """Turn one-sided p-values into verdict, classification and explanation."""
    if direction == "increase":
        p = p_inc
        cls = "high" if p <= alpha else "pass"
    elif direction == "decrease":
        p = p_dec
        cls = "low" if p <= alpha else "pass"
    else:
        p = min(1.0, 2.0 * min(p_inc, p_dec))
        cls = "pass" if p > alpha else ("high" if p_inc <= p_dec else "low")
    verdict = "pass" if cls == "pass" else "fail"
    tol = f" beyond the {tolerance:.0%} tolerance" if tolerance > 0 else ""
    ci_txt = f"[{_pct(ci[0])}, {_pct(ci[1])}]"
    if verdict == "fail":
        word = "higher" if cls == "high" else "lower"
        expl = (
            f"Fail: the canary's {what} is {word} than the baseline's by {_pct(effect)} "
            f"(CI {ci_txt}){tol}, p={p:.3g} ≤ alpha={alpha:g} by {method}, "
            f"n={nb}/{nc}."
        )
    else:
        expl = (
            f"Pass: no significant {'change' if direction == 'either' else direction} in "
            f"{what}{tol} (effect {_pct(effect)}, CI {ci_txt}, p={p:.3g} > alpha={alpha:g} "
            f"by {method}, n={nb}/{nc})."
        )
    return Comparison(
        verdict=verdict,  # type: ignore[arg-type]
        classification=cls,  # type: ignore[arg-type]
        p_value=float(p),
        effect=float(effect),
        ci=(float(ci[0]), float(ci[1])),
        n_baseline=nb,
        n_canary=nc,
        method=method,
        explanation=expl,
        statistic=float(statistic),
        alpha=alpha,
        direction=direction,
        tolerance=tolerance,
        baseline_location=float(loc_b),
        canary_location=float(loc_c),
        tau=float(tau),
        notes=tuple(notes),
    )


def _ci_level(direction: str, alpha: float) -> float:
    """One tail of the reported interval: alpha for one-sided tests, alpha/2 for either."""
    return alpha if direction != "either" else alpha / 2.0


# ----------------------------------------------------------------------------- rank test
def _rank_tau(x: np.ndarray, ranks: np.ndarray) -> tuple[float, float]:
    """Autocorrelation of the data and the variance inflation of the rank statistic.

    ``ρ`` is the lag-1 autocorrelation of the normal scores ``Φ⁻¹(rank/(n+1))``; under a
    Gaussian-copula AR(1) (any monotone transform of a Gaussian AR(1), e.g. log-normal
    latencies) the ranks then have lag-k autocorrelation ``(6/π)·asin(ρᵏ/2)`` and
    ``τ = 1 + 2·Σ_k (6/π)·asin(ρᵏ/2)``. (An AR(1) fitted to the ranks themselves
    under-estimates ``τ`` by up to 6 % at ρ = 0.9.)
    """
    scores = special.ndtri(ranks / (ranks.size + 1.0))
    rho, _ = ar1_tau([scores[: x.size], scores[x.size :]], margin=_MARGIN)
    return rho, copula_tau_ranks(rho)


def _t_sf(z: float, df: float) -> float:
    return float(special.stdtr(df, -z))


def _mw_p(
    x: np.ndarray,
    y: np.ndarray,
    shift: float,
    alternative: str,
    tau: float,
    ranked: tuple[np.ndarray, float] | None = None,
) -> tuple[float, float]:
    """One-sided p of U for ``x - shift`` against ``y``; returns (p, U).

    Without autocorrelation this is ``scipy.stats.mannwhitneyu(method="auto")``: exact for
    small tie-free samples (delegated to scipy), else the tie- and continuity-corrected
    normal approximation. With ``tau > 1`` the variance is inflated by ``tau`` and the
    reference is Student-t on ``(nx + ny)/tau − 2`` degrees of freedom.
    """
    xs = x - shift
    nx, ny = xs.size, y.size
    if ranked is None or shift != 0:
        ranked = average_ranks(np.concatenate([xs, y]))
    ranks, tie_sum = ranked
    u = float(ranks[:nx].sum() - nx * (nx + 1) / 2.0)
    if tau <= 1.0 and tie_sum == 0 and min(nx, ny) <= 8:
        res = stats.mannwhitneyu(xs, y, alternative=alternative, method="exact")
        return float(res.pvalue), u
    n = nx + ny
    var = nx * ny / 12.0 * ((n + 1) - tie_sum / (n * (n - 1))) * tau
    if var <= 0:
        return 1.0, u
    mu = nx * ny / 2.0
    cc = 0.5 if alternative == "greater" else -0.5
    z = (u - mu - cc) / math.sqrt(var)
    if alternative == "less":
        z = -z
    p = _t_sf(z, max(n / tau - 2.0, 2.0)) if tau > 1.0 else float(special.ndtr(-z))
    return min(p, 1.0), u


def _hl_interval(
    x: np.ndarray, y: np.ndarray, tail: float, tau: float, tie_sum: float
) -> tuple[float, float, float]:
    """Hodges-Lehmann shift of ``x`` over ``y`` and its rank-inversion interval."""
    nx, ny = x.size, y.size
    n_pairs = nx * ny
    n = nx + ny
    sigma = math.sqrt(max(nx * ny / 12.0 * ((n + 1) - tie_sum / (n * (n - 1))) * tau, 0.0))
    if tau > 1.0:
        z = float(-special.stdtrit(max(n / tau - 2.0, 2.0), tail))
    else:
        z = float(-special.ndtri(tail))
    k_lo = max(1, math.floor(n_pairs / 2.0 - z * sigma))
    k_hi = n_pairs + 1 - k_lo
    mid = [(n_pairs + 1) // 2, n_pairs // 2 + 1]
    q = pairwise_diff_quantiles(x, y, [k_lo, mid[0], mid[1], k_hi])
    return float((q[1] + q[2]) / 2.0), float(q[0]), float(q[3])


def _mannwhitney(
    b: np.ndarray,
    c: np.ndarray,
    *,
    direction: str,
    tolerance: float,
    alpha: float,
    autocorrelation: str,
    method: str,
    reference: float | None,
    notes: list[str],
) -> Comparison:
    positive = bool(b.min() > 0 and c.min() > 0)
    if positive and reference is None:
        tb, tc = np.log(b), np.log(c)
        up, down = math.log1p(tolerance), math.log1p(-tolerance)
        scale = "log"
    else:
        tb, tc = b, c
        ref = abs(float(np.median(b))) if reference is None else abs(reference)
        up, down = tolerance * ref, -tolerance * ref
        scale = "abs"
        if reference is None:
            notes.append("values not all positive: additive shift relative to |median(baseline)|")
    tau = 1.0
    ranked = average_ranks(np.concatenate([tc, tb]))
    if method == "mannwhitney-hac" or (method == "auto" and autocorrelation == "auto"):
        rho, tau = _rank_tau(tc, ranked[0])
        if tau > 1.0:
            notes.append(f"lag-1 autocorrelation {rho:.2f}: rank variance inflated ×{tau:.2f}")
    used = "mannwhitney-hac" if tau > 1.0 else "mannwhitney"
    p_inc, u = (
        _mw_p(tc, tb, up, "greater", tau, ranked) if direction != "decrease" else (1.0, math.nan)
    )
    p_dec, u2 = (
        _mw_p(tc, tb, down, "less", tau, ranked) if direction != "increase" else (1.0, math.nan)
    )
    stat = u if direction != "decrease" else u2
    hl, lo, hi = _hl_interval(tc, tb, _ci_level(direction, alpha), tau, ranked[1])
    if scale == "log":
        effect, ci = math.expm1(hl), (math.expm1(lo), math.expm1(hi))
    else:
        if ref > 0:
            effect, ci = hl / ref, (lo / ref, hi / ref)
        else:
            effect, ci = math.nan, (math.nan, math.nan)
            notes.append("reference level is 0: the relative effect is undefined")
    return _finish(
        p_inc=p_inc,
        p_dec=p_dec,
        direction=direction,
        alpha=alpha,
        effect=effect,
        ci=ci,
        nb=b.size,
        nc=c.size,
        method=used,
        what="median",
        statistic=stat,
        tolerance=tolerance,
        loc_b=float(np.median(b)),
        loc_c=float(np.median(c)),
        tau=tau,
        notes=notes,
    )


# ----------------------------------------------------------------------------- quantiles
def _orderstat_boot(
    x: np.ndarray, q: float, m: int, size: int, rng: np.random.Generator
) -> np.ndarray:
    """Exact bootstrap draws of the ``q``-quantile (inverted CDF) of an m-resample of ``x``.

    The ``r``-th order statistic of an ``m``-resample is ``≤ x_(j)`` with probability
    ``P(Binomial(m, j/n) ≥ r)``; sampling that distribution is the bootstrap, with no
    resampling at all.
    """
    s = np.sort(x)
    n = s.size
    r = max(1, math.ceil(q * m))
    cdf = stats.binom.sf(r - 1, m, np.arange(1, n + 1) / n)
    u = rng.random(size)
    j = np.minimum(np.searchsorted(cdf, u, side="left"), n - 1)
    return s[j]


def _quantile(
    b: np.ndarray,
    c: np.ndarray,
    *,
    q: float,
    direction: str,
    tolerance: float,
    alpha: float,
    autocorrelation: str,
    n_boot: int,
    seed: int,
    notes: list[str],
) -> Comparison:
    rng = np.random.default_rng(seed)
    qb = float(np.quantile(b, q, method="inverted_cdf"))
    qc = float(np.quantile(c, q, method="inverted_cdf"))
    tau = 1.0
    if autocorrelation == "auto":
        # lag-1 autocorrelation of the normal scores (within each sample), then the
        # Gaussian-copula inflation of the indicator 1{x ≤ quantile}
        scores = [special.ndtri(average_ranks(a)[0] / (a.size + 1.0)) for a in (b, c)]
        rho, _ = ar1_tau(scores, margin=_MARGIN)
        tau = copula_tau_indicator(rho, q)
    taus = [tau, tau]
    mb = max(int(b.size / taus[0]), 1)
    mc = max(int(c.size / taus[1]), 1)
    if tau > 1.0:
        notes.append(f"autocorrelated: m-out-of-n bootstrap with m={mb}/{mc}")
    bb = _orderstat_boot(b, q, mb, n_boot, rng)
    bc = _orderstat_boot(c, q, mc, n_boot, rng)
    positive = bool(b.min() > 0 and c.min() > 0)
    if positive:
        theta = math.log(qc / qb)
        boot = np.log(bc / bb)
        up, down = math.log1p(tolerance), math.log1p(-tolerance)
        to_eff: Callable[[float], float] = math.expm1
    else:
        ref = abs(qb) if qb != 0 else 1.0
        theta = (qc - qb) / ref
        boot = (bc - bb) / ref
        up, down = tolerance, -tolerance
        to_eff = float
        notes.append("values are not all positive: difference relative to |baseline quantile|")
    p_inc = (1.0 + np.count_nonzero(boot <= up)) / (n_boot + 1.0)
    p_dec = (1.0 + np.count_nonzero(boot >= down)) / (n_boot + 1.0)
    tail = _ci_level(direction, alpha)
    lo, hi = np.quantile(boot, [tail, 1.0 - tail])
    return _finish(
        p_inc=float(p_inc) if direction != "decrease" else 1.0,
        p_dec=float(p_dec) if direction != "increase" else 1.0,
        direction=direction,
        alpha=alpha,
        effect=to_eff(theta),
        ci=(to_eff(float(lo)), to_eff(float(hi))),
        nb=b.size,
        nc=c.size,
        method="quantile",
        what=f"p{q * 100:g}",
        statistic=theta,
        tolerance=tolerance,
        loc_b=qb,
        loc_c=qc,
        tau=tau,
        notes=notes,
    )


# ----------------------------------------------------------------------------- counts
def _exposure(e: Any, counts: np.ndarray, name: str) -> np.ndarray:
    if e is None:
        return np.ones_like(counts)
    arr = _as_array(e, name)
    if arr.size == 1 and counts.size > 1:
        return np.full(counts.size, arr[0] / counts.size)
    if arr.size != counts.size:
        msg = f"has {arr.size} values but the counts have {counts.size}"
        raise InputError(msg, field=name, expected="one exposure per count, or a single total")
    if np.any(~np.isfinite(arr)) or np.any(arr < 0):
        msg = "exposures must be finite and non-negative"
        raise InputError(msg, field=name, expected="requests or seconds ≥ 0")
    return arr


def _dispersion(k: np.ndarray, e: np.ndarray) -> tuple[float, int]:
    """Pearson χ² of per-interval counts around a constant rate, and its df."""
    keep = e > 0
    k, e = k[keep], e[keep]
    if k.size < 2 or k.sum() == 0:
        return 0.0, 0
    lam = k.sum() / e.sum()
    mu = lam * e
    return float(((k - mu) ** 2 / mu).sum()), int(k.size - 1)


def _count_inflation(
    b: np.ndarray, c: np.ndarray, eb: np.ndarray, ec: np.ndarray, rb: float, rc: float
) -> tuple[float, float, float, int, float]:
    """Over-dispersion ``φ`` (Pearson χ²/df), autocorrelation ``τ`` of the Pearson residuals
    (signal-plus-noise plug-in), the χ², its df, and the z of the lag-1 autocorrelation."""
    x2b, dfb = _dispersion(b, eb)
    x2c, dfc = _dispersion(c, ec)
    df = dfb + dfc
    phi = max((x2b + x2c) / max(df, 1), 1.0)
    resid = [
        (b - rb * eb) / np.sqrt(np.maximum(rb * eb, 1e-12)),
        (c - rc * ec) / np.sqrt(np.maximum(rc * ec, 1e-12)),
    ]
    _, t_ac = arma11_tau(resid, margin=_COUNT_MARGIN)
    rho1, _ = ar1_tau(resid)  # bias-corrected, clipped at 0
    z1 = rho1 * math.sqrt(b.size + c.size)
    return phi, t_ac, x2b + x2c, df, z1


def _counts(
    b: np.ndarray,
    c: np.ndarray,
    *,
    eb: np.ndarray,
    ec: np.ndarray,
    method: str,
    direction: str,
    tolerance: float,
    alpha: float,
    autocorrelation: str,
    notes: list[str],
) -> Comparison:
    for arr, name in ((b, "baseline"), (c, "canary")):
        if np.any(arr < 0) or np.any(arr != np.round(arr)):
            msg = "error counts must be non-negative integers"
            raise InputError(msg, field=name, expected="counts per interval (0, 1, 2, …)")
    kb, kc = float(b.sum()), float(c.sum())
    Eb, Ec = float(eb.sum()), float(ec.sum())
    if Eb <= 0 or Ec <= 0:
        return _nodata(
            "the exposure (requests or time) is zero on one side", b.size, c.size, "poisson"
        )
    rb, rc = kb / Eb, kc / Ec
    proportions = bool(np.all(b <= eb) and np.all(c <= ec) and np.all(eb == np.round(eb)))
    if method == "auto":
        method = "binomial" if proportions and max(rb, rc) >= 0.1 else "poisson"
        if (
            method == "poisson"
            and autocorrelation == "auto"
            and min(b.size, c.size) >= 5
            and kb > 0
            and kc > 0
        ):
            phi, t_ac, x2, df, z1 = _count_inflation(b, c, eb, ec, rb, rc)
            # Switch on evidence (10 % tests of dispersion and of lag-1 correlation) or on a
            # large estimated inflation: for plain Poisson counts the exact test is the most
            # powerful valid one, for bursty ones it fails healthy canaries.
            evidence = stats.chi2.sf(x2, df) < _SWITCH_P or z1 > stats.norm.isf(_SWITCH_P)
            if evidence or phi * t_ac >= _SWITCH_INFLATION:
                method = "quasi-poisson"
                notes.append(
                    f"per-interval counts vary more than Poisson: dispersion {phi:.2f} "
                    f"(χ²={x2:.1f} on {df} df), autocorrelation ×{t_ac:.2f}"
                )
    tail = _ci_level(direction, alpha)
    up, down = 1.0 + tolerance, 1.0 - tolerance
    rr = rc / rb if rb > 0 else (math.inf if rc > 0 else math.nan)
    tau = 1.0
    if method == "binomial":
        from statsmodels.stats.proportion import (
            confint_proportions_2indep,
            test_proportions_2indep,
        )

        if kb == 0 and kc == 0:
            notes.append("no errors on either side")
            p_inc = p_dec = 1.0
            lo, hi = 0.0, math.inf
            stat = 0.0
        else:
            kw = {"count1": kc, "nobs1": Ec, "count2": kb, "nobs2": Eb, "compare": "ratio"}
            p_inc = float(
                test_proportions_2indep(**kw, value=up, alternative="larger", method="score").pvalue
            )
            p_dec = float(
                test_proportions_2indep(
                    **kw, value=down, alternative="smaller", method="score"
                ).pvalue
            )
            stat = float(
                test_proportions_2indep(
                    **kw, value=up, alternative="larger", method="score"
                ).statistic
            )
            lo, hi = confint_proportions_2indep(**kw, method="score", alpha=2 * tail)
    elif method == "quasi-poisson" and kb > 0 and kc > 0:
        phi, t_ac, _, _, _ = _count_inflation(b, c, eb, ec, rb, rc)
        if autocorrelation != "auto":
            t_ac = 1.0
        tau = phi * t_ac
        # The exact conditional test on counts deflated by the variance inflation (the
        # quasi-likelihood device): identical to the exact test when tau = 1.
        x, n_eff = kc / tau, (kb + kc) / tau
        pi_up = Ec * up / (Ec * up + Eb)
        pi_dn = Ec * down / (Ec * down + Eb)
        p_inc = float(special.betainc(x, n_eff - x + 1.0, pi_up))  # P(X ≥ x), continuous
        p_dec = float(special.betainc(n_eff - x, x + 1.0, 1.0 - pi_dn))  # P(X ≤ x)
        stat = x
        pl_, ph_ = (
            stats.beta.ppf(tail, x, n_eff - x + 1.0),
            stats.beta.isf(tail, x + 1.0, n_eff - x),
        )
        odds = Eb / Ec
        lo = pl_ / (1 - pl_) * odds
        hi = ph_ / (1 - ph_) * odds if ph_ < 1 else math.inf
        notes.append(
            f"variance inflated ×{tau:.2f} (dispersion {phi:.2f}, autocorrelation {t_ac:.2f})"
        )
    else:
        if method == "quasi-poisson":
            notes.append("zero errors on one side: exact Poisson test used")
        method = "poisson"
        k = int(kb + kc)
        stat = kc
        if k == 0:
            notes.append("no errors on either side")
            p_inc = p_dec = 1.0
            lo, hi = 0.0, math.inf
        else:
            pi_up = Ec * up / (Ec * up + Eb)
            pi_dn = Ec * down / (Ec * down + Eb)
            p_inc = float(stats.binomtest(int(kc), k, pi_up, alternative="greater").pvalue)
            p_dec = float(stats.binomtest(int(kc), k, pi_dn, alternative="less").pvalue)
            ci = stats.binomtest(int(kc), k, 0.5).proportion_ci(1 - 2 * tail, method="exact")
            odds = Eb / Ec

            def to_rr(pp: float) -> float:
                return pp / (1 - pp) * odds if pp < 1 else math.inf

            lo, hi = to_rr(ci.low), to_rr(ci.high)
    return _finish(
        p_inc=p_inc if direction != "decrease" else 1.0,
        p_dec=p_dec if direction != "increase" else 1.0,
        direction=direction,
        alpha=alpha,
        effect=rr - 1.0 if math.isfinite(rr) else rr,
        ci=(lo - 1.0, hi - 1.0),
        nb=b.size,
        nc=c.size,
        method=method,
        what="error rate",
        statistic=stat,
        tolerance=tolerance,
        loc_b=rb,
        loc_c=rc,
        tau=tau,
        notes=notes,
    )


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
    b_raw = _as_array(baseline, "baseline")
    c_raw = _as_array(canary, "canary")
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
        eb = _exposure(baseline_exposure, b_raw, "baseline_exposure")[mb]
        ec = _exposure(canary_exposure, c_raw, "canary_exposure")[mc]
        b, c = b_raw[mb], c_raw[mc]
        dropped = int((~mb).sum() + (~mc).sum())
        if dropped:
            notes.append(f"{dropped} NaN intervals dropped")
        if b.size < (min_n or 1) or c.size < (min_n or 1):
            return _nodata(
                f"no counts on {'baseline' if b.size == 0 else 'canary'} side",
                b.size,
                c.size,
                "poisson",
                notes=tuple(notes),
            )
        return _counts(
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
        return _nodata(why, b.size, c.size, resolved, notes=tuple(notes))
    if np.ptp(np.concatenate([b, c])) == 0:
        return _finish(
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
        return _quantile(
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
    return _mannwhitney(
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
    y = _as_array(values, "values")
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
