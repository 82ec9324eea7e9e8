"""Parameterized notebooks: run them headless, collect their charts and evidence, index them.

Inside a notebook (the convention every pipbench notebook follows)::

    # first cell, tagged "parameters"
    dataset = "../datasets/demo"
    window_days: int = 28

    # then
    from pipbench import notebooks
    notebooks.setup()                       # theme + offline SVG renderer
    ...
    notebooks.emit_chart("sli", chart)      # -> OUT/charts/sli.png, .svg
    notebooks.emit_evidence("verdict", v)   # -> OUT/evidence/verdict.json

From Python or the CLI (``pipbench notebook run NAME -p KEY VALUE --out DIR``)::

    run = run_notebook("slo_budget", {"window_days": 7}, out_dir="reports/slo")
    write_index("reports", entries_for_run(run, view="on-call"))
"""

from pipbench.notebooks.emit import (
    OUT_ENV,
    emit_chart,
    emit_evidence,
    output_dir,
    setup,
    short_errors,
)
from pipbench.notebooks.export import export_html
from pipbench.notebooks.index import VIEWS, ReportEntry, entries_for_run, write_index
from pipbench.notebooks.params import Parameter, notebook_parameters, validate_parameters
from pipbench.notebooks.run import (
    NOTEBOOKS_ENV,
    NotebookError,
    NotebookInfo,
    NotebookRun,
    find_notebook,
    list_notebooks,
    notebooks_dir,
    run_notebook,
)

__all__ = [
    "NOTEBOOKS_ENV",
    "OUT_ENV",
    "VIEWS",
    "NotebookError",
    "NotebookInfo",
    "NotebookRun",
    "Parameter",
    "ReportEntry",
    "emit_chart",
    "emit_evidence",
    "entries_for_run",
    "export_html",
    "find_notebook",
    "list_notebooks",
    "notebook_parameters",
    "notebooks_dir",
    "output_dir",
    "run_notebook",
    "setup",
    "short_errors",
    "validate_parameters",
    "write_index",
]
