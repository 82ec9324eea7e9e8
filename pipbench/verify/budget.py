"""Error-budget impact of a canary: the burn rate it would cause at full rollout.

A deliberately small, self-contained table of the SRE Workbook's multiwindow, multi-burn-rate
alerts for a 30-day SLO window (chapter "Alerting on SLOs", table 5-8):

=========  ============  =============  =========  =================
severity   long window   short window   burn rate  budget consumed
=========  ============  =============  =========  =================
page       1 h           5 m            14.4       2 %
page       6 h           30 m           6          5 %
ticket     3 d           6 h            1          10 %
=========  ============  =============  =========  =================

Burn rate = (fraction of bad events) / (1 − SLO); a burn rate ``b`` held for the whole
window spends ``b`` budgets, so the budget lasts ``window / b``.

Examples
--------
>>> r = budget_impact(0.0005, 0.02, slo=0.999)
>>> round(r.burn_rate, 1), r.alert.severity, r.alert.long_window
(20.0, 'page', '1h')
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from pipbench.errors import ConfigError, InputError
from pipbench.slo.burnrate import workbook_rules
from pipbench.verify.result import Comparison

__all__ = [
    "BURN_RATE_ALERTS",
    "BudgetImpact",
    "BurnRateAlert",
    "bad_fraction",
    "budget_impact",
    "budget_impact_of",
]


@dataclass(frozen=True)
class BurnRateAlert:
    """One multiwindow burn-rate alert: fires when both windows burn faster than ``burn_rate``."""

    severity: str
    long_window: str
    short_window: str
    long_hours: float
    burn_rate: float
    budget_fraction: float


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


def _alerts(window_days: float) -> tuple[BurnRateAlert, ...]:
    """The Workbook alerts for an SLO window, from the one table in :mod:`pipbench.slo`."""
    return tuple(
        BurnRateAlert(
            r.severity,
            _duration(r.long_window_s),
            _duration(r.short_window_s),
            r.long_window_s / 3600,
            r.factor,
            r.budget_fraction or 0.0,
        )
        for r in workbook_rules(window_days * 86400)
    )


#: The SRE Workbook's recommended alerts for a 30-day window, most severe first.
BURN_RATE_ALERTS: tuple[BurnRateAlert, ...] = _alerts(30.0)


@dataclass(frozen=True)
class BudgetImpact:
    """What the canary would do to the error budget if it took all the traffic."""

    slo: float
    window_days: float
    baseline_bad_fraction: float
    canary_bad_fraction: float
    baseline_burn_rate: float
    burn_rate: float
    burn_rate_delta: float
    days_to_exhaustion: float
    alert: BurnRateAlert | None
    explanation: str


def bad_fraction(latencies: Any, threshold: float) -> float:
    """Fraction of latencies above ``threshold`` (the bad events of a latency SLO).

    Examples
    --------
    >>> bad_fraction([0.1, 0.2, 0.5, 0.9], 0.3)
    0.5
    """
    a = np.asarray(latencies, dtype=float)
    a = a[np.isfinite(a)]
    if a.size == 0:
        msg = "no finite latencies"
        raise InputError(msg, field="latencies", expected="at least one duration")
    return float(np.mean(a > threshold))


def budget_impact(
    baseline_bad_fraction: float,
    canary_bad_fraction: float,
    *,
    slo: float,
    window_days: float = 30.0,
) -> BudgetImpact:
    """Burn rate at full rollout of the canary, and which burn-rate alert it would trip.

    Parameters
    ----------
    baseline_bad_fraction, canary_bad_fraction
        Fractions of bad events (errors, or requests slower than the SLO threshold; see
        :func:`bad_fraction`).
    slo
        The objective, e.g. ``0.999``.
    window_days
        The SLO window; the Workbook's alert thresholds are derived for it (14.4/6/1 at 30 days).

    Examples
    --------
    >>> r = budget_impact(0.0002, 0.0012, slo=0.999)
    >>> round(r.burn_rate, 2), r.alert.severity, r.alert.long_window
    (1.2, 'ticket', '3d')
    """
    if not (0.0 < slo < 1.0):
        msg = f"slo={slo!r}; expected a fraction in (0, 1), e.g. 0.999"
        raise ConfigError(msg)
    for name, v in (
        ("baseline_bad_fraction", baseline_bad_fraction),
        ("canary_bad_fraction", canary_bad_fraction),
    ):
        if not (math.isfinite(v) and 0.0 <= v <= 1.0):
            msg = f"{name}={v!r}; expected a fraction in [0, 1]"
            raise ConfigError(msg)
    budget = 1.0 - slo
    b0 = baseline_bad_fraction / budget
    b1 = canary_bad_fraction / budget
    # a burn rate at the threshold trips it (1e-9 absorbs 1 − 0.999 ≠ 0.001 in floating point)
    alert = next((a for a in _alerts(window_days) if b1 >= a.burn_rate * (1 - 1e-9)), None)
    days = window_days / b1 if b1 > 0 else math.inf
    if alert is not None:
        what = (
            f"would trip the {alert.severity} alert ({alert.long_window}/{alert.short_window} "
            f"windows at burn rate ≥ {alert.burn_rate:g})"
        )
    else:
        what = "would trip no burn-rate alert"
    expl = (
        f"At full rollout the canary's bad fraction {canary_bad_fraction:.4%} burns the "
        f"{slo:.4%} SLO's budget at {b1:.2f}× (baseline {b0:.2f}×), exhausting a "
        f"{window_days:g}-day budget in {days:.1f} days; it {what}."
    )
    return BudgetImpact(
        slo=slo,
        window_days=window_days,
        baseline_bad_fraction=baseline_bad_fraction,
        canary_bad_fraction=canary_bad_fraction,
        baseline_burn_rate=b0,
        burn_rate=b1,
        burn_rate_delta=b1 - b0,
        days_to_exhaustion=days,
        alert=alert,
        explanation=expl,
    )


def budget_impact_of(
    comparison: Comparison, *, slo: float, window_days: float = 30.0
) -> BudgetImpact:
    """:func:`budget_impact` of an error-count comparison whose exposures were requests.

    The comparison's locations are then the error fractions of baseline and canary. For
    a latency SLO use :func:`bad_fraction` on each sample and :func:`budget_impact`.

    Examples
    --------
    >>> from pipbench.verify import compare_samples
    >>> r = compare_samples([1, 0, 2], [9, 12, 10], baseline_exposure=[1000] * 3,
    ...                     canary_exposure=[1000] * 3)
    >>> budget_impact_of(r, slo=0.999).alert.long_window
    '6h'
    """
    if comparison.method not in ("poisson", "quasi-poisson", "binomial"):
        msg = (
            f"budget_impact_of needs an error-count comparison, got method={comparison.method!r}; "
            "for latency use bad_fraction() on each sample, then budget_impact()"
        )
        raise ConfigError(msg)
    return budget_impact(
        comparison.baseline_location,
        comparison.canary_location,
        slo=slo,
        window_days=window_days,
    )
