"""pipbench's canary judge: many metrics, one verdict, every decision explained.

Each metric is compared with :func:`~pipbench.verify.compare_samples` (so it gets the
calibrated methods: autocorrelation correction, exact count tests, percentile
bootstrap). The p-values of the metrics that have data are then adjusted across metrics
(Holm by default, Benjamini-Hochberg on request), so fifty healthy metrics do not fail
a healthy canary one time in thirteen as a per-metric 5 % test would.

Verdict rules, in order:

1. a ``critical`` metric that fails → ``"fail"``;
2. a ``critical`` metric without data (or below its minimum sample) → ``"nodata"``
   (a canary never passes on a metric it could not see);
3. half or more of the metrics without data → ``"nodata"``;
4. otherwise Kayenta's score: per group ``passed / (passed + failed) · 100``, a weighted
   sum over groups; ``"pass"`` at ``score ≥ pass_threshold``, ``"marginal"`` at
   ``score ≥ marginal_threshold``, else ``"fail"``.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(3)
>>> data = {f"m{i}": (rng.lognormal(0, 0.5, 300), rng.lognormal(0, 0.5, 300))
...         for i in range(20)}
>>> specs = [MetricSpec(name) for name in data]
>>> judge_canary(data, specs).verdict
'pass'
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from pipbench.errors import ConfigError, InputError
from pipbench.verify.compare import Comparison, compare_samples

__all__ = ["CORRECTIONS", "CanaryJudgement", "MetricJudgement", "MetricSpec", "judge_canary"]

Correction = Literal["holm", "bh", "none"]
CORRECTIONS: tuple[str, ...] = ("holm", "bh", "none")


@dataclass(frozen=True)
class MetricSpec:
    """How to compare one metric (statistics only; dataset selection lives in the config).

    Parameters mirror :func:`~pipbench.verify.compare_samples`; ``critical`` metrics
    decide the verdict alone; ``group`` and the judge's ``group_weights`` weight the score.
    """

    name: str
    direction: Literal["increase", "decrease", "either"] = "increase"
    tolerance: float = 0.0
    method: str = "auto"
    quantile: float | None = None
    kind: Literal["auto", "latency", "value", "count"] = "auto"
    critical: bool = False
    group: str = "default"
    min_n: int | None = None


@dataclass(frozen=True)
class MetricJudgement:
    """One metric's decision: the raw comparison plus the multiplicity-adjusted p-value."""

    name: str
    decision: Literal["pass", "fail", "nodata"]
    p_value: float
    adjusted_p: float
    critical: bool
    group: str
    comparison: Comparison
    explanation: str


