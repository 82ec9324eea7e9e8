"""Planning a canary: the smallest regression it can see, and how long it must run.

Latency: a log-normal model (``sigma`` = standard deviation of log latency, or a
coefficient of variation), a normal-theory power calculation on the log scale
(statsmodels ``NormalIndPower``) and the Mann-Whitney test's asymptotic relative
efficiency against it (``3/π`` for normal data), so the plan matches the test pipbench
runs. Autocorrelation enters as ``tau``: ``n`` points carry ``n / tau`` points' worth of
information. Error rates: a normal approximation on the log rate ratio,
``Var = 1/(λ_b·E_b) + 1/(λ_c·E_c)``.

Examples
--------
>>> round(minimum_detectable_effect(500, sigma=0.5), 3)
0.084
>>> plan = canary_duration(0.10, request_rate=20, canary_share=0.05, sigma=0.5)
>>> round(plan.seconds / 60, 1), plan.n_canary
(5.9, 357)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats

from pipbench.errors import ConfigError

__all__ = ["ARE_MANNWHITNEY", "CanaryPlan", "canary_duration", "minimum_detectable_effect"]

#: Asymptotic relative efficiency of Mann-Whitney against the t-test for normal data.
ARE_MANNWHITNEY = 3.0 / math.pi


@dataclass(frozen=True)
class CanaryPlan:
    """How long to run a canary to detect ``effect`` with the requested power."""

    effect: float
    seconds: float
    n_baseline: int
    n_canary: int
    power: float
    alpha: float
    explanation: str


def _sigma(sigma: float | None, cv: float | None) -> float:
    if sigma is not None:
        s = float(sigma)
    elif cv is not None:
        s = math.sqrt(math.log1p(float(cv) ** 2))
    else:
        msg = "give sigma (std of log latency) or cv (coefficient of variation)"
        raise ConfigError(msg)
    if not (s > 0 and math.isfinite(s)):
        msg = f"sigma={s!r}; expected a positive number"
        raise ConfigError(msg)
    return s


def _z(alpha: float, power: float, two_sided: bool) -> float:
    if not (0 < alpha < 0.5 and 0 < power < 1):
        msg = f"alpha={alpha!r}, power={power!r}; expected alpha in (0, 0.5), power in (0, 1)"
        raise ConfigError(msg)
    return stats.norm.isf(alpha / (2 if two_sided else 1)) + stats.norm.ppf(power)


def minimum_detectable_effect(
    n_baseline: float,
    n_canary: float | None = None,
    *,
    sigma: float | None = None,
    cv: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = False,
    tau: float = 1.0,
    test: str = "mannwhitney",
) -> float:
    """Smallest relative latency increase detected with ``power`` (0.10 = +10 %).

    Parameters
    ----------
    n_baseline, n_canary
        Sample sizes (``n_canary`` defaults to ``n_baseline``).
    sigma, cv
        Noise: std of log latency, or the coefficient of variation.
    tau
        Variance inflation from autocorrelation (1 = independent points).
    test
        ``"mannwhitney"`` (default, what pipbench runs) or ``"t"`` (the t-test on logs).

    Examples
    --------
    >>> round(minimum_detectable_effect(2000, sigma=0.5), 3)
    0.041
    """
    if test not in ("mannwhitney", "t"):
        msg = f"test={test!r}; expected 'mannwhitney' or 't'"
        raise ConfigError(msg)
    s = _sigma(sigma, cv)
    nc = n_baseline if n_canary is None else n_canary
    if n_baseline <= 0 or nc <= 0 or tau < 1:
        msg = "sample sizes must be positive and tau ≥ 1"
        raise ConfigError(msg)
    eff = ARE_MANNWHITNEY if test == "mannwhitney" else 1.0
    se = s * math.sqrt(tau * (1.0 / n_baseline + 1.0 / nc) / eff)
    return math.expm1(_z(alpha, power, two_sided) * se)


def canary_duration(
    effect: float,
    *,
    request_rate: float,
    canary_share: float,
    baseline_share: float | None = None,
    sigma: float | None = None,
    cv: float | None = None,
    error_rate: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    two_sided: bool = False,
    tau: float = 1.0,
) -> CanaryPlan:
    """Time a canary must run to detect a relative regression ``effect`` with ``power``.

    Parameters
    ----------
    effect
        Relative regression to detect: +0.10 = 10 % slower (or a 10 % higher error rate).
    request_rate
        Requests per second to the whole service.
    canary_share
        Fraction of traffic the canary gets.
    baseline_share
        Fraction the baseline gets (default: the same as the canary, Kayenta-style).
    sigma, cv
        Latency noise (see :func:`minimum_detectable_effect`).
    error_rate
        Baseline error fraction: plan for an error-rate canary instead of latency.

    Examples
    --------
    >>> plan = canary_duration(0.5, request_rate=100, canary_share=0.1, error_rate=0.01)
    >>> round(plan.seconds / 60, 1)
    10.4
    """
    if not (effect > 0 and request_rate > 0 and 0 < canary_share <= 1):
        msg = "effect, request_rate must be positive and canary_share in (0, 1]"
        raise ConfigError(msg)
    bshare = canary_share if baseline_share is None else baseline_share
    rb, rc = request_rate * bshare, request_rate * canary_share
    z = _z(alpha, power, two_sided)
    if error_rate is not None:
        if not (0 < error_rate < 1):
            msg = f"error_rate={error_rate!r}; expected a fraction in (0, 1)"
            raise ConfigError(msg)
        lam_b, lam_c = error_rate, error_rate * (1 + effect)
        # (z / log RR)^2 = tau * (1/(λb rb t) + 1/(λc rc t))
        t = tau * (z / math.log1p(effect)) ** 2 * (1 / (lam_b * rb) + 1 / (lam_c * rc))
        what = f"a {effect:.0%} higher error rate (baseline {error_rate:.3%})"
    else:
        s = _sigma(sigma, cv)
        # (z σ / log(1+e))^2 = tau (1/(rb t) + 1/(rc t)) / ARE
        t = tau * (z * s / math.log1p(effect)) ** 2 * (1 / rb + 1 / rc) / ARE_MANNWHITNEY
        what = f"a {effect:.0%} latency increase (σ_log={s:.2f})"
    nb, nc = math.ceil(rb * t), math.ceil(rc * t)
    expl = (
        f"Detecting {what} with {power:.0%} power at alpha={alpha:g} needs "
        f"{t / 60:.1f} min at {request_rate:g} req/s with {canary_share:.1%} canary "
        f"traffic ({nc} canary, {nb} baseline requests)."
    )
    return CanaryPlan(effect, float(t), nb, nc, power, alpha, expl)
