"""The service model against queueing theory.

References: Erlang C and the M/M/c waiting-time and response-time laws
(:mod:`pipbench.sim.analytic`, themselves checked in ``test_sim_analytic``); M/M/c/K
blocking; Poisson splitting (random routing = independent M/M/c/K per replica);
Pollaczek–Khinchine for M/D/1 (an independent closed form). Every comparison uses the
99.9 % confidence interval of the replication means (``tests/_simstats.py``).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench.errors import ConfigError
from pipbench.sim import analytic as an
from pipbench.sim.distributions import Distribution, parse_distribution
from pipbench.sim.hpa import HPA
from pipbench.sim.scaling import Scheduled
from pipbench.sim.service import Service, simulate_service
from pipbench.sim.workload import Poisson, Steps
from tests._simstats import check, replications

EXP1 = Distribution("exp", 1.0)


def _mmc_rows(c: int, lam: float, n: int, r: int, seed: int, **kw: object) -> list:
    svc = Service(replicas=c, service_time=EXP1, **kw)  # type: ignore[arg-type]
    return replications(
        lambda s: simulate_service(svc, Poisson(lam), requests=n, seed=s, warmup=0.2).summary(),
        r,
        seed,
    )


@pytest.mark.parametrize(
    ("c", "rho"),
    [(1, 0.3), (1, 0.8), (2, 0.5), (4, 0.3), (4, 0.9), (8, 0.7), (16, 0.4), (16, 0.9)],
)
def test_mmc_matches_erlang_c(c: int, rho: float) -> None:
    """P(wait), mean wait, p95 response and utilisation of M/M/c vs Erlang C and its tail."""
    lam = rho * c
    n = 4000 if rho < 0.75 else 10000  # heavy traffic relaxes slowly: longer runs
    rows = _mmc_rows(c, lam, n=n, r=12, seed=100 + c)
    check(rows, "p_wait", an.erlang_c(c, lam))
    check(rows, "wait_mean", an.mmc_wait_mean(lam, 1.0, c))
    check(rows, "response_p95", an.mmc_response_quantile(0.95, lam, 1.0, c))
    check(rows, "utilization", rho)
    check(rows, "throughput", lam)


def test_concurrency_is_servers() -> None:
    """4 replicas × concurrency 2 behave as M/M/8 (Erlang C with c = 8)."""
    svc = Service(replicas=4, concurrency=2, service_time=EXP1)
    rows = replications(
        lambda s: simulate_service(svc, Poisson(6.0), requests=4000, seed=s, warmup=0.2).summary(),
        12,
        7,
    )
    check(rows, "p_wait", an.erlang_c(8, 6.0))


@pytest.mark.parametrize(("c", "q", "lam"), [(1, 0, 0.8), (1, 3, 1.2), (2, 3, 3.0), (8, 2, 9.0)])
def test_queue_limit_blocking_matches_mmck(c: int, q: int, lam: float) -> None:
    """The 503 rate with ``q`` waiting slots is M/M/c/K blocking with K = c + q (q = 0: Erlang B)."""
    rows = _mmc_rows(c, lam, n=4000, r=12, seed=200 + c + q, queue_limit=q)
    ref = an.mmck(lam, 1.0, c, c + q)
    check(rows, "p_block", ref.p_block)
    check(rows, "wait_mean", ref.wait_mean)
    if q == 0:
        assert ref.p_block == pytest.approx(an.erlang_b(c, lam))


def test_random_routing_is_poisson_splitting() -> None:
    """Random routing splits Poisson traffic: each replica is M/M/conc/(conc+q) at λ/replicas."""
    svc = Service(replicas=4, concurrency=2, queue_limit=2, routing="random", service_time=EXP1)
    rows = replications(
        lambda s: simulate_service(svc, Poisson(6.0), requests=4000, seed=s, warmup=0.2).summary(),
        12,
        11,
    )
    check(rows, "p_block", an.mmck(1.5, 1.0, 2, 4).p_block)


def test_smarter_routing_blocks_less() -> None:
    """Least-loaded ≤ round-robin ≤ random in 503s on the same requests (common random numbers)."""
    blocks = {}
    for routing in ("random", "round-robin", "least-loaded"):
        svc = Service(replicas=4, concurrency=1, queue_limit=1, routing=routing, service_time=EXP1)
        blocks[routing] = simulate_service(svc, Poisson(3.0), requests=20000, seed=3).summary()[
            "p_block"
        ]
    assert blocks["least-loaded"] < blocks["round-robin"] < blocks["random"]


def test_md1_matches_pollaczek_khinchine() -> None:
    """Constant service times: M/D/1 mean wait ρ/(2μ(1−ρ)) (Pollaczek–Khinchine)."""
    svc = Service(replicas=1, service_time=parse_distribution("const:1"))
    rows = replications(
        lambda s: simulate_service(svc, Poisson(0.6), requests=4000, seed=s, warmup=0.2).summary(),
        12,
        5,
    )
    check(rows, "wait_mean", 0.6 / (2 * 0.4))


def test_common_random_numbers_across_scenarios() -> None:
    """The same seed gives the same arrivals and per-request service times in every scenario."""
    a = simulate_service(Service(replicas=1, service_time=EXP1), Poisson(0.5), requests=500, seed=9)
    b = simulate_service(Service(replicas=3, service_time=EXP1), Poisson(0.5), requests=500, seed=9)
    np.testing.assert_array_equal(a.arrival, b.arrival)
    np.testing.assert_allclose(a.end - a.start, b.end - b.start)
    assert b.summary()["wait_mean"] < a.summary()["wait_mean"]


def test_duration_mode_and_warmup() -> None:
    """``duration`` stops arrivals at S seconds; the warm-up drops that fraction of the window."""
    run = simulate_service(
        Service(replicas=2, service_time=EXP1), Poisson(1.0), duration=500, seed=1, warmup=0.5
    )
    assert run.arrival.max() < 500
    assert run.summary()["requests"] == int((run.arrival >= 250).sum())


def test_hpa_scales_up_on_a_load_step_and_back_down() -> None:
    """A 4× load step makes the HPA add replicas; after it the stabilization window lets it
    shrink again. While the load is steady the utilisation stays at or below the target plus
    the tolerance (55 %): the 5-minute window keeps the highest recent recommendation, so
    noise over-provisions rather than under-provisions."""
    hpa = HPA(min_replicas=2, max_replicas=30, target=50.0)
    svc = Service(replicas=2, service_time=EXP1, autoscaler=hpa, provisioning_delay=10.0)
    wl = Steps([0, 600, 1800], [2.0, 8.0, 2.0])
    run = simulate_service(svc, wl, duration=3000, seed=4)
    t, n = run.changes[:, 0], run.changes[:, 1]
    peak = n[(t > 600) & (t < 1800)].max()
    assert peak >= 12  # 8 busy servers at a 50 % target ask for about 16
    assert n[-1] <= 6
    assert (n >= 2).all()
    assert (n <= 30).all()
    s = run.states
    steady = (s["t"] > 1200) & (s["t"] < 1800)
    assert 0.3 < s["utilization"][steady].mean() <= 0.55


def test_scheduled_scaling_follows_the_schedule() -> None:
    """Scheduled scaling sets the replica count at the scheduled times."""
    sched = Scheduled(times=(0.0, 100.0), replicas=(2, 5), period=10.0)
    svc = Service(replicas=2, service_time=EXP1, autoscaler=sched)
    run = simulate_service(svc, Poisson(1.0), duration=200, seed=1)
    t, n = run.changes[:, 0], run.changes[:, 1]
    assert n[t < 100].max() == 2
    assert n[-1] == 5


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"replicas": 0}, "replicas"),
        ({"routing": "sticky"}, "routing"),
        ({"queue_limit": -1}, "queue limit"),
        ({"provisioning_delay": -2.0}, "provisioning delay"),
    ],
)
def test_bad_configuration_names_the_parameter(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        Service(**kwargs)


@pytest.mark.parametrize("cv", [0.5, 2.0])
def test_mg1_matches_pollaczek_khinchine(cv: float) -> None:
    """Gamma service times: M/G/1 mean wait ρ·E[S]·(1 + CV²) / (2(1 − ρ))."""
    svc = Service(replicas=1, service_time=parse_distribution(f"gamma:1:{cv}"))
    rows = replications(
        lambda s: simulate_service(svc, Poisson(0.5), requests=6000, seed=s, warmup=0.2).summary(),
        12,
        int(cv * 10),
    )
    check(rows, "wait_mean", 0.5 * (1 + cv**2) / (2 * 0.5))


def test_empirical_service_times_from_a_dataset(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """``empirical:DIR`` resamples the dataset's events.duration_s: with one value it is M/D/1."""
    import datetime as dt

    import polars as pl

    from pipbench.dataset import open_dataset

    ds = open_dataset(tmp_path / "ds")
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ds.write(
        {"events": pl.DataFrame({"timestamp": [t] * 3, "duration_s": [0.5] * 3})},
        key="e",
        source="e",
    )
    d = parse_distribution(f"empirical:{tmp_path / 'ds'}")
    assert d.sample(np.random.default_rng(0), 4).tolist() == [0.5] * 4
    run = simulate_service(Service(service_time=d), Poisson(1.0), requests=3000, seed=1)
    assert np.allclose((run.end - run.start), 0.5)


