"""A faithful port of Kayenta's NetflixACAJudge (Spinnaker automated canary analysis).

Reproduced from the Kayenta source (``kayenta-judge``: ``NetflixACAJudge``,
``MannWhitneyClassifier``, ``WeightedSumScorer``; ``kayenta-mannwhitney``) and the
Spinnaker page "How canary judgment works":

1. NaN handling: ``nanStrategy`` ``remove`` (default) drops NaN, ``replace`` sets 0.
2. Optional outlier removal (``outliers.strategy = remove``): IQR fences with factor
   ``outlierFactor`` (3.0), reduced sensitivity: ``[min(P1, Q1−f·IQR), max(P99, Q3+f·IQR)]``.
3. Classification: a Mann-Whitney 98 % interval for the shift of the canary over the
   baseline (R's asymptotic ``wilcox.test`` inversion with continuity correction, as
   ``MannWhitney.scala``), and the Hodges-Lehmann-like estimate (root at quantile 0).
   ``High`` when the interval's lower end exceeds ``0.25·|estimate|``, ``Low`` when its
   upper end is below ``−0.25·|estimate|``, gated by ``direction`` and by the effect size
   (``meanRatio`` or ``cles``) against ``allowedIncrease``/``allowedDecrease``; a
   ``critical`` metric whose effect passes ``criticalIncrease``/``criticalDecrease`` is a
   critical failure. Identical data, or a single distinct value, are ``Pass``.
4. Scoring: per group ``Pass / (Pass + High + Low + NodataFailMetric) · 100`` (a group
   with only ``Nodata`` counts as 100), a weighted sum over groups (unweighted groups
   share ``100 − Σ weights``), rounded to 2 decimals; 0 on any critical failure or when
   50 % or more of the metrics are ``Nodata``. ``Pass`` at ``score ≥ pass``,
   ``Marginal`` at ``score ≥ marginal``, else ``Fail``.

Percentiles use numpy's linear rule (commons-math's default differs slightly in tiny
samples). Known failure cases (kept as regression tests): the tolerance band scales with
the estimate, so large samples flag tiny shifts; no multiple-comparison control; no
autocorrelation correction; many ties (sparse error counts) make the interval degenerate.

Examples
--------
>>> import numpy as np
>>> rng = np.random.default_rng(0)
>>> m = KayentaMetric("latency", groups=("Latency",), direction="increase")
>>> base, canary = rng.normal(100, 5, 60), rng.normal(120, 5, 60)
>>> r = kayenta_judge({"latency": (base, canary)}, [m], pass_threshold=95, marginal_threshold=75)
>>> r.metrics[0].classification, r.score, r.classification
('High', 0.0, 'Fail')
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy import optimize, stats

from pipbench.errors import ConfigError, InputError

__all__ = [
    "KayentaMetric",
    "KayentaMetricResult",
    "KayentaResult",
    "kayenta_classify",
    "kayenta_judge",
    "kayenta_mannwhitney",
]

NODATA_THRESHOLD = 50.0
TOLERANCE = 0.25
CONFIDENCE = 0.98


@dataclass(frozen=True)
class KayentaMetric:
    """One metric of a Kayenta canary config (``analysisConfigurations.canary``)."""

    name: str
    groups: tuple[str, ...] = ()
    direction: Literal["increase", "decrease", "either"] = "either"
    nan_strategy: Literal["remove", "replace"] = "remove"
    critical: bool = False
    must_have_data: bool = False
    muted: bool = False
    outlier_strategy: Literal["keep", "remove"] = "keep"
    outlier_factor: float = 3.0
    effect_measure: Literal["meanRatio", "cles"] = "meanRatio"
    allowed_increase: float = 1.0
    allowed_decrease: float = 1.0
    critical_increase: float = 1.0
    critical_decrease: float = 1.0

    def __post_init__(self) -> None:
        checks = {
            "direction": (self.direction, ("increase", "decrease", "either")),
            "nan_strategy": (self.nan_strategy, ("remove", "replace")),
            "outlier_strategy": (self.outlier_strategy, ("keep", "remove")),
            "effect_measure": (self.effect_measure, ("meanRatio", "cles")),
        }
        for key, (val, allowed) in checks.items():
            if val not in allowed:
                msg = f"metric {self.name!r}: {key}={val!r}; expected one of {', '.join(allowed)}"
                raise ConfigError(msg)


@dataclass(frozen=True)
class KayentaMetricResult:
    """Classification of one metric (``CanaryAnalysisResult``)."""

    name: str
    classification: Literal["Pass", "High", "Low", "Nodata", "NodataFailMetric", "Error"]
    reason: str
    ratio: float
    critical: bool
    groups: tuple[str, ...]
    muted: bool = False
    interval: tuple[float, float] = (math.nan, math.nan)
    estimate: float = math.nan
    p_value: float = math.nan
    control_stats: dict[str, float] = field(default_factory=dict)
    experiment_stats: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class KayentaResult:
    """Judgement of a canary: score 0–100, ``Pass``/``Marginal``/``Fail``, per-metric results."""

    score: float
    classification: Literal["Pass", "Marginal", "Fail"]
    reason: str
    group_scores: dict[str, float]
    metrics: tuple[KayentaMetricResult, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (NaN → None)."""

        def clean(v: Any) -> Any:
            if isinstance(v, float) and not math.isfinite(v):
                return None
            if isinstance(v, tuple | list):
                return [clean(x) for x in v]
            if isinstance(v, dict):
                return {k: clean(x) for k, x in v.items()}
            return v

        return {
            "judge": "NetflixACAJudge-v1.0",
            "score": self.score,
            "classification": self.classification,
            "reason": self.reason,
            "group_scores": self.group_scores,
            "metrics": [clean(m.__dict__) for m in self.metrics],
        }


