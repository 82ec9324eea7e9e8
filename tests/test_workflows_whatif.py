"""What-if workflows: capacity on replayed demo traffic, cache TTL and cold-start sweeps."""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipbench.dataset import open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.notebooks import emit_evidence
from pipbench.sim import Scenario, load_scenario
from pipbench.sim.analytic import zipf_popularity
from pipbench.workflows import cache_ttl_tradeoff, capacity_whatif, coldstart_tradeoff
from pipbench.workflows.whatif import simulations_dir

START, END = "2026-03-05T13:00:00Z", "2026-03-05T15:00:00Z"  # the demo's Thursday peak


@pytest.fixture(scope="module")
def capacity(demo_dataset: Path):
    return capacity_whatif(
        demo_dataset,
        start=START,
        end=END,
        min_replicas=[1],
        target_utilization=[40, 90],
        speedup=12.0,
        replications=2,
    )


def test_replayed_rate_is_the_counters_increase(capacity, demo_dataset):
    """Reference: every http_requests_total series' increase over the window / its length."""
    s = (
        open_dataset(demo_dataset, create=False)
        .samples()
        .filter(pl.col("metric") == "http_requests_total")
        .collect()
    )
    t0 = dt.datetime.fromisoformat(START)
    t1 = dt.datetime.fromisoformat(END)
    total = 0.0
    for _, g in s.sort("timestamp").group_by(["code", "endpoint", "instance", "version"]):
        g = g.filter((pl.col("timestamp") >= t0) & (pl.col("timestamp") <= t1))
        v = g["value"].to_numpy()
        if v.size > 1:
            d = np.diff(v)
            total += float(np.where(d < 0, v[1:], d).sum())
    mean_rate = total / (t1 - t0).total_seconds()
    assert capacity.traffic["value"].mean() == pytest.approx(mean_rate, rel=1e-9)
    # the simulated service sees that traffic (Poisson arrivals at the replayed rates)
    thr = capacity.table["throughput"].to_numpy()
    assert np.allclose(thr, mean_rate, rtol=0.05)


def test_service_times_are_the_observed_latency_per_release(capacity, demo_dataset):
    """Reference: the spans' durations per service.version (mean by hand); 2.4.0 has the slow tail."""
    ev = open_dataset(demo_dataset, create=False).events().collect()
    st = {r["version"]: r for r in capacity.service_times.to_dicts()}
    for v in ("2.4.0", "2.4.1"):
        d = ev.filter(pl.col("service_version") == v)["duration_s"].to_numpy()
        assert st[v]["source"] == "events"
        assert st[v]["n"] == d.size
        assert st[v]["mean_s"] == pytest.approx(d.mean())
    assert st["2.4.0"]["p99_s"] > 1.5 * st["2.4.1"]["p99_s"]


def test_the_regression_costs_latency_and_a_lower_target_costs_replicas(capacity):
    t = capacity.table
    for target in (40.0, 90.0):
        rows = {
            r["version"]: r for r in t.filter(pl.col("target_utilization") == target).to_dicts()
        }
        assert rows["2.4.0"]["response_p99"] > rows["2.4.1"]["response_p99"]
    for v in ("2.4.0", "2.4.1"):
        hours = dict(
            t.filter(pl.col("version") == v)
            .select("target_utilization", "replica_hours")
            .iter_rows()
        )
        assert hours[40.0] > hours[90.0]
    # replica-hours are the time-average replica count over the measured real hours
    assert np.allclose(t["replica_hours"], t["replicas_mean"] * capacity.hours, rtol=1e-3)
    lo, hi = t["replica_hours_ci_low"].to_numpy(), t["replica_hours_ci_high"].to_numpy()
    assert np.all(lo <= t["replica_hours"].to_numpy())
    assert np.all(t["replica_hours"].to_numpy() <= hi)


