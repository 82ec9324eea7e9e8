"""The PIP record assembled from the other workflows: triage, SLO budget, canary, what-ifs.

:func:`pip_report` runs the analyses whose results a PIP record cites (they are fast on a
dataset of a week), takes the record's pieces from each result (``pip_hypotheses``,
``pip_slo_targets``, ``pip_verification``…), decides the verdict from the verification, and
cites the charts and evidence the notebooks wrote when their run folders are given.

Examples
--------
>>> from pipbench.workflows.report import verdict_for
>>> from pipbench import plan
>>> ok = plan.VerificationResult(metric="p99", baseline=0.3, candidate=0.2, passed=True)
>>> verdict_for([ok]).value
'roll_out'
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipbench import plan
from pipbench.workflows._inputs import as_datetime, need_dataset
from pipbench.workflows.budget import BudgetResult, slo_budget
from pipbench.workflows.canary import CanaryResult, canary_verification
from pipbench.workflows.triage import TriageResult, regression_triage

__all__ = ["PipReport", "pip_report", "verdict_for"]

#: Which notebook's outputs each part of the record cites.
CITED = {
    "regression_triage": "the regression: SLI, change points, suspects, drill-down",
    "slo_budget": "error budgets and burn-rate alerts",
    "canary_verification": "verification of the fix's canary",
    "capacity_whatif": "capacity what-if",
    "cache_ttl_tradeoff": "cache TTL trade-off",
    "coldstart_tradeoff": "cold-start trade-off",
    "pip_drill": "detection drill",
}


def verdict_for(verification: Sequence[plan.VerificationResult]) -> plan.Verdict:
    """Roll out when every verified metric passed, roll back when one failed, else pending."""
    if not verification:
        return plan.Verdict.PENDING
    if all(v.passed for v in verification):
        return plan.Verdict.ROLL_OUT
    return plan.Verdict.ROLL_BACK


@dataclass(frozen=True)
class PipReport:
    """The assembled record and the analyses it came from."""

    pip: plan.Pip
    triage: TriageResult
    budget: BudgetResult | None
    canary: CanaryResult
    cited: dict[str, dict[str, Any]]

    def summary(self) -> str:
        """One or two sentences: the verdict and why."""
        return f"{self.pip.title}: verdict {self.pip.verdict.value.replace('_', ' ')}. {self.pip.verdict_reason}"

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence: ``summary``, ``verdict``, ``hypotheses``, ``verification``, ``cited``."""
        return {
            "summary": self.summary(),
            "verdict": self.pip.verdict.value,
            "hypotheses": [h.statement for h in self.pip.hypotheses],
            "verification": [v.model_dump(mode="json") for v in self.pip.verification],
            "cited": {k: v.get("summary") for k, v in self.cited.items()},
        }


def _cited(runs: Path | None) -> dict[str, dict[str, Any]]:
    """The main evidence file of each notebook run found under ``runs``."""
    out: dict[str, dict[str, Any]] = {}
    if runs is None:
        return out
    for name in CITED:
        f = runs / name / "evidence" / f"{name}.json"
        if f.is_file():
            try:
                out[name] = json.loads(f.read_text())
            except ValueError:
                continue
    return out


def _charts(runs: Path | None, name: str) -> list[Path]:
    if runs is None:
        return []
    folder = runs / name / "charts"
    return sorted(folder.glob("*.svg")) if folder.is_dir() else []


def _evidence_for(
    runs: Path | None, name: str, cited: dict[str, dict[str, Any]]
) -> tuple[plan.Evidence, ...]:
    items = [
        plan.Evidence(title=p.stem.replace("_", " "), kind="chart", path=str(p), summary="")
        for p in _charts(runs, name)
    ]
    if name in cited and runs is not None:
        items.append(
            plan.Evidence(
                title=CITED[name],
                kind="json",
                path=str(runs / name / "evidence" / f"{name}.json"),
                summary=str(cited[name].get("summary", "")),
            )
        )
    return tuple(items)


