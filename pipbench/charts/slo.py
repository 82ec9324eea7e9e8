"""Error-budget charts: budget burn-down, burn rate and burn-rate alerts on one timeline."""

from __future__ import annotations

from typing import Any

import altair as alt
import polars as pl

from pipbench.charts._data import frame, time_x
from pipbench.charts.theme import PALETTE

__all__ = ["burn_down_chart"]


def burn_down_chart(
    budget: Any,
    *,
    alerts: Any = None,
    title: str = "Error budget",
    slo_label: str | None = None,
) -> alt.VConcatChart:
    """Error budget remaining over time, burn rate, and alert intervals below it.

    Parameters
    ----------
    budget
        Frame with ``timestamp`` (datetime) and ``remaining`` (number: the fraction of
        the window's error budget left, 1 = untouched, 0 = exhausted, negative =
        overspent). Optional ``burn_rate`` (number; 1 = spending exactly the budget
        over the window) adds a burn-rate panel.
    alerts
        Optional frame with ``start``, ``end`` (datetimes; a null ``end`` means still
        firing, drawn to the last budget timestamp), ``name`` (string, e.g.
        ``"1h/5m page"``) and optional ``severity`` (``"page"`` or ``"ticket"``).
    title
        Chart title.
    slo_label
        Subtitle, e.g. ``"99.9 % of requests < 300 ms over 30 d"``.

    Returns
    -------
    altair.VConcatChart
        Panels sharing one time axis: budget remaining (%), burn rate (when given),
        alert intervals (when given).

    Examples
    --------
    >>> import datetime as dt, polars as pl
    >>> t = [dt.datetime(2026, 1, 1, 0, i, tzinfo=dt.UTC) for i in range(4)]
    >>> budget = pl.DataFrame({"timestamp": t, "remaining": [1.0, 0.9, 0.7, 0.4]})
    >>> alerts = pl.DataFrame({"start": [t[1]], "end": [t[3]], "name": ["1h/5m"], "severity": ["page"]})
    >>> len(burn_down_chart(budget, alerts=alerts).to_dict()["vconcat"])
    2
    """
    df = frame(
        budget,
        builder="burn_down_chart",
        argument="budget",
        required={"timestamp": "temporal", "remaining": "numeric"},
        optional={"burn_rate": "numeric"},
    ).sort("timestamp")
    base = alt.Chart(df)
    remaining = alt.layer(
        base.mark_area(
            opacity=0.25, color=PALETTE["series"], line={"color": PALETTE["series"]}
        ).encode(
            x=time_x(),
            y=alt.Y("remaining:Q", title="budget remaining (%)", axis=alt.Axis(format="%")),
            tooltip=["timestamp:T", alt.Tooltip("remaining:Q", format=".1%")],
        ),
        alt.Chart().mark_rule(color=PALETTE["page"], strokeDash=[4, 3]).encode(y=alt.datum(0)),
    ).properties(height=180)
    panels: list[Any] = [remaining]
    if "burn_rate" in df.columns:
        panels.append(
            alt.layer(
                base.mark_line(color=PALETTE["canary"]).encode(
                    x=time_x(),
                    y=alt.Y("burn_rate:Q", title="burn rate (× budget pace)"),
                    tooltip=["timestamp:T", alt.Tooltip("burn_rate:Q", format=".2f")],
                ),
                alt.Chart()
                .mark_rule(color=PALETTE["baseline"], strokeDash=[4, 3])
                .encode(y=alt.datum(1)),
            ).properties(height=120)
        )
    if alerts is not None:
        al = frame(
            alerts,
            builder="burn_down_chart",
            argument="alerts",
            required={"start": "temporal", "end": "temporal", "name": "string"},
            optional={"severity": "string"},
            allow_empty=True,
        )
        last = df["timestamp"].max()
        al = al.with_columns(
            pl.col("start").cast(df.schema["timestamp"]),
            pl.col("end").cast(df.schema["timestamp"]).fill_null(last),
        )
        if "severity" not in al.columns:
            al = al.with_columns(severity=pl.lit("page"))
        sev = ["page", "ticket"]
        sev += sorted(set(al["severity"].drop_nulls().to_list()) - set(sev))
        panels.append(
            alt.Chart(al)
            .mark_bar(height=12)
            .encode(
                x=time_x("start"),
                x2="end:T",
                y=alt.Y("name:N", title="burn-rate alert"),
                color=alt.Color(
                    "severity:N",
                    title="severity",
                    scale=alt.Scale(
                        domain=sev, range=[PALETTE.get(s, PALETTE["baseline"]) for s in sev]
                    ),
                ),
                tooltip=["name:N", "severity:N", "start:T", "end:T"],
            )
            .properties(height=alt.Step(18))
        )
    t: Any = alt.Title(title, subtitle=slo_label) if slo_label else title
    return alt.vconcat(*panels, title=t).resolve_scale(x="shared")
