"""Readiness checklists: which items the record itself answers, and each item's state."""

from __future__ import annotations

from collections.abc import Callable

from pipbench.plan.model import Pip, Verdict, _Model

__all__ = ["AUTO_CHECKS", "ChecklistStatus", "checklist_status"]

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
