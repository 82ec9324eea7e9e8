"""Checks every workflow runs first: the dataset, the metric, the time range, a duration.

One function per job: :func:`need_dataset` (open an existing dataset), :func:`need_metric`,
:func:`utc` / :func:`need_time` (an optional / a required ISO-8601 time),
:func:`need_duration`, and :func:`as_datetime` (a timestamp read back from a frame).
Label selectors and counter queries live in :mod:`pipbench.workflows._select`.

Each helper raises :class:`~pipbench.errors.InputError` or
:class:`~pipbench.errors.ConfigError` with one line naming the parameter and what was
expected, so a notebook stops at its validation cell with a readable message.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import polars as pl

from pipbench.dataset import TABLES, Dataset, open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.sli.selectors import parse_duration

__all__ = [
    "DatasetLike",
    "as_datetime",
    "need_dataset",
    "need_duration",
    "need_metric",
    "need_time",
    "utc",
]

DatasetLike = str | os.PathLike[str] | Dataset


def need_dataset(dataset: DatasetLike, *, workflow: str) -> Dataset:
    """An existing dataset (a path or an open :class:`Dataset`); never creates one.

    A path must be a directory holding a dataset table (``samples/``, ``events/`` or
    ``annotations/``), as written by ``pipbench ingest``.
    """
    if isinstance(dataset, Dataset):
        return dataset
    if not isinstance(dataset, str | os.PathLike) or not str(dataset):
        msg = f"{workflow}: parameter 'dataset' must be a dataset directory, got {dataset!r}"
        raise ConfigError(msg)
    path = Path(dataset)
    if not any((path / table).is_dir() for table in TABLES):
        msg = f"{workflow}: no dataset here (parameter 'dataset')"
        raise InputError(msg, file=path, expected="a dataset directory made by `pipbench ingest`")
    return open_dataset(path, create=False)


def need_metric(ds: Dataset, metric: str, *, workflow: str, parameter: str = "metric") -> None:
    """The samples table must hold ``metric``; the message lists the metrics it has."""
    names = ds.samples().select(pl.col("metric").unique()).collect()["metric"].to_list()
    if metric not in names:
        have = ", ".join(sorted(names)[:12]) or "none: the samples table is empty"
        msg = f"{workflow}: parameter {parameter!r} = {metric!r} is not in the dataset (metrics: {have})"
        raise InputError(msg, file=ds.path, field=parameter)


def utc(value: object, *, parameter: str, workflow: str) -> dt.datetime | None:
    """An ISO-8601 string or datetime as an aware UTC datetime (None and "" give None).

    A naive time is taken as UTC.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            msg = (
                f"{workflow}: parameter {parameter}={value!r} is not an ISO-8601 time "
                "(e.g. '2026-03-04T10:00Z')"
            )
            raise ConfigError(msg) from None
    if not isinstance(value, dt.datetime):
        msg = f"{workflow}: parameter {parameter}={value!r}; expected an ISO-8601 time"
        raise ConfigError(msg)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def need_time(value: object, *, parameter: str, workflow: str) -> dt.datetime:
    """Like :func:`utc` but the value is required."""
    out = utc(value, parameter=parameter, workflow=workflow)
    if out is None:
        msg = f"{workflow}: parameter {parameter!r} is required (an ISO-8601 time)"
        raise ConfigError(msg)
    return out


def need_duration(value: str | float | dt.timedelta, *, parameter: str, workflow: str) -> float:
    """A Prometheus duration (``"5m"``) or seconds, in seconds, naming the parameter."""
    try:
        return parse_duration(value, name=f"parameter {parameter!r} =")
    except ConfigError as err:
        msg = f"{workflow}: {err}"
        raise ConfigError(msg) from None


def as_datetime(value: object) -> dt.datetime | None:
    """A timestamp read back from a frame (``series.min()``, ``row["start"]``) as a datetime.

    Polars types such scalars as any Python value; this narrows them. None (an empty
    series, a null) passes through; anything but a datetime is a programming error.
    """
    if value is None or isinstance(value, dt.datetime):
        return value
    msg = f"expected a timestamp, got {type(value).__name__} {value!r}"
    raise TypeError(msg)
