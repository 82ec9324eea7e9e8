"""``pipbench pip new|show|render``: create, inspect and render a PIP record."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from pipbench.errors import ConfigError
from pipbench.plan import (
    Owner,
    Pip,
    Scope,
    Trigger,
    checklist_status,
    load_pip,
    save_pip,
    write_markdown,
)

__all__ = ["register"]

pip_app = typer.Typer(
    name="pip", help="Performance Improvement Plan records.", no_args_is_help=True
)

_KINDS = ("alert", "slo_burn", "regression", "load_test", "capacity", "customer", "other")


@pip_app.command("new")
def new_cmd(
    path: Path = typer.Argument(..., help="Where to write the PIP record (JSON)."),
    title: str = typer.Option(..., "--title", help="One line: what is slow or failing."),
    owner: str = typer.Option(..., "--owner", help="Who drives the PIP."),
    team: str = typer.Option("", "--team"),
    trigger: str = typer.Option(..., "--trigger", help="What started it, in one sentence."),
    kind: str = typer.Option("other", "--kind", help=f"Trigger kind: {', '.join(_KINDS)}."),
    service: list[str] = typer.Option([], "--service", help="A service in scope (repeatable)."),
    pip_id: str | None = typer.Option(None, "--id", help="Record id (default: the file stem)."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing file."),
) -> None:
    """Start a PIP record with the default readiness checklists."""
    if path.exists() and not force:
        msg = f"{path} exists (use --force to overwrite)"
        raise ConfigError(msg)
    if kind not in _KINDS:
        msg = f"--kind {kind!r} is not one of {', '.join(_KINDS)}"
        raise ConfigError(msg)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    pip = Pip(
        id=pip_id or path.stem,
        title=title,
        owner=Owner(name=owner, team=team),
        trigger=Trigger(kind=kind, summary=trigger, detected_at=now),  # type: ignore[arg-type]
        scope=Scope(services=tuple(service)),
        created=now,
    )
    save_pip(pip, path)
    typer.echo(f"wrote {path}")


@pip_app.command("show")
def show_cmd(
    path: Path = typer.Argument(..., help="A PIP record (JSON)."),
    as_json: bool = typer.Option(False, "--json", help="Print the record as JSON."),
) -> None:
    """Summarise a PIP: verdict, hypotheses, verification, readiness, open questions."""
    pip = load_pip(path)
    if as_json:
        typer.echo(json.dumps(pip.model_dump(mode="json"), indent=2))
        return
    typer.echo(f"{pip.id}: {pip.title}")
    typer.echo(f"  owner    {pip.owner.name}" + (f" ({pip.owner.team})" if pip.owner.team else ""))
    typer.echo(f"  trigger  {pip.trigger.kind}: {pip.trigger.summary}")
    typer.echo(
        f"  verdict  {pip.verdict.value}"
        + (f" — {pip.verdict_reason}" if pip.verdict_reason else "")
    )
    for h in pip.hypotheses:
        typer.echo(f"  H{h.rank} [{h.status}] {h.statement} ({len(h.evidence)} evidence)")
    for v in pip.verification:
        typer.echo(
            f"  {'PASS' if v.passed else 'FAIL'} {v.metric}: {v.baseline:.4g} → {v.candidate:.4g} {v.unit}".rstrip()
        )
    status = checklist_status(pip)
    for cl in pip.checklists:
        items = [s for s in status if s.checklist == cl.name]
        todo = [s.text for s in items if not s.done]
        done = len(items) - len(todo)
        typer.echo(
            f"  {cl.name:9}{done}/{len(items)} ready"
            + (f"; open: {'; '.join(todo)}" if todo else "")
        )
    for problem in pip.issues():
        typer.echo(f"  ! {problem}")


@pip_app.command("render")
def render_cmd(
    path: Path = typer.Argument(..., help="A PIP record (JSON)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Markdown file (default: PATH with .md)."
    ),
) -> None:
    """Render a PIP as Markdown with its charts embedded by relative path."""
    written = write_markdown(path, out)
    typer.echo(f"wrote {written}")


def register(app: typer.Typer) -> None:
    app.add_typer(pip_app, name="pip")
