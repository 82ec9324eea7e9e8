"""Input checks and selections shared by the verification and what-if workflows.

Small, strict helpers: open an existing dataset, read a time, parse a ``label=value`` /
``label!=value`` selector, and turn cumulative counters (and histogram buckets) into exact
per-interval counts. Every failure is an :class:`~pipbench.errors.InputError` or
:class:`~pipbench.errors.ConfigError` naming the parameter.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from pipbench.dataset import Dataset, open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.sli.selectors import Matcher, matchers_expr

__all__ = [
    "interval_counts",
    "load_dataset",
    "parse_labels",
    "parse_time",
    "sample_labels",
]

_CORE = ("timestamp", "metric", "value", "source")
_PART = re.compile(r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"([^"]*)"|([^"]*?))\s*$')


def load_dataset(dataset: str | os.PathLike[str] | Dataset) -> Dataset:
    """An existing dataset (a path or an open :class:`Dataset`); never creates one."""
    if isinstance(dataset, Dataset):
        return dataset
    p = Path(dataset)
    if not (p / "samples").is_dir() and not (p / "events").is_dir():
        msg = "no dataset here (no samples/ or events/ table)"
        raise InputError(msg, file=p, expected="a dataset made by `pipbench ingest`")
    return open_dataset(p, create=False)


def parse_time(value: str | dt.datetime, name: str) -> dt.datetime:
    """An ISO-8601 time (``2026-03-06T14:00:00Z``) or datetime, as UTC."""
    if isinstance(value, dt.datetime):
        t = value
    else:
        try:
            t = dt.datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            msg = f"{name}={value!r} is not an ISO-8601 time (e.g. 2026-03-06T14:00:00Z)"
            raise ConfigError(msg) from None
    return t if t.tzinfo is not None else t.replace(tzinfo=dt.UTC)


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
        out.append(Matcher(m.group(1), m.group(2), value))  # type: ignore[arg-type]
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
