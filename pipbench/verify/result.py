"""The result of a comparison, and how every method turns p-values into a verdict.

Examples
--------
>>> r = finish(p_inc=0.01, p_dec=1.0, direction="increase", alpha=0.05, effect=0.2,
...            ci=(0.05, 0.4), nb=50, nc=50, method="mannwhitney", what="median",
...            statistic=1800.0, tolerance=0.0, loc_b=1.0, loc_c=1.2, tau=1.0, notes=[])
>>> r.verdict, r.classification
('fail', 'high')
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["Comparison", "ci_tail", "finish", "nodata"]


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


def nodata(reason: str, nb: int, nc: int, method: str, **kw: Any) -> Comparison:
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


def finish(
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


def ci_tail(direction: str, alpha: float) -> float:
    """One tail of the reported interval: alpha for one-sided tests, alpha/2 for either."""
    return alpha if direction != "either" else alpha / 2.0
