"""``pipbench notebook list|run``: the parameterized notebooks, headless."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from pipbench.errors import ConfigError

__all__ = ["register"]

notebook_app = typer.Typer(
    name="notebook", help="Parameterized notebooks (papermill).", no_args_is_help=True
)


@notebook_app.command("list")
def list_cmd(
    directory: Path | None = typer.Option(
        None, "--dir", help="Notebooks directory (default: $PIPBENCH_NOTEBOOKS or notebooks/)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List the notebooks and their parameters (type, default, help)."""
    from pipbench.notebooks import list_notebooks, notebooks_dir

    infos = list_notebooks(directory)
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": i.name,
                        "title": i.title,
                        "path": str(i.path),
                        "error": i.error or None,
                        "parameters": [
                            {
                                "name": p.name,
                                "type": p.type_name,
                                "default": p.default,
                                "help": p.help,
                            }
                            for p in i.parameters.values()
                        ],
                    }
                    for i in infos
                ],
                indent=2,
            )
        )
        return
    if not infos:
        typer.echo(f"no notebooks in {directory or notebooks_dir()}")
        return
    for info in infos:
        typer.echo(f"{info.name}" + (f"  — {info.title}" if info.title else ""))
        if info.error:
            typer.echo(f"    (cannot read its parameters: {info.error})")
        elif not info.parameters:
            typer.echo("    (no parameters cell)")
        for p in info.parameters.values():
            helptext = f"  # {p.help}" if p.help else ""
            typer.echo(f"    {p.name}: {p.type_name} = {p.default}{helptext}")


def _pairs(args: list[str]) -> dict[str, str]:
    """``-p KEY VALUE`` pairs from the extra arguments (click cannot declare them)."""
    values: dict[str, str] = {}
    i = 0
    while i < len(args):
        if args[i] not in ("-p", "--parameter"):
            msg = f"unexpected argument {args[i]!r} (parameters are given as -p KEY VALUE)"
            raise ConfigError(msg)
        if i + 2 >= len(args):
            got = args[i + 1] if i + 1 < len(args) else ""
            msg = f"-p takes KEY VALUE; got {('-p ' + got).strip()!r}"
            raise ConfigError(msg)
        values[args[i + 1]] = args[i + 2]
        i += 3
    return values


@notebook_app.command(
    "run", context_settings={"allow_extra_args": True, "ignore_unknown_options": True}
)
def run_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(
        ..., help="Notebook name (see `pipbench notebook list`) or .ipynb path."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Output directory (default: reports/NAME)."
    ),
    directory: Path | None = typer.Option(None, "--dir", help="Notebooks directory."),
    hide_code: bool = typer.Option(False, "--hide-code", help="Leave code out of the HTML report."),
    timeout: float = typer.Option(600, "--timeout", help="Seconds one cell may run."),
    cwd: Path | None = typer.Option(
        None,
        "--cwd",
        help="Kernel working directory (default: the notebook's directory, as in "
        "JupyterLab; relative paths in parameters are read from there).",
    ),
) -> None:
    """Run a notebook headless: executed notebook, HTML report, charts and evidence.

    Set parameters with -p KEY VALUE (repeatable); each value is converted to the
    type the notebook's parameters cell declares, and checked before the kernel starts.
    """
    from pipbench.notebooks import entries_for_run, find_notebook, run_notebook, write_index

    values = _pairs(list(ctx.args))
    src = find_notebook(name, directory)
    out_dir = out if out is not None else Path("reports") / src.stem
    run = run_notebook(
        src,
        values,
        out_dir=out_dir,
        from_strings=True,
        hide_code=hide_code,
        timeout=timeout,
        cwd=cwd,
    )
    index = write_index(out_dir, entries_for_run(run), title=f"{run.name} report")
    typer.echo(f"{run.name}: ran in {run.seconds:.1f} s")
    typer.echo(f"  index     {index}")
    typer.echo(f"  executed  {run.executed}")
    if run.html:
        typer.echo(f"  report    {run.html}")
    for p in run.charts:
        typer.echo(f"  chart     {p}")
    for p in run.evidence:
        typer.echo(f"  evidence  {p}")


def register(app: typer.Typer) -> None:
    app.add_typer(notebook_app, name="notebook")
