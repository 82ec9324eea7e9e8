"""Workflows behind the notebooks: validate parameters, run the analysis, return results.

Each workflow takes a dataset (path or :class:`~pipbench.dataset.Dataset`) and plain
parameters, checks them first (one clear error naming the parameter), and returns a frozen
result holding tidy frames for the charts plus ``evidence()`` (a JSON-ready dict with a
``"summary"``) and the pieces of a PIP record as :mod:`pipbench.plan` objects.

Examples
--------
>>> from pipbench import workflows
>>> "regression_triage" in workflows.__all__
True
"""

from pipbench.workflows.budget import BudgetResult, SloBudget, slo_budget
from pipbench.workflows.canary import CanaryResult, canary_verification
from pipbench.workflows.drill import DrillResult, drill_sweep, pip_drill
from pipbench.workflows.report import PipReport, pip_report
from pipbench.workflows.triage import TriageResult, regression_triage
from pipbench.workflows.whatif import (
    CacheResult,
    CapacityResult,
    ColdStartResult,
    cache_ttl_tradeoff,
    capacity_whatif,
    coldstart_tradeoff,
)

__all__ = [
    "BudgetResult",
    "CacheResult",
    "CanaryResult",
    "CapacityResult",
    "ColdStartResult",
    "DrillResult",
    "PipReport",
    "SloBudget",
    "TriageResult",
    "cache_ttl_tradeoff",
    "canary_verification",
    "capacity_whatif",
    "coldstart_tradeoff",
    "drill_sweep",
    "pip_drill",
    "pip_report",
    "regression_triage",
    "slo_budget",
]