@dataclass(frozen=True)
class CanaryJudgement:
    """The canary's verdict with its score and every metric's decision."""

    verdict: Literal["pass", "marginal", "fail", "nodata"]
    score: float
    reason: str
    alpha: float
    correction: str
    group_scores: dict[str, float]
    metrics: tuple[MetricJudgement, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""

        def f(x: float) -> float | None:
            return x if math.isfinite(x) else None

        return {
            "judge": "pipbench",
            "verdict": self.verdict,
            "score": self.score,
            "reason": self.reason,
            "alpha": self.alpha,
            "correction": self.correction,
            "group_scores": self.group_scores,
            "metrics": [
                {
                    "name": m.name,
                    "decision": m.decision,
                    "p_value": f(m.p_value),
                    "adjusted_p": f(m.adjusted_p),
                    "critical": m.critical,
                    "group": m.group,
                    "explanation": m.explanation,
                    "comparison": m.comparison.as_dict(),
                }
                for m in self.metrics
            ],
        }


def _adjust(p: np.ndarray, correction: str) -> np.ndarray:
    """Holm step-down or Benjamini-Hochberg step-up adjusted p-values.

    Implemented here (same formulas as statsmodels ``multipletests``, which is the test
    reference) because statsmodels' Holm calls ``gc.collect()`` on every call: ~50 ms.
    """
    m = p.size
    if m == 0 or correction == "none":
        return p.copy()
    order = np.argsort(p, kind="mergesort")
    ps = p[order]
    if correction == "holm":
        adj = np.maximum.accumulate(ps * np.arange(m, 0, -1))
    else:  # bh
        adj = np.minimum.accumulate((ps * m / np.arange(1, m + 1))[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adj, 1.0)
    return out


def judge_canary(
    data: Mapping[str, Sequence[Any]],
    metrics: Sequence[MetricSpec],
    *,
    alpha: float = 0.05,
    correction: Correction = "holm",
    pass_threshold: float = 95.0,
    marginal_threshold: float = 75.0,
    group_weights: Mapping[str, float] | None = None,
    max_nodata_fraction: float = 0.5,
) -> CanaryJudgement:
    """Judge a canary over many metrics (see the module docstring for the rules).

    Parameters
    ----------
    data
        ``{name: (baseline, canary)}`` or, for error counts,
        ``{name: (baseline, canary, baseline_exposure, canary_exposure)}``.
    metrics
        One :class:`MetricSpec` per name in ``data``.
    alpha
        Family-wise (Holm) or false-discovery (BH) level across metrics.
    correction
        ``"holm"``, ``"bh"`` or ``"none"``.
    pass_threshold, marginal_threshold
        Score thresholds, as in Kayenta.
    group_weights
        ``{group: weight in percent}``; unweighted groups share the rest.
    max_nodata_fraction
        At or above this fraction of metrics without data the verdict is ``"nodata"``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> data = {"latency": (rng.lognormal(0, 0.5, 400), rng.lognormal(0.4, 0.5, 400)),
    ...         "errors": ([1, 0, 2, 1], [1, 1, 0, 2], [1000] * 4, [1000] * 4)}
    >>> res = judge_canary(data, [MetricSpec("latency", critical=True), MetricSpec("errors")])
    >>> res.verdict, [m.decision for m in res.metrics]
    ('fail', ['fail', 'pass'])
    """
    if correction not in CORRECTIONS:
        msg = f"correction={correction!r}; expected one of {', '.join(CORRECTIONS)}"
        raise ConfigError(msg)
    if marginal_threshold > pass_threshold:
        msg = f"marginal_threshold={marginal_threshold} is above pass_threshold={pass_threshold}"
        raise ConfigError(msg)
    by_name = {m.name: m for m in metrics}
    missing = [n for n in data if n not in by_name]
    if missing:
        msg = f"no MetricSpec for {', '.join(missing)}"
        raise ConfigError(msg)
    comps: list[tuple[MetricSpec, Comparison]] = []
    for spec in metrics:
        if spec.name not in data:
            comps.append(
                (
                    spec,
                    Comparison(
                        verdict="nodata",
                        classification="nodata",
                        p_value=math.nan,
                        effect=math.nan,
                        ci=(math.nan, math.nan),
                        n_baseline=0,
                        n_canary=0,
                        method=spec.method,
                        explanation="No verdict: the metric returned no series.",
                    ),
                )
            )
            continue
        pair = data[spec.name]
        if len(pair) not in (2, 4):
            msg = f"expected (baseline, canary) or (baseline, canary, exposures…), got {len(pair)} items"
            raise InputError(msg, field=spec.name)
        kw: dict[str, Any] = {}
        if len(pair) == 4:
            kw = {"baseline_exposure": pair[2], "canary_exposure": pair[3]}
        comps.append(
            (
                spec,
                compare_samples(
                    pair[0],
                    pair[1],
                    direction=spec.direction,  # type: ignore[arg-type]
                    tolerance=spec.tolerance,
                    alpha=alpha,
                    method=spec.method,  # type: ignore[arg-type]
                    quantile=spec.quantile,
                    kind=spec.kind,
                    min_n=spec.min_n,
                    **kw,
                ),
            )
        )
    has = np.array([c.verdict != "nodata" for _, c in comps], dtype=bool)
    raw = np.array([c.p_value for _, c in comps], dtype=float)
    adj = np.full(raw.size, np.nan)
    adj[has] = _adjust(raw[has], correction)
    judged: list[MetricJudgement] = []
    for (spec, comp), p_adj in zip(comps, adj, strict=True):
        if comp.verdict == "nodata":
            decision = "nodata"
            expl = comp.explanation
        else:
            decision = "fail" if p_adj <= alpha else "pass"
            how = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no"}[correction]
            expl = (
                f"{comp.explanation.rstrip('.')}; {how} adjustment over {int(has.sum())} "
                f"metrics: adjusted p={p_adj:.3g} → {decision}."
            )
        judged.append(
            MetricJudgement(
                name=spec.name,
                decision=decision,  # type: ignore[arg-type]
                p_value=comp.p_value,
                adjusted_p=float(p_adj),
                critical=spec.critical,
                group=spec.group,
                comparison=comp,
                explanation=expl,
            )
        )
    # group scores (Kayenta's rule: no-data metrics are left out)
    groups: dict[str, list[str]] = {}
    for m in judged:
        groups.setdefault(m.group, []).append(m.decision)
    group_scores: dict[str, float] = {}
    for g, ds in groups.items():
        seen = [d for d in ds if d != "nodata"]
        group_scores[g] = 100.0 * seen.count("pass") / len(seen) if seen else math.nan
    weights = dict(group_weights or {})
    unweighted = [g for g in group_scores if g not in weights]
    share = (100.0 - sum(weights.values())) / len(unweighted) if unweighted else 0.0
    score = 0.0
    for g, s in group_scores.items():
        w = weights.get(g, share)
        score += (100.0 if math.isnan(s) else s) * w / 100.0
    score = round(score, 2)

    crit_fail = [m for m in judged if m.critical and m.decision == "fail"]
    crit_nodata = [m for m in judged if m.critical and m.decision == "nodata"]
    n_nodata = sum(m.decision == "nodata" for m in judged)
    if crit_fail:
        verdict, reason = "fail", f"critical metric {crit_fail[0].name!r} failed"
        score = 0.0
    elif crit_nodata:
        verdict = "nodata"
        reason = f"critical metric {crit_nodata[0].name!r} has no usable data"
    elif judged and n_nodata / len(judged) >= max_nodata_fraction:
        verdict = "nodata"
        reason = f"{n_nodata} of {len(judged)} metrics have no usable data"
    elif not judged:
        verdict, reason = "nodata", "no metrics"
    else:
        failed = [m.name for m in judged if m.decision == "fail"]
        if score >= pass_threshold:
            verdict = "pass"
        elif score >= marginal_threshold:
            verdict = "marginal"
        else:
            verdict = "fail"
        reason = f"score {score:g} (pass ≥ {pass_threshold:g}, marginal ≥ {marginal_threshold:g})"
        if failed:
            reason += f"; failed: {', '.join(failed)}"
    return CanaryJudgement(
        verdict=verdict,  # type: ignore[arg-type]
        score=score,
        reason=reason,
        alpha=alpha,
        correction=correction,
        group_scores=group_scores,
        metrics=tuple(judged),
    )