def test_recommendation_is_the_cheapest_setting_meeting_the_targets(capacity):
    rec = capacity.recommended
    assert rec is not None
    assert rec["version"] == "2.4.1"
    assert rec["response_p99_ci_high"] <= capacity.p99_target
    ok = capacity.table.filter((pl.col("version") == "2.4.1") & pl.col("meets"))
    assert rec["replica_hours"] == ok["replica_hours"].min()
    ev = capacity.evidence()
    assert ev["summary"].startswith("For 2.4.1 on the replayed traffic")
    assert ev["recommended"]["replica_hours"]["ci"][0] <= ev["recommended"]["replica_hours"]["mean"]
    assert set(capacity.timeline["scenario"].unique()) == {
        f"{v} (min={rec['min_replicas']} target={rec['target_utilization']:g}%)"
        for v in ("2.4.0", "2.4.1")
    }
    same = capacity.same_setting()
    assert same["version"].to_list() == ["2.4.0", "2.4.1"]
    assert ev["same_setting_by_version"][0]["response_p99"] > rec["response_p99"]
    ts = capacity.timeline["timestamp"]
    assert ts.min() >= dt.datetime.fromisoformat(START)
    assert ts.max() <= dt.datetime.fromisoformat(END)


def test_pareto_flags_exactly_the_undominated_settings(capacity):
    """Reference: the definition, by brute force within each version."""
    for v in ("2.4.0", "2.4.1"):
        sub = capacity.tradeoff(v)
        x, y = sub["replica_hours"].to_numpy(), sub["response_p99"].to_numpy()
        dominated = [
            bool(np.any((x <= x[i]) & (y <= y[i]) & ((x < x[i]) | (y < y[i]))))
            for i in range(x.size)
        ]
        assert sub["pareto"].to_list() == [not d for d in dominated]


def test_load_scale_multiplies_the_arrivals(demo_dataset, capacity):
    r = capacity_whatif(
        demo_dataset,
        start=START,
        end=END,
        versions=["2.4.1"],
        min_replicas=[1],
        target_utilization=[70],
        speedup=12.0,
        replications=1,
        load_scale=2.0,
    )
    base = capacity.traffic["value"].mean()
    assert r.traffic["value"].mean() == pytest.approx(2 * base)
    assert r.table["throughput"][0] == pytest.approx(2 * base, rel=0.05)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": END, "end": START}, ConfigError, "the window is empty"),
        (
            {"start": "2027-01-01T00:00:00Z", "end": "2027-01-02T00:00:00Z"},
            InputError,
            "no http_requests_total traffic",
        ),
        (
            {"versions": ["9.9.9"]},
            InputError,
            "no events and no http_request_duration_seconds histogram for version '9.9.9'",
        ),
        ({"versions": "2.4.1"}, ConfigError, "versions='2.4.1'"),
        ({"min_replicas": []}, ConfigError, "min_replicas is empty"),
        ({"target_utilization": [150]}, ConfigError, r"target_utilization=\[150\]"),
        ({"speedup": 0}, ConfigError, "speedup=0"),
        ({"scenario": "cache-ttl.toml"}, ConfigError, "needs a 'service' scenario"),
        ({"scenario": "nope.toml"}, InputError, "no such scenario file"),
        ({"requests_metric": "nope"}, InputError, "no metric 'nope'"),
    ],
)
def test_capacity_bad_parameters(demo_dataset, kwargs, error, match):
    with pytest.raises(error, match=match):
        capacity_whatif(demo_dataset, **{"start": START, "end": END, **kwargs})


# ---------------------------------------------------------------------------------- cache
@pytest.fixture(scope="module")
def cache():
    return cache_ttl_tradeoff(
        ttls=[2.0, 10.0], requests=20000, replications=3, max_backend_rate=150.0
    )


