"""Percentiles (p95, p99): exact bootstrap of the order statistic, m-out-of-n under
autocorrelation.

The bootstrap law of the ``r``-th order statistic of an ``m``-resample is binomial, so
replicates are drawn without resampling. With autocorrelation ``m = n / τ``, ``τ`` the
Gaussian-copula inflation of the indicator ``1{x ≤ quantile}``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> r = quantile_test(rng.lognormal(0, 0.5, 2000), rng.lognormal(0, 0.7, 2000), q=0.95,
...                   direction="increase", tolerance=0.0, alpha=0.05,
...                   autocorrelation="auto", n_boot=2000, seed=0, notes=[])
>>> r.verdict, r.method
('fail', 'quantile')
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special, stats

from pipbench.verify._stats import RHO_MARGIN, ar1_tau, average_ranks, copula_tau_indicator
from pipbench.verify.result import Comparison, ci_tail, finish

__all__ = ["quantile_test"]


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


def quantile_test(
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
        rho, _ = ar1_tau(scores, margin=RHO_MARGIN)
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
    tail = ci_tail(direction, alpha)
    lo, hi = np.quantile(boot, [tail, 1.0 - tail])
    return finish(
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
