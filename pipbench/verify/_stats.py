"""Small numerical helpers shared by the verification methods (internal).

- :func:`pairwise_diff_quantiles`: order statistics of all ``x_i - y_j`` without building
  the ``nx × ny`` matrix (Hodges-Lehmann estimate and its rank-inversion interval).
- :func:`ar1_tau`: the integrated autocorrelation time of one or more series under an
  AR(1) plug-in (Andrews 1991), bias-corrected for short series.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipbench.errors import InputError

__all__ = [
    "RHO_MARGIN",
    "ar1_tau",
    "arma11_tau",
    "as_array",
    "average_ranks",
    "copula_tau_indicator",
    "copula_tau_ranks",
    "pairwise_diff_quantiles",
]

#: Standard errors added to an estimated lag-1 autocorrelation before it corrects a test:
#: short, strongly autocorrelated series under-estimate it (calibrated in bench_verify).
RHO_MARGIN = 0.5

_MATERIALISE = 400_000  # below this many pairs we build every difference
_BRACKET = 12_000  # a bracket this small is built and partitioned


def as_array(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D float array, or an :class:`~pipbench.errors.InputError` naming it."""
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


def average_ranks(a: np.ndarray) -> tuple[np.ndarray, float]:
    """Mid-ranks of ``a`` (ties share their average rank) and the tie term ``Σ(t³ − t)``.

    The same algorithm as ``scipy.stats.rankdata(method="average")``, without its
    per-call overhead (it matters in Monte-Carlo loops).

    Examples
    --------
    >>> r, ties = average_ranks(np.array([3.0, 1.0, 3.0]))
    >>> r.tolist(), ties
    ([2.5, 1.0, 2.5], 6.0)
    """
    order = np.argsort(a)  # average ranks do not depend on the order among ties
    s = a[order]
    obs = np.empty(s.size, dtype=bool)
    obs[0] = True
    np.not_equal(s[1:], s[:-1], out=obs[1:])
    dense = np.cumsum(obs)
    bounds = np.r_[np.nonzero(obs)[0], s.size]
    avg = 0.5 * (bounds[dense] + bounds[dense - 1] + 1)
    ranks = np.empty(s.size)
    ranks[order] = avg
    t = np.diff(bounds).astype(float)
    return ranks, float((t**3 - t).sum())