def test_cache_hit_ratio_matches_the_ttl_cache_formula(cache):
    """Reference: per key λT/(1+λT) (timer set on a miss), popularity-weighted, computed here
    from the Zipf law (set-on-miss is the scenario's mode)."""
    sc = load_scenario(simulations_dir() / "cache-ttl.toml")
    p = sc.resolved
    pop = zipf_popularity(int(p["keys"]), float(p["zipf_alpha"]))
    lam = pop * float(p["arrival_rate"])
    for row in cache.table.to_dicts():
        x = lam * row["ttl"]
        expected = float(np.sum(lam * x / (1 + x)) / lam.sum())
        assert row["theory_hit_ratio"] == pytest.approx(expected)
        assert row["hit_ratio"] == pytest.approx(expected, abs=0.02)
        assert row["theory_backend_rate"] == pytest.approx(
            float(p["arrival_rate"]) * (1 - expected)
        )
    # a longer TTL: more hits, less backend load, more stale hits
    a, b = cache.table.sort("ttl").to_dicts()
    assert a["hit_ratio"] < b["hit_ratio"]
    assert a["backend_rate"] > b["backend_rate"]
    assert a["stale_given_hit"] < b["stale_given_hit"]


def test_cache_recommends_the_freshest_ttl_under_the_backend_limit(cache):
    rec = cache.recommended
    assert rec is not None
    assert rec["backend_rate_ci_high"] <= 150.0
    meets = cache.table.filter("meets")
    assert rec["stale_given_hit"] == meets["stale_given_hit"].min()
    ev = cache.evidence()
    assert ev["summary"].startswith(f"TTL {rec['ttl']:g} s is the freshest setting")
    theory = cache.theory_frame("hit_ratio")
    assert set(theory["source"]) == {"simulation", "theory"}
    strict = cache_ttl_tradeoff(ttls=[2.0], requests=2000, replications=2, max_backend_rate=1.0)
    assert strict.recommended is None
    assert strict.summary().startswith("No TTL kept the backend under 1 fetches/s")


def test_cache_capacity_rows_have_no_ttl_theory():
    r = cache_ttl_tradeoff(ttls=[10.0], capacities=[None, 50], requests=3000, replications=2)
    caps = dict(
        zip(r.table["capacity"].to_list(), r.table["theory_hit_ratio"].to_list(), strict=True)
    )
    assert caps[None] is not None
    assert caps[50] is None
    assert r.table.filter(pl.col("capacity") == 50)["hit_ratio"][0] < caps[None]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"ttls": []}, "ttls is empty"),
        ({"ttls": [-1]}, r"ttls holds -1"),
        ({"capacities": [0]}, r"capacities=\[0\]"),
        ({"requests": 0}, "requests=0"),
        ({"max_backend_rate": 0}, "max_backend_rate=0"),
        ({"scenario": "coldstart.toml"}, "needs a 'cache' scenario"),
    ],
)
def test_cache_bad_parameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        cache_ttl_tradeoff(**kwargs)


# ------------------------------------------------------------------------------ coldstart
POISSON = Scenario(
    "coldstart",
    {
        "workload": "poisson",
        "arrival_rate": 0.02,
        "execution_time": "const:0",
        "init_time": "const:0.5",
        "memory_mb": 1024,
    },
    duration=200_000.0,
    replications=3,
    seed=3,
)


def test_cold_fraction_matches_exp_minus_lambda_k():
    """Reference: e^{-λK} is exact for Poisson arrivals, zero execution time, one instance
    (cold iff the gap since the last invocation exceeds K); provisioned instances take all."""
    r = coldstart_tradeoff(scenario=POISSON, keep_alives=[20.0, 60.0], provisioned=[0, 1])
    od = r.table.filter(pl.col("provisioned") == 0)
    for row in od.to_dicts():
        expected = math.exp(-0.02 * row["keep_alive"])
        assert row["theory_cold_fraction"] == pytest.approx(expected)
        assert row["cold_fraction"] == pytest.approx(expected, abs=0.03)
    prov = r.table.filter(pl.col("provisioned") == 1)
    assert prov["cold_fraction"].max() == 0.0
    assert prov["theory_cold_fraction"].null_count() == prov.height
    # a provisioned instance bills its memory all day: 1 GB x 86400 s x the published price
    by = {(x["keep_alive"], x["provisioned"]): x for x in r.table.to_dicts()}
    extra = by[(60.0, 1)]["cost_per_day"] - by[(60.0, 0)]["cost_per_day"]
    assert extra == pytest.approx(86400 * 0.0000041667, rel=0.05)


