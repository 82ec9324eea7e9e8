"""``pipbench ingest`` and ``pipbench formats``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipbench.dataset import Dataset, open_dataset
from pipbench.errors import ConfigError
from pipbench.ingest import ingest_file, readers

__all__ = ["register"]


def ingest_cmd(
    files: list[Path] = typer.Argument(..., help="Export files to ingest."),
    dataset: Path = typer.Option(
        ..., "--dataset", "-d", help="Dataset directory (created if missing)."
    ),
    format: str | None = typer.Option(
        None, "--format", "-f", help="Force a reader (see `pipbench formats`)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="Timestamp for files whose points carry none."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file."),
    column: list[str] = typer.Option(
        [],
        "--column",
        help="Column mapping for tables, e.g. --column timestamp=ts --column value=v.",
    ),
) -> None:
    """Ingest telemetry exports into a dataset (format sniffed from content)."""
    ds = open_dataset(dataset) if dataset.exists() else Dataset(dataset)
    options = {"columns": dict(_pair(c) for c in column)} if column else None
    for f in files:
        report = ingest_file(f, ds, format=format, at=at, options=options)
        if as_json:
            typer.echo(json.dumps(report.as_dict()))
        else:
            skipped = sum(s.count for s in report.skipped)
            typer.echo(
                f"{report.file}: {report.format}: {report.series} series, {report.samples} samples, "
                f"{report.events} events, {report.annotations} annotations, "
                f"{report.t_min or '-'} .. {report.t_max or '-'}"
                + (f", {skipped} skipped" if skipped else "")
            )
            for s in report.skipped:
                typer.echo(
                    f"  skipped {s.count}: {s.reason}"
                    + (f" (first at line {s.line})" if s.line else "")
                )
            for n in report.notes:
                typer.echo(f"  note: {n}")
            if report.time_of_ingest_used:
                typer.echo(
                    "  note: the file carries no timestamps; the time of ingest was used (set --at)"
                )


def _pair(text: str) -> tuple[str, str]:
    role, sep, name = text.partition("=")
    if not sep or not name:
        msg = f"--column {text!r}: expected ROLE=NAME, e.g. timestamp=ts"
        raise ConfigError(msg)
    return role.strip(), name.strip()


def formats_cmd() -> None:
    """List the readers and what each reads."""
    for r in readers():
        typer.echo(f"{r.name:24} {r.description}")


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_cmd)
    app.command("formats")(formats_cmd)
