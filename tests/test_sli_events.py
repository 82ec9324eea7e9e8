"""Exact event SLIs and the metric catalogue.

References: numpy.quantile (Hyndman & Fan type 7 = ``method="linear"``, and the other
methods) for percentiles; hand computation for throughput, error rate, availability
and every catalogue entry built from known inputs.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from pipbench.errors import ConfigError
from pipbench.sli import event_stats, metric_catalogue, percentiles
from tests.promload import at, load

T0 = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)


def _events(n: int = 2000, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    return pl.DataFrame(
        {
            "timestamp": [
                T0 + dt.timedelta(seconds=float(s)) for s in np.sort(rng.uniform(0, 600, n))
            ],
            "duration_s": rng.lognormal(-3, 0.8, n),
            "name": rng.choice(["GET /a", "GET /b"], n),
            "ok": rng.uniform(size=n) > 0.03,
            "endpoint": rng.choice(["/a", "/b"], n),
        }
    )


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "nearest", "midpoint"])
def test_percentiles_match_numpy(method: str) -> None:
    """Each quantile equals numpy.quantile with the same method (exact order statistics)."""
    ev = _events()
    out = percentiles(ev, method=method)
    d = ev["duration_s"].to_numpy()
    for q, col in [(0.5, "p50"), (0.9, "p90"), (0.95, "p95"), (0.99, "p99"), (0.999, "p99.9")]:
        assert out[col][0] == pytest.approx(np.quantile(d, q, method=method), rel=1e-12)
    assert out["count"][0] == 2000


def test_percentiles_by_label_and_bucket() -> None:
    """Per endpoint and per minute: each group equals numpy on its own rows."""
    ev = _events()
    out = percentiles(ev, by=["endpoint"], every="1m", quantiles=(0.99,))
    assert out.height == 20
    first = ev.filter(
        (pl.col("endpoint") == "/a") & (pl.col("timestamp") < T0 + dt.timedelta(minutes=1))
    )
    row = out.filter((pl.col("endpoint") == "/a") & (pl.col("timestamp") == T0))
    assert row["p99"][0] == pytest.approx(np.quantile(first["duration_s"].to_numpy(), 0.99))


def test_event_stats_hand_computed() -> None:
    """Hand: 6 events in the first minute (1 error, 1 unknown), 2 in the second."""
    ts = [T0 + dt.timedelta(seconds=s) for s in (0, 10, 20, 30, 40, 59, 60, 90)]
    ev = pl.DataFrame(
        {
            "timestamp": ts,
            "duration_s": [0.1] * 8,
            "ok": [True, True, False, None, True, True, True, False],
        }
    )
    out = event_stats(ev, every="1m")
    assert out["requests"].to_list() == [6, 2]
    assert out["errors"].to_list() == [1, 1]
    assert out["throughput_rps"].to_list() == pytest.approx([0.1, 2 / 60])
    assert out["error_rate"].to_list() == pytest.approx([0.2, 0.5])
    assert out["availability"].to_list() == pytest.approx([0.8, 0.5])


def test_bad_arguments_name_themselves() -> None:
    """Unknown columns and out-of-range quantiles are clear errors."""
    ev = _events(10)
    with pytest.raises(ConfigError, match="no column"):
        percentiles(ev, by=["nope"])
    with pytest.raises(ConfigError, match=r"quantile 1.5"):
        percentiles(ev, quantiles=(1.5,))


def test_catalogue_from_samples_and_annotations() -> None:
    """Every entry against a hand computation on constant-rate counters.

    Over 10 minutes: 100 req/s, of which 1 req/s 5xx → error rate 0.01; CPU 0.5 s/s on
    2 cores → 0.25; cache 30 hits/s vs 10 misses/s → 0.75; heap +60 MB/min → 3.6 GB/h;
    2 deploys (1 success, 1 rollback) → 0.5; one incident 00:01–00:06 with a page at
    00:03 → MTTD 120 s, MTTM 300 s; CPU at 1e-3 per CPU-second → 0.3 / 60,000 requests.
    """
    s = load("""
load 1m
    http_requests_total{code="200"} 0+5940x10
    http_requests_total{code="500"} 0+60x10
    process_cpu_seconds_total 0+30x10
    cache_hits_total 0+1800x10
    cache_misses_total 0+600x10
    go_memstats_heap_alloc_bytes 1e8+6e7x10
""")
    ann = pl.DataFrame(
        {
            "timestamp": [at(2), at(4), at(1), at(3)],
            "end": [None, None, at(6), None],
            "kind": ["deploy", "deploy", "incident", "page"],
            "text": ["v2 rollout", "v3", "checkout errors", "HighErrorRate"],
            "status": ["success", "rolled back", None, None],
        }
    ).with_columns(pl.col("end").cast(pl.Datetime("us", "UTC")))
    cat = metric_catalogue(
        samples=s,
        annotations=ann,
        slo_target=0.999,
        cpu_cores=2,
        prices={"process_cpu_seconds_total": 1e-3},
    )
    v = dict(zip(cat["name"], cat["value"], strict=True))
    assert v["error_rate"] == pytest.approx(0.01)
    assert v["availability"] == pytest.approx(0.99)
    assert v["throughput_rps"] == pytest.approx(100)
    assert v["cpu_saturation"] == pytest.approx(0.25)
    assert v["cache_hit_ratio"] == pytest.approx(0.75)
    assert v["heap_trend"] == pytest.approx(3.6e9)
    assert v["deployment_success_rate"] == pytest.approx(0.5)
    assert v["error_budget_burn_rate"] == pytest.approx(10)
    assert v["mttd"] == pytest.approx(120)
    assert v["mttm"] == pytest.approx(300)
    assert v["cost_per_request"] == pytest.approx(0.3 / 60000)
    assert v["latency_p99"] is None  # no histogram, no events: said, not guessed
    detail = dict(zip(cat["name"], cat["detail"], strict=True))
    assert "http_request_duration_seconds" in detail["latency_p99"]


def test_catalogue_latency_from_events_and_histogram() -> None:
    """Events give exact percentiles; without events the histogram gives Prometheus's answer
    (hand: 10 obs ≤ 0.1, 10 more ≤ 0.5 → p95 = 0.1 + 0.4·(19−10)/10 = 0.46)."""
    ev = _events(500)
    cat = metric_catalogue(events=ev)
    v = dict(zip(cat["name"], cat["value"], strict=True))
    assert v["latency_p95"] == pytest.approx(np.quantile(ev["duration_s"].to_numpy(), 0.95))
    h = load("""
load 1m
    http_request_duration_seconds_bucket{le="0.1"} 0+1x10
    http_request_duration_seconds_bucket{le="0.5"} 0+2x10
    http_request_duration_seconds_bucket{le="+Inf"} 0+2x10
""")
    v = dict(
        zip(*metric_catalogue(samples=h).select("name", "value").to_dict().values(), strict=True)
    )
    assert v["latency_p95"] == pytest.approx(0.46)
