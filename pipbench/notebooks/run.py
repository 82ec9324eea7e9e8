"""Find, list and run parameterized notebooks headless (papermill), exporting the report.

A run of notebook ``NAME`` into ``OUT`` writes::

    OUT/NAME.ipynb        the executed notebook (outputs included)
    OUT/NAME.html         the report: nbconvert HTML with no CDN references
    OUT/charts/*.png|svg  what the notebook passed to emit_chart
    OUT/evidence/*.json   what the notebook passed to emit_evidence
    OUT/run.json          this run: notebook, parameters, files, seconds

Parameters are checked against the notebook's ``parameters`` cell before a kernel starts;
a cell that raises stops the run with a :class:`NotebookError` naming the notebook, the
cell and the exception (the executed notebook and its HTML are still written).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pipbench
from pipbench.errors import ConfigError, InputError, PipbenchError
from pipbench.notebooks.emit import OUT_ENV
from pipbench.notebooks.export import export_html
from pipbench.notebooks.params import Parameter, notebook_parameters, validate_parameters

__all__ = [
    "NOTEBOOKS_ENV",
    "NotebookError",
    "NotebookInfo",
    "NotebookRun",
    "find_notebook",
    "list_notebooks",
    "notebooks_dir",
    "run_notebook",
]

#: Environment variable overriding the notebooks directory.
NOTEBOOKS_ENV = "PIPBENCH_NOTEBOOKS"


class _DropUnknownParameter(logging.Filter):
    """papermill's own parser misses annotated parameters (``x: str | None = None``) and
    warns they are unknown; pipbench has already checked them, so drop the warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        # Both are papermill's notes on parameters pipbench has already checked itself
        # ("Unable to parse line" is its parser meeting a string default with "=" inside).
        return not message.startswith(("Passed unknown parameter", "Unable to parse line"))


def notebooks_dir() -> Path:
    """``$PIPBENCH_NOTEBOOKS``, else ``notebooks/`` at the root of pipbench's repository."""
    env = os.environ.get(NOTEBOOKS_ENV)
    if env:
        return Path(env)
    return Path(pipbench.__file__).resolve().parent.parent / "notebooks"


@dataclass(frozen=True)
class NotebookInfo:
    """A notebook found in the notebooks directory."""

    name: str
    path: Path
    title: str
    parameters: dict[str, Parameter] = field(default_factory=dict)
    error: str = ""  # why the parameters could not be read (the listing goes on)


def _title(path: Path) -> str:
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            src = "".join(cell.get("source", []))
            for line in src.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def list_notebooks(directory: str | os.PathLike[str] | None = None) -> list[NotebookInfo]:
    """The notebooks in ``directory`` (default :func:`notebooks_dir`), by name."""
    d = Path(directory) if directory is not None else notebooks_dir()
    if not d.is_dir():
        return []
    out = []
    for p in sorted(d.glob("*.ipynb")):
        try:
            info = NotebookInfo(p.stem, p, _title(p), notebook_parameters(p))
        except InputError as err:
            info = NotebookInfo(p.stem, p, _title(p), error=str(err))
        out.append(info)
    return out


def find_notebook(
    notebook: str | os.PathLike[str], directory: str | os.PathLike[str] | None = None
) -> Path:
    """Resolve a notebook name (``"slo_budget"``) or a path to an ``.ipynb`` file.

    Raises
    ------
    ConfigError
        No such notebook; the message lists the available names.

    Examples
    --------
    >>> find_notebook("no_such_notebook", "/nonexistent")
    Traceback (most recent call last):
    ...
    pipbench.errors.ConfigError: no notebook 'no_such_notebook' (available: none in /nonexistent)
    """
    p = Path(notebook)
    if p.suffix == ".ipynb" and p.is_file():
        return p
    d = Path(directory) if directory is not None else notebooks_dir()
    candidate = d / f"{p.name.removesuffix('.ipynb')}.ipynb"
    if candidate.is_file():
        return candidate
    names = sorted(q.stem for q in d.glob("*.ipynb")) if d.is_dir() else []
    avail = ", ".join(names) if names else f"none in {d}"
    msg = f"no notebook {str(notebook)!r} (available: {avail})"
    raise ConfigError(msg)