@pytest.mark.parametrize("routing", ["shared", "least-loaded", "round-robin"])
def test_autoscaling_with_every_routing_serves_every_request(routing: str) -> None:
    """Scale-ups and drains never lose a request: completed + rejected = requests, every
    accepted request ends after it starts, and no replica serves more than its concurrency."""
    hpa = HPA(min_replicas=1, max_replicas=10, target=50.0)
    svc = Service(
        replicas=1,
        concurrency=2,
        service_time=EXP1,
        routing=routing,
        queue_limit=5,  # type: ignore[arg-type]
        autoscaler=hpa,
        provisioning_delay=20.0,
    )
    run = simulate_service(svc, Steps([0, 300, 900], [1.0, 6.0, 1.0]), duration=1500, seed=2)
    s = run.summary()
    assert s["completed"] + s["rejected"] == s["requests"] == run.arrival.size
    ok = ~run.rejected
    assert (run.end[ok] >= run.start[ok]).all()
    assert (run.start[ok] >= run.arrival[ok] - 1e-9).all()
    for rid in np.unique(run.replica[ok]):
        sel = run.replica == rid
        ev = np.concatenate(
            [
                np.stack([run.start[sel], np.ones(sel.sum())], 1),
                np.stack([run.end[sel], -np.ones(sel.sum())], 1),
            ]
        )
        ev = ev[np.lexsort((ev[:, 1], ev[:, 0]))]  # ends before starts at equal times
        assert np.cumsum(ev[:, 1]).max() <= 2


