"""``pipbench demo``: the whole PIP on the shipped demo data."""

from __future__ import annotations

from pathlib import Path

import typer

from pipbench.demo.pipeline import run_demo

__all__ = ["register"]


def demo_cmd(
    out: Path = typer.Option(
        Path("reports/demo"), "--out", help="Where to write the dataset and the report."
    ),
    notebook: list[str] = typer.Option(
        [], "--notebook", "-n", help="Run only these notebooks (repeatable)."
    ),
) -> None:
    """Run ingest → triage → SLO → verification → what-ifs → PIP record on the demo data."""
    index = run_demo(out, echo=typer.echo, notebooks=notebook or None)
    typer.echo(f"open {index}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