def test_coldstart_recommends_the_cheapest_setting_under_the_budget():
    r = coldstart_tradeoff(
        scenario=POISSON, keep_alives=[20.0, 200.0], provisioned=[0, 1], max_cold_fraction=0.05
    )
    rec = r.recommended
    assert rec is not None
    assert rec["cold_fraction_ci_high"] <= 0.05
    ok = r.table.filter("meets")
    assert rec["total_cost_per_day"] == ok["total_cost_per_day"].min()
    assert rec["total_cost_per_day"] == pytest.approx(
        rec["cost_per_day"] + rec["warm_cost_per_day"]
    )
    ev = r.evidence()
    assert ev["summary"].startswith(f"Keep-alive {rec['keep_alive']:g} s with")
    assert ev["recommended"]["provisioned"] == rec["provisioned"]


def test_whatif_evidence_is_json(capacity, cache, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPBENCH_OUT", str(tmp_path))
    for name, res in (("capacity_whatif", capacity), ("cache_ttl_tradeoff", cache)):
        ev = json.loads(emit_evidence(name, res.evidence()).read_text())
        assert isinstance(ev["summary"], str)
        assert ev["settings"]
        assert ev["recommended"] is not None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"keep_alives": ["x"]}, "keep_alives holds 'x'"),
        ({"provisioned": [-1]}, r"provisioned=-1"),
        ({"max_cold_fraction": 1.5}, "max_cold_fraction=1.5"),
        ({"duration": -5}, "duration=-5"),
        ({"scenario": "service-hpa.toml"}, "needs a 'coldstart' scenario"),
    ],
)
def test_coldstart_bad_parameters(kwargs, match):
    with pytest.raises(ConfigError, match=match):
        coldstart_tradeoff(**kwargs)


def test_docstring_examples_run():
    """The modules' Examples sections are doctests."""
    import doctest

    from pipbench.workflows import _select, canary, whatif

    for mod in (_select, canary, whatif):
        assert doctest.testmod(mod, optionflags=doctest.ELLIPSIS).failed == 0


def test_results_do_not_depend_on_the_executor(cache):
    """Common random numbers: the same seeds per replication whatever runs them."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        again = cache_ttl_tradeoff(
            ttls=[2.0, 10.0], requests=20000, replications=3, max_backend_rate=150.0, executor=pool
        )
    assert again.table.equals(cache.table)


def test_without_enough_spans_the_service_time_comes_from_the_histogram(demo_dataset, monkeypatch):
    """Fallback: a log-normal fitted to the version's histogram (p50, p90). Reference: the
    spans are an independent sample of the same requests, so their median is close."""
    from pipbench.workflows import whatif

    monkeypatch.setattr(whatif, "_MIN_EVENTS", 10**9)
    r = capacity_whatif(
        demo_dataset,
        start=START,
        end=END,
        versions=["2.4.0"],
        min_replicas=[1],
        target_utilization=[70],
        replications=1,
        speedup=24.0,
    )
    (row,) = r.service_times.to_dicts()
    assert row["source"] == "histogram"
    ev = open_dataset(demo_dataset, create=False).events().collect()
    median = ev.filter(pl.col("service_version") == "2.4.0")["duration_s"].median()
    assert row["p50_s"] == pytest.approx(median, rel=0.2)
    assert row["n"] > 1_000_000  # every request of the release, not a sample
