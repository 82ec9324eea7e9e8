"""The PIP record: a typed, versioned model of one Performance Improvement Plan.

A PIP runs trigger → scope → baseline → hypotheses → change plan → canary →
verification → verdict → close. :class:`Pip` holds all of it as frozen pydantic models,
saves to JSON (:func:`save_pip`, :func:`load_pip`: the same record comes back), and
renders to Markdown (:func:`render_markdown`) with its charts embedded by relative path,
ready to paste into a postmortem.

The readiness checklists a PIP runs through (:func:`default_checklists`) are part of
the record; items that the record itself can answer (is there an owner, a baseline, a
rollback plan…) are checked automatically by :func:`checklist_status`.

Paths in :class:`Evidence` are relative to the directory of the PIP's JSON file (or
absolute); rendering rewrites them relative to the Markdown file.

Examples
--------
>>> import tempfile, pathlib
>>> from pipbench.plan import Pip, Owner, Trigger, save_pip, load_pip
>>> pip = Pip(id="PIP-1", title="Checkout p95 regression",
...           owner=Owner(name="Ada"), trigger=Trigger(kind="alert", summary="p95 > 300 ms"))
>>> path = save_pip(pip, pathlib.Path(tempfile.mkdtemp()) / "pip.json")
>>> load_pip(path) == pip
True
>>> pip.verdict
<Verdict.PENDING: 'pending'>
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipbench.errors import ConfigError, InputError

__all__ = [
    "AUTO_CHECKS",
    "SCHEMA_VERSION",
    "CanaryPlan",
    "ChangePlan",
    "Checklist",
    "ChecklistItem",
    "ChecklistStatus",
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
    "checklist_status",
    "default_checklists",
    "load_pip",
    "render_markdown",
    "save_pip",
    "write_markdown",
]

#: Version of the JSON layout written by :func:`save_pip`.
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
    detected_at: dt.datetime | None = None
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

    at: dt.datetime
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
    as_of: dt.datetime | None = None

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
    created: dt.datetime | None = None
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


# ----------------------------------------------------------------------------- checklists

#: Checklist item id → the check pipbench can make from the record itself.
AUTO_CHECKS: dict[str, Callable[[Pip], bool]] = {
    "owner": lambda p: bool(p.owner.name),
    "trigger": lambda p: (
        bool(p.trigger.summary)
        and bool(p.scope.services or p.scope.endpoints or p.scope.environments)
    ),
    "baseline": lambda p: bool(p.baseline),
    "slo": lambda p: bool(p.slo_targets),
    "hypotheses": lambda p: bool(p.hypotheses) and all(h.evidence for h in p.hypotheses),
    "exposure": lambda p: (
        p.change_plan is not None and (p.change_plan.canary is not None or bool(p.change_plan.flag))
    ),
    "rollback": lambda p: p.change_plan is not None and bool(p.change_plan.rollback),
    "criteria": lambda p: (
        p.change_plan is not None
        and p.change_plan.canary is not None
        and bool(p.change_plan.canary.success_criteria)
    ),
    "verified": lambda p: bool(p.verification) and all(v.passed for v in p.verification),
    "budget": lambda p: bool(p.error_budgets) and all(b.remaining > 0 for b in p.error_budgets),
    "verdict": lambda p: p.verdict is not Verdict.PENDING and bool(p.verdict_reason),
    "follow_ups": lambda p: bool(p.follow_ups) and all(f.owner for f in p.follow_ups),
    "lessons": lambda p: bool(p.lessons),
}


class ChecklistStatus(_Model):
    """An item's state: ticked by hand, by the record (``auto``), or open."""

    checklist: str
    id: str
    text: str
    done: bool
    auto: bool
    note: str = ""


def checklist_status(pip: Pip) -> list[ChecklistStatus]:
    """Every checklist item with whether it is done (by hand or from the record).

    Examples
    --------
    >>> from pipbench.plan import Pip, Owner, Trigger, checklist_status
    >>> pip = Pip(id="P", title="t", owner=Owner(name="Ada"), trigger=Trigger(summary="s"))
    >>> [(s.id, s.done, s.auto) for s in checklist_status(pip)][:2]
    [('owner', True, True), ('trigger', False, False)]
    """
    out = []
    for cl in pip.checklists:
        for item in cl.items:
            check = AUTO_CHECKS.get(item.id)
            auto = bool(check is not None and check(pip))
            out.append(
                ChecklistStatus(
                    checklist=cl.name,
                    id=item.id,
                    text=item.text,
                    done=item.done or auto,
                    auto=auto and not item.done,
                    note=item.note,
                )
            )
    return out


