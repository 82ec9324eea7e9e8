"""Export charts to PNG, SVG, offline HTML or Vega-Lite JSON: no browser, no network.

PNG and SVG come from vl-convert (Vega compiled in, no browser); HTML pages bundle the
Vega JavaScript inline (about 0.9 MB each), so they render with no network. Altair's own
``chart.save("x.html")`` loads Vega from a CDN and shows a blank page offline: use
:func:`save_chart`.

Examples
--------
>>> import tempfile, pathlib, altair as alt, polars as pl
>>> from pipbench.charts import save_chart
>>> chart = alt.Chart(pl.DataFrame({"x": [1, 2], "y": [3, 4]})).mark_line().encode(x="x", y="y")
>>> out = save_chart(chart, pathlib.Path(tempfile.mkdtemp()) / "c.svg")
>>> out.read_text()[:4]
'<svg'
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import altair as alt
import vl_convert as vlc

from pipbench.charts.theme import THEME
from pipbench.errors import ConfigError

__all__ = ["FORMATS", "chart_html", "chart_spec", "save_chart"]

#: File suffixes :func:`save_chart` writes.
FORMATS = (".png", ".svg", ".html", ".json")


def _vl_version(spec: dict[str, Any]) -> str | None:
    """The vl-convert library version matching the spec's ``$schema`` (None: latest)."""
    schema = spec.get("$schema", "")
    # ".../vega-lite/v6.4.1.json" -> "6.4"
    try:
        major_minor = ".".join(schema.rsplit("/v", 1)[1].split(".")[:2])
    except IndexError:
        return None
    return major_minor if major_minor in vlc.get_vegalite_versions() else None


def chart_spec(chart: alt.TopLevelMixin, *, theme: str | None = THEME) -> dict[str, Any]:
    """The chart's Vega-Lite spec as a dict, rendered with ``theme`` (None: the active one)."""
    if theme is None:
        return chart.to_dict()
    with alt.theme.enable(theme):
        return chart.to_dict()


def chart_html(chart: alt.TopLevelMixin, *, theme: str | None = THEME) -> str:
    """A standalone HTML page for the chart with Vega inlined (renders offline)."""
    spec = chart_spec(chart, theme=theme)
    return vlc.vegalite_to_html(spec, vl_version=_vl_version(spec), bundle=True)


def save_chart(
    chart: alt.TopLevelMixin,
    path: str | os.PathLike[str],
    *,
    scale: float = 2.0,
    theme: str | None = THEME,
) -> Path:
    """Write a chart to ``path``; the suffix picks the format (see :data:`FORMATS`).

    Parameters
    ----------
    chart
        Any Altair top-level chart (``Chart``, layer, concat).
    path
        Destination: ``.png``, ``.svg``, ``.html`` (Vega inlined, offline) or ``.json``
        (the Vega-Lite spec). Parent directories are created.
    scale
        Pixel scale for PNG (2 = sharp on high-DPI screens and in documents).
    theme
        Altair theme to render with; the pipbench theme by default, None for the
        currently active theme.

    Returns
    -------
    pathlib.Path
        The written file.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        msg = f"save_chart: cannot write {path.name!r}: suffix must be one of {', '.join(FORMATS)}"
        raise ConfigError(msg)
    spec = chart_spec(chart, theme=theme)
    version = _vl_version(spec)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    if suffix == ".png":
        tmp.write_bytes(vlc.vegalite_to_png(spec, vl_version=version, scale=scale))
    elif suffix == ".svg":
        tmp.write_text(vlc.vegalite_to_svg(spec, vl_version=version), encoding="utf-8")
    elif suffix == ".html":
        html = vlc.vegalite_to_html(spec, vl_version=version, bundle=True)
        tmp.write_text(html, encoding="utf-8")
    else:
        tmp.write_text(json.dumps(spec, indent=1, default=str), encoding="utf-8")
    tmp.replace(path)
    return path
