"""Simulation trade-off curves with the Pareto frontier highlighted."""

from __future__ import annotations

from typing import Any

import altair as alt
import numpy as np
import polars as pl

from pipbench.charts._data import axis_title, frame
from pipbench.charts.theme import PALETTE

__all__ = ["pareto_mask", "tradeoff_chart"]


def pareto_mask(x: Any, y: Any, *, minimize: tuple[bool, bool] = (True, True)) -> np.ndarray:
    """Which points are Pareto-optimal (not dominated by any other point).

    A point dominates another when it is at least as good in both objectives and
    strictly better in one. Identical points do not dominate each other.

    Parameters
    ----------
    x, y
        The two objectives, one value per point (e.g. cost and p99 latency).
    minimize
        For each objective, whether lower is better.

    Returns
    -------
    numpy.ndarray of bool
        True for the points on the frontier. O(n log n).

    Examples
    --------
    >>> pareto_mask([1, 2, 3, 2], [3, 1, 2, 2]).tolist()
    [True, True, False, False]
    """
    xs = np.asarray(x, dtype=float) * (1 if minimize[0] else -1)
    ys = np.asarray(y, dtype=float) * (1 if minimize[1] else -1)
    if xs.shape != ys.shape or xs.ndim != 1:
        msg = f"pareto_mask: x and y must be 1-d of equal length, got {xs.shape} and {ys.shape}"
        raise ValueError(msg)
    n = xs.size
    mask = np.zeros(n, dtype=bool)
    if n == 0:
        return mask
    order = np.lexsort((ys, xs))  # by x, then y
    sx, sy = xs[order], ys[order]
    prev_min = np.concatenate(([np.inf], np.minimum.accumulate(sy)[:-1]))
    front = sy < prev_min
    # A point equal to a frontier point is not dominated by it: keep duplicates.
    pos = np.flatnonzero(front)
    if pos.size == 0:  # only NaN or infinite values
        return mask
    last_front = pos[np.maximum(np.searchsorted(pos, np.arange(n), side="right") - 1, 0)]
    front |= (sx == sx[last_front]) & (sy == sy[last_front])
    mask[order] = front
    return mask


def tradeoff_chart(
    data: Any,
    *,
    x: str,
    y: str,
    label: str | None = None,
    x_title: str | None = None,
    y_title: str | None = None,
    x_unit: str | None = None,
    y_unit: str | None = None,
    minimize: tuple[bool, bool] = (True, True),
    title: str = "Trade-off",
) -> alt.LayerChart:
    """A scatter of policies on two objectives with the Pareto frontier drawn as a line.

    Parameters
    ----------
    data
        Frame with one row per simulated policy: numeric columns ``x`` and ``y`` (named
        by the arguments), optional string/number ``label`` column (e.g. the TTL or the
        replica count) printed next to frontier points.
    x, y
        Column names of the two objectives (e.g. ``"cost_per_hour"``, ``"p99_s"``).
    x_title, y_title, x_unit, y_unit
        Axis titles (default: the column names) and units.
    minimize
        For each objective whether lower is better (see :func:`pareto_mask`).

    Returns
    -------
    altair.LayerChart
        Layers: frontier line, points coloured frontier/dominated, frontier labels.

    Examples
    --------
    >>> import polars as pl
    >>> sims = pl.DataFrame({"replicas": [2, 3, 4], "cost": [2.0, 3.0, 4.0], "p99_s": [0.9, 0.4, 0.5]})
    >>> chart = tradeoff_chart(sims, x="cost", y="p99_s", label="replicas", x_unit="$/h", y_unit="s")
    >>> [layer["mark"]["type"] for layer in chart.to_dict()["layer"]]
    ['line', 'point', 'text']
    """
    cols: dict[str, Any] = {x: "numeric", y: "numeric"}
    df = frame(data, builder="tradeoff_chart", argument="data", required=cols)
    if label is not None:
        frame(df, builder="tradeoff_chart", argument="data", required={label: "any"})
    df = df.with_columns(
        pareto=pl.Series(pareto_mask(df[x].to_numpy(), df[y].to_numpy(), minimize=minimize))
    ).with_columns(
        point=pl.when("pareto").then(pl.lit("Pareto frontier")).otherwise(pl.lit("dominated"))
    )
    xt = axis_title(x_title or x, x_unit)
    yt = axis_title(y_title or y, y_unit)
    tooltip = [f"{x}:Q", f"{y}:Q", *([f"{label}:N"] if label else [])]
    frontier = df.filter("pareto").sort(x)
    enc_x = alt.X(f"{x}:Q", title=xt, scale=alt.Scale(zero=False))
    enc_y = alt.Y(f"{y}:Q", title=yt, scale=alt.Scale(zero=False))
    layers: list[Any] = [
        alt.Chart(frontier)
        .mark_line(color=PALETTE["frontier"], strokeWidth=1.5)
        .encode(x=enc_x, y=enc_y, order=f"{x}:Q"),
        alt.Chart(df)
        .mark_point(filled=True, size=60)
        .encode(
            x=enc_x,
            y=enc_y,
            color=alt.Color(
                "point:N",
                title=None,
                scale=alt.Scale(
                    domain=["Pareto frontier", "dominated"],
                    range=[PALETTE["frontier"], PALETTE["dominated"]],
                ),
            ),
            tooltip=tooltip,
        ),
    ]
    if label is not None:
        layers.append(
            alt.Chart(frontier.with_columns(pl.col(label).cast(pl.String)))
            .mark_text(align="left", dx=6, dy=-6, fontSize=10, color=PALETTE["frontier"])
            .encode(x=enc_x, y=enc_y, text=f"{label}:N")
        )
    return alt.LayerChart(layer=layers).properties(title=title)
