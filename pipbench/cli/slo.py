"""``pipbench slo show`` and ``pipbench slo report``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, cast

import typer

from pipbench.dataset import open_dataset
from pipbench.errors import ConfigError
from pipbench.slo import UnmappedSLIError, read_slo_specs, slo_report
from pipbench.slo.budget import Period
from pipbench.slo.burnrate import Family

__all__ = ["register"]

slo_app = typer.Typer(
    help="Read SLO specs (OpenSLO, Sloth, Pyrra) and report on a dataset.", no_args_is_help=True
)


def _clean(value: Any) -> Any:
    """NaN/Inf → None so the JSON is strict."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


@slo_app.command("show")
def show_cmd(
    spec: Path = typer.Argument(..., help="OpenSLO, Sloth or Pyrra YAML file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the objectives a spec defines: name, target, window, budgeting, SLI queries."""
    slos = read_slo_specs(spec)
    if as_json:
        typer.echo(json.dumps([_clean(s.as_dict()) for s in slos], indent=1))
        return
    for s in slos:
        typer.echo(
            f"{s.name}: target {s.target:.4%}, window {s.window.days:g} d "
            f"{'rolling' if s.window.rolling else 'calendar ' + str(s.window.calendar_unit)}, "
            f"{s.budgeting}, {s.sli.kind} SLI, alerts {s.alerting}"
        )
        for role, q in s.sli.queries().items():
            typer.echo(f"  {role}: {' '.join(q.split())}")


@slo_app.command("report")
def report_cmd(
    spec: Path = typer.Argument(..., help="OpenSLO, Sloth or Pyrra YAML file."),
    dataset: Path = typer.Option(..., "--dataset", "-d", help="Dataset directory."),
    step: str = typer.Option("1m", "--step", help="Evaluation step."),
    alerts: str | None = typer.Option(
        None, "--alerts", help="Alert family: workbook, sloth or pyrra (default: the spec's)."
    ),
    name: str | None = typer.Option(None, "--name", help="Only the SLO with this name."),
    period: str | None = typer.Option(
        None, "--period", help="Compliance periods: day, week, month, quarter or year."
    ),
    promql: bool = typer.Option(
        False, "--promql", help="Alerts from PromQL rate() error ratios (as the live rules)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Error budget, burn rates, compliance and a backtest of the burn-rate alerts."""
    if period not in (None, "day", "week", "month", "quarter", "year"):
        msg = f"--period {period!r} is not one of day, week, month, quarter, year"
        raise ConfigError(msg)
    if alerts not in (None, "workbook", "sloth", "pyrra"):
        msg = f"--alerts {alerts!r} is not one of workbook, sloth, pyrra"
        raise ConfigError(msg)
    ds = open_dataset(dataset, create=False)
    slos = [s for s in read_slo_specs(spec) if name is None or s.name == name]
    if not slos:
        msg = f"no SLO named {name!r} in {spec}"
        raise ConfigError(msg)
    out: list[dict[str, Any]] = []
    for s in slos:
        try:
            rep = slo_report(
                s,
                ds,
                step=step,
                family=cast("Family | None", alerts),
                period=cast("Period | None", period),
                promql=promql,
            )
        except UnmappedSLIError as err:
            out.append({"slo": s.as_dict(), "error": str(err)})
            if not as_json:
                typer.echo(f"SLO {s.name}: not evaluated: {err}")
            continue
        if as_json:
            out.append(rep.as_dict())
        else:
            typer.echo(rep.to_text())
    if as_json:
        typer.echo(json.dumps(_clean(out), indent=1, default=str))


def register(app: typer.Typer) -> None:
    app.add_typer(slo_app, name="slo")