# ----------------------------------------------------------------------------- JSON


def save_pip(pip: Pip, path: str | os.PathLike[str]) -> Path:
    """Write the record as indented JSON (atomically: temp file, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(pip.model_dump_json(indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def load_pip(path: str | os.PathLike[str]) -> Pip:
    """Read a record written by :func:`save_pip`.

    Raises
    ------
    InputError
        The file is missing, not JSON, or not a valid PIP; the message names the file
        and the first offending field (``hypotheses.1.rank``).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = "no such PIP file"
        raise InputError(msg, file=path) from None
    try:
        return Pip.model_validate_json(text)
    except pydantic.ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or None
        if first["type"] == "json_invalid":
            msg = f"not valid JSON: {first['msg']}"
            raise InputError(msg, file=path) from None
        more = f" (and {err.error_count() - 1} more)" if err.error_count() > 1 else ""
        msg = f"{first['msg']}{more}"
        raise InputError(msg, file=path, field=field) from None


# ----------------------------------------------------------------------------- Markdown


def _rel(path: str, pip_dir: Path | None, md_dir: Path | None) -> str:
    p = Path(path)
    if not p.is_absolute() and pip_dir is not None:
        p = pip_dir / p
    if md_dir is not None and (p.is_absolute() or pip_dir is not None):
        return Path(os.path.relpath(p.resolve(), md_dir.resolve())).as_posix()
    return p.as_posix()


def _fmt(x: float | None, unit: str = "") -> str:
    if x is None:
        return "–"
    s = f"{x:.4g}"
    return f"{s} {unit}".rstrip()


def _evidence_md(ev: Evidence, pip_dir: Path | None, md_dir: Path | None) -> list[str]:
    summary = f": {ev.summary}" if ev.summary else ""
    if ev.path is None:
        return [f"- {ev.title}{summary}"]
    target = _rel(ev.path, pip_dir, md_dir)
    if ev.kind == "chart" and Path(ev.path).suffix.lower() in (".png", ".svg"):
        return [f"- {ev.title}{summary}", "", f"  ![{ev.title}]({target})", ""]
    return [f"- [{ev.title}]({target}){summary}"]


