"""SLOs: the model, spec readers, error budgets, burn rates and alert backtests.

Examples
--------
>>> from pipbench.slo import workbook_rules
>>> [(r.severity, round(r.factor, 6)) for r in workbook_rules()]
[('page', 14.4), ('page', 6.0), ('ticket', 1.0)]
"""

from __future__ import annotations

from pipbench.slo.budget import Budget, budget_series, compliance, error_budget, timeslices
from pipbench.slo.burnrate import (
    Backtest,
    BurnRateRule,
    backtest,
    burn_rates,
    pyrra_rules,
    rules,
    sloth_rules,
    workbook_rules,
)
from pipbench.slo.evaluate import (
    UnmappedSLIError,
    counter_increments,
    event_sli_series,
    promql_error_ratios,
    sli_series,
)
from pipbench.slo.model import SLI, SLO, AlertCondition, Window
from pipbench.slo.report import SLOReport, slo_report
from pipbench.slo.specs import read_slo_specs

__all__ = [
    "SLI",
    "SLO",
    "AlertCondition",
    "Backtest",
    "Budget",
    "BurnRateRule",
    "SLOReport",
    "UnmappedSLIError",
    "Window",
    "backtest",
    "budget_series",
    "burn_rates",
    "compliance",
    "counter_increments",
    "error_budget",
    "event_sli_series",
    "promql_error_ratios",
    "pyrra_rules",
    "read_slo_specs",
    "rules",
    "sli_series",
    "slo_report",
    "sloth_rules",
    "timeslices",
    "workbook_rules",
]
