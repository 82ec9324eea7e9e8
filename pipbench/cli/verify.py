"""``pipbench verify``: compare two sample files, or judge a canary over a dataset.

Exit codes: 0 pass (or marginal), 1 fail, 3 no data; 2 for errors (see ``pipbench.cli``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import typer

from pipbench.dataset import open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.verify import compare_samples, load_canary_config, run_canary

__all__ = ["register"]

_EXIT = {"pass": 0, "marginal": 0, "fail": 1, "nodata": 3}


def _read_column(path: Path, column: str) -> np.ndarray:
    if not path.exists():
        msg = "no such file"
        raise InputError(msg, file=path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
        else:
            frame = pl.read_csv(path, infer_schema_length=10_000)
    except (pl.exceptions.PolarsError, OSError) as err:
        msg = f"cannot read as {'Parquet' if suffix in ('.parquet', '.pq') else 'CSV'}: {err}"
        raise InputError(msg, file=path) from None
    if column not in frame.columns:
        msg = f"no column {column!r}"
        raise InputError(msg, file=path, field=column, expected=f"one of {frame.columns}")
    try:
        return frame[column].cast(pl.Float64, strict=True).to_numpy()
    except pl.exceptions.PolarsError:
        msg = "values are not numbers"
        raise InputError(msg, file=path, field=column, expected="a numeric column") from None


def verify_cmd(
    baseline: str = typer.Option(
        ..., "--baseline", "-b", help="Sample file, or a selector with --dataset."
    ),
    canary: str = typer.Option(
        ..., "--canary", "-c", help="Sample file, or a selector with --dataset."
    ),
    dataset: Path | None = typer.Option(None, "--dataset", "-d", help="Dataset directory."),
    config: Path | None = typer.Option(None, "--config", help="Canary TOML or Kayenta JSON."),
    column: str = typer.Option("value", "--column", help="Column of the sample files."),
    direction: str = typer.Option("increase", "--direction", help="increase, decrease or either."),
    tolerance: float = typer.Option(0.0, "--tolerance", help="Allowed relative change."),
    alpha: float = typer.Option(0.05, "--alpha", help="False-fail rate."),
    method: str = typer.Option("auto", "--method", help="auto, mannwhitney, quantile, poisson…"),
    quantile: float | None = typer.Option(
        None, "--quantile", help="Compare a percentile, e.g. 0.99."
    ),
    kind: str = typer.Option("auto", "--kind", help="auto, latency (rejects < 0), value, count."),
    units: str | None = typer.Option(
        None, "--units", help="BASELINE,CANARY units, e.g. s,ms (time units are converted)."
    ),
    exposure_column: str | None = typer.Option(
        None, "--exposure-column", help="Requests per row, for error counts in --column."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Did the change make things worse? Compare a canary with its baseline.

    Two sample files (CSV or Parquet, one value per row in time order), or a canary
    config over a dataset with selectors such as version=2.4.0. Exit code: 0 pass or
    marginal, 1 fail, 3 no data, 2 bad input.
    """
    result: Any
    if dataset is not None:
        if config is None:
            msg = "--dataset needs --config (a canary TOML or Kayenta JSON)"
            raise ConfigError(msg)
        cfg = load_canary_config(config)
        result = run_canary(open_dataset(dataset, create=False), cfg, baseline, canary)
        verdict = getattr(result, "verdict", None) or result.classification.lower()
        if as_json:
            typer.echo(json.dumps(result.as_dict(), default=str))
        elif hasattr(result, "verdict"):
            typer.echo(f"{result.verdict.upper()}: {result.reason}")
            for m in result.metrics:
                typer.echo(f"  {m.name}: {m.decision} — {m.explanation}")
        else:
            typer.echo(
                f"{result.classification.upper()} (Kayenta score {result.score:g}) {result.reason}"
            )
            for m in result.metrics:
                typer.echo(f"  {m.name}: {m.classification} ratio={m.ratio:.3g} {m.reason}")
    else:
        if config is not None:
            msg = "--config is used with --dataset; for two files give --column/--direction"
            raise ConfigError(msg)
        b = _read_column(Path(baseline), column)
        c = _read_column(Path(canary), column)
        kw: dict[str, Any] = {}
        if exposure_column is not None:
            kw["baseline_exposure"] = _read_column(Path(baseline), exposure_column)
            kw["canary_exposure"] = _read_column(Path(canary), exposure_column)
        if units is not None:
            parts = [u.strip() for u in units.split(",")]
            if len(parts) != 2:
                msg = f"--units {units!r}: expected BASELINE,CANARY, e.g. s,ms"
                raise ConfigError(msg)
            kw["unit"] = (parts[0], parts[1])
        result = compare_samples(
            b,
            c,
            kind=kind,  # type: ignore[arg-type]
            direction=direction,  # type: ignore[arg-type]
            tolerance=tolerance,
            alpha=alpha,
            method=method,  # type: ignore[arg-type]
            quantile=quantile,
            **kw,
        )
        verdict = result.verdict
        if as_json:
            typer.echo(json.dumps(result.as_dict()))
        else:
            typer.echo(result.explanation)
            for note in result.notes:
                typer.echo(f"  note: {note}")
    raise typer.Exit(_EXIT.get(verdict, 0))


def register(app: typer.Typer) -> None:
    app.command("verify")(verify_cmd)
