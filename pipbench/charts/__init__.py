"""Altair chart builders for PIPs, with one theme, and offline export.

Every builder takes plain frames (polars or pandas; the columns each needs are listed in
its docstring), checks them (a missing column or an empty selection raises
:class:`~pipbench.errors.ConfigError` naming it) and returns an Altair chart; nothing
is displayed or written. Export with :func:`save_chart` (PNG/SVG via vl-convert, HTML
with Vega inlined): no browser, no network.

========================  ==============================================================
:func:`sli_chart`         an SLI with its baseline band, anomalies and annotations
:func:`change_points_chart`  a series, its change points and segment means
:func:`drilldown_chart`   contribution vs traffic share per dimension value
:func:`ecdf_chart`        canary vs baseline ECDFs with quantile intervals
:func:`burn_down_chart`   error budget remaining, burn rate, burn-rate alert intervals
:func:`latency_heatmap`   counts per time × latency bin (:func:`heatmap_from_events`,
                          :func:`heatmap_from_buckets` build the cells)
:func:`tradeoff_chart`    simulated policies on two objectives, Pareto frontier drawn
:func:`capacity_chart`    replicas and queue length over time
========================  ==============================================================

Examples
--------
>>> import datetime as dt, polars as pl
>>> from pipbench import charts
>>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(3)]
>>> chart = charts.sli_chart(pl.DataFrame({"timestamp": t, "value": [1.0, 2.0, 1.5]}))
>>> "layer" in charts.chart_spec(chart)
True
"""

from pipbench.charts.distributions import (
    ecdf_chart,
    ecdf_frame,
    heatmap_from_buckets,
    heatmap_from_events,
    latency_heatmap,
)
from pipbench.charts.drilldown import drilldown_chart
from pipbench.charts.export import FORMATS, chart_html, chart_spec, save_chart
from pipbench.charts.slo import burn_down_chart
from pipbench.charts.theme import PALETTE, THEME, theme_config, use_theme
from pipbench.charts.timeseries import (
    annotation_layer,
    capacity_chart,
    change_points_chart,
    segment_means,
    sli_chart,
)
from pipbench.charts.tradeoff import pareto_mask, tradeoff_chart

__all__ = [
    "FORMATS",
    "PALETTE",
    "THEME",
    "annotation_layer",
    "burn_down_chart",
    "capacity_chart",
    "change_points_chart",
    "chart_html",
    "chart_spec",
    "drilldown_chart",
    "ecdf_chart",
    "ecdf_frame",
    "heatmap_from_buckets",
    "heatmap_from_events",
    "latency_heatmap",
    "pareto_mask",
    "save_chart",
    "segment_means",
    "sli_chart",
    "theme_config",
    "tradeoff_chart",
    "use_theme",
]
