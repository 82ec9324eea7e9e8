"""Label selectors and counter queries shared by the verification and what-if workflows.

Parse a ``label=value`` / ``label!=value`` selector, check its labels against the samples
table, and turn cumulative counters (and histogram buckets) into exact per-interval counts.
Every failure is a :class:`~pipbench.errors.ConfigError` naming the parameter. Opening the
dataset and reading times are in :mod:`pipbench.workflows._inputs`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Literal, cast

import polars as pl

from pipbench.dataset import Dataset
from pipbench.errors import ConfigError
from pipbench.sli.selectors import Matcher, matchers_expr

__all__ = [
    "check_labels",
    "interval_counts",
    "parse_labels",
    "sample_labels",
]

Op = Literal["=", "!=", "=~", "!~"]
_CORE = ("timestamp", "metric", "value", "source")
_PART = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"([^"]*)"|([^"]*?))\s*$')


def parse_labels(text: str, name: str) -> tuple[Matcher, ...]:
    """``"instance!=checkout-2,version=2.4.0"`` → matchers (``=``, ``!=``, ``=~``, ``!~``).

    Examples
    --------
    >>> [str(m) for m in parse_labels("instance!=checkout-2", "baseline")]
    ['instance!="checkout-2"']
    """
    if not isinstance(text, str) or not text.strip():
        msg = f"{name}={text!r} is empty; expected label=value or label!=value, e.g. instance=checkout-2"
        raise ConfigError(msg)
    out = []
    for part in text.strip().strip("{}").split(","):
        if not part.strip():
            continue
        m = _PART.match(part)
        if m is None:
            msg = (
                f"{name}={text!r}: {part.strip()!r} is not label=value, label!=value, "
                "label=~regex or label!~regex"
            )
            raise ConfigError(msg)
        value = m.group(3) if m.group(3) is not None else m.group(4)
        op = cast("Op", m.group(2))  # the pattern admits only these four
        out.append(Matcher(m.group(1), op, value))
    return tuple(out)


def sample_labels(ds: Dataset) -> list[str]:
    """The label columns of the samples table."""
    return [c for c in ds.samples().collect_schema().names() if c not in _CORE]


def check_labels(matchers: Sequence[Matcher], labels: Sequence[str], name: str) -> None:
    """Every matcher's label must be a label of the table."""
    for m in matchers:
        if m.label not in labels:
            msg = f"{name}: no label {m.label!r} in the dataset"
            raise ConfigError(msg + f" (labels: {', '.join(sorted(labels))})")


def interval_counts(
    ds: Dataset,
    metric: str,
    matchers: Sequence[Matcher],
    start: dt.datetime,
    end: dt.datetime,
    *,
    by: Sequence[str] = (),
    lookback: dt.timedelta = dt.timedelta(minutes=30),
) -> pl.DataFrame:
    """Exact per-interval increases of a counter, summed over the selected series.

    Each series' increase between consecutive samples (a drop is a counter reset: the
    counter restarted from 0, as in Prometheus) is attributed to the later sample's
    timestamp; intervals ending in ``(start, end]`` are kept. A series' first sample has no
    increase (as Prometheus' ``increase`` needs two samples).

    Returns
    -------
    polars.DataFrame
        ``timestamp, <by…>, value`` (counts), sorted.
    """
    lf = ds.samples()
    cols = lf.collect_schema().names()
    labels = [c for c in cols if c not in _CORE]
    pred = (
        (pl.col("metric") == metric)
        & matchers_expr(list(matchers), cols)
        & (pl.col("timestamp") > start - lookback)
        & (pl.col("timestamp") <= end)
    )
    df = (
        lf.filter(pred)
        .select("timestamp", "value", *labels)
        .unique(subset=["timestamp", *labels], keep="first")
        .collect()
    )
    for b in by:
        if b not in df.columns:
            df = df.with_columns(pl.lit(None, pl.String).alias(b))
    prev = pl.col("value").shift(1)
    df = (
        df.sort("timestamp")
        .with_columns(_prev=prev.over(labels) if labels else prev)
        .filter(pl.col("_prev").is_not_null() & (pl.col("timestamp") > start))
        .with_columns(
            _inc=pl.when(pl.col("value") >= pl.col("_prev"))
            .then(pl.col("value") - pl.col("_prev"))
            .otherwise(pl.col("value"))
        )
    )
    return (
        df.group_by(["timestamp", *by])
        .agg(pl.col("_inc").sum().alias("value"))
        .sort(["timestamp", *by])
    )
