"""The PIP record's models: frozen pydantic classes, validated on construction."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

__all__ = [
    "SCHEMA_VERSION",
    "CanaryPlan",
    "ChangePlan",
    "Checklist",
    "ChecklistItem",
    "ErrorBudget",
    "Evidence",
    "FollowUp",
    "Hypothesis",
    "Owner",
    "Pip",
    "Scope",
    "SliBaseline",
    "SloTarget",
    "TimelineEntry",
    "Trigger",
    "Verdict",
    "VerificationResult",
    "default_checklists",
]

#: Version of the JSON layout written by :func:`~pipbench.plan.save_pip`.
SCHEMA_VERSION = 1

NonEmpty = Annotated[str, Field(min_length=1)]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Verdict(StrEnum):
    """The outcome of a PIP."""

    PENDING = "pending"
    ROLL_OUT = "roll_out"
    ITERATE = "iterate"
    ROLL_BACK = "roll_back"


class Trigger(_Model):
    """What started the PIP."""

    kind: Literal[
        "alert", "slo_burn", "regression", "load_test", "capacity", "customer", "other"
    ] = "other"
    summary: NonEmpty
    detected_at: AwareDatetime | None = None
    link: str | None = None


class Scope(_Model):
    """What the PIP covers (and, by omission, what it does not)."""

    services: tuple[str, ...] = ()
    endpoints: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()


class Owner(_Model):
    """Who drives the PIP."""

    name: NonEmpty
    team: str = ""
    contact: str = ""


class TimelineEntry(_Model):
    """One dated step of the PIP (detected, mitigated, canary started…)."""

    at: AwareDatetime
    event: NonEmpty


class Evidence(_Model):
    """A chart, table, query or note that supports a claim.

    ``path`` is relative to the PIP JSON file's directory (or absolute).
    """

    title: NonEmpty
    kind: Literal["chart", "table", "json", "query", "link", "note"] = "note"
    path: str | None = None
    summary: str = ""

    @classmethod
    def for_file(
        cls,
        path: str | os.PathLike[str],
        *,
        relative_to: str | os.PathLike[str],
        title: str | None = None,
        summary: str = "",
    ) -> Evidence:
        """Evidence pointing at a file (a chart a notebook emitted, its evidence JSON).

        ``kind`` follows the suffix (``.png``/``.svg`` → chart, ``.json`` → json,
        ``.csv``/``.parquet`` → table, else link); ``path`` is stored relative to
        ``relative_to``, the directory of the PIP JSON file.

        Examples
        --------
        >>> Evidence.for_file("/r/pip/charts/sli.svg", relative_to="/r/pip").path
        'charts/sli.svg'
        """
        p = Path(path)
        kinds = {".png": "chart", ".svg": "chart", ".json": "json", ".csv": "table"}
        kind = kinds.get(p.suffix.lower(), "table" if p.suffix == ".parquet" else "link")
        rel = Path(os.path.relpath(p, relative_to)).as_posix()
        return cls(title=title or p.stem.replace("_", " "), kind=kind, path=rel, summary=summary)  # type: ignore[arg-type]


class SliBaseline(_Model):
    """An SLI's value before the change (the baseline the verification compares to)."""

    name: NonEmpty
    value: float
    unit: str = ""
    window: str = ""
    query: str = ""


class SloTarget(_Model):
    """An SLO: the fraction of good events (``objective``) over a rolling window."""

    sli: NonEmpty
    objective: Annotated[float, Field(gt=0, lt=1)]
    window_days: Annotated[int, Field(gt=0)] = 30
    threshold: str = ""

    @property
    def error_budget(self) -> float:
        """The allowed fraction of bad events, ``1 - objective``."""
        return 1.0 - self.objective


class ErrorBudget(_Model):
    """How much of an SLO's error budget is spent (``consumed`` may exceed 1)."""

    slo: NonEmpty
    consumed: Annotated[float, Field(ge=0)]
    as_of: AwareDatetime | None = None

    @property
    def remaining(self) -> float:
        """Fraction of the budget left (negative when overspent)."""
        return 1.0 - self.consumed


class Hypothesis(_Model):
    """A candidate cause, ranked (1 = most likely), with its evidence."""

    rank: Annotated[int, Field(ge=1)]
    statement: NonEmpty
    status: Literal["open", "supported", "refuted"] = "open"
    evidence: tuple[Evidence, ...] = ()


