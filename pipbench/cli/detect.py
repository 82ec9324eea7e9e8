"""``pipbench detect``: score one series for anomalies."""

from __future__ import annotations

from pathlib import Path

import typer

from pipbench.detect.series import detect_series, read_series_csv, select_series
from pipbench.errors import InputError

__all__ = ["register"]


def detect_cmd(
    input: Path = typer.Option(
        ...,
        "--input",
        "-i",
        help="CSV with timestamp,value, or a dataset directory (with --metric).",
    ),
    output: Path = typer.Option(..., "--output", "-o", help="CSV to write."),
    online: bool = typer.Option(
        False, "--online", help="Causal scoring: each score uses only earlier points."
    ),
    method: str = typer.Option(
        "online", "--method", "-m", help="online, robust-z or seasonal-esd."
    ),
    metric: str | None = typer.Option(None, "--metric", help="Metric to select in a dataset."),
    label: list[str] = typer.Option(
        [], "--label", "-l", help="Label filter KEY=VALUE (repeatable)."
    ),
) -> None:
    """Write timestamp,value,anomaly_score,is_anomaly: one row per input row, same order."""
    if input.is_dir():
        if not metric:
            msg = "a dataset input needs --metric (and --label KEY=VALUE to pick one series)"
            raise InputError(msg, file=input, field="metric")
        labels = {}
        for item in label:
            k, sep, v = item.partition("=")
            if not sep:
                msg = f"--label {item!r} is not KEY=VALUE"
                raise InputError(msg, field="label", expected="KEY=VALUE")
            labels[k] = v
        frame = select_series(input, metric, labels)
    else:
        frame = read_series_csv(input)
    out = detect_series(frame["t"], frame["value"].to_numpy(), method=method, online=online)
    out = out.with_columns(timestamp=frame["timestamp"])
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + ".tmp")
    out.write_csv(tmp, float_precision=6)
    tmp.replace(output)
    n = int(out["is_anomaly"].sum())
    typer.echo(
        f"{output}: {out.height} rows, {n} anomalies ({method}{', causal' if online else ''})"
    )


def register(app: typer.Typer) -> None:
    app.command("detect")(detect_cmd)
