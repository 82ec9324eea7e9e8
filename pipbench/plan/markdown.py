"""The PIP record as Markdown, charts embedded by relative path, ready for a postmortem."""

from __future__ import annotations

import os
from pathlib import Path

from pipbench.errors import ConfigError
from pipbench.plan.checklists import checklist_status
from pipbench.plan.io import load_pip
from pipbench.plan.model import Evidence, Pip

__all__ = ["render_markdown", "write_markdown"]


def _rel(path: str, pip_dir: Path | None, md_dir: Path | None) -> str:
    p = Path(path)
    if not p.is_absolute() and pip_dir is not None:
        p = pip_dir / p
    if md_dir is not None and (p.is_absolute() or pip_dir is not None):
        return Path(os.path.relpath(p.resolve(), md_dir.resolve())).as_posix()
    return p.as_posix()


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell (a "|" would end the cell)."""
    return text.replace("|", "\\|").replace("\n", " ")


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

    Examples
    --------
    >>> from pipbench.plan import Evidence, Hypothesis, Owner, Pip, Trigger
    >>> chart = Evidence(title="p95", kind="chart", path="charts/p95.svg")
    >>> pip = Pip(id="P-1", title="Slow checkout", owner=Owner(name="Ada"),
    ...           trigger=Trigger(summary="p95 page"),
    ...           hypotheses=(Hypothesis(rank=1, statement="N+1 query", evidence=(chart,)),))
    >>> md = render_markdown(pip)
    >>> md.splitlines()[0]
    '# P-1: Slow checkout'
    >>> "![p95](charts/p95.svg)" in md
    True
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
        L += [f"| {e.at:%Y-%m-%d %H:%M} | {_cell(e.event)} |" for e in pip.timeline]
        L.append("")
    if pip.baseline:
        L += ["## Baseline SLIs", "", "| SLI | Value | Window |", "|---|---|---|"]
        L += [
            f"| {_cell(b.name)} | {_fmt(b.value, b.unit)} | {_cell(b.window) or '–'} |"
            for b in pip.baseline
        ]
        L.append("")
    if pip.slo_targets or pip.error_budgets:
        L += ["## SLO targets and error budget", ""]
        if pip.slo_targets:
            L += [
                "| SLI | Objective | Window | Threshold | Error budget |",
                "|---|---|---|---|---|",
            ]
            L += [
                f"| {_cell(t.sli)} | {t.objective:.4%} | {t.window_days} d | {_cell(t.threshold) or '–'} "
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
                f"| {_cell(v.metric)} | {_fmt(v.baseline, v.unit)} | {_fmt(v.candidate, v.unit)} "
                f"| {iv} | {p} | {_cell(v.method) or '–'} | {'pass' if v.passed else '**fail**'} |"
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
