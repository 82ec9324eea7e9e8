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

from pipbench.plan.checklists import AUTO_CHECKS, ChecklistStatus, checklist_status
from pipbench.plan.io import load_pip, save_pip
from pipbench.plan.markdown import render_markdown, write_markdown
from pipbench.plan.model import (
    SCHEMA_VERSION,
    CanaryPlan,
    ChangePlan,
    Checklist,
    ChecklistItem,
    ErrorBudget,
    Evidence,
    FollowUp,
    Hypothesis,
    Owner,
    Pip,
    Scope,
    SliBaseline,
    SloTarget,
    TimelineEntry,
    Trigger,
    Verdict,
    VerificationResult,
    default_checklists,
)

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
