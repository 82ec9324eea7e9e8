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
) -> None:
    """Run ingest → SLIs → detection → verification → simulation → report on the demo data."""
    done = run_demo(out, echo=typer.echo)
    typer.echo(f"done: {done}")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo_cmd)
