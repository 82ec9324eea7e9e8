"""SLOs: the model, spec readers, error budgets, burn rates and alert backtests.

- :mod:`~pipbench.slo.model`: ``SLO``, ``SLI``, ``Window``, ``AlertCondition``.
- :mod:`~pipbench.slo.specs`: ``read_slo_specs`` for OpenSLO v1/v1alpha, Sloth
  ``prometheus/v1`` and its CRD, Pyrra ``ServiceLevelObjective``.
- :mod:`~pipbench.slo.promql`: the common PromQL forms mapped onto dataset series.
- :mod:`~pipbench.slo.evaluate`: an SLI as good/total events per step (counters, latency
  thresholds, gauges, or the events table); PromQL-exact error ratios.
- :mod:`~pipbench.slo.budget`: remaining/consumed budget, rolling series, calendar
  compliance, timeslice budgeting.
- :mod:`~pipbench.slo.burnrate`: Workbook/Sloth/Pyrra multiwindow rules and backtests.
- :mod:`~pipbench.slo.report`: all of it for one SLO on one dataset.

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
