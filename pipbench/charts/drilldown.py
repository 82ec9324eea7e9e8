"""The drill-down: which dimension values explain a regression."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from pipbench.charts._data import frame
from pipbench.charts.theme import PALETTE

__all__ = ["drilldown_chart"]


def drilldown_chart(
    data: Any, *, title: str = "Where the regression comes from", top: int | None = 15
) -> alt.Chart:
    """Contribution share next to traffic share for each dimension value.

    A value whose contribution to the regression is far above its share of traffic is
    the suspect; bars are sorted by contribution.

    Parameters
    ----------
    data
        Frame with ``value`` (string: the dimension value, e.g. ``"/checkout"``),
        ``contribution`` (number: its share of the regression, e.g. 0.8) and
        ``traffic`` (number: its share of requests). Optional ``dimension``
        (string, e.g. ``"endpoint"``) prefixes the label.
    top
        Keep the ``top`` values by contribution (None keeps all).

    Returns
    -------
    altair.Chart
        Horizontal bars, two per value (``contribution`` and ``traffic``).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"value": ["/a", "/b"], "contribution": [0.9, 0.1],
    ...                    "traffic": [0.2, 0.8]})
    >>> drilldown_chart(df).to_dict()["mark"]["type"]
    'bar'
    """
    df = frame(
        data,
        builder="drilldown_chart",
        argument="data",
        required={"value": "string", "contribution": "numeric", "traffic": "numeric"},
        optional={"dimension": "string"},
    )
    label = (
        pl.concat_str(pl.col("dimension"), pl.lit("="), pl.col("value"))
        if "dimension" in df.columns
        else pl.col("value")
    )
    df = df.with_columns(label=label).sort("contribution", descending=True)
    if top is not None:
        df = df.head(top)
    order = df["label"].to_list()
    long = df.unpivot(
        index="label", on=["contribution", "traffic"], variable_name="share of", value_name="share"
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=order),
            yOffset=alt.YOffset("share of:N", sort=["contribution", "traffic"]),
            x=alt.X("share:Q", title="share (%)", axis=alt.Axis(format="%")),
            color=alt.Color(
                "share of:N",
                title="share of",
                scale=alt.Scale(
                    domain=["contribution", "traffic"],
                    range=[PALETTE["anomaly"], PALETTE["baseline"]],
                ),
                sort=["contribution", "traffic"],
            ),
            tooltip=["label:N", "share of:N", alt.Tooltip("share:Q", format=".1%")],
        )
        .properties(title=title, height=alt.Step(12))
    )
