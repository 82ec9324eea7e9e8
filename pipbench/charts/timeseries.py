"""Time-series charts: an SLI with its baseline band, change points, capacity over time.

Every builder takes plain frames (polars or pandas) with the columns documented in its
docstring and returns an :class:`altair.Chart` (or a layer/concat of charts); nothing is
displayed or written.
"""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import polars as pl

from pipbench.charts._data import axis_title, frame, time_x
from pipbench.charts.theme import PALETTE

__all__ = ["annotation_layer", "capacity_chart", "change_points_chart", "sli_chart"]

_ANNOTATION_KINDS = ["deploy", "flag", "incident"]


def annotation_layer(annotations: Any, *, builder: str = "annotation_layer") -> alt.LayerChart:
    """Vertical rules with labels for deploys, flag flips and incidents.

    Parameters
    ----------
    annotations
        Frame with ``timestamp`` (datetime) and ``text`` (string); optional ``kind``
        (``deploy``, ``flag``, ``incident``, …; colours the rule). The dataset's
        ``annotations`` table has these columns.

    Returns
    -------
    altair.LayerChart
        Rules plus their labels; layer it over a time chart with ``+``.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> ann = pl.DataFrame({"timestamp": [t[1]], "text": ["v2"], "kind": ["deploy"]})
    >>> [layer["mark"]["type"] for layer in annotation_layer(ann).to_dict()["layer"]]
    ['rule', 'text']
    """
    ann = frame(
        annotations,
        builder=builder,
        argument="annotations",
        required={"timestamp": "temporal", "text": "string"},
        optional={"kind": "string"},
        allow_empty=True,
    )
    if "kind" not in ann.columns:
        ann = ann.with_columns(kind=pl.lit("deploy"))
    ann = ann.select("timestamp", "text", pl.col("kind").fill_null("deploy"))
    kinds = [*_ANNOTATION_KINDS, *sorted(set(ann["kind"].to_list()) - set(_ANNOTATION_KINDS))]
    colour = alt.Color(
        "kind:N",
        title="annotation",
        scale=alt.Scale(domain=kinds, range=[PALETTE.get(k, PALETTE["baseline"]) for k in kinds]),
    )
    base = alt.Chart(ann)
    rules = base.mark_rule(strokeDash=[4, 3], strokeWidth=1.5).encode(
        x=time_x(), color=colour, tooltip=["timestamp:T", "kind:N", "text:N"]
    )
    labels = base.mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=10, angle=0).encode(
        x=time_x(), y=alt.value(0), text="text:N", color=alt.Color("kind:N", legend=None)
    )
    return alt.LayerChart(layer=[rules, labels])


def sli_chart(
    data: Any,
    *,
    annotations: Any = None,
    title: str = "SLI",
    value_title: str = "value",
    unit: str | None = None,
) -> alt.LayerChart:
    """An SLI over time with its baseline band, anomalies and deploy annotations.

    Parameters
    ----------
    data
        Frame with ``timestamp`` (datetime) and ``value`` (number). Optional columns:
        ``expected``, ``lower``, ``upper`` (numbers; the baseline and its band, drawn
        when ``lower`` and ``upper`` are present) and ``anomaly`` (boolean; points
        drawn where true).
    annotations
        Optional frame for :func:`annotation_layer` (deploys, flags, incidents).
    title, value_title, unit
        Chart title, y-axis title and its unit (``"s"``, ``"req/s"``, ``"%"``).

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(3)]
    >>> df = pl.DataFrame({"timestamp": t, "value": [1.0, 1.1, 3.0],
    ...                    "lower": [0.8] * 3, "upper": [1.3] * 3,
    ...                    "anomaly": [False, False, True]})
    >>> chart = sli_chart(df, title="p95 latency", value_title="p95", unit="s")
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['area', 'line', 'point']
    """
    df = frame(
        data,
        builder="sli_chart",
        argument="data",
        required={"timestamp": "temporal", "value": "numeric"},
        optional={
            "expected": "numeric",
            "lower": "numeric",
            "upper": "numeric",
            "anomaly": "boolean",
        },
    )
    y_title = axis_title(value_title, unit)
    base = alt.Chart(df)
    layers: list[alt.Chart | alt.LayerChart] = []
    if "lower" in df.columns and "upper" in df.columns:
        layers.append(
            base.mark_area(color=PALETTE["band"], opacity=0.7).encode(
                x=time_x(), y=alt.Y("lower:Q", title=y_title), y2="upper:Q"
            )
        )
    if "expected" in df.columns:
        layers.append(
            base.mark_line(color=PALETTE["baseline"], strokeDash=[5, 3], strokeWidth=1.2).encode(
                x=time_x(), y=alt.Y("expected:Q", title=y_title)
            )
        )
    tooltip = ["timestamp:T", alt.Tooltip("value:Q", format=".4g")]
    layers.append(
        base.mark_line(color=PALETTE["series"]).encode(
            x=time_x(), y=alt.Y("value:Q", title=y_title), tooltip=tooltip
        )
    )
    if "anomaly" in df.columns:
        layers.append(
            alt.Chart(df.filter(pl.col("anomaly").fill_null(value=False)))
            .mark_point(color=PALETTE["anomaly"], size=60, filled=True)
            .encode(x=time_x(), y=alt.Y("value:Q", title=y_title), tooltip=tooltip)
        )
    if annotations is not None:
        layers.append(annotation_layer(annotations, builder="sli_chart"))
    return alt.LayerChart(layer=layers).properties(title=title).resolve_scale(color="independent")


