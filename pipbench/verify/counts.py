"""Error counts over exposures: exact Poisson, quasi-Poisson for bursty counts, binomial.

``poisson``: the exact conditional binomial test of the rate ratio with a Clopper-Pearson
interval (sparse errors are the common case). ``quasi-poisson``: the same test on counts
deflated by the variance inflation ``φ·τ`` (Pearson dispersion × autocorrelation of a
bursty rate, "signal plus noise" plug-in); ``auto`` switches to it on evidence (10 %
tests of dispersion and lag-1 correlation) or an estimated inflation ≥ 1.5.
``binomial``: errors out of requests when errors are not rare (score test, statsmodels).

Examples
--------
>>> import numpy as np
>>> b, c = np.array([0, 1, 0, 2]), np.array([3, 2, 4, 1])
>>> e = np.full(4, 1000.0)
>>> r = count_test(b, c, eb=e, ec=e, method="poisson", direction="increase", tolerance=0.0,
...                alpha=0.05, autocorrelation="auto", notes=[])
>>> r.method, r.verdict
('poisson', 'fail')
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import special, stats

from pipbench.errors import InputError
from pipbench.verify._stats import ar1_tau, arma11_tau, as_array
from pipbench.verify.result import Comparison, ci_tail, finish, nodata

__all__ = ["count_test", "exposure_array"]

#: Standard errors added to the residuals' lag-1 autocorrelation (bursty counts are hard
#: to estimate from a few dozen intervals).
COUNT_MARGIN = 1.5
#: Level of the dispersion / autocorrelation tests that switch counts to quasi-Poisson.
SWITCH_P = 0.1
#: Estimated variance inflation that switches to quasi-Poisson without a significant test.
SWITCH_INFLATION = 1.5


def exposure_array(e: Any, counts: np.ndarray, name: str) -> np.ndarray:
    if e is None:
        return np.ones_like(counts)
    arr = as_array(e, name)
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
    _, t_ac = arma11_tau(resid, margin=COUNT_MARGIN)
    rho1, _ = ar1_tau(resid)  # bias-corrected, clipped at 0
    z1 = rho1 * math.sqrt(b.size + c.size)
    return phi, t_ac, x2b + x2c, df, z1


def count_test(
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
        return nodata(
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
            evidence = stats.chi2.sf(x2, df) < SWITCH_P or z1 > stats.norm.isf(SWITCH_P)
            if evidence or phi * t_ac >= SWITCH_INFLATION:
                method = "quasi-poisson"
                notes.append(
                    f"per-interval counts vary more than Poisson: dispersion {phi:.2f} "
                    f"(χ²={x2:.1f} on {df} df), autocorrelation ×{t_ac:.2f}"
                )
    tail = ci_tail(direction, alpha)
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
            inc = test_proportions_2indep(**kw, value=up, alternative="larger", method="score")
            dec = test_proportions_2indep(**kw, value=down, alternative="smaller", method="score")
            p_inc, p_dec, stat = float(inc.pvalue), float(dec.pvalue), float(inc.statistic)
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
    return finish(
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