@settings(max_examples=20, deadline=None)
@given(
    replicas=st.integers(1, 4),
    conc=st.integers(1, 3),
    qlimit=st.one_of(st.none(), st.integers(0, 3)),
    routing=st.sampled_from(["shared", "random", "round-robin", "least-loaded"]),
    rate=st.floats(0.2, 8.0),
    seed=st.integers(0, 10_000),
)
def test_invariants_hold_for_any_configuration(
    replicas: int, conc: int, qlimit: int | None, routing: str, rate: float, seed: int
) -> None:
    """Conservation (every request completes or is rejected), causality (arrival ≤ start ≤
    end), capacity (never more than ``concurrency`` in service on a replica), FIFO starts with
    a shared queue, and no rejection while a queue is unbounded."""
    svc = Service(
        replicas=replicas,
        concurrency=conc,
        queue_limit=qlimit,
        routing=routing,  # type: ignore[arg-type]
        service_time=Distribution("gamma", 1.0, 1.5),
    )
    run = simulate_service(svc, Poisson(rate), requests=300, seed=seed)
    s = run.summary()
    assert s["completed"] + s["rejected"] == 300
    ok = ~run.rejected
    assert (run.start[ok] >= run.arrival[ok] - 1e-9).all()
    assert (run.end[ok] >= run.start[ok]).all()
    if qlimit is None:
        assert s["rejected"] == 0
    if routing == "shared":
        assert (np.diff(run.start[ok]) >= -1e-9).all()
    for rid in np.unique(run.replica[ok]):
        sel = run.replica == rid
        ev = np.concatenate(
            [
                np.stack([run.start[sel], np.ones(sel.sum())], 1),
                np.stack([run.end[sel], -np.ones(sel.sum())], 1),
            ]
        )
        ev = ev[np.lexsort((ev[:, 1], ev[:, 0]))]
        assert np.cumsum(ev[:, 1]).max() <= conc


@settings(max_examples=12, deadline=None)
@given(
    routing=st.sampled_from(["shared", "random", "round-robin", "least-loaded"]),
    qlimit=st.one_of(st.none(), st.integers(0, 3)),
    delay=st.sampled_from([0.0, 5.0, 40.0]),
    kind=st.sampled_from(["hpa", "legacy", "target", "step"]),
    seed=st.integers(0, 10_000),
)
def test_invariants_hold_under_autoscaling(
    routing: str, qlimit: int | None, delay: float, kind: str, seed: int
) -> None:
    """With scale-ups, cancelled provisioning and drains: conservation, causality, and the
    replica count within the autoscaler's bounds at every change."""
    from pipbench.sim.scaling import StepScaling, TargetTracking

    scaler = {
        "hpa": HPA(1, 6, 50.0, sync_period=5.0),
        "legacy": HPA(1, 6, 50.0, behavior=None, sync_period=5.0, downscale_stabilization=20.0),
        "target": TargetTracking(50.0, 1, 6, period=5.0, scale_in_cooldown=10.0),
        "step": StepScaling(min_replicas=1, max_replicas=6, period=5.0, cooldown=5.0),
    }[kind]
    svc = Service(
        replicas=1,
        concurrency=2,
        queue_limit=qlimit,
        routing=routing,  # type: ignore[arg-type]
        service_time=EXP1,
        autoscaler=scaler,
        provisioning_delay=delay,
    )
    run = simulate_service(svc, Steps([0, 60, 120], [0.5, 6.0, 0.2]), duration=240, seed=seed)
    s = run.summary()
    assert s["completed"] + s["rejected"] == s["requests"] == run.arrival.size
    ok = ~run.rejected
    assert (run.start[ok] >= run.arrival[ok] - 1e-9).all()
    assert (run.end[ok] >= run.start[ok]).all()
    live = run.changes[:, 1]
    assert live.max() <= 6 + 6  # existing ≤ max + draining ones
    assert run.changes[:, 2].min() >= 0