def segment_means(timestamps: Any, values: Any, change_points: Any) -> np.ndarray:
    """Mean of ``values`` within each segment between change points, one per point.

    A change point at time ``c`` starts a new segment that includes ``c``.

    Examples
    --------
    >>> segment_means([0, 1, 2, 3], [1.0, 3.0, 10.0, 20.0], [2]).tolist()
    [2.0, 2.0, 15.0, 15.0]
    """
    ts = np.asarray(timestamps)
    cps = np.sort(np.asarray(change_points, dtype=ts.dtype))
    seg = np.searchsorted(cps, ts, side="right")
    vals = np.asarray(values, dtype=float)
    sums = np.bincount(seg, weights=vals, minlength=len(cps) + 1)
    counts = np.bincount(seg, minlength=len(cps) + 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    return means[seg]


def change_points_chart(
    data: Any,
    change_points: Any,
    *,
    title: str = "Change points",
    value_title: str = "value",
    unit: str | None = None,
) -> alt.LayerChart:
    """A series with its change points and the mean of each segment between them.

    Parameters
    ----------
    data
        Frame with ``timestamp`` (datetime) and ``value`` (number).
    change_points
        Frame with ``timestamp`` (datetime) of each change; optional ``label`` (string,
        shown next to the rule). A change point starts a new segment.
    title, value_title, unit
        Chart title, y-axis title and unit.

    Returns
    -------
    altair.LayerChart
        Layers: series line, segment-mean step line, change rules, labels.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> df = pl.DataFrame({"timestamp": t, "value": [1.0, 1.0, 2.0, 2.0]})
    >>> chart = change_points_chart(df, pl.DataFrame({"timestamp": [t[2]]}), unit="s")
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['line', 'line', 'rule', 'text']
    """
    df = frame(
        data,
        builder="change_points_chart",
        argument="data",
        required={"timestamp": "temporal", "value": "numeric"},
    ).sort("timestamp")
    cps = frame(
        change_points,
        builder="change_points_chart",
        argument="change_points",
        required={"timestamp": "temporal"},
        optional={"label": "string"},
        allow_empty=True,
    )
    cps = cps.with_columns(pl.col("timestamp").cast(df.schema["timestamp"]))
    if "label" not in cps.columns:
        cps = cps.with_columns(label=pl.lit("change"))
    df = df.with_columns(
        segment_mean=pl.Series(
            segment_means(
                df["timestamp"].to_physical().to_numpy(),
                df["value"].to_numpy(),
                cps["timestamp"].to_physical().to_numpy(),
            )
        )
    )
    y_title = axis_title(value_title, unit)
    base = alt.Chart(df)
    series = base.mark_line(color=PALETTE["series"], opacity=0.8).encode(
        x=time_x(), y=alt.Y("value:Q", title=y_title), tooltip=["timestamp:T", "value:Q"]
    )
    means = base.mark_line(
        color=PALETTE["change"], interpolate="step-after", strokeWidth=2.5
    ).encode(x=time_x(), y=alt.Y("segment_mean:Q", title=y_title))
    rules = (
        alt.Chart(cps)
        .mark_rule(color=PALETTE["change"], strokeDash=[6, 3], strokeWidth=1.5)
        .encode(x=time_x(), tooltip=["timestamp:T", "label:N"])
    )
    labels = (
        alt.Chart(cps)
        .mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=10, color=PALETTE["change"])
        .encode(x=time_x(), y=alt.value(0), text="label:N")
    )
    return alt.LayerChart(layer=[series, means, rules, labels]).properties(title=title)


def capacity_chart(
    data: Any,
    *,
    title: str = "Replicas and queue length",
    annotations: Any = None,
) -> alt.VConcatChart:
    """Replicas (a step line) above queue length, on one shared time axis.

    Parameters
    ----------
    data
        Frame with ``timestamp`` (datetime), ``replicas`` (number) and
        ``queue_length`` (number); optional ``scenario`` (string) draws one line per
        scenario (e.g. two autoscaling policies).
    annotations
        Optional frame for :func:`annotation_layer`, drawn on both panels.

    Returns
    -------
    altair.VConcatChart

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> df = pl.DataFrame({"timestamp": t, "replicas": [1, 2, 2, 3], "queue_length": [5, 3, 1, 0]})
    >>> len(capacity_chart(df).to_dict()["vconcat"])
    2
    """
    df = frame(
        data,
        builder="capacity_chart",
        argument="data",
        required={"timestamp": "temporal", "replicas": "numeric", "queue_length": "numeric"},
        optional={"scenario": "string"},
    )
    has_scenario = "scenario" in df.columns
    colour: Any = (
        alt.Color("scenario:N", title="scenario") if has_scenario else alt.value(PALETTE["series"])
    )
    x = time_x()
    base = alt.Chart(df)
    replicas = base.mark_line(interpolate="step-after").encode(
        x=x,
        y=alt.Y("replicas:Q", title=axis_title("replicas", "count")),
        color=colour,
        tooltip=["timestamp:T", "replicas:Q", *(["scenario:N"] if has_scenario else [])],
    )
    queue = base.mark_line().encode(
        x=x,
        y=alt.Y("queue_length:Q", title=axis_title("queue length", "requests")),
        color=colour,
        tooltip=["timestamp:T", "queue_length:Q", *(["scenario:N"] if has_scenario else [])],
    )
    top: Any = replicas
    bottom: Any = queue
    if annotations is not None:
        ann = annotation_layer(annotations, builder="capacity_chart")
        # Scenario and annotation kind are different colour scales.
        top = alt.layer(replicas, ann).resolve_scale(color="independent")
        bottom = alt.layer(queue, ann).resolve_scale(color="independent")
    return alt.vconcat(
        top.properties(height=160), bottom.properties(height=160), title=title
    ).resolve_scale(x="shared")
