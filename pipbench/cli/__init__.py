"""The ``pipbench`` command: thin wrappers that parse, call the library and print.

Each command group lives in its own module and is added to :data:`app` below.
Errors pipbench raises on purpose become one line on stderr and exit code 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import sys

import typer

from pipbench.errors import PipbenchError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pipbench",
    help="A workbench for Performance Improvement Plans.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """A workbench for Performance Improvement Plans."""


def _register() -> None:
    # One line per command module (explicit, no discovery).
    from pipbench.cli import demo, detect, ingest, notebook, pip, simulate, slo, verify

    demo.register(app)
    detect.register(app)
    ingest.register(app)
    notebook.register(app)
    pip.register(app)
    simulate.register(app)
    slo.register(app)
    verify.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit code (used by the ``pipbench`` console script)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    _register()
    try:
        rc = app(args=args, prog_name="pipbench", standalone_mode=False)
    except PipbenchError as err:
        if debug:
            raise
        typer.echo(f"pipbench: error: {err}", err=True)
        return 2
    except typer.Exit as ex:
        return int(ex.exit_code or 0)
    except typer.Abort:
        typer.echo("pipbench: aborted", err=True)
        return 130
    except Exception as err:
        # Usage errors (typer bundles its own click; plain click is caught too).
        show, code = getattr(err, "show", None), getattr(err, "exit_code", None)
        if callable(show) and isinstance(code, int):
            show()
            return code
        raise
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
