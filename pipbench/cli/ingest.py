"""``pipbench ingest`` and ``pipbench formats``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from pipbench.dataset import Dataset, open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.ingest import IngestReport, readers
from pipbench.ingest.pipeline import expand_inputs, ingest_each

__all__ = ["register"]


def ingest_cmd(
    inputs: list[str] = typer.Argument(
        ..., help="Export files, folders (walked) or globs such as 'exports/**/*.json'."
    ),
    dataset: Path = typer.Option(
        ..., "--dataset", "-d", help="Dataset directory (created if missing)."
    ),
    format: str | None = typer.Option(
        None, "--format", "-f", help="Force a reader (see `pipbench formats`)."
    ),
    at: str | None = typer.Option(
        None, "--at", help="Timestamp for files whose points carry none."
    ),
    option: list[str] = typer.Option(
        [],
        "--option",
        "-o",
        help="Reader option KEY=VALUE, repeatable (e.g. timezone=Europe/Paris for zone-less "
        "times in Grafana CSV and JMeter files).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object per file."),
    column: list[str] = typer.Option(
        [],
        "--column",
        help="Column mapping for tables, e.g. --column timestamp=ts --column value=v.",
    ),
) -> None:
    """Ingest telemetry exports into a dataset (format sniffed from content).

    With several files, goes on past those it cannot read, lists them at the end and exits
    with code 1; a single unreadable file is an error (exit code 2).
    """
    options = _options(option)
    files = expand_inputs(inputs, exclude=[dataset])
    ds = open_dataset(dataset) if dataset.exists() else Dataset(dataset)
    if column:
        options["columns"] = dict(_pair(c) for c in column)  # type: ignore[assignment]
    failed: list[tuple[Path, InputError]] = []
    console = Console(stderr=True)
    show_bar = len(files) > 1 and console.is_terminal and not as_json
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show_bar,
        transient=True,
    ) as bar:
        task = bar.add_task("ingesting", total=len(files))
        for path, outcome in ingest_each(files, ds, format=format, at=at, options=options):
            bar.update(task, advance=1, description=f"ingesting {path.name}")
            if isinstance(outcome, InputError):
                if len(files) == 1 and not as_json:
                    raise outcome  # one file: the usual one-line error and exit code 2
                failed.append((path, outcome))
                if as_json:
                    typer.echo(json.dumps({"file": str(path), "error": str(outcome)}))
                continue
            if as_json:
                typer.echo(json.dumps(outcome.as_dict()))
            else:
                _print_report(outcome)
    if failed and len(files) == 1:
        raise failed[0][1]  # one file: one line, exit code 2 (see pipbench.cli.main)
    if failed:
        typer.echo(f"pipbench: {len(failed)} of {len(files)} files not ingested:", err=True)
        for path, err in failed:
            typer.echo(f"  {path}: {err}" if str(path) not in str(err) else f"  {err}", err=True)
        raise typer.Exit(1)


def _options(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            msg = f"--option {pair!r} is not KEY=VALUE"
            raise ConfigError(msg)
        out[key.strip()] = value.strip()
    return out


def _print_report(report: IngestReport) -> None:
    skipped = sum(s.count for s in report.skipped)
    typer.echo(
        f"{report.file}: {report.format}: {report.series} series, {report.samples} samples, "
        f"{report.events} events, {report.annotations} annotations, "
        f"{report.t_min or '-'} .. {report.t_max or '-'}"
        + (f", {skipped} skipped" if skipped else "")
    )
    for s in report.skipped:
        typer.echo(
            f"  skipped {s.count}: {s.reason}" + (f" (first at line {s.line})" if s.line else "")
        )
    for n in report.notes:
        typer.echo(f"  note: {n}")
    if report.time_of_ingest_used:
        typer.echo("  note: the file carries no timestamps; the time of ingest was used (set --at)")


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