# ----------------------------------------------------------------------------- MannWhitney.scala
def _wilcoxon_diff(x: np.ndarray, y: np.ndarray, mu: float, quantile: float) -> float:
    """R's ``wilcox.test`` asymptotic CI objective, with continuity correction."""
    nx, ny = x.size, y.size
    xm = x - mu
    pooled = np.concatenate([xm, y])
    ranks = stats.rankdata(pooled)
    dz = ranks[:nx].sum() - nx * (nx + 1) / 2.0 - nx * ny / 2.0
    _, counts = np.unique(pooled, return_counts=True)
    n = nx + ny
    sigma = math.sqrt(
        (nx * ny / 12.0) * ((n + 1) - float((counts**3 - counts).sum()) / (n * (n - 1)))
    )
    if sigma == 0:
        msg = "cannot compute confidence interval when all observations are tied"
        raise ArithmeticError(msg)
    correction = math.copysign(0.5, dz) if dz != 0 else 0.0
    return (dz - correction) / sigma - quantile


def kayenta_mannwhitney(
    control: Any, experiment: Any, conf_level: float = CONFIDENCE
) -> tuple[float, float, float, float]:
    """Kayenta's Mann-Whitney: ``(p_value, ci_low, ci_high, estimate)`` for the shift.

    The p-value is commons-math's ``MannWhitneyUTest`` (normal approximation, two-sided,
    no tie or continuity correction); the interval and estimate invert R's asymptotic
    statistic by root finding between ``min(x) − max(y)`` and ``max(x) − min(y)`` to an
    absolute accuracy of 1e-6 (the default of Kayenta's Brent solver).

    Examples
    --------
    >>> p, lo, hi, est = kayenta_mannwhitney([1.0, 2, 3, 4, 5], [6.0, 7, 8, 9, 10])
    >>> lo <= est <= hi, round(est, 6)
    (True, 5.0)
    """
    y = np.asarray(control, dtype=float)
    x = np.asarray(experiment, dtype=float)
    nx, ny = x.size, y.size
    u1 = float(stats.rankdata(np.concatenate([y, x]))[:ny].sum() - ny * (ny + 1) / 2.0)
    umax = max(u1, nx * ny - u1)
    umin = nx * ny - umax
    z = (umin - nx * ny / 2.0) / math.sqrt(nx * ny * (nx + ny + 1) / 12.0)
    p = float(min(1.0, 2.0 * stats.norm.cdf(z)))
    alpha = 1.0 - conf_level
    mu_min = float(x.min() - y.max())
    mu_max = float(x.max() - y.min())

    def root(q: float) -> float:
        f_lo = _wilcoxon_diff(x, y, mu_min, q)
        f_hi = _wilcoxon_diff(x, y, mu_max, q)
        if f_lo <= 0:
            return mu_min
        if f_hi >= 0:
            return mu_max
        return float(
            optimize.brentq(lambda m: _wilcoxon_diff(x, y, m, q), mu_min, mu_max, xtol=1e-6)
        )

    zq = stats.norm.ppf(alpha / 2.0)
    lo, hi = root(-zq), root(zq)
    est = root(0.0)
    return p, lo, hi, est


