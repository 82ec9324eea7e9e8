"""Input checks shared by the chart builders: one clear error for a wrong frame."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import altair as alt
import polars as pl

from pipbench.errors import ConfigError

Kind = Literal["temporal", "numeric", "string", "boolean", "any"]

_CHECKS: dict[str, Any] = {
    "temporal": lambda t: t.is_temporal(),
    "numeric": lambda t: t.is_numeric(),
    "string": lambda t: t in (pl.String, pl.Categorical, pl.Enum) or isinstance(t, pl.Enum),
    "boolean": lambda t: t == pl.Boolean,
    "any": lambda t: True,
}

_KIND_TEXT = {
    "temporal": "a datetime",
    "numeric": "a number",
    "string": "a string",
    "boolean": "a boolean",
    "any": "any type",
}


def frame(
    data: Any,
    *,
    builder: str,
    argument: str,
    required: Mapping[str, Kind],
    optional: Mapping[str, Kind] | None = None,
    allow_empty: bool = False,
) -> pl.DataFrame:
    """Return ``data`` as a polars DataFrame after checking its columns and their types.

    Accepts a polars DataFrame or LazyFrame, or a pandas DataFrame. Raises
    :class:`~pipbench.errors.ConfigError` naming the builder, the argument and the column.
    """
    if isinstance(data, pl.LazyFrame):
        data = data.collect()
    elif not isinstance(data, pl.DataFrame):
        import pandas as pd

        if isinstance(data, pd.DataFrame):
            data = pl.from_pandas(data)
        else:
            msg = (
                f"{builder}: {argument} must be a polars or pandas DataFrame, "
                f"got {type(data).__name__}"
            )
            raise ConfigError(msg)
    cols = data.schema
    missing = [c for c in required if c not in cols]
    if missing:
        msg = (
            f"{builder}: {argument} lacks column(s) {', '.join(map(repr, missing))} "
            f"(expected {', '.join(required)}; got {', '.join(cols) or 'no columns'})"
        )
        raise ConfigError(msg)
    for name, kind in {**required, **(optional or {})}.items():
        if name in cols and not _CHECKS[kind](cols[name]) and cols[name] != pl.Null:
            msg = (
                f"{builder}: column {name!r} of {argument} must be {_KIND_TEXT[kind]}, "
                f"got {cols[name]}"
            )
            raise ConfigError(msg)
    # Time axes are UTC: naive datetimes are taken as UTC, zoned ones converted to it
    # (Vega-Lite would read a naive ISO string in the viewer's local time).
    fixes = []
    for name, kind in {**required, **(optional or {})}.items():
        dtype = cols.get(name)
        if kind == "temporal" and isinstance(dtype, pl.Datetime) and dtype.time_zone != "UTC":
            col = pl.col(name)
            fixes.append(
                col.dt.replace_time_zone("UTC")
                if dtype.time_zone is None
                else col.dt.convert_time_zone("UTC")
            )
    if fixes:
        data = data.with_columns(fixes)
    if not allow_empty and data.height == 0:
        msg = f"{builder}: {argument} has no rows (an empty selection?)"
        raise ConfigError(msg)
    return data


def axis_title(title: str, unit: str | None) -> str:
    """``"latency (s)"`` from a title and a unit; the unit is left out when empty."""
    return f"{title} ({unit})" if unit else title


def time_x(field: str = "timestamp", *, title: str = "time (UTC)", **kw: Any) -> alt.X:
    """A UTC time axis (Vega-Lite would otherwise show the viewer's local time)."""
    return alt.X(
        f"{field}:T",
        title=title,
        scale=alt.Scale(type="utc"),
        axis=alt.Axis(format="%b %d %H:%M", labelOverlap="greedy", labelSeparation=8),
        **kw,
    )


def time_x2(field: str) -> alt.X2:
    return alt.X2(f"{field}:T")
