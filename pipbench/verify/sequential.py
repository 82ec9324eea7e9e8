"""Sequential checking: look at a canary every few minutes without inflating false alarms.

Testing the accumulated data at each look with a fixed ``alpha`` fails a healthy canary
far more often than ``alpha`` (the more looks, the worse). Two valid schedules:

``msprt`` (default)
    Always-valid p-values from the mixture sequential probability ratio test (Robbins;
    Johari et al., "Always valid inference", 2017) on the log-scale effect and its
    standard error, taken from each look's :class:`~pipbench.verify.Comparison` interval.
    Look as often as you like, stop any time: ``P(any p ≤ alpha) ≤ alpha``.
``obrien-fleming``
    Alpha spending with the Lan-DeMets O'Brien-Fleming function
    ``α(t) = 2 − 2Φ(z_{1−α/2}/√t)`` over the information fraction ``t = n / n_max``; each look
    spends the increment (a Bonferroni split of the increments, conservative).

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(5)
>>> seq = SequentialCanary(alpha=0.05)
>>> b, c = rng.lognormal(0, 0.5, 600), rng.lognormal(np.log(1.3), 0.5, 600)
>>> looks = [seq.update(b[:n], c[:n]) for n in range(50, 601, 50)]
>>> looks[-1].verdict
'fail'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from scipy import stats

from pipbench.errors import ConfigError
from pipbench.verify.compare import Comparison, compare_samples

__all__ = ["SequentialCanary", "SequentialLook", "msprt_pvalue", "obrien_fleming_spend"]


def msprt_pvalue(estimate: float, se: float, mixing_sd: float) -> float:
    """One look's mSPRT p-value ``1/Λ`` for a normal estimate with a N(0, mixing_sd²) mixture.

    ``Λ = √(V/(V+τ²)) · exp(θ̂² τ² / (2V(V+τ²)))`` with ``V = se²``.

    Examples
    --------
    >>> msprt_pvalue(0.0, 0.1, 0.1) == 1.0
    True
    """
    if not (se > 0 and math.isfinite(se) and math.isfinite(estimate)):
        return 1.0
    v, t2 = se * se, mixing_sd * mixing_sd
    log_lam = 0.5 * math.log(v / (v + t2)) + estimate * estimate * t2 / (2 * v * (v + t2))
    return float(min(1.0, math.exp(-log_lam)))


def obrien_fleming_spend(t: float, alpha: float) -> float:
    """Cumulative alpha spent at information fraction ``t`` (Lan-DeMets O'Brien-Fleming)."""
    if t <= 0:
        return 0.0
    t = min(t, 1.0)
    return float(2.0 - 2.0 * stats.norm.cdf(stats.norm.isf(alpha / 2.0) / math.sqrt(t)))


@dataclass(frozen=True)
class SequentialLook:
    """One look: the comparison on all data so far and the sequentially valid decision."""

    look: int
    p_value: float
    threshold: float
    verdict: Literal["pass", "fail", "nodata", "continue"]
    comparison: Comparison
    explanation: str


@dataclass
class SequentialCanary:
    """Repeatedly compare a growing canary with its baseline, keeping false alarms ≤ alpha.

    Parameters
    ----------
    alpha
        Overall false-fail rate across all looks.
    direction, tolerance, method
        As in :func:`~pipbench.verify.compare_samples`.
    schedule
        ``"msprt"`` (always valid) or ``"obrien-fleming"`` (needs ``max_n``).
    mixing_sd
        mSPRT mixture scale on the log-ratio scale: the size of effect it is tuned for
        (0.1 ≈ a 10 % change).
    max_n
        Planned canary sample at the last look (alpha spending).
    """

    alpha: float = 0.05
    direction: Literal["increase", "decrease", "either"] = "increase"
    tolerance: float = 0.0
    method: str = "auto"
    schedule: Literal["msprt", "obrien-fleming"] = "msprt"
    mixing_sd: float = 0.1
    max_n: int | None = None
    looks_: list[SequentialLook] = field(default_factory=list, init=False, repr=False)

    def update(self, baseline: Any, canary: Any, **kwargs: Any) -> SequentialLook:
        """Add a look on the cumulative samples so far; returns its decision."""
        if self.schedule not in ("msprt", "obrien-fleming"):
            msg = f"schedule={self.schedule!r}; expected 'msprt' or 'obrien-fleming'"
            raise ConfigError(msg)
        if self.schedule == "obrien-fleming" and not self.max_n:
            msg = "schedule='obrien-fleming' needs max_n (the planned canary sample)"
            raise ConfigError(msg)
        comp = compare_samples(
            baseline,
            canary,
            direction=self.direction,
            tolerance=self.tolerance,
            alpha=self.alpha,
            method=self.method,  # type: ignore[arg-type]
            **kwargs,
        )
        k = len(self.looks_) + 1
        if comp.verdict == "nodata":
            look = SequentialLook(k, math.nan, 0.0, "nodata", comp, comp.explanation)
            self.looks_.append(look)
            return look
        if self.schedule == "msprt":
            p, thr = self._msprt(comp), self.alpha
        else:
            t_now = comp.n_canary / float(self.max_n or 1)
            t_prev = (
                self.looks_[-1].comparison.n_canary / float(self.max_n or 1) if self.looks_ else 0.0
            )
            thr = obrien_fleming_spend(t_now, self.alpha) - obrien_fleming_spend(t_prev, self.alpha)
            p = comp.p_value
        if p <= thr and self._harmful_side(comp):
            verdict = "fail"
        elif self.schedule == "obrien-fleming" and comp.n_canary >= (self.max_n or 0):
            verdict = "pass"
        else:
            verdict = "continue"
        expl = (
            f"Look {k} ({self.schedule}): p={p:.3g} vs threshold {thr:.3g} → {verdict}; "
            f"effect {comp.effect:+.1%}, n={comp.n_baseline}/{comp.n_canary}."
        )
        look = SequentialLook(k, p, thr, verdict, comp, expl)  # type: ignore[arg-type]
        self.looks_.append(look)
        return look

    def _harmful_side(self, comp: Comparison) -> bool:
        if self.direction == "either":
            return True
        tol = math.log1p(self.tolerance) if self.tolerance else 0.0
        est = math.log1p(comp.effect) if comp.effect > -1 else -math.inf
        return est > tol if self.direction == "increase" else est < -tol

    def _msprt(self, comp: Comparison) -> float:
        lo, hi = comp.ci
        if not (math.isfinite(lo) and math.isfinite(hi) and lo > -1 and comp.effect > -1):
            se = math.nan
        else:
            tail = self.alpha if self.direction != "either" else self.alpha / 2
            se = (math.log1p(hi) - math.log1p(lo)) / (2 * stats.norm.isf(tail))
        tol = (
            math.log1p(self.tolerance)
            if self.direction == "increase"
            else math.log1p(-self.tolerance)
        )
        est = math.log1p(comp.effect) - (tol if self.direction != "either" else 0.0)
        p = msprt_pvalue(est, se, self.mixing_sd)
        prev = min((lk.p_value for lk in self.looks_ if math.isfinite(lk.p_value)), default=1.0)
        return min(p, prev)
