"""Distribution charts: canary vs baseline ECDFs with intervals, latency heatmaps."""

from __future__ import annotations

import datetime as dt
from typing import Any

import altair as alt
import numpy as np
import polars as pl

from pipbench.charts._data import axis_title, frame, time_x
from pipbench.charts.theme import PALETTE
from pipbench.errors import ConfigError

__all__ = [
    "ecdf_chart",
    "ecdf_frame",
    "heatmap_from_buckets",
    "heatmap_from_events",
    "latency_heatmap",
]


def ecdf_frame(data: Any, *, max_points: int = 500) -> pl.DataFrame:
    """The empirical CDF of ``value`` per ``group``, thinned to at most ``max_points`` steps.

    Parameters
    ----------
    data
        Frame with ``group`` (string, e.g. ``"baseline"``/``"canary"``) and ``value``
        (number, e.g. a request duration in seconds).
    max_points
        Upper bound on the rows kept per group; the kept rows are evenly spaced in
        rank and always include the largest value, so the curve reaches 1.

    Returns
    -------
    polars.DataFrame
        Columns ``group``, ``value`` and ``ecdf`` = (observations ≤ value) / (group
        size), the right-continuous ECDF evaluated at each kept value (once per value).

    Examples
    --------
    >>> import polars as pl
    >>> ecdf_frame(pl.DataFrame({"group": ["a"] * 4, "value": [3.0, 1.0, 2.0, 4.0]}))["ecdf"].to_list()
    [0.25, 0.5, 0.75, 1.0]
    """
    if max_points < 2:
        msg = f"ecdf_frame: max_points must be >= 2, got {max_points}"
        raise ConfigError(msg)
    df = frame(
        data,
        builder="ecdf_frame",
        argument="data",
        required={"group": "string", "value": "numeric"},
    )
    df = df.select(pl.col("group"), pl.col("value").cast(pl.Float64)).drop_nulls().drop_nans()
    parts = []
    # One numpy sort per group (a handful of groups), not a frame-wide string sort.
    for (name,), part in sorted(df.partition_by("group", as_dict=True).items()):
        v = np.sort(part["value"].to_numpy())
        n = v.size
        stride = max(1, -(-n // max_points))
        idx = np.unique(np.r_[np.arange(stride - 1, n, stride), n - 1])
        # #{x <= v[i]} / n: right-continuous, correct at tied values too.
        ecdf = np.searchsorted(v, v[idx], side="right") / n
        parts.append(pl.DataFrame({"group": name, "value": v[idx], "ecdf": ecdf}))
    return pl.concat(parts).unique(["group", "value"], keep="last", maintain_order=True)


def ecdf_chart(
    data: Any,
    *,
    intervals: Any = None,
    title: str = "Canary vs baseline",
    value_title: str = "latency",
    unit: str | None = "s",
    log_x: bool = False,
    max_points: int = 500,
) -> alt.LayerChart:
    """ECDFs of a measurement per group, with optional quantile intervals drawn on them.

    Parameters
    ----------
    data
        Frame with ``group`` (string) and ``value`` (number): raw observations, e.g.
        one request duration per row (see :func:`ecdf_frame`).
    intervals
        Optional frame with ``group`` (string), ``quantile`` (number in (0, 1)),
        ``estimate``, ``lower`` and ``upper`` (numbers, same unit as ``value``): e.g. the
        p95 of each group with its confidence interval. Drawn as a horizontal bar at
        height ``quantile`` from ``lower`` to ``upper`` with a dot at ``estimate``.
    title, value_title, unit
        Chart title, x-axis title and unit.
    log_x
        Log-scale the x axis (latency spans decades); values ≤ 0 are not drawn, but
        still count in the ECDF.
    max_points
        Passed to :func:`ecdf_frame`.

    Returns
    -------
    altair.LayerChart

    Examples
    --------
    >>> import polars as pl
    >>> data = pl.DataFrame({"group": ["baseline", "canary"] * 3,
    ...                      "value": [0.1, 0.2, 0.15, 0.3, 0.2, 0.4]})
    >>> iv = pl.DataFrame({"group": ["canary"], "quantile": [0.5], "estimate": [0.3],
    ...                    "lower": [0.2], "upper": [0.4]})
    >>> [layer["mark"]["type"] for layer in ecdf_chart(data, intervals=iv).to_dict()["layer"]]
    ['line', 'rule', 'point', 'text']
    """
    ecdf = ecdf_frame(data, max_points=max_points)
    if log_x:  # a log axis cannot place 0; the ECDF values stay those of all data
        ecdf = ecdf.filter(pl.col("value") > 0)
    groups = sorted(set(ecdf["group"].to_list()))
    # baseline/canary/control get their fixed colours; other group names the theme's.
    known = all(g in PALETTE for g in groups)
    scale = (
        alt.Scale(domain=groups, range=[PALETTE[g] for g in groups])
        if known
        else alt.Scale(domain=groups)
    )
    colour = alt.Color("group:N", title="group", scale=scale)
    x = alt.X(
        "value:Q",
        title=axis_title(value_title, unit),
        scale=alt.Scale(type="log") if log_x else alt.Scale(zero=False),
    )
    y = alt.Y("ecdf:Q", title="fraction of observations ≤ x", scale=alt.Scale(domain=[0, 1]))
    lines = (
        alt.Chart(ecdf)
        .mark_line(interpolate="step-after")
        .encode(x=x, y=y, color=colour, tooltip=["group:N", "value:Q", "ecdf:Q"])
    )
    layers: list[Any] = [lines]
    if intervals is not None:
        iv = frame(
            intervals,
            builder="ecdf_chart",
            argument="intervals",
            required={
                "group": "string",
                "quantile": "numeric",
                "estimate": "numeric",
                "lower": "numeric",
                "upper": "numeric",
            },
            allow_empty=True,
        )
        labels = (
            iv.group_by("quantile")
            .agg(pl.col("lower").min())
            .with_columns(
                label=pl.format(
                    "p{}",
                    (pl.col("quantile") * 100).round(1).cast(pl.String).str.strip_suffix(".0"),
                )
            )
        )
        base = alt.Chart(iv)
        tooltip = ["group:N", "quantile:Q", "estimate:Q", "lower:Q", "upper:Q"]
        layers += [
            base.mark_rule(strokeWidth=5, opacity=0.6).encode(
                x=alt.X("lower:Q"), x2="upper:Q", y="quantile:Q", color=colour, tooltip=tooltip
            ),
            base.mark_point(filled=True, size=70, shape="diamond").encode(
                x="estimate:Q", y="quantile:Q", color=colour, tooltip=tooltip
            ),
            alt.Chart(labels)
            .mark_text(align="right", dx=-8, fontSize=10, color="#333333")
            .encode(x="lower:Q", y="quantile:Q", text="label:N"),
        ]
    return alt.LayerChart(layer=layers).properties(title=title)


def heatmap_from_events(
    events: Any, *, every: str = "1m", bins: int = 30, duration: str = "duration_s"
) -> pl.DataFrame:
    """Count events per time bucket and log-spaced duration bin.

    Parameters
    ----------
    events
        Frame with ``timestamp`` (datetime) and ``duration_s`` (number, seconds): the
        dataset's ``events`` table.
    every
        Width of a time bucket, a polars duration string (``"1m"``, ``"5m"``, ``"1h"``).
    bins
        Number of duration bins, geometrically spaced between the smallest positive
        and the largest duration.
    duration
        Name of the duration column.

    Returns
    -------
    polars.DataFrame
        One row per non-empty cell: ``timestamp`` (bucket start), ``end`` (bucket end),
        ``lower``, ``upper`` (bin edges, seconds) and ``count``.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> events = pl.DataFrame({"timestamp": t, "duration_s": [0.1, 0.2, 0.4, 0.8]})
    >>> cells = heatmap_from_events(events, every="2m", bins=2)
    >>> cells.select(pl.col("lower", "upper").round(3), "count").rows()
    [(0.1, 0.283, 2), (0.283, 0.8, 2)]
    """
    if bins < 1:
        msg = f"heatmap_from_events: bins must be >= 1, got {bins}"
        raise ConfigError(msg)
    df = frame(
        events,
        builder="heatmap_from_events",
        argument="events",
        required={"timestamp": "temporal", duration: "numeric"},
    )
    d = df[duration].cast(pl.Float64).to_numpy()
    positive = d[np.isfinite(d) & (d > 0)]
    if positive.size == 0:
        msg = f"heatmap_from_events: no positive durations in column {duration!r}"
        raise ConfigError(msg)
    lo, hi = float(positive.min()), float(positive.max())
    if hi <= lo:
        hi = lo * 1.0001 + 1e-12
    edges = np.geomspace(lo, hi, bins + 1)
    b = np.clip(np.searchsorted(edges, d, side="right") - 1, 0, bins - 1)
    try:
        step = dt.timedelta(**_duration_kwargs(every))
    except ValueError as err:
        msg = f"heatmap_from_events: every={every!r} is not a duration like '1m', '5m', '1h'"
        raise ConfigError(msg) from err
    keep = np.isfinite(d) & (d > 0)
    cells = pl.DataFrame(
        {"timestamp": df["timestamp"], "lower": edges[b], "upper": edges[b + 1]}
    ).filter(pl.Series(keep))
    return (
        cells.with_columns(pl.col("timestamp").dt.truncate(every))
        .group_by("timestamp", "lower", "upper")
        .agg(count=pl.len())
        .with_columns(end=pl.col("timestamp") + step)
        .select("timestamp", "end", "lower", "upper", "count")
        .sort("timestamp", "lower")
    )


def _duration_kwargs(every: str) -> dict[str, int]:
    units = {"ms": "milliseconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
    for suffix in ("ms", "s", "m", "h", "d"):
        if every.endswith(suffix) and every[: -len(suffix)].isdigit():
            return {units[suffix]: int(every[: -len(suffix)])}
    raise ValueError(every)


def heatmap_from_buckets(samples: Any, *, metric: str) -> pl.DataFrame:
    """Per-interval counts per latency bucket from a cumulative classic histogram.

    Follows Prometheus semantics: each series (the metric plus all its labels) is a
    cumulative counter, so its per-interval count is the increase since the previous
    scrape (a decrease is a counter reset: the new value is the increase); bucket
    counts are cumulative in ``le``, so a bin's count is its bucket minus the next
    lower one. Series differing only in other labels (instances) are summed.

    Parameters
    ----------
    samples
        The dataset's ``samples`` table (``timestamp``, ``metric``, ``value``, ``le``
        and other label columns).
    metric
        The histogram's bucket metric, e.g. ``"http_request_duration_seconds_bucket"``.

    Returns
    -------
    polars.DataFrame
        ``timestamp`` (interval start: previous scrape), ``end`` (this scrape),
        ``lower``, ``upper`` (bucket bounds in the metric's unit; the ``+Inf`` bucket is
        drawn up to twice the largest finite bound) and ``count``.

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> samples = pl.DataFrame({
    ...     "timestamp": [t[0], t[0], t[1], t[1]], "metric": ["h_bucket"] * 4,
    ...     "le": ["0.5", "+Inf"] * 2, "value": [1.0, 2.0, 4.0, 6.0]})
    >>> heatmap_from_buckets(samples, metric="h_bucket")["count"].to_list()
    [3.0, 1.0]
    """
    df = frame(
        samples,
        builder="heatmap_from_buckets",
        argument="samples",
        required={"timestamp": "temporal", "metric": "string", "value": "numeric", "le": "string"},
    ).filter(pl.col("metric") == metric)
    if df.height == 0:
        msg = f"heatmap_from_buckets: no samples of metric {metric!r}"
        raise ConfigError(msg)
    labels = [c for c in df.columns if c not in ("timestamp", "value", "source", "metric", "le")]
    labels = [c for c in labels if df[c].null_count() < df.height]
    le = pl.col("le").str.replace(r"^\+?Inf$", "inf").cast(pl.Float64, strict=False)
    df = df.with_columns(le_f=le).filter(pl.col("le_f").is_not_null())
    series = [*labels, "le"]
    inc = (
        df.sort([*series, "timestamp"])
        .with_columns(
            start=pl.col("timestamp").shift(1).over(series),
            delta=pl.col("value").diff().over(series),
        )
        .filter(pl.col("start").is_not_null())
        .with_columns(
            increase=pl.when(pl.col("delta") < 0).then(pl.col("value")).otherwise(pl.col("delta"))
        )
        .group_by("start", "timestamp", "le_f")
        .agg(pl.col("increase").sum())
        .sort("start", "timestamp", "le_f")
    )
    finite = inc.filter(pl.col("le_f").is_finite())["le_f"]
    top = 2.0 * float(finite.cast(pl.Float64).max() or 0.5) if finite.len() else 1.0  # type: ignore[arg-type]
    return (
        inc.with_columns(
            count=pl.col("increase")
            - pl.col("increase").shift(1, fill_value=0.0).over("start", "timestamp"),
            lower=pl.col("le_f").shift(1, fill_value=0.0).over("start", "timestamp"),
        )
        .select(
            pl.col("start").alias("timestamp"),
            pl.col("timestamp").alias("end"),
            "lower",
            upper=pl.when(pl.col("le_f").is_infinite()).then(top).otherwise(pl.col("le_f")),
            count=pl.col("count"),
        )
        .sort("timestamp", "lower")
    )


def latency_heatmap(
    cells: Any,
    *,
    title: str = "Latency heatmap",
    value_title: str = "latency",
    unit: str | None = "s",
    log_y: bool = True,
) -> alt.Chart:
    """A heatmap of counts over time (x) and latency bins (y).

    Parameters
    ----------
    cells
        Frame with ``timestamp``, ``end`` (datetimes), ``lower``, ``upper`` (numbers) and
        ``count`` (number): the output of :func:`heatmap_from_events` or
        :func:`heatmap_from_buckets`.
    log_y
        Log-scale latency. A bin starting at 0 is drawn from half its upper bound.

    Returns
    -------
    altair.Chart

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> cells = heatmap_from_events(pl.DataFrame({"timestamp": t, "duration_s": [0.1, 0.2, 0.4, 0.8]}))
    >>> latency_heatmap(cells).to_dict()["mark"]["type"]
    'rect'
    """
    df = frame(
        cells,
        builder="latency_heatmap",
        argument="cells",
        required={
            "timestamp": "temporal",
            "end": "temporal",
            "lower": "numeric",
            "upper": "numeric",
            "count": "numeric",
        },
    )
    if log_y:
        df = df.with_columns(
            lower=pl.when(pl.col("lower") <= 0).then(pl.col("upper") / 2).otherwise(pl.col("lower"))
        )
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=time_x(),
            x2="end:T",
            y=alt.Y(
                "lower:Q",
                title=axis_title(value_title, unit),
                scale=alt.Scale(type="log") if log_y else alt.Scale(zero=True),
            ),
            y2="upper:Q",
            color=alt.Color("count:Q", title="count", scale=alt.Scale(scheme="blues")),
            tooltip=["timestamp:T", "end:T", "lower:Q", "upper:Q", "count:Q"],
        )
        .properties(title=title)
    )