# ----------------------------------------------------------------------------- transforms
def _remove_outliers(v: np.ndarray, factor: float) -> np.ndarray:
    if v.size == 0:
        return v
    q1, q3, p1, p99 = np.percentile(v, [25, 75, 1, 99])
    iqr = q3 - q1
    lower = min(p1, q1 - factor * iqr)
    upper = max(p99, q3 + factor * iqr)
    return v[(v >= lower) & (v <= upper)]


def _describe(v: np.ndarray) -> dict[str, float]:
    if v.size == 0:
        return {"count": 0.0}
    return {
        "min": float(v.min()),
        "max": float(v.max()),
        "mean": float(v.mean()),
        "std": float(v.std(ddof=1)) if v.size > 1 else 0.0,
        "count": float(v.size),
    }


def _effect(control: np.ndarray, experiment: np.ndarray, measure: str) -> float:
    if measure == "cles":
        # P(canary > baseline) + ½ P(tie) = U / (n_e · n_c), from ranks (no n² matrix)
        ranks = stats.rankdata(np.concatenate([experiment, control]))
        u = ranks[: experiment.size].sum() - experiment.size * (experiment.size + 1) / 2.0
        return float(u / (experiment.size * control.size))
    mc, me = float(control.mean()), float(experiment.mean())
    if mc == 0 or me == 0:
        return math.nan
    return me / mc


def kayenta_classify(
    metric: KayentaMetric, control: Any, experiment: Any, *, seed: int = 0
) -> KayentaMetricResult:
    """Classify one metric as NetflixACAJudge does (see the module docstring)."""
    raw_c = np.asarray(control, dtype=float).ravel()
    raw_e = np.asarray(experiment, dtype=float).ravel()
    if metric.nan_strategy == "remove":
        c, e = raw_c[~np.isnan(raw_c)], raw_e[~np.isnan(raw_e)]
    else:
        c, e = np.nan_to_num(raw_c, nan=0.0), np.nan_to_num(raw_e, nan=0.0)
    if metric.outlier_strategy == "remove":
        c = _remove_outliers(c, metric.outlier_factor)
        e = _remove_outliers(e, metric.outlier_factor)

    def result(
        label: str,
        reason: str = "",
        ratio: float = 1.0,
        *,
        critical: bool = False,
        interval: tuple[float, float] = (math.nan, math.nan),
        estimate: float = math.nan,
        p_value: float = math.nan,
    ) -> KayentaMetricResult:
        return KayentaMetricResult(
            name=metric.name,
            classification=label,  # type: ignore[arg-type]
            reason=reason,
            ratio=ratio,
            critical=critical,
            groups=metric.groups,
            muted=metric.muted,
            interval=interval,
            estimate=estimate,
            p_value=p_value,
            control_stats=_describe(c),
            experiment_stats=_describe(e),
        )

    if c.size == 0 or e.size == 0:
        if metric.nan_strategy == "remove":
            which = "Canary" if e.size == 0 else "Baseline"
            label = "NodataFailMetric" if metric.must_have_data else "Nodata"
            return result(label, f"Missing data for the {which}", critical=metric.critical)
        return result("Pass")
    if np.array_equal(np.sort(c), np.sort(e)):
        return result("Pass", "The Canary and Baseline data are identical")
    if np.unique(np.concatenate([c, e])).size == 1:
        return result("Pass")
    cc, ee = c, e
    if np.unique(c).size == 1 and np.unique(e).size == 1:
        # degenerate distributions: tiny Gaussian noise enables the test
        rng = np.random.default_rng(seed)
        cc = c + rng.normal(0.0, 1e-9 * max(1.0, abs(c[0])), c.size)
        ee = e + rng.normal(0.0, 1e-9 * max(1.0, abs(e[0])), e.size)
    try:
        p, lo, hi, est = kayenta_mannwhitney(cc, ee, CONFIDENCE)
    except ArithmeticError as err:
        return result("Error", f"Metric Classification Failed: {err}", math.nan)
    ratio = _effect(c, e, metric.effect_measure)
    bound = TOLERANCE * abs(est)
    stats_kw: dict[str, Any] = {"interval": (lo, hi), "estimate": est, "p_value": p}
    d = metric.direction
    if d in ("increase", "either") and lo > bound:
        reason = "The metric was classified as High"
        if metric.critical and (ratio >= metric.critical_increase or math.isnan(ratio)):
            return result("High", reason, ratio, critical=True, **stats_kw)
        if ratio >= metric.allowed_increase or math.isnan(ratio):
            return result("High", reason, ratio, **stats_kw)
    elif d in ("decrease", "either") and hi < -bound:
        reason = "The metric was classified as Low"
        if metric.critical and (ratio <= metric.critical_decrease or math.isnan(ratio)):
            return result("Low", reason, ratio, critical=True, **stats_kw)
        if ratio <= metric.allowed_decrease or math.isnan(ratio):
            return result("Low", reason, ratio, **stats_kw)
    return result("Pass", "", ratio, **stats_kw)


