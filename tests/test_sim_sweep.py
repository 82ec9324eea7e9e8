"""Sweeps and replications: results independent of the executor (serial, process pool, Dask
LocalCluster) thanks to per-task seeds; common random numbers across grid points; Student-t
intervals (checked against scipy); the Pareto frontier against a brute-force definition;
scenario files; simulated telemetry written to a dataset and read back."""

from __future__ import annotations

import itertools
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from pipbench.dataset import open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.sim.output import to_frames, write_run
from pipbench.sim.scenario import Scenario, load_scenario
from pipbench.sim.sweep import executor, pareto_front, run_once, summarize, sweep

ROOT = Path(__file__).resolve().parents[1]
SC = Scenario(
    "service",
    {"arrival_rate": 3.0, "service_time": "exp:1", "queue_limit": 2},
    requests=600,
    replications=3,
    seed=42,
)
GRID = {"replicas": [3, 4], "routing": ["shared", "random"]}


def test_results_do_not_depend_on_the_executor() -> None:
    serial = sweep(SC, GRID)
    with ProcessPoolExecutor(2) as pool:
        procs = sweep(SC, GRID, executor=pool)
    with executor("dask", 2) as dask_ex:
        dask = sweep(SC, GRID, executor=dask_ex)
    assert serial.equals(procs)
    assert serial.equals(dask)
    assert serial.height == 4
    assert serial.select("replicas", "routing").rows() == list(
        itertools.product([3, 4], ["shared", "random"])
    )


def test_common_random_numbers_across_grid_points() -> None:
    """Replication r sees the same arrivals in every scenario of the grid."""
    a = run_once(SC.with_params(replicas=3), 1, keep_run=True)
    b = run_once(SC.with_params(replicas=5), 1, keep_run=True)
    c = run_once(SC.with_params(replicas=3), 2, keep_run=True)
    np.testing.assert_array_equal(a.arrival, b.arrival)
    assert not np.array_equal(a.arrival, c.arrival)


def test_summarize_student_t_interval() -> None:
    xs = [1.0, 2.5, 2.0, 4.0]
    s = summarize([{"x": v} for v in xs], level=0.9)
    lo, hi = stats.t.interval(0.9, len(xs) - 1, loc=np.mean(xs), scale=stats.sem(xs))
    assert s["ci"]["x"] == pytest.approx([lo, hi])
    assert s["replications"] == 4


def test_pareto_front_brute_force() -> None:
    rng = np.random.default_rng(0)
    f = pl.DataFrame({"cost": rng.integers(0, 20, 60), "p99": rng.integers(0, 20, 60)})
    front = pareto_front(f, "cost", "p99")
    pts = f.rows()
    expect = sorted(
        {p for p in pts if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in pts)}
    )
    assert sorted(set(front.rows())) == expect


def test_sweep_table_has_cis_and_marks_the_frontier() -> None:
    t = sweep(SC, {"replicas": [3, 4, 6]})
    assert {"p_block", "p_block_ci_low", "p_block_ci_high", "pareto"} <= set(t.columns)
    assert (t["p_block_ci_low"] <= t["p_block"]).all()
    assert t["p_block"].to_list() == sorted(t["p_block"].to_list(), reverse=True)
    assert t["pareto"].all()  # more replicas: more cost, lower p99, all non-dominated


def test_scenario_files_load_and_build() -> None:
    files = sorted((ROOT / "simulations").glob("*.toml"))
    assert len(files) >= 3
    for f in files:
        sc = load_scenario(f)
        s = run_once(
            sc.with_params(requests=400, warmup=0.0), 0
        )  # a short run of every shipped scenario
        assert s["requests" if sc.model != "coldstart" else "invocations"] == 400