def pip_report(
    dataset: str | os.PathLike[str],
    *,
    spec: str | os.PathLike[str] | None = None,
    runs: str | os.PathLike[str] | None = None,
    pip_id: str = "PIP-2417",
    title: str = "checkout /api/checkout p99 regression after release 2.4.0",
    owner: str = "checkout on-call",
    team: str = "checkout",
) -> PipReport:
    """Assemble the PIP record for a regression from the dataset and the notebooks' outputs.

    Parameters
    ----------
    dataset
        The dataset directory (it must exist).
    spec
        SLO spec (OpenSLO/Sloth/Pyrra) for the budget section; None leaves it out.
    runs
        The folder holding the notebooks' run folders (``runs/<notebook>/charts|evidence``),
        as ``make demo`` writes them; charts and evidence found there are cited.
    pip_id, title, owner, team
        The record's identity.

    Returns
    -------
    PipReport
        The record (:class:`pipbench.plan.Pip`) and the analyses behind it.
    """
    ds = need_dataset(dataset, workflow="pip_report")
    runs_path = Path(runs) if runs is not None else None
    cited = _cited(runs_path)
    triage = regression_triage(ds)
    budget = slo_budget(ds, spec=spec) if spec is not None else None
    targets = budget.pip_slo_targets() if budget is not None else []
    availability = [t.objective for t in targets if "availab" in t.sli.lower()]
    # Judge the canary's budget impact against the spec's availability objective when there is one.
    canary = (
        canary_verification(ds, slo=availability[0]) if availability else canary_verification(ds)
    )
    hypotheses = tuple(
        h.model_copy(
            update={
                "evidence": h.evidence
                + (_evidence_for(runs_path, "regression_triage", cited) if h.rank == 1 else ())
            }
        )
        for h in triage.pip_hypotheses()
    )
    verification = tuple(
        v.model_copy(update={"evidence": _evidence_for(runs_path, "canary_verification", cited)})
        for v in canary.pip_verification()
    )
    verdict = verdict_for(verification)
    reason = canary.summary()
    onset = (
        dt.datetime.fromtimestamp(triage.onset.time, dt.UTC)
        if triage.onset is not None and triage.onset.time is not None
        else None
    )
    alert_time = None
    if budget is not None:
        alert_time = as_datetime(budget.alert_timeline()["start"].min())  # nulls are skipped
    trigger = plan.Trigger(
        kind="slo_burn" if alert_time is not None else "regression",
        summary=triage.summary(),
        detected_at=alert_time or onset,
    )
    follow_ups = [
        plan.FollowUp(action=f"Act on the {CITED[k]}: {v.get('summary', '')}".strip())
        for k, v in cited.items()
        if k in ("capacity_whatif", "cache_ttl_tradeoff", "coldstart_tradeoff")
    ]
    lessons = []
    if "pip_drill" in cited:
        lessons.append(str(cited["pip_drill"].get("summary", "")))
    if budget is not None:
        lessons.append(budget.summary())
    pip = plan.Pip(
        id=pip_id,
        title=title,
        owner=plan.Owner(name=owner, team=team),
        trigger=trigger,
        scope=plan.Scope(services=("checkout",), endpoints=tuple(_endpoints(triage))),
        created=dt.datetime.now(dt.UTC).replace(microsecond=0),
        timeline=tuple(sorted(triage.pip_timeline(), key=lambda e: e.at)),
        baseline=(triage.pip_baseline(),),
        slo_targets=tuple(budget.pip_slo_targets())
        if budget is not None
        else tuple(canary.slo_targets()),
        error_budgets=tuple(budget.pip_error_budgets()) if budget is not None else (),
        hypotheses=hypotheses,
        change_plan=plan.ChangePlan(
            summary="Release 2.4.1 (removes the N+1 query on /api/checkout) through a canary on checkout-2",
            canary=plan.CanaryPlan(
                stages=(0.33, 1.0),
                stage_duration="2h",
                success_criteria=(
                    "p99 latency not higher than the baseline instances",
                    "error ratio not higher than the baseline instances",
                ),
            ),
            rollback="redeploy 2.3.9 (the last release before the regression)",
        ),
        verification=verification,
        verdict=verdict,
        verdict_reason=reason,
        follow_ups=tuple(follow_ups),
        lessons=tuple(x for x in lessons if x),
    )
    return PipReport(pip=pip, triage=triage, budget=budget, canary=canary, cited=cited)


def _endpoints(triage: TriageResult) -> list[str]:
    """The endpoints the drill-down's top segment names (``endpoint=/api/checkout, …``)."""
    frame = triage.drilldown_frame()
    if frame.height == 0:
        return []
    top = str(frame.sort("contribution", descending=True)["value"][0])
    return [p.split("=", 1)[1].strip() for p in top.split(",") if p.strip().startswith("endpoint=")]