class CanaryPlan(_Model):
    """Traffic stages of the canary (fractions, increasing) and what must hold at each."""

    stages: tuple[Annotated[float, Field(gt=0, le=1)], ...] = (0.01, 0.1, 0.5, 1.0)
    stage_duration: str = "30m"
    success_criteria: tuple[str, ...] = ()

    @field_validator("stages")
    @classmethod
    def _increasing(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        if any(b <= a for a, b in itertools.pairwise(v)):
            msg = f"canary stages must increase, got {list(v)}"
            raise ValueError(msg)
        return v


class ChangePlan(_Model):
    """The change, how it is exposed (canary, flag) and how it is undone."""

    summary: NonEmpty
    canary: CanaryPlan | None = None
    flag: str | None = None
    rollback: str = ""


class VerificationResult(_Model):
    """One verified SLI: baseline vs candidate with the interval for the difference."""

    metric: NonEmpty
    baseline: float
    candidate: float
    unit: str = ""
    lower: float | None = None
    upper: float | None = None
    confidence: Annotated[float, Field(gt=0, lt=1)] = 0.95
    p_value: Annotated[float, Field(ge=0, le=1)] | None = None
    method: str = ""
    passed: bool
    evidence: tuple[Evidence, ...] = ()

    @model_validator(mode="after")
    def _interval(self) -> VerificationResult:
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            msg = f"interval lower ({self.lower}) must not exceed upper ({self.upper})"
            raise ValueError(msg)
        return self


class FollowUp(_Model):
    """An action item left when the PIP closes."""

    action: NonEmpty
    owner: str = ""
    due: dt.date | None = None
    done: bool = False


class ChecklistItem(_Model):
    """One readiness item; ``id`` names the automatic check, if pipbench has one."""

    id: NonEmpty
    text: NonEmpty
    done: bool = False
    note: str = ""


class Checklist(_Model):
    """A named gate of the PIP (baseline, change, rollout, close)."""

    name: NonEmpty
    items: tuple[ChecklistItem, ...]


def default_checklists() -> tuple[Checklist, ...]:
    """The four readiness gates a PIP runs through, with their items.

    Items whose ``id`` appears in :data:`AUTO_CHECKS` are ticked from the record itself by
    :func:`checklist_status`; the others are ticked by hand (``done=True``).
    """

    def gate(name: str, *items: tuple[str, str]) -> Checklist:
        return Checklist(name=name, items=tuple(ChecklistItem(id=i, text=t) for i, t in items))

    return (
        gate(
            "baseline",
            ("owner", "An owner is named"),
            ("trigger", "The trigger and scope are written down"),
            ("baseline", "Baseline SLIs are measured over a comparable period"),
            ("slo", "SLO targets and the error budget are agreed"),
        ),
        gate(
            "change",
            ("hypotheses", "Hypotheses are ranked, each with evidence"),
            ("exposure", "The change ships behind a canary or a flag"),
            ("rollback", "The rollback is written down"),
            ("rollback_tested", "The rollback was rehearsed"),
            ("criteria", "Success criteria are fixed before the canary starts"),
        ),
        gate(
            "rollout",
            ("verified", "Every verified SLI passed at the canary"),
            ("budget", "Error budget is left for the rollout"),
            ("comms", "Stakeholders know the rollout window"),
        ),
        gate(
            "close",
            ("verdict", "The verdict is recorded with its evidence"),
            ("follow_ups", "Every follow-up has an owner"),
            ("lessons", "Lessons are written down"),
        ),
    )


class Pip(_Model):
    """A Performance Improvement Plan record.

    Build it with keyword arguments (only ``id``, ``title``, ``owner`` and ``trigger`` are
    required) and derive updated copies with ``pip.model_copy(update={...})``; the model
    is frozen. Validation errors name the field.
    """

    schema_version: Literal[1] = 1
    id: NonEmpty
    title: NonEmpty
    owner: Owner
    trigger: Trigger
    scope: Scope = Scope()
    created: AwareDatetime | None = None
    timeline: tuple[TimelineEntry, ...] = ()
    baseline: tuple[SliBaseline, ...] = ()
    slo_targets: tuple[SloTarget, ...] = ()
    error_budgets: tuple[ErrorBudget, ...] = ()
    hypotheses: tuple[Hypothesis, ...] = ()
    change_plan: ChangePlan | None = None
    verification: tuple[VerificationResult, ...] = ()
    verdict: Verdict = Verdict.PENDING
    verdict_reason: str = ""
    follow_ups: tuple[FollowUp, ...] = ()
    lessons: tuple[str, ...] = ()
    checklists: tuple[Checklist, ...] = Field(default_factory=default_checklists)

    @field_validator("hypotheses")
    @classmethod
    def _unique_ranks(cls, v: tuple[Hypothesis, ...]) -> tuple[Hypothesis, ...]:
        ranks = [h.rank for h in v]
        if len(set(ranks)) != len(ranks):
            msg = f"hypothesis ranks must be unique, got {ranks}"
            raise ValueError(msg)
        return tuple(sorted(v, key=lambda h: h.rank))

    @field_validator("timeline")
    @classmethod
    def _sorted_timeline(cls, v: tuple[TimelineEntry, ...]) -> tuple[TimelineEntry, ...]:
        return tuple(sorted(v, key=lambda e: e.at))

    def issues(self) -> list[str]:
        """Contradictions in the record worth a second look (empty when consistent)."""
        out: list[str] = []
        failed = [v.metric for v in self.verification if not v.passed]
        if self.verdict is Verdict.ROLL_OUT and failed:
            out.append(f"verdict is roll_out but verification failed for {', '.join(failed)}")
        if self.verdict is Verdict.ROLL_OUT and not self.verification:
            out.append("verdict is roll_out with no verification results")
        if self.verdict is not Verdict.PENDING and not self.verdict_reason:
            out.append(f"verdict is {self.verdict.value} with no reason given")
        targets = {t.sli for t in self.slo_targets}
        for b in self.error_budgets:
            if b.slo not in targets:
                out.append(f"error budget for {b.slo!r} has no matching SLO target")
        return out