# ----------------------------------------------------------------------------- scoring
def _score(
    results: Sequence[KayentaMetricResult], group_weights: Mapping[str, float]
) -> tuple[float, dict[str, float], str]:
    scored = [r for r in results if not r.muted]
    groups: dict[str, list[str]] = {}
    for r in scored:
        for g in r.groups:
            groups.setdefault(g, []).append(r.classification)
    group_scores: dict[str, float] = {}
    no_data: dict[str, bool] = {}
    for g, labels in groups.items():
        n_pass = labels.count("Pass")
        total = n_pass + labels.count("High") + labels.count("Low")
        total += labels.count("NodataFailMetric")  # Nodata is left out
        no_data[g] = total == 0
        group_scores[g] = 0.0 if total == 0 else n_pass / total * 100.0
    failures = [r for r in scored if r.critical and r.classification != "Pass"]
    if failures:
        return 0.0, group_scores, f"Canary Failed: {failures[0].reason}"
    if scored:
        nodata = sum(r.classification == "Nodata" for r in scored) / len(scored) * 100.0
        if nodata >= NODATA_THRESHOLD:
            return (
                0.0,
                group_scores,
                f"Canary Failed: {NODATA_THRESHOLD:g}% or more metrics returned NODATA",
            )
    weight_sum = float(sum(group_weights.values()))
    unweighted = set(group_scores) - set(group_weights)
    calc = (100.0 - weight_sum) / len(unweighted) if unweighted else 0.0
    summary = 0.0
    for g, s in group_scores.items():
        eff = 100.0 if no_data[g] else s
        summary += eff * (float(group_weights.get(g, calc)) / 100.0)
    return round(summary, 2), group_scores, ""


def kayenta_judge(
    data: Mapping[str, tuple[Any, Any]],
    metrics: Sequence[KayentaMetric],
    *,
    group_weights: Mapping[str, float] | None = None,
    pass_threshold: float = 95.0,
    marginal_threshold: float = 75.0,
) -> KayentaResult:
    """Judge a canary as NetflixACAJudge: classify each metric, score, threshold.

    Parameters
    ----------
    data
        ``{metric name: (control values, experiment values)}``.
    metrics
        The config of each metric; every key of ``data`` needs one.
    group_weights
        ``{group: weight}`` (percent); unweighted groups share the rest.
    pass_threshold, marginal_threshold
        Score thresholds (inclusive).

    Examples
    --------
    >>> m = KayentaMetric("cpu", groups=("system",))
    >>> kayenta_judge({"cpu": ([1.0, 2, 3, 4], [1.0, 2, 3, 4])}, [m]).classification
    'Pass'
    """
    if marginal_threshold > pass_threshold:
        msg = f"marginal_threshold={marginal_threshold} is above pass_threshold={pass_threshold}"
        raise ConfigError(msg)
    by_name = {m.name: m for m in metrics}
    results = []
    for name, pair in data.items():
        if name not in by_name:
            msg = f"Could not find metric config for {name}"
            raise InputError(msg, field=name, expected="a metric named in the canary config")
        control, experiment = pair
        results.append(kayenta_classify(by_name[name], control, experiment))
    score, group_scores, reason = _score(results, group_weights or {})
    if score >= pass_threshold:
        cls = "Pass"
    elif score >= marginal_threshold:
        cls = "Marginal"
    else:
        cls = "Fail"
    return KayentaResult(
        score=score,
        classification=cls,  # type: ignore[arg-type]
        reason=reason,
        group_scores=group_scores,
        metrics=tuple(results),
    )