class NotebookError(PipbenchError, RuntimeError):
    """A notebook cell raised; names the notebook, the cell and the exception.

    Attributes
    ----------
    notebook
        The notebook's name.
    cell_index
        0-based index of the failing cell in the source notebook (None if unknown).
    execution_count
        The ``In [n]`` number of the failing cell in the executed notebook.
    ename, evalue
        The exception's type name and message, as the kernel reported them.
    executed
        The executed notebook (with the traceback in the failing cell's output).
    """

    def __init__(
        self,
        notebook: str,
        *,
        cell_index: int | None,
        execution_count: int | None,
        ename: str,
        evalue: str,
        source_line: str = "",
        executed: Path | None = None,
    ) -> None:
        self.notebook = notebook
        self.cell_index = cell_index
        self.execution_count = execution_count
        self.ename = ename
        self.evalue = evalue
        self.source_line = source_line
        self.executed = executed
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"cell {self.cell_index}" if self.cell_index is not None else "a cell"
        if self.execution_count is not None:
            where += f" (In [{self.execution_count}])"
        src = f" `{self.source_line}`" if self.source_line else ""
        tail = f"; executed notebook: {self.executed}" if self.executed else ""
        return (
            f"notebook {self.notebook!r} failed at {where}{src}: {self.ename}: {self.evalue}{tail}"
        )


@dataclass(frozen=True)
class NotebookRun:
    """What one run produced (all paths inside ``out_dir``)."""

    name: str
    notebook: Path
    out_dir: Path
    executed: Path
    html: Path | None
    charts: tuple[Path, ...]
    evidence: tuple[Path, ...]
    parameters: dict[str, Any]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, paths relative to ``out_dir``."""

        def rel(p: Path) -> str:
            return p.relative_to(self.out_dir).as_posix()

        return {
            "name": self.name,
            "notebook": str(self.notebook),
            "executed": rel(self.executed),
            "html": rel(self.html) if self.html else None,
            "charts": [rel(p) for p in self.charts],
            "evidence": [rel(p) for p in self.evidence],
            "parameters": self.parameters,
            "seconds": round(self.seconds, 3),
        }


def _kernel_env(out_dir: Path) -> dict[str, str]:
    """Variables the kernel gets: the output dir, and this pipbench first on the path."""
    root = str(Path(pipbench.__file__).resolve().parent.parent)
    pp = os.environ.get("PYTHONPATH")
    return {
        OUT_ENV: str(out_dir.resolve()),
        "PYTHONPATH": root + (os.pathsep + pp if pp else ""),
    }


def _kernel_manager_class(extra_env: dict[str, str]) -> type:
    """A kernel manager that starts its kernel with ``extra_env`` added.

    Passing the environment per kernel (rather than setting ``os.environ``) keeps runs
    independent: several can run at once in threads of one process.
    """
    from jupyter_client.manager import AsyncKernelManager

    class PipbenchKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw: Any) -> None:  # type: ignore[override]
            env = dict(kw.pop("env", None) or os.environ)
            env.update(extra_env)
            await AsyncKernelManager.start_kernel(self, env=env, **kw)

    return PipbenchKernelManager


def _error_from(err: Any, name: str, executed: Path) -> NotebookError:
    """Map papermill's PapermillExecutionError to a NotebookError on the source notebook."""
    import nbformat

    index = getattr(err, "cell_index", None)
    source_line = ""
    if index is not None:
        try:
            nb = nbformat.read(str(executed), as_version=4)
            # papermill puts an "An Exception was encountered" cell on top after the fact.
            cells = [
                c
                for c in nb.cells
                if "papermill-error-cell-tag" not in c.get("metadata", {}).get("tags", [])
            ]
            cell = cells[index]
            source_line = next((ln.strip() for ln in cell.source.splitlines() if ln.strip()), "")
            injected = [
                i
                for i, c in enumerate(cells)
                if "injected-parameters" in c.get("metadata", {}).get("tags", [])
            ]
            if injected and index > injected[0]:
                index -= 1
        except (OSError, ValueError, IndexError):
            pass
    if len(source_line) > 60:
        source_line = source_line[:57] + "..."
    return NotebookError(
        name,
        cell_index=index,
        execution_count=getattr(err, "exec_count", None),
        ename=str(getattr(err, "ename", type(err).__name__)),
        evalue=str(getattr(err, "evalue", err)),
        source_line=source_line,
        executed=executed,
    )