def render_markdown(
    pip: Pip,
    *,
    pip_dir: str | os.PathLike[str] | None = None,
    markdown_dir: str | os.PathLike[str] | None = None,
) -> str:
    """Render the record as Markdown, embedding chart evidence as images.

    Parameters
    ----------
    pip
        The record.
    pip_dir
        Directory the evidence paths are relative to (the PIP JSON's directory).
    markdown_dir
        Directory the Markdown will be written to; evidence paths are rewritten relative
        to it. With neither given, paths are used as stored.

    Returns
    -------
    str
        GitHub-flavoured Markdown.
    """
    pd_ = Path(pip_dir) if pip_dir is not None else None
    md_ = Path(markdown_dir) if markdown_dir is not None else None
    L: list[str] = [f"# {pip.id}: {pip.title}", ""]
    verdict = pip.verdict.value.replace("_", " ")
    L += [
        f"**Verdict:** {verdict}" + (f" — {pip.verdict_reason}" if pip.verdict_reason else ""),
        "",
        f"**Owner:** {pip.owner.name}"
        + (f" ({pip.owner.team})" if pip.owner.team else "")
        + (f", {pip.owner.contact}" if pip.owner.contact else ""),
        "",
        "## Trigger",
        "",
        f"{pip.trigger.kind.replace('_', ' ')}: {pip.trigger.summary}"
        + (
            f" (detected {pip.trigger.detected_at:%Y-%m-%d %H:%M %Z})"
            if pip.trigger.detected_at
            else ""
        )
        + (f" — [link]({pip.trigger.link})" if pip.trigger.link else ""),
        "",
    ]
    sc = pip.scope
    scope_rows = [
        ("Services", sc.services),
        ("Endpoints", sc.endpoints),
        ("Environments", sc.environments),
        ("Out of scope", sc.out_of_scope),
    ]
    if any(v for _, v in scope_rows):
        L += ["## Scope", ""]
        L += [f"- **{k}:** {', '.join(v)}" for k, v in scope_rows if v]
        L.append("")
    if pip.timeline:
        L += ["## Timeline", "", "| When (UTC) | Event |", "|---|---|"]
        L += [f"| {e.at:%Y-%m-%d %H:%M} | {e.event} |" for e in pip.timeline]
        L.append("")
    if pip.baseline:
        L += ["## Baseline SLIs", "", "| SLI | Value | Window |", "|---|---|---|"]
        L += [f"| {b.name} | {_fmt(b.value, b.unit)} | {b.window or '–'} |" for b in pip.baseline]
        L.append("")
    if pip.slo_targets or pip.error_budgets:
        L += ["## SLO targets and error budget", ""]
        if pip.slo_targets:
            L += [
                "| SLI | Objective | Window | Threshold | Error budget |",
                "|---|---|---|---|---|",
            ]
            L += [
                f"| {t.sli} | {t.objective:.4%} | {t.window_days} d | {t.threshold or '–'} "
                f"| {t.error_budget:.3%} |"
                for t in pip.slo_targets
            ]
            L.append("")
        for b in pip.error_budgets:
            when = f" as of {b.as_of:%Y-%m-%d %H:%M}" if b.as_of else ""
            L.append(
                f"- {b.slo}: {b.consumed:.0%} of the error budget consumed, "
                f"{b.remaining:.0%} left{when}"
            )
        L.append("")
    if pip.hypotheses:
        L += ["## Hypotheses", ""]
        for h in pip.hypotheses:
            L += [f"### {h.rank}. {h.statement} ({h.status})", ""]
            for ev in h.evidence:
                L += _evidence_md(ev, pd_, md_)
            L.append("")
    if pip.change_plan:
        cp = pip.change_plan
        L += ["## Change plan", "", cp.summary, ""]
        if cp.flag:
            L.append(f"- **Flag:** `{cp.flag}`")
        if cp.canary:
            stages = " → ".join(f"{s:.0%}" for s in cp.canary.stages)
            L.append(f"- **Canary:** {stages}, {cp.canary.stage_duration} per stage")
            L += [f"  - success: {c}" for c in cp.canary.success_criteria]
        L.append(f"- **Rollback:** {cp.rollback or '(not written yet)'}")
        L.append("")
    if pip.verification:
        L += [
            "## Verification",
            "",
            "| Metric | Baseline | Candidate | Interval for the difference | p | Method | Result |",
            "|---|---|---|---|---|---|---|",
        ]
        for v in pip.verification:
            iv = (
                f"[{_fmt(v.lower, v.unit)}, {_fmt(v.upper, v.unit)}] ({v.confidence:.0%})"
                if v.lower is not None and v.upper is not None
                else "–"
            )
            p = f"{v.p_value:.3g}" if v.p_value is not None else "–"
            L.append(
                f"| {v.metric} | {_fmt(v.baseline, v.unit)} | {_fmt(v.candidate, v.unit)} "
                f"| {iv} | {p} | {v.method or '–'} | {'pass' if v.passed else '**fail**'} |"
            )
        L.append("")
        for v in pip.verification:
            for ev in v.evidence:
                L += _evidence_md(ev, pd_, md_)
        L.append("")
    if pip.follow_ups:
        L += ["## Follow-ups", ""]
        for f in pip.follow_ups:
            who = f" — {f.owner}" if f.owner else ""
            due = f", due {f.due:%Y-%m-%d}" if f.due else ""
            L.append(f"- [{'x' if f.done else ' '}] {f.action}{who}{due}")
        L.append("")
    if pip.lessons:
        L += ["## Lessons", ""]
        L += [f"- {lesson}" for lesson in pip.lessons]
        L.append("")
    status = checklist_status(pip)
    if status:
        L += ["## Readiness", ""]
        for cl in pip.checklists:
            items = [s for s in status if s.checklist == cl.name]
            done = sum(s.done for s in items)
            L += [f"**{cl.name}** ({done}/{len(items)})", ""]
            for s in items:
                how = " *(from the record)*" if s.auto else ""
                note = f" — {s.note}" if s.note else ""
                L.append(f"- [{'x' if s.done else ' '}] {s.text}{how}{note}")
            L.append("")
    problems = pip.issues()
    if problems:
        L += ["## Open questions", ""]
        L += [f"- {p}" for p in problems]
        L.append("")
    return "\n".join(L).rstrip() + "\n"


def write_markdown(
    pip_path: str | os.PathLike[str], out: str | os.PathLike[str] | None = None
) -> Path:
    """Render the PIP JSON at ``pip_path`` to ``out`` (default: same name, ``.md``)."""
    pip_path = Path(pip_path)
    pip = load_pip(pip_path)
    out = Path(out) if out is not None else pip_path.with_suffix(".md")
    if out.resolve() == pip_path.resolve():
        msg = f"refusing to overwrite the PIP record {pip_path} with its Markdown"
        raise ConfigError(msg)
    out.parent.mkdir(parents=True, exist_ok=True)
    text = render_markdown(pip, pip_dir=pip_path.parent, markdown_dir=out.parent)
    out.write_text(text, encoding="utf-8")
    return out
