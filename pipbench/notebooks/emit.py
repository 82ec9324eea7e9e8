"""What a notebook calls to hand its charts and evidence to the report.

The convention: a notebook calls :func:`setup` once, then :func:`emit_chart` for each
chart worth keeping and :func:`emit_evidence` for each result worth citing. They write
into the run's output directory, which :func:`~pipbench.notebooks.run_notebook` passes
to the kernel in the ``PIPBENCH_OUT`` environment variable::

    OUT/charts/<name>.png, OUT/charts/<name>.svg    from emit_chart
    OUT/evidence/<name>.json                         from emit_evidence

Opened by hand in JupyterLab (no ``PIPBENCH_OUT``), they write under
``./pipbench-out/`` next to the notebook.

Examples
--------
>>> import os, tempfile, json, altair as alt, polars as pl
>>> from pipbench.notebooks import emit_chart, emit_evidence
>>> os.environ["PIPBENCH_OUT"] = tempfile.mkdtemp()
>>> chart = alt.Chart(pl.DataFrame({"x": [1, 2]})).mark_point().encode(x="x")
>>> _ = emit_chart("points", chart, formats=("svg",))
>>> path = emit_evidence("verdict", {"passed": True, "p95_s": 0.21})
>>> json.loads(path.read_text())["p95_s"]
0.21
>>> del os.environ["PIPBENCH_OUT"]
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
from collections.abc import Sequence
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from pipbench.errors import ConfigError

if TYPE_CHECKING:
    from altair import TopLevelMixin

__all__ = ["OUT_ENV", "emit_chart", "emit_evidence", "output_dir", "setup", "short_errors"]

#: Environment variable naming the directory a notebook writes its outputs into.
OUT_ENV = "PIPBENCH_OUT"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def output_dir() -> Path:
    """The run's output directory: ``$PIPBENCH_OUT``, else ``./pipbench-out``."""
    return Path(os.environ.get(OUT_ENV) or "pipbench-out")


def _check_name(name: str, what: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name) or name.endswith("."):
        msg = (
            f"{what}: name {name!r} must be letters, digits, '_', '-' or '.', "
            "starting with a letter or digit (it becomes a file name)"
        )
        raise ConfigError(msg)
    return name


_BOTH = "pipbench-svg-png"


def _svg_and_png(spec: dict[str, Any], **metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """An Altair renderer giving SVG and PNG in one output (viewers pick what they show)."""
    import base64

    import vl_convert as vlc

    svg = vlc.vegalite_to_svg(spec)
    png = vlc.vegalite_to_png(spec, scale=1.5)
    return {"image/svg+xml": svg, "image/png": base64.b64encode(png).decode()}, {}


def setup(*, renderer: str = "svg") -> None:
    """Prepare a notebook kernel: the pipbench chart theme and an offline renderer.

    Parameters
    ----------
    renderer
        ``"svg"`` (default: charts become SVG outputs, crisp in the HTML report and
        drawn with no JavaScript), ``"png"``, or ``"svg+png"`` (both in each output:
        the HTML report shows the SVG, and JupyterLab shows the PNG of a notebook that
        papermill executed, which it does not trust with SVG; twice the render time).
        All work offline; Altair's default renderer needs a CDN.
    """
    import altair as alt

    from pipbench.charts import use_theme

    names = {"svg": "svg", "png": "png", "svg+png": _BOTH}
    if renderer not in names:
        msg = f"setup: renderer must be one of {', '.join(map(repr, names))}, got {renderer!r}"
        raise ConfigError(msg)
    if _BOTH not in alt.renderers.names():
        alt.renderers.register(_BOTH, _svg_and_png)
    use_theme()
    alt.renderers.enable(names[renderer])
    short_errors()


def short_errors() -> bool:
    """Show pipbench's own errors in a notebook as one line, not a traceback.

    A missing dataset, a bad parameter or an empty selection raises a
    :class:`~pipbench.errors.PipbenchError` whose message already says what is wrong
    and where; the cell shows ``InputError: datasets/x: no such dataset`` and the run
    stops there. Other exceptions keep their full traceback. Returns False outside
    IPython (nothing to do). :func:`setup` calls it.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipykernel is a dependency
        return False
    shell = get_ipython()
    if shell is None:
        return False
    from pipbench.errors import PipbenchError

    def one_line(
        self: Any, etype: type, value: BaseException, tb: Any, tb_offset: Any = None
    ) -> list[str]:
        stb = [f"{etype.__name__}: {value}"]
        self._showtraceback(etype, value, stb)
        return stb

    shell.set_custom_exc((PipbenchError,), one_line)
    return True


def emit_chart(
    name: str, chart: TopLevelMixin, *, formats: Sequence[str] = ("png", "svg")
) -> TopLevelMixin:
    """Save ``chart`` as ``charts/<name>.<format>`` in the output directory.

    Returns the chart, so ``emit_chart("sli", chart)`` as a cell's last line also
    displays it.
    """
    from pipbench.charts import save_chart

    _check_name(name, "emit_chart")
    bad = [f for f in formats if f not in ("png", "svg", "html", "json")]
    if bad:
        msg = f"emit_chart: formats must be among png, svg, html, json; got {bad}"
        raise ConfigError(msg)
    for fmt in formats:
        save_chart(chart, output_dir() / "charts" / f"{name}.{fmt}")
    return chart


def _default(obj: Any) -> Any:
    if hasattr(obj, "model_dump"):  # pydantic
        return obj.model_dump(mode="json")
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, Enum):
        return obj.value
    if isinstance(obj, Path):
        return obj.as_posix()
    if isinstance(obj, dt.timedelta):
        return obj.total_seconds()
    if isinstance(obj, set | frozenset):
        return sorted(obj, key=repr)
    mod = type(obj).__module__
    if mod.startswith("polars"):
        import polars as pl

        if isinstance(obj, pl.LazyFrame):
            obj = obj.collect()
        if isinstance(obj, pl.DataFrame):
            return obj.to_dicts()
        if isinstance(obj, pl.Series):
            return obj.to_list()
    if mod.startswith("pandas"):
        if hasattr(obj, "to_dict") and hasattr(obj, "columns"):
            return obj.to_dict(orient="records")
        if hasattr(obj, "tolist"):
            return obj.tolist()
    if hasattr(obj, "tolist"):  # numpy scalars beyond orjson's native support
        return obj.tolist()
    msg = f"emit_evidence: cannot write a {type(obj).__name__} as JSON"
    raise TypeError(msg)


def emit_evidence(name: str, obj: Any) -> Path:
    """Write ``obj`` as ``evidence/<name>.json`` in the output directory.

    Accepts JSON-able values plus pydantic models (a PIP record, a verdict), dataclasses,
    polars/pandas frames (as lists of records), numpy arrays and scalars, datetimes
    (ISO 8601) and enums. NaN becomes ``null``.
    """
    _check_name(name, "emit_evidence")
    try:
        data = orjson.dumps(
            obj,
            default=_default,
            option=orjson.OPT_INDENT_2
            | orjson.OPT_SERIALIZE_NUMPY
            | orjson.OPT_NON_STR_KEYS
            | orjson.OPT_SORT_KEYS,
        )
    except TypeError as err:
        msg = f"emit_evidence({name!r}): {err}"
        raise ConfigError(msg) from None
    path = output_dir() / "evidence" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data + b"\n")
    tmp.replace(path)
    return path
