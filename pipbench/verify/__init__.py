"""Verification: canary and before/after statistics with a verdict people can trust.

The "did the fix work" half of a PIP:

- :func:`compare_samples` — one metric, baseline vs canary: Mann-Whitney with a
  Hodges-Lehmann interval (autocorrelation-corrected when needed), percentile bootstrap,
  exact Poisson/binomial tests for error counts; ``verdict``, ``effect``, ``ci``, ``p_value``.
- :func:`compare_windows` — before/after on one series, optionally removing seasonality
  with any ``fit``/``predict`` estimator.
- :func:`judge_canary` — many metrics with Holm/BH control, critical metrics, no-data rules.
- :func:`kayenta_judge` — a faithful NetflixACAJudge (Kayenta) for comparison and migration.
- :class:`SequentialCanary` — look every few minutes without inflating false alarms.
- :func:`minimum_detectable_effect`, :func:`canary_duration` — planning.
- :func:`budget_impact`, :func:`budget_impact_of` — the canary's error rate as a burn rate
  at full rollout, and the SRE Workbook burn-rate alert it would trip.
- :func:`load_canary_config` — canary TOML or Kayenta canary-config JSON.
"""

from pipbench.verify.budget import (
    BURN_RATE_ALERTS,
    BudgetImpact,
    BurnRateAlert,
    budget_impact,
    budget_impact_of,
)
from pipbench.verify.compare import Comparison, compare_samples, compare_windows
from pipbench.verify.config import CanaryConfig, MetricQuery, load_canary_config, run_canary
from pipbench.verify.judge import CanaryJudgement, MetricJudgement, MetricSpec, judge_canary
from pipbench.verify.kayenta import KayentaMetric, KayentaResult, kayenta_judge
from pipbench.verify.power import CanaryPlan, canary_duration, minimum_detectable_effect
from pipbench.verify.sequential import SequentialCanary, SequentialLook

__all__ = [
    "BURN_RATE_ALERTS",
    "BudgetImpact",
    "BurnRateAlert",
    "CanaryConfig",
    "CanaryJudgement",
    "CanaryPlan",
    "Comparison",
    "KayentaMetric",
    "KayentaResult",
    "MetricJudgement",
    "MetricQuery",
    "MetricSpec",
    "SequentialCanary",
    "SequentialLook",
    "budget_impact",
    "budget_impact_of",
    "canary_duration",
    "compare_samples",
    "compare_windows",
    "judge_canary",
    "kayenta_judge",
    "load_canary_config",
    "minimum_detectable_effect",
    "run_canary",
]
