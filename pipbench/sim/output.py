"""Simulated telemetry as dataset tables: requests → ``events``, sampled states → ``samples``.

Every simulated request becomes an ``events`` row (``timestamp`` = arrival, ``duration_s`` =
response time, ``status`` ``200``/``503``, ``ok``) and every sampled state a ``samples`` row
(``sim_replicas``, ``sim_queue_length``, ``sim_utilization``, ``sim_cache_size``,
``sim_warm_instances``, …), so SLIs, SLOs and verification read simulated runs unchanged.
At the same sample times the samples also carry what a Prometheus client would have
exported: the cumulative counter ``sim_requests_total{status}`` (by completion time) and the
classic histogram ``sim_request_duration_seconds_bucket{le}`` with ``_sum`` and ``_count``
of the successful requests.

Examples
--------
>>> from pipbench.sim.service import Service, simulate_service
>>> from pipbench.sim.workload import Poisson
>>> run = simulate_service(Service(), Poisson(0.5), requests=10, seed=1)
>>> frames = to_frames(run, labels={"scenario": "base"})
>>> frames["events"].columns[:6]
['timestamp', 'duration_s', 'name', 'status', 'ok', 'source']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import polars as pl

from pipbench.dataset import Dataset, Table, conform
from pipbench.sim.cache import COALESCED, HIT, CacheRun
from pipbench.sim.serverless import ServerlessRun
from pipbench.sim.service import ServiceRun

__all__ = ["BUCKETS", "DEFAULT_START", "replica_samples", "to_frames", "write_run"]

#: Simulated time 0 maps to this instant unless told otherwise.
DEFAULT_START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

Run = ServiceRun | CacheRun | ServerlessRun


def _stamps(start: dt.datetime, seconds: np.ndarray) -> pl.Series:
    base = int(start.timestamp() * 1_000_000)
    us = base + np.round(np.asarray(seconds, float) * 1e6).astype(np.int64)
    return pl.Series("timestamp", us).cast(pl.Datetime("us", "UTC"))


def _samples(
    start: dt.datetime, states: Mapping[str, np.ndarray], metrics: Mapping[str, str]
) -> pl.DataFrame:
    t = _stamps(start, states["t"])
    frames = [
        pl.DataFrame({"timestamp": t, "metric": name, "value": np.asarray(states[key], float)})
        for key, name in metrics.items()
    ]
    return pl.concat(frames)


#: Bucket bounds (seconds) of the simulated latency histogram (Prometheus client defaults).
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _counters(
    start: dt.datetime, t: np.ndarray, done: np.ndarray, duration: np.ndarray, ok: np.ndarray
) -> pl.DataFrame:
    """Cumulative Prometheus-style series at the sample times: ``sim_requests_total{status}``
    and the classic histogram ``sim_request_duration_seconds`` of successful requests."""
    t = np.asarray(t, float)
    stamps = _stamps(start, t)
    parts = []
    for status, mask in (("200", ok), ("503", ~ok)):
        if status == "503" and not mask.any():
            continue
        count = np.searchsorted(np.sort(done[mask]), t, side="right").astype(float)
        parts.append(
            pl.DataFrame(
                {
                    "timestamp": stamps,
                    "metric": "sim_requests_total",
                    "value": count,
                    "status": status,
                }
            )
        )
    d_ok, end_ok = duration[ok], done[ok]
    order = np.argsort(end_ok, kind="stable")
    end_sorted, d_sorted = end_ok[order], d_ok[order]
    upto = np.searchsorted(end_sorted, t, side="right")
    for le in (*BUCKETS, np.inf):
        sel = d_sorted <= le
        count = np.searchsorted(end_sorted[sel], t, side="right").astype(float)
        label = "+Inf" if np.isinf(le) else repr(le)
        parts.append(
            pl.DataFrame(
                {
                    "timestamp": stamps,
                    "metric": "sim_request_duration_seconds_bucket",
                    "value": count,
                    "le": label,
                }
            )
        )
    csum = np.concatenate([[0.0], np.cumsum(d_sorted)])
    parts.append(
        pl.DataFrame(
            {"timestamp": stamps, "metric": "sim_request_duration_seconds_sum", "value": csum[upto]}
        )
    )
    parts.append(
        pl.DataFrame(
            {
                "timestamp": stamps,
                "metric": "sim_request_duration_seconds_count",
                "value": upto.astype(float),
            }
        )
    )
    return pl.concat(parts, how="diagonal")


def to_frames(
    run: Run,
    *,
    start: dt.datetime = DEFAULT_START,
    name: str | None = None,
    source: str = "simulation",
    labels: Mapping[str, str] | None = None,
) -> dict[Table, pl.DataFrame]:
    """Convert a run to conformed ``events`` and ``samples`` frames.

    Parameters
    ----------
    run
        A :class:`ServiceRun`, :class:`CacheRun` or :class:`ServerlessRun`.
    start
        The instant of simulated time 0.
    name
        The ``name`` of the events (default: ``service``, ``cache`` or ``function``).
    source
        The ``source`` column.
    labels
        Constant labels for every row (e.g. ``{"scenario": "ttl=30"}``).
    """
    lab = dict(labels or {})
    if isinstance(run, ServiceRun):
        rejected = run.rejected
        dur = np.where(rejected, 0.0, run.end - run.arrival)
        events = pl.DataFrame(
            {
                "timestamp": _stamps(start, run.arrival),
                "duration_s": dur,
                "name": name or "service",
                "status": np.where(rejected, "503", "200"),
                "ok": ~rejected,
                "instance": pl.Series(run.replica).cast(pl.String),
            }
        ).with_columns(
            pl.when(pl.col("ok")).then("replica-" + pl.col("instance")).alias("instance"),
        )
        metrics = {
            "replicas": "sim_replicas",
            "ready": "sim_ready_replicas",
            "busy": "sim_busy",
            "queue": "sim_queue_length",
            "utilization": "sim_utilization",
        }
    elif isinstance(run, CacheRun):
        outcome = np.where(
            run.outcome == HIT, "hit", np.where(run.outcome == COALESCED, "coalesced", "miss")
        )
        events = pl.DataFrame(
            {
                "timestamp": _stamps(start, run.arrival),
                "duration_s": run.response,
                "name": name or "cache",
                "status": "200",
                "ok": True,
                "cache": outcome,
                "stale": np.where(run.stale, "true", "false"),
                "key": pl.Series(run.key).cast(pl.String),
            }
        )
        metrics = {"cache_size": "sim_cache_size", "inflight": "sim_cache_inflight"}
    elif isinstance(run, ServerlessRun):
        events = pl.DataFrame(
            {
                "timestamp": _stamps(start, run.arrival),
                "duration_s": run.response,
                "name": name or "function",
                "status": "200",
                "ok": True,
                "cold": np.where(run.cold, "true", "false"),
                "provisioned": np.where(run.provisioned, "true", "false"),
            }
        )
        metrics = {"warm_instances": "sim_warm_instances", "busy": "sim_busy_instances"}
    else:
        msg = f"cannot convert {type(run).__name__} to dataset frames"
        raise TypeError(msg)
    if isinstance(run, ServiceRun):
        done = np.where(run.rejected, run.arrival, run.end)
        ok = ~run.rejected
    else:
        done = run.arrival + run.response
        ok = np.ones(run.arrival.size, dtype=bool)
    samples = pl.concat(
        [
            _samples(start, run.states, metrics),
            _counters(start, run.states["t"], done, done - run.arrival, ok),
        ],
        how="diagonal",
    )
    if lab:
        events = events.with_columns(pl.lit(v).alias(k) for k, v in lab.items())
        samples = samples.with_columns(pl.lit(v).alias(k) for k, v in lab.items())
    return {
        "events": conform(events, "events", source=source),
        "samples": conform(samples, "samples", source=source),
    }


def write_run(
    dataset: Dataset,
    run: Run,
    *,
    key: str,
    start: dt.datetime = DEFAULT_START,
    labels: Mapping[str, str] | None = None,
) -> dict[Table, int]:
    """Write a run into ``dataset`` under ``key`` (writing the same key again replaces it)."""
    frames = to_frames(run, start=start, source=key, labels=labels)
    return dataset.write(frames, key=key, source=key)


def replica_samples(
    steps: list[tuple[float, int]],
    *,
    start: dt.datetime = DEFAULT_START,
    source: str = "simulation",
    labels: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """``sim_replicas`` samples from an HPA replay's ``[(t, replicas), …]``.

    Examples
    --------
    >>> replica_samples([(0.0, 2), (15.0, 4)])["value"].to_list()
    [2.0, 4.0]
    """
    t = np.array([s[0] for s in steps], float)
    frame = pl.DataFrame(
        {
            "timestamp": _stamps(start, t),
            "metric": "sim_replicas",
            "value": np.array([s[1] for s in steps], float),
        }
    )
    if labels:
        frame = frame.with_columns(pl.lit(v).alias(k) for k, v in labels.items())
    return conform(frame, "samples", source=source)
