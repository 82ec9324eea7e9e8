"""The pipbench Altair theme: one readable look for every chart.

The theme is registered with Altair under :data:`THEME` when :mod:`pipbench.charts` is
imported, but not enabled: enabling a theme is global state, so it is the caller's choice
(:func:`use_theme`, or :func:`pipbench.notebooks.setup` in a notebook). :func:`save_chart`
always renders with it.

Examples
--------
>>> import altair as alt
>>> from pipbench.charts import THEME, use_theme
>>> THEME in alt.theme.names()
True
>>> with use_theme():
...     alt.theme.active == THEME
True
"""

from __future__ import annotations

import altair as alt
from altair.utils.plugin_registry import PluginEnabler

__all__ = ["PALETTE", "THEME", "theme_config", "use_theme"]

#: Name of the registered Altair theme.
THEME = "pipbench"

#: Colours by role, so the same thing is the same colour in every chart.
PALETTE: dict[str, str] = {
    "series": "#1f4e79",  # the SLI / main measurement
    "baseline": "#7f7f7f",  # expected value and its band
    "band": "#c9d6e3",
    "anomaly": "#d62728",
    "deploy": "#9467bd",
    "flag": "#8c564b",
    "incident": "#e377c2",
    "change": "#ff7f0e",
    "canary": "#d95f02",
    "control": "#1b9e77",
    "ok": "#2ca02c",
    "page": "#d62728",
    "ticket": "#ff7f0e",
    "frontier": "#d62728",
    "dominated": "#9fb3c8",
}

_FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"


def theme_config() -> alt.theme.ThemeConfig:
    """Return the theme as a Vega-Lite config dict (what Altair's registry calls)."""
    return {
        "config": {
            "font": _FONT,
            "background": "white",
            "view": {"continuousWidth": 640, "continuousHeight": 260, "stroke": None},
            "title": {"fontSize": 15, "anchor": "start", "subtitleColor": "#555555"},
            "axis": {
                "labelFontSize": 11,
                "titleFontSize": 12,
                "titleFontWeight": "normal",
                "gridColor": "#e6e6e6",
                "domainColor": "#888888",
                "tickColor": "#888888",
            },
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "header": {"labelFontSize": 12, "titleFontSize": 12},
            "line": {"strokeWidth": 1.8},
            "point": {"size": 40, "filled": True},
            "range": {
                "category": [
                    "#1f4e79",
                    "#d95f02",
                    "#1b9e77",
                    "#7570b3",
                    "#e7298a",
                    "#66a61e",
                    "#e6ab02",
                    "#a6761d",
                ],
            },
        }
    }


alt.theme.register(THEME, enable=False)(theme_config)


def use_theme() -> PluginEnabler:
    """Enable the pipbench theme; use as a context manager to restore the previous one.

    Returns
    -------
    PluginEnabler
        Altair's enabler; ``with use_theme(): ...`` scopes the change.
    """
    return alt.theme.enable(THEME)