def test_scenario_errors_name_the_key(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('model = "service"\n[params]\narival_rate = 3\n')
    with pytest.raises(InputError, match="unknown service parameter 'arival_rate'"):
        load_scenario(f)
    f.write_text('model = "queue"\n')
    with pytest.raises(InputError, match="model must be one of"):
        load_scenario(f)
    with pytest.raises(ConfigError, match="grid key 'replicas' has no values"):
        sweep(SC, {"replicas": []})


def test_simulated_telemetry_lands_in_the_dataset(tmp_path: Path) -> None:
    """Every request is an events row (503 for rejections) and states are samples rows."""
    run = run_once(SC.with_params(replicas=2), 0, keep_run=True)
    ds = open_dataset(tmp_path / "ds")
    counts = write_run(ds, run, key="sim-a", labels={"scenario": "a"})
    ev = ds.events().collect()
    assert counts["events"] == ev.height == run.arrival.size
    assert (ev["status"] == "503").sum() == int(run.rejected.sum())
    assert ev.filter(pl.col("ok"))["duration_s"].to_numpy() == pytest.approx(
        (run.end - run.arrival)[~run.rejected]
    )
    metrics = set(ds.samples().collect()["metric"].unique())
    assert {"sim_replicas", "sim_queue_length", "sim_utilization"} <= metrics
    write_run(ds, run, key="sim-a", labels={"scenario": "a"})  # same key replaces
    assert ds.events().collect().height == ev.height


@pytest.mark.parametrize("model", ["cache", "coldstart"])
def test_other_models_convert(model: str) -> None:
    params = {"arrival_rate": 5.0, **({"ttl": 1.0} if model == "cache" else {})}
    run = run_once(Scenario(model, params, requests=300), 0, keep_run=True)  # type: ignore[arg-type]
    frames = to_frames(run)
    assert frames["events"].height == 300
    assert frames["samples"].height > 0


def test_dataset_statistics_match_the_summary(tmp_path: Path) -> None:
    """SLIs computed from the written events (polars over the dataset) reproduce the run's own
    summary: the 503 ratio, and the p99 of successful requests (numpy's linear quantile)."""
    run = run_once(SC.with_params(replicas=2), 0, keep_run=True)
    ds = open_dataset(tmp_path / "ds")
    write_run(ds, run, key="sim")
    s = run.summary()
    ev = ds.events()
    ratio = ev.select((~pl.col("ok")).mean()).collect().item()
    p99 = (
        ev.filter(pl.col("ok"))
        .select(pl.col("duration_s").quantile(0.99, "linear"))
        .collect()
        .item()
    )
    assert ratio == pytest.approx(s["p_block"])
    assert p99 == pytest.approx(s["response_p99"], rel=1e-6)


def test_prometheus_style_series_agree_with_events(tmp_path: Path) -> None:
    """The exported counter and histogram, read at the last sample, equal the counts and sums
    over the events completed by then (buckets cumulative and monotone, +Inf = _count)."""
    run = run_once(SC.with_params(replicas=2), 0, keep_run=True)
    frames = to_frames(run)
    smp = frames["samples"]
    t_last = smp["timestamp"].max()
    last = smp.filter(pl.col("timestamp") == t_last)
    cutoff = run.states["t"].max()
    ok = ~run.rejected
    done_ok = ok & (run.end <= cutoff)
    rej = run.rejected & (run.arrival <= cutoff)

    def val(metric: str, **lab: str) -> float:
        f = last.filter(pl.col("metric") == metric)
        for k, v in lab.items():
            f = f.filter(pl.col(k) == v)
        return f["value"].item()

    assert val("sim_requests_total", status="200") == done_ok.sum()
    assert val("sim_requests_total", status="503") == rej.sum()
    dur = (run.end - run.arrival)[done_ok]
    assert val("sim_request_duration_seconds_count") == done_ok.sum()
    assert val("sim_request_duration_seconds_sum") == pytest.approx(dur.sum())
    assert val("sim_request_duration_seconds_bucket", le="+Inf") == done_ok.sum()
    assert val("sim_request_duration_seconds_bucket", le="1.0") == (dur <= 1.0).sum()
    buckets = last.filter(pl.col("metric") == "sim_request_duration_seconds_bucket")
    counts = buckets.with_columns(pl.col("le").cast(pl.Float64).alias("b")).sort("b")["value"]
    assert counts.is_sorted()