def _count_le(xs: np.ndarray, ys: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Number of pairs with ``x_i - y_j <= t`` for each threshold in ``t`` (xs, ys sorted)."""
    # x_i - y_j <= t  <=>  y_j >= x_i - t
    idx = np.searchsorted(ys, xs[None, :] - t[:, None], side="left")
    return ys.size * xs.size - idx.sum(axis=1)


def _count_lt(xs: np.ndarray, ys: np.ndarray, t: float) -> int:
    """Number of pairs with ``x_i - y_j < t``."""
    idx = np.searchsorted(ys, xs - t, side="right")
    return int(ys.size * xs.size - idx.sum())


def _snap_below(xs: np.ndarray, ys: np.ndarray, t: float) -> float:
    """The largest difference ``x_i - y_j <= t``."""
    start = np.searchsorted(ys, xs - t, side="left")
    ok = start < ys.size
    return float(np.max(xs[ok] - ys[start[ok]]))


def pairwise_diff_quantiles(x: np.ndarray, y: np.ndarray, ranks: Sequence[int]) -> np.ndarray:
    """The ``k``-th smallest (1-based) of the ``len(x) * len(y)`` differences ``x_i - y_j``.

    Exact. Small problems build the differences; large ones bracket each rank by
    bisection on the value with vectorised counting, then build only the bracket.

    Parameters
    ----------
    x, y
        Finite samples.
    ranks
        1-based ranks, clipped to ``[1, len(x) * len(y)]``.

    Examples
    --------
    >>> pairwise_diff_quantiles(np.array([1.0, 2.0]), np.array([0.0, 1.0]), [1, 4]).tolist()
    [0.0, 2.0]
    """
    xs = np.sort(np.asarray(x, dtype=float))
    ys = np.sort(np.asarray(y, dtype=float))
    n_pairs = xs.size * ys.size
    ks = np.clip(np.asarray(ranks, dtype=np.int64), 1, n_pairs)
    if n_pairs <= _MATERIALISE:
        d = np.subtract.outer(xs, ys).ravel()
        uniq = np.unique(ks - 1)
        d.partition(uniq)
        return d[ks - 1]
    out = np.empty(ks.size)
    lo0 = float(xs[0] - ys[-1])
    hi0 = float(xs[-1] - ys[0])
    # Starting brackets from a fixed random subsample of pairs, checked by exact counts.
    rng = np.random.default_rng(0)
    m = 4096
    sample = np.sort(xs[rng.integers(xs.size, size=m)] - ys[rng.integers(ys.size, size=m)])
    p = ks / n_pairs
    se = np.sqrt(p * (1 - p) / m) * 5 + 2.0 / m
    lo_i = np.floor((p - se) * m).astype(int)
    hi_i = np.ceil((p + se) * m).astype(int)
    lo_s = np.where(lo_i >= 0, sample[np.clip(lo_i, 0, m - 1)], lo0)
    hi_s = np.where(hi_i < m, sample[np.clip(hi_i, 0, m - 1)], hi0)
    counts = _count_le(xs, ys, np.concatenate([lo_s, hi_s]))
    c_los, c_his = counts[: ks.size], counts[ks.size :]
    done = np.zeros(ks.size, dtype=bool)
    for pos in np.argsort(ks):
        if done[pos]:
            continue
        k = int(ks[pos])
        if c_los[pos] < k <= c_his[pos]:
            lo, hi, c_lo, c_hi = (
                float(lo_s[pos]),
                float(hi_s[pos]),
                int(c_los[pos]),
                int(c_his[pos]),
            )
        else:
            if k == 1 or _count_le(xs, ys, np.array([lo0]))[0] >= k:
                out[pos] = lo0
                done[pos] = True
                continue
            lo, hi = lo0, hi0
            c_lo, c_hi = int(_count_le(xs, ys, np.array([lo]))[0]), n_pairs
        found: float | None = None
        for _ in range(200):
            if c_hi - c_lo <= _BRACKET:
                break
            # Interpolate the count (the difference distribution is smooth) and probe
            # a window of ±_BRACKET/4 pairs around the target: usually one round.
            span = c_hi - c_lo
            fr = (np.array([k - _BRACKET / 4, k + _BRACKET / 4]) - c_lo) / span
            fr = np.clip(fr, 1e-9, 1 - 1e-9)
            probes = lo + (hi - lo) * fr
            counts = _count_le(xs, ys, probes)
            for t, c in zip(probes, counts, strict=True):
                if c >= k and t < hi:
                    hi, c_hi = float(t), int(c)
                elif c < k and t > lo:
                    lo, c_lo = float(t), int(c)
            if c_hi - c_lo == span:  # no progress: heavy ties
                # Snap hi down to an actual difference: the answer may be a value whose
                # tie block is larger than any bracket we could build.
                v = _snap_below(xs, ys, hi)
                if _count_lt(xs, ys, v) < k:
                    found = v
                    break
                hi = v
                mid = np.array([(lo + hi) / 2])
                c = int(_count_le(xs, ys, mid)[0])
                if c >= k:
                    hi, c_hi = float(mid[0]), c
                else:
                    lo, c_lo = float(mid[0]), c
            if not hi > lo:
                break
        if found is not None:
            out[pos] = found
            done[pos] = True
            continue
        # materialise the differences in (lo, hi]
        start = np.searchsorted(ys, xs - hi, side="left")  # y_j >= x_i - hi
        stop = np.searchsorted(ys, xs - lo, side="left")  # y_j <  x_i - lo
        lens = stop - start
        total = int(lens.sum())
        if total == 0:
            out[pos] = hi
            done[pos] = True
            continue
        rows = np.repeat(np.arange(xs.size), lens)
        offs = np.arange(total) - np.repeat(np.cumsum(lens) - lens, lens)
        diffs = xs[rows] - ys[start[rows] + offs]
        # every rank that falls in this bracket is answered by one partition
        if total == c_hi - c_lo:
            inside = np.nonzero(~done & (ks > c_lo) & (ks <= c_hi))[0]
        else:  # float rounding at the edges: answer this rank only
            inside = np.array([pos])
        idx = np.clip(ks[inside] - c_lo - 1, 0, total - 1)
        diffs.partition(np.unique(idx))
        out[inside] = diffs[idx]
        done[inside] = True
    return out


def ar1_tau(series: Sequence[np.ndarray], *, margin: float = 0.0) -> tuple[float, float]:
    """Lag-1 autocorrelation pooled over ``series`` and the AR(1) integrated time ``τ``.

    Each series is centred on its own mean; the pooled estimate is bias-corrected for
    short series (Marriott-Pope: ``E[r] ≈ ρ − (1 + 3ρ)/n``) and clipped to ``[0, 0.98]``,
    so ``τ = (1 + ρ)/(1 − ρ) ≥ 1`` (never claims more information than i.i.d.).

    ``margin`` adds that many standard errors (``√((1 − ρ²)/n)``) to ``ρ`` before ``τ``
    is formed: short, strongly autocorrelated series under-estimate ``ρ``.

    Returns
    -------
    (rho, tau)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> e = rng.normal(size=5000)
    >>> x = np.empty_like(e); x[0] = e[0]
    >>> for i in range(1, e.size): x[i] = 0.5 * x[i - 1] + e[i]
    >>> rho, tau = ar1_tau([x])
    >>> round(rho, 1), round(tau, 0)
    (0.5, 3.0)
    """
    num = 0.0
    den = 0.0
    n_tot = 0
    n_series = 0
    for s in series:
        a = np.asarray(s, dtype=float)
        if a.size < 3:
            continue
        c = a - a.mean()
        num += float(np.dot(c[1:], c[:-1]))
        den += float(np.dot(c, c))
        n_tot += a.size
        n_series += 1
    if den <= 0 or n_series == 0:
        return 0.0, 1.0
    r = num / den
    n_bar = n_tot / n_series
    rho = (r + 1.0 / n_bar) / (1.0 - 3.0 / n_bar) if n_bar > 3 else r
    rho = float(min(max(rho, 0.0), 0.98))
    if margin > 0 and rho > 0:
        rho = float(min(rho + margin * math.sqrt((1.0 - rho * rho) / n_tot), 0.98))
    return rho, (1.0 + rho) / (1.0 - rho)


def _pooled_acf(series: Sequence[np.ndarray], max_lag: int) -> tuple[np.ndarray, int]:
    """Autocorrelations at lags 1..max_lag pooled over series (each centred on its mean)."""
    num = np.zeros(max_lag)
    den = 0.0
    n_tot = 0
    for s in series:
        a = np.asarray(s, dtype=float)
        if a.size < 3:
            continue
        c = a - a.mean()
        den += float(np.dot(c, c))
        n_tot += a.size
        for k in range(1, min(max_lag, a.size - 1) + 1):
            num[k - 1] += float(np.dot(c[k:], c[:-k]))
    if den <= 0:
        return np.zeros(max_lag), n_tot
    return num / den, n_tot


def arma11_tau(series: Sequence[np.ndarray], *, margin: float = 0.5) -> tuple[float, float]:
    """Integrated autocorrelation time for "signal plus noise" series (ARMA(1,1) plug-in).

    Per-interval error counts of a bursty service are a Poisson noise on top of an
    autocorrelated rate: their autocorrelation is ``A·ρᵏ`` with ``A < 1``, so an AR(1)
    extrapolated from lag 1 badly under-states ``τ``. Here ``ρ = Σ acf(2..K) / Σ acf(1..K−1)``
    (K ≤ 5; less biased in short series than a least-squares decay) and
    ``τ = 1 + 2·acf(1)/(1 − ρ)`` capped at ``n/2``; the autocorrelations are corrected for
    mean-centring (``+τ/n``, iterated) and ``acf(1)`` is raised by ``margin`` standard
    errors.

    Returns
    -------
    (acf1, tau)

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> from scipy import signal
    >>> lam = np.exp(signal.lfilter([1.0], [1.0, -0.8], rng.normal(0, 0.6, 20000)))
    >>> acf1, tau = arma11_tau([rng.poisson(2 * lam)], margin=0)
    >>> 2 < tau < 8
    True
    """
    sizes = [np.asarray(s).size for s in series]
    n_bar = float(np.mean(sizes)) if sizes else 0.0
    if n_bar < 4:
        return 0.0, 1.0
    max_lag = int(min(5, max(2, n_bar // 4)))
    acf_raw, n_tot = _pooled_acf(series, max_lag)
    # Centring on the sample mean biases every autocorrelation by about −τ/n (the variance
    # of the mean is τσ²/n): correct by a short fixed-point iteration on τ.
    tau, a1 = 1.0, 0.0
    for _ in range(5):
        acf = acf_raw + tau / n_bar
        a1 = float(acf[0]) + margin * math.sqrt(1.0 / max(n_tot, 1))
        if a1 <= 0:
            return 0.0, 1.0
        a1 = min(a1, 0.98)
        den = float(acf[:-1].sum())
        # The ratio of two noisy sums explodes when the denominator is near zero: shrink
        # it toward 0 by den² / (den² + se²), se the denominator's standard error.
        se2 = (max_lag - 1) / max(n_tot, 1)
        rho = float(acf[1:].sum() / den) * den * den / (den * den + se2) if den > 0 else 0.0
        rho = min(max(rho, 0.0), 0.98)
        tau = min(1.0 + 2.0 * a1 / (1.0 - rho), n_bar / 2.0)
    return a1, tau


def copula_tau_ranks(rho: float) -> float:
    """Inflation of a rank statistic's variance under a Gaussian-copula AR(1) with lag-1 ρ.

    Ranks then have lag-k autocorrelation ``(6/π)·asin(ρᵏ/2)``.

    Examples
    --------
    >>> copula_tau_ranks(0.0)
    1.0
    >>> round(copula_tau_ranks(0.6), 2)
    3.89
    """
    if rho <= 0:
        return 1.0
    k = np.arange(1, max(2, int(math.log(1e-9) / math.log(rho)) + 2))
    return 1.0 + 2.0 * float(np.sum(6.0 / math.pi * np.arcsin(rho**k / 2.0)))


def copula_tau_indicator(rho: float, q: float) -> float:
    """Inflation of the variance of the indicator mean ``1{x ≤ F⁻¹(q)}`` (a sample quantile's
    variance) under a Gaussian-copula AR(1): lag-k correlation of the indicators is
    ``(Φ₂(h, h; ρᵏ) − q²) / (q(1 − q))`` with ``h = Φ⁻¹(q)`` and
    ``Φ₂(h, h; r) = Φ(h) − 2·T(h, √((1 − r)/(1 + r)))`` (Owen's T).

    Examples
    --------
    >>> copula_tau_indicator(0.0, 0.95)
    1.0
    >>> 1.0 < copula_tau_indicator(0.6, 0.95) < copula_tau_ranks(0.6)
    True
    """
    if rho <= 0:
        return 1.0
    from scipy import special

    h = float(special.ndtri(q))
    k = np.arange(1, max(2, int(math.log(1e-9) / math.log(rho)) + 2))
    r = rho**k
    both = q - 2.0 * special.owens_t(h, np.sqrt((1.0 - r) / (1.0 + r)))
    corr = (both - q * q) / (q * (1.0 - q))
    return 1.0 + 2.0 * float(np.sum(np.clip(corr, 0.0, 1.0)))
