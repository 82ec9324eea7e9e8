"""The SLO model every spec reader produces: an SLI, a target, a window, a budgeting method.

Examples
--------
>>> slo = SLO(name="api-availability", target=0.999, window=Window(30 * 86400),
...           sli=SLI(kind="ratio", bad='sum(rate(http_requests_total{code=~"5.."}[5m]))',
...                   total="sum(rate(http_requests_total[5m]))"))
>>> round(slo.error_budget, 6), slo.window.days
(0.001, 30.0)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from pipbench.errors import ConfigError

__all__ = [
    "BUDGETING_METHODS",
    "SLI",
    "SLO",
    "AlertCondition",
    "BudgetingMethod",
    "Window",
]

BudgetingMethod = Literal["Occurrences", "Timeslices", "RatioTimeslices"]
BUDGETING_METHODS: tuple[str, ...] = ("Occurrences", "Timeslices", "RatioTimeslices")
CalendarUnit = Literal["day", "week", "month", "quarter", "year"]
Op = Literal["lt", "lte", "gt", "gte"]


@dataclass(frozen=True)
class Window:
    """The SLO window: ``duration_s`` seconds, rolling or aligned to the calendar.

    A calendar window (``rolling=False``) restarts at each ``calendar_unit`` boundary
    (``duration_s`` is then the nominal length, e.g. 30 days for a month).
    """

    duration_s: float
    rolling: bool = True
    calendar_unit: CalendarUnit | None = None
    time_zone: str = "UTC"

    @property
    def days(self) -> float:
        """The window in days."""
        return self.duration_s / 86400


@dataclass(frozen=True)
class SLI:
    """What is measured.

    ``kind="ratio"``: good/total or bad/total events (PromQL for each, as written).
    ``kind="threshold"``: a metric (``query``) compared with ``threshold`` by ``op``
    (e.g. p99 latency ``lt`` 0.3); each evaluation is one occurrence or slice.
    ``source="events"``: good/total come from the events table (``ok``, and
    ``duration_s ≤ threshold`` when given; ``query`` is an optional regex on ``name``),
    which is how simulated and load-test data are judged.
    """

    kind: Literal["ratio", "threshold"]
    good: str | None = None
    bad: str | None = None
    total: str | None = None
    query: str | None = None
    op: Op | None = None
    threshold: float | None = None
    source: str = "prometheus"

    def queries(self) -> dict[str, str]:
        """The PromQL strings of this SLI, by role."""
        roles = {"good": self.good, "bad": self.bad, "total": self.total, "query": self.query}
        return {k: v for k, v in roles.items() if v}


@dataclass(frozen=True)
class AlertCondition:
    """A burn-rate alert condition read from a spec (OpenSLO AlertCondition)."""

    name: str
    burn_rate: float
    long_window_s: float
    short_window_s: float | None = None
    for_s: float = 0.0
    severity: str = ""


@dataclass(frozen=True)
class SLO:
    """A service level objective.

    Parameters
    ----------
    name
        Identifier (``metadata.name`` or Sloth's ``service-slo`` name).
    target
        The objective as a fraction in (0, 1), e.g. 0.999.
    window
        The SLO window.
    sli
        The indicator.
    budgeting
        ``"Occurrences"``, ``"Timeslices"`` or ``"RatioTimeslices"`` (OpenSLO's names).
    timeslice_target, timeslice_window_s
        For timeslice budgeting: the per-slice target and slice length.
    alerting
        Which burn-rate alert family the spec's tool generates: ``"workbook"``,
        ``"sloth"`` or ``"pyrra"``.
    """

    name: str
    target: float
    window: Window
    sli: SLI
    budgeting: BudgetingMethod = "Occurrences"
    service: str = ""
    description: str = ""
    timeslice_target: float | None = None
    timeslice_window_s: float | None = None
    alerting: Literal["workbook", "sloth", "pyrra"] = "workbook"
    alert_conditions: tuple[AlertCondition, ...] = ()
    spec_format: str = ""
    file: str = ""
    labels: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 0 < self.target < 1:
            msg = f"SLO {self.name!r}: target {self.target!r} is not a fraction in (0, 1)"
            raise ConfigError(msg)
        if self.budgeting not in BUDGETING_METHODS:
            msg = f"SLO {self.name!r}: budgeting method {self.budgeting!r} is not one of {BUDGETING_METHODS}"
            raise ConfigError(msg)
        if self.window.duration_s <= 0:
            msg = f"SLO {self.name!r}: window must be positive"
            raise ConfigError(msg)

    @property
    def error_budget(self) -> float:
        """The allowed bad fraction, ``1 − target``."""
        return 1.0 - self.target

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready description (what ``pipbench slo show --json`` prints)."""
        return {
            "name": self.name,
            "service": self.service,
            "description": self.description,
            "target": self.target,
            "window_s": self.window.duration_s,
            "rolling": self.window.rolling,
            "calendar_unit": self.window.calendar_unit,
            "budgeting": self.budgeting,
            "timeslice_target": self.timeslice_target,
            "timeslice_window_s": self.timeslice_window_s,
            "sli": {
                "kind": self.sli.kind,
                **self.sli.queries(),
                "op": self.sli.op,
                "threshold": self.sli.threshold,
            },
            "alerting": self.alerting,
            "alert_conditions": [asdict(a) for a in self.alert_conditions],
            "format": self.spec_format,
            "file": self.file,
        }