def _written_since(directory: Path, pattern: str, since: float) -> tuple[Path, ...]:
    if not directory.is_dir():
        return ()
    return tuple(sorted(p for p in directory.glob(pattern) if p.stat().st_mtime >= since))


def run_notebook(
    notebook: str | os.PathLike[str],
    parameters: Mapping[str, Any] | None = None,
    *,
    out_dir: str | os.PathLike[str],
    directory: str | os.PathLike[str] | None = None,
    from_strings: bool = False,
    kernel: str = "python3",
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = 600,
    html: bool = True,
    hide_code: bool = False,
) -> NotebookRun:
    """Run a parameterized notebook headless and collect its outputs into ``out_dir``.

    Parameters
    ----------
    notebook
        A name in the notebooks directory (``"slo_budget"``) or a path to an ``.ipynb``.
    parameters
        Values for the notebook's ``parameters`` cell; checked before the kernel starts.
    out_dir
        Where the outputs go (created); see the module docstring for the layout.
    directory
        Notebooks directory (default :func:`notebooks_dir`).
    from_strings
        The values are command-line strings to convert to each parameter's type.
    kernel
        Jupyter kernel name; ``python3`` is the interpreter running pipbench.
    cwd
        Working directory of the kernel (default: the notebook's directory, as in
        JupyterLab, so relative paths in a notebook mean the same in both).
    timeout
        Seconds a single cell may run (None: no limit).
    html
        Also write the HTML report.
    hide_code
        Leave code cells out of the HTML (an executive view).

    Returns
    -------
    NotebookRun

    Raises
    ------
    ConfigError
        Unknown notebook, unknown parameter or a value of the wrong type.
    NotebookError
        A cell raised; the executed notebook (and HTML) are written first.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    src = find_notebook(notebook, directory)
    name = src.stem
    declared = notebook_parameters(src)
    values = validate_parameters(
        declared, dict(parameters or {}), notebook=name, from_strings=from_strings
    )
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        msg = f"cannot create the output directory: {err.strerror}"
        raise InputError(msg, file=out) from None
    executed = out / f"{name}.ipynb"
    report = out / f"{name}.html" if html else None
    t0 = time.perf_counter()
    started = time.time() - 1.0  # files older than this are from earlier runs
    failure: NotebookError | None = None
    loggers = [logging.getLogger("papermill"), logging.getLogger("papermill.translators")]
    quiet = _DropUnknownParameter()
    for log in loggers:
        log.addFilter(quiet)
    try:
        papermill.execute_notebook(
            str(src),
            str(executed),
            parameters=values,
            kernel_name=kernel,
            cwd=str(cwd if cwd is not None else src.parent),
            progress_bar=False,
            log_output=False,
            execution_timeout=timeout,
            kernel_manager_class=_kernel_manager_class(_kernel_env(out)),
        )
    except PapermillExecutionError as err:
        failure = _error_from(err, name, executed)
    except Exception as err:  # kernel died, cell timeout, unreadable notebook
        failure = NotebookError(
            name,
            cell_index=None,
            execution_count=None,
            ename=type(err).__name__,
            evalue=str(err),
            executed=executed if executed.exists() else None,
        )
        failure.__cause__ = err
    finally:
        for log in loggers:
            log.removeFilter(quiet)
    seconds = time.perf_counter() - t0
    if report is not None and executed.exists():
        export_html(executed, report, hide_code=hide_code)
    if failure is not None:
        raise failure
    result = NotebookRun(
        name=name,
        notebook=src,
        out_dir=out,
        executed=executed,
        html=report,
        charts=_written_since(out / "charts", "*.*", started),
        evidence=_written_since(out / "evidence", "*.json", started),
        parameters=values,
        seconds=seconds,
    )
    (out / "run.json").write_text(json.dumps(result.as_dict(), indent=2, default=str) + "\n")
    return result
