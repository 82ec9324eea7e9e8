"""The metric catalogue a PIP tracks, computed wherever the telemetry has the data.

One call, one tidy frame: ``name, value, unit, source, detail``. A metric the data cannot
support has a null value and a ``detail`` saying what it needs, so a report can show
the gap instead of hiding it. Metric names follow Prometheus conventions and can be
changed through :class:`CatalogueNames`.

Definitions (over the whole span of the data):

- ``latency_p95``/``latency_p99``: exact from events; else ``histogram_quantile`` over the
  summed bucket increases of the latency histogram.
- ``error_rate``, ``availability``, ``throughput_rps``: events; else the request counter
  (errors picked by ``error_matcher``).
- ``cpu_saturation``: CPU-seconds per second (cores busy) from the CPU counter, as a
  fraction when ``cpu_cores`` is given.
- ``heap_trend``: least-squares slope of the heap gauge (summed over series), bytes/hour.
- ``cold_start_p90``: events named like ``cold`` (or with ``cold_start == "true"``); else
  the cold-start histogram.
- ``cache_hit_ratio``: hits / (hits + misses) counters.
- ``db_query_latency_p99``: the DB histogram; else events named ``db…``.
- ``deployment_success_rate``: ``deploy`` annotations whose ``status``/``outcome``/``result``
  label (or text) says success vs failure/rollback.
- ``error_budget_burn_rate``: error rate / (1 − ``slo_target``).
- ``mttd``/``mttm``: over ``incident`` annotations; detection is the first ``alert``/
  ``page``/``detection`` annotation at or after the incident start (or a ``detected_at``
  label), mitigation is the incident's ``end``.
- ``cost_per_request``: Σ increase(counter) × price for each counter in ``prices``
  (e.g. ``{"process_cpu_seconds_total": 1.3e-5}``, price per counter unit), ÷ requests.

Examples
--------
>>> import polars as pl, datetime as dt
>>> t = [dt.datetime(2026, 1, 1, 0, 0, s, tzinfo=dt.UTC) for s in range(4)]
>>> ev = pl.DataFrame({"timestamp": t, "duration_s": [0.1, 0.2, 0.3, 0.4], "name": ["GET /"] * 4,
...                    "ok": [True, True, True, False]})
>>> cat = metric_catalogue(events=ev)
>>> cat.filter(pl.col("name") == "error_rate")["value"].to_list()
[0.25]
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipbench.dataset import CORE_COLUMNS, Dataset
from pipbench.sli.quantiles import histogram_quantiles
from pipbench.sli.rates import Where, select_series
from pipbench.sli.selectors import parse_selector

__all__ = ["CatalogueNames", "metric_catalogue", "total_increase"]


@dataclass(frozen=True)
class CatalogueNames:
    """Which series hold which signal (Prometheus naming conventions by default)."""

    latency_histogram: str = "http_request_duration_seconds"
    requests_counter: str = "http_requests_total"
    error_matcher: str = '{code=~"5.."}'
    cpu_counter: str = "process_cpu_seconds_total"
    heap_gauges: tuple[str, ...] = (
        'jvm_memory_used_bytes{area="heap"}',
        "go_memstats_heap_alloc_bytes",
        "nodejs_heap_size_used_bytes",
        "process_resident_memory_bytes",
    )
    cold_start_histogram: str = "cold_start_duration_seconds"
    cache_hits: str = "cache_hits_total"
    cache_misses: str = "cache_misses_total"
    db_histogram: str = "db_query_duration_seconds"


def total_increase(
    samples: pl.LazyFrame | pl.DataFrame,
    metric: str,
    where: Where = None,
    *,
    by: tuple[str, ...] = (),
) -> pl.DataFrame:
    """Exact counter increase over all the data (resets handled), summed ``by`` labels.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in range(3)]
    >>> f = pl.DataFrame({"timestamp": t, "metric": ["c"] * 3, "value": [5.0, 9, 2]})
    >>> total_increase(f, "c")["value"].to_list()
    [6.0]
    """
    df = select_series(samples, metric, where)
    inc = df.with_columns(prev=pl.col("value").shift(1).over("_sid")).with_columns(
        inc=pl.when(pl.col("prev").is_null())
        .then(0.0)
        .when(pl.col("value") >= pl.col("prev"))
        .then(pl.col("value") - pl.col("prev"))
        .otherwise(pl.col("value"))
    )
    keys = [b for b in by if b in inc.columns]
    if keys:
        return inc.group_by(keys).agg(value=pl.col("inc").sum())
    return inc.select(value=pl.col("inc").sum())


def _hist_quantile(samples: pl.LazyFrame, base: str, q: float, where: Where = None) -> float | None:
    b = total_increase(samples, base + "_bucket", where, by=("le",))
    if "le" not in b.columns or b.height == 0:
        return None
    v, _ = histogram_quantiles(q, b["le"].to_list(), b["value"].to_numpy()[None, :])
    return None if math.isnan(v[0]) else float(v[0])


def _f(x: object) -> float:
    return float(x) if isinstance(x, int | float) else math.nan


def _span_s(ts: pl.Series) -> float:
    lo, hi = ts.min(), ts.max()
    if isinstance(lo, dt.datetime) and isinstance(hi, dt.datetime):
        return (hi - lo).total_seconds()
    return 0.0


def _row(
    name: str, value: float | None, unit: str, source: str, detail: str = ""
) -> dict[str, Any]:
    if value is not None and not math.isfinite(value):
        value = None
    return {"name": name, "value": value, "unit": unit, "source": source, "detail": detail}


def metric_catalogue(
    dataset: Dataset | None = None,
    *,
    samples: pl.LazyFrame | pl.DataFrame | None = None,
    events: pl.LazyFrame | pl.DataFrame | None = None,
    annotations: pl.LazyFrame | pl.DataFrame | None = None,
    slo_target: float | None = None,
    prices: Mapping[str, float] | None = None,
    cpu_cores: float | None = None,
    names: CatalogueNames | None = None,
) -> pl.DataFrame:
    """Compute the PIP metric catalogue from a dataset (or its tables given directly).

    Returns
    -------
    polars.DataFrame
        ``name, value, unit, source, detail``; ``value`` is null where the data lacks
        the signal, and ``detail`` says what is missing.
    """
    n = names or CatalogueNames()
    if dataset is not None:
        samples = dataset.samples() if samples is None else samples
        events = dataset.events() if events is None else events
        annotations = dataset.annotations() if annotations is None else annotations
    s = (samples if samples is not None else pl.DataFrame(schema=CORE_COLUMNS["samples"])).lazy()
    ev = (
        (events if events is not None else pl.DataFrame(schema=CORE_COLUMNS["events"]))
        .lazy()
        .collect()
    )
    ann = (
        (
            annotations
            if annotations is not None
            else pl.DataFrame(schema=CORE_COLUMNS["annotations"])
        )
        .lazy()
        .collect()
    )
    have_events = ev.height > 0 and ev["duration_s"].null_count() < ev.height
    rows: list[dict[str, Any]] = []
    span = s.select(
        pl.col("timestamp").min().alias("a"), pl.col("timestamp").max().alias("b")
    ).collect()
    span_s = (span["b"][0] - span["a"][0]).total_seconds() if span["a"][0] is not None else 0.0

    # latency
    for q in (0.95, 0.99):
        name = f"latency_p{q * 100:g}"
        if have_events:
            rows.append(
                _row(name, _f(ev["duration_s"].quantile(q, "linear")), "s", "events", "exact")
            )
        else:
            v = _hist_quantile(s, n.latency_histogram, q)
            rows.append(
                _row(name, v, "s", "samples", f"histogram_quantile over {n.latency_histogram}")
                if v is not None
                else _row(name, None, "s", "", f"needs events or {n.latency_histogram}_bucket")
            )
    # errors, availability, throughput
    requests = errors = None
    if ev.height and "ok" in ev.columns and ev["ok"].null_count() < ev.height:
        known_ev = ev.filter(pl.col("ok").is_not_null())
        errors, requests = float((~known_ev["ok"]).sum()), float(known_ev.height)
        ev_span = _span_s(ev["timestamp"])
        src, thr = "events", (ev.height / ev_span if ev_span > 0 else None)
    else:
        tot = total_increase(s, n.requests_counter)
        if tot.height and tot["value"][0] > 0:
            requests = float(tot["value"][0])
            errors = float(total_increase(s, n.requests_counter, n.error_matcher)["value"][0])
            src, thr = "samples", (requests / span_s if span_s > 0 else None)
        else:
            src, thr = "", None
    err = errors / requests if requests and errors is not None else None
    need = f"needs events with ok, or {n.requests_counter}"
    rows.append(_row("error_rate", err, "ratio", src, "" if err is not None else need))
    rows.append(
        _row(
            "availability",
            1 - err if err is not None else None,
            "ratio",
            src,
            "" if err is not None else need,
        )
    )
    rows.append(_row("throughput_rps", thr, "1/s", src, "" if thr is not None else need))
    # CPU saturation
    cpu = total_increase(s, n.cpu_counter)
    if cpu.height and span_s > 0 and cpu["value"][0] > 0:
        busy = float(cpu["value"][0]) / span_s
        if cpu_cores:
            rows.append(
                _row(
                    "cpu_saturation",
                    busy / cpu_cores,
                    "ratio",
                    "samples",
                    f"{busy:.3g} of {cpu_cores:g} cores",
                )
            )
        else:
            rows.append(
                _row("cpu_saturation", busy, "cores", "samples", "give cpu_cores for a fraction")
            )
    else:
        rows.append(_row("cpu_saturation", None, "ratio", "", f"needs {n.cpu_counter}"))
    # heap trend
    heap = None
    for g in n.heap_gauges:
        sel = parse_selector(g)
        h = select_series(s, sel.metric, sel.matchers)
        if h.height >= 2:
            per_t = h.group_by("timestamp").agg(pl.col("value").sum()).sort("timestamp")
            x = per_t["timestamp"].dt.epoch("us").to_numpy() / 3.6e9
            if np.ptp(x) > 0:
                heap = (float(np.polyfit(x - x[0], per_t["value"].to_numpy(), 1)[0]), sel.metric)
                break
    rows.append(
        _row("heap_trend", heap[0], "bytes/h", "samples", heap[1])
        if heap
        else _row("heap_trend", None, "bytes/h", "", "needs a heap gauge")
    )
    # cold start
    cold = None
    if have_events:
        mask = ev["name"].fill_null("").str.to_lowercase().str.contains("cold")
        if "cold_start" in ev.columns:
            mask = mask | (ev["cold_start"].fill_null("").str.to_lowercase() == "true")
        ce = ev.filter(mask)
        if ce.height:
            cold = (_f(ce["duration_s"].quantile(0.9, "linear")), "events")
    if cold is None:
        v = _hist_quantile(s, n.cold_start_histogram, 0.9)
        cold = (v, "samples") if v is not None else None
    rows.append(
        _row("cold_start_p90", cold[0], "s", cold[1])
        if cold
        else _row(
            "cold_start_p90", None, "s", "", f"needs cold-start events or {n.cold_start_histogram}"
        )
    )
    # cache
    hits = total_increase(s, n.cache_hits)
    misses = total_increase(s, n.cache_misses)
    hv = float(hits["value"][0]) if hits.height else 0.0
    mv = float(misses["value"][0]) if misses.height else 0.0
    rows.append(
        _row("cache_hit_ratio", hv / (hv + mv), "ratio", "samples")
        if hv + mv > 0
        else _row(
            "cache_hit_ratio", None, "ratio", "", f"needs {n.cache_hits} and {n.cache_misses}"
        )
    )
    # DB latency
    db = _hist_quantile(s, n.db_histogram, 0.99)
    if db is None and have_events:
        de = ev.filter(ev["name"].fill_null("").str.to_lowercase().str.starts_with("db"))
        db = _f(de["duration_s"].quantile(0.99, "linear")) if de.height else None
        db_src = "events"
    else:
        db_src = "samples"
    rows.append(
        _row("db_query_latency_p99", db, "s", db_src)
        if db is not None
        else _row(
            "db_query_latency_p99", None, "s", "", f"needs {n.db_histogram}_bucket or db events"
        )
    )
    # deployments
    dep = ann.filter(pl.col("kind") == "deploy") if ann.height else ann
    outcome = None
    if dep.height:
        col = next((c for c in ("status", "outcome", "result") if c in dep.columns), None)
        text = (dep[col] if col else dep["text"]).fill_null("").str.to_lowercase()
        ok = text.str.contains("success|succeeded|completed|\\bok\\b")
        bad = text.str.contains("fail|rollback|rolled back|abort")
        n_known = int((ok | bad).sum())
        if n_known:
            outcome = float((ok & ~bad).sum()) / n_known
    rows.append(
        _row("deployment_success_rate", outcome, "ratio", "annotations")
        if outcome is not None
        else _row(
            "deployment_success_rate", None, "ratio", "", "needs deploy annotations with a status"
        )
    )
    # burn rate
    if slo_target is not None and err is not None:
        rows.append(
            _row(
                "error_budget_burn_rate", err / (1 - slo_target), "x", src, f"target {slo_target:g}"
            )
        )
    else:
        rows.append(
            _row("error_budget_burn_rate", None, "x", "", "needs slo_target and an error rate")
        )
    # MTTD / MTTM
    rows.extend(_incident_times(ann))
    # cost
    if prices and requests:
        cost = sum(float(total_increase(s, m)["value"][0] or 0.0) * p for m, p in prices.items())
        rows.append(
            _row("cost_per_request", cost / requests, "currency", "samples", " + ".join(prices))
        )
    else:
        rows.append(
            _row("cost_per_request", None, "currency", "", "needs prices and a request count")
        )
    return pl.DataFrame(
        rows,
        schema={
            "name": pl.String,
            "value": pl.Float64,
            "unit": pl.String,
            "source": pl.String,
            "detail": pl.String,
        },
    )


def _incident_times(ann: pl.DataFrame) -> list[dict[str, Any]]:
    inc = ann.filter(pl.col("kind") == "incident") if ann.height else ann
    if inc.height == 0:
        return [
            _row("mttd", None, "s", "", "needs incident annotations"),
            _row("mttm", None, "s", "", "needs incident annotations with an end"),
        ]
    ends = inc.filter(pl.col("end").is_not_null())
    mttm = (
        _f((ends["end"] - ends["timestamp"]).dt.total_microseconds().mean()) / 1e6
        if ends.height
        else None
    )  # type: ignore[arg-type]
    alerts = ann.filter(pl.col("kind").is_in(["alert", "page", "detection"])).sort("timestamp")
    delays = []
    for row in inc.iter_rows(named=True):
        start, end = row["timestamp"], row["end"]
        det = None
        if row.get("detected_at"):
            try:
                det = pl.Series([row["detected_at"]]).str.to_datetime(time_zone="UTC")[0]
            except pl.exceptions.PolarsError:
                det = None
        if det is None and alerts.height:
            a = alerts.filter(pl.col("timestamp") >= start)
            if end is not None:
                a = a.filter(pl.col("timestamp") <= end)
            det = a["timestamp"][0] if a.height else None
        if det is not None:
            delays.append((det - start).total_seconds())
    mttd = float(np.mean(delays)) if delays else None
    return [
        _row("mttd", mttd, "s", "annotations", f"{len(delays)} of {inc.height} incidents detected")
        if mttd is not None
        else _row("mttd", None, "s", "", "needs alert/page annotations or detected_at"),
        _row("mttm", mttm, "s", "annotations", f"{ends.height} incidents")
        if mttm is not None
        else _row("mttm", None, "s", "", "needs incident annotations with an end"),
    ]
