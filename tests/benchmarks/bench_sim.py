"""Simulation benchmarks: the service model's speed against a bare SimPy M/M/c loop measured
in the same run, one million requests through the service model (with its accuracy against
Erlang C), and the speed-up of a sweep on 2 workers (process pool and Dask LocalCluster)."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import simpy

from pipbench.sim import analytic
from pipbench.sim.distributions import Distribution
from pipbench.sim.hpa import HPA
from pipbench.sim.scenario import Scenario
from pipbench.sim.service import Service, simulate_service
from pipbench.sim.sweep import executor, sweep
from pipbench.sim.workload import Poisson
from tests.benchmarks._common import Result, timeit

LAM, MU, C = 3.2, 1.0, 4  # M/M/4 at ρ = 0.8


def bare_mmc(n: int, seed: int = 0) -> float:
    """The textbook SimPy M/M/c: a process per customer on a ``Resource``; mean wait."""
    rng = np.random.default_rng(seed)
    inter = rng.exponential(1 / LAM, n).tolist()
    svc = rng.exponential(1 / MU, n).tolist()
    env = simpy.Environment()
    server = simpy.Resource(env, capacity=C)
    waits: list[float] = []

    def customer(env: simpy.Environment, s: float):  # type: ignore[no-untyped-def]
        t = env.now
        with server.request() as req:
            yield req
            waits.append(env.now - t)
            yield env.timeout(s)

    def source(env: simpy.Environment):  # type: ignore[no-untyped-def]
        for i in range(n):
            yield env.timeout(inter[i])
            env.process(customer(env, svc[i]))

    env.process(source(env))
    env.run()
    return float(np.mean(waits))


def _burn(_: int) -> float:
    s = 0
    for i in range(3_000_000):
        s += i
    return float(s)


def parallel_ceiling() -> float:
    """Speed-up of a pure-Python CPU loop on 2 processes: what the machine allows right now
    (≈ 2 on an idle 2-core machine; other jobs on the machine lower it)."""
    t0 = time.perf_counter()
    for i in range(4):
        _burn(i)
    serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        list(pool.map(_burn, range(2)))
        t0 = time.perf_counter()
        list(pool.map(_burn, range(4)))
        par = time.perf_counter() - t0
    return serial / par


def model_mmc(n: int, seed: int = 0) -> dict[str, float]:
    svc = Service(replicas=C, service_time=Distribution("exp", 1 / MU))
    return simulate_service(svc, Poisson(LAM), requests=n, seed=seed, warmup=0.05).summary()


def _sweep_scenario(requests: int) -> Scenario:
    return Scenario(
        "service",
        {"arrival_rate": LAM, "service_time": "exp:1", "queue_limit": 4},
        requests=requests,
        replications=2,
        seed=1,
    )


def run(quick: bool) -> list[Result]:
    out: list[Result] = []
    n = 50_000 if quick else 200_000
    bare = timeit(lambda: bare_mmc(n), repeat=3)
    model = timeit(lambda: model_mmc(n), repeat=3)
    out.append(Result("sim: bare SimPy M/M/c loop", n / bare, "req/s", detail=f"{n} requests"))
    out.append(
        Result("sim: service model (shared queue)", n / model, "req/s", detail=f"{n} requests")
    )
    out.append(Result("sim: service model / bare SimPy", bare / model, "x", target=">= 0.5"))
    hpa = Service(
        replicas=C,
        routing="least-loaded",
        queue_limit=20,
        service_time=Distribution("exp", 1 / MU),
        autoscaler=HPA(2, 12, 70.0),
        provisioning_delay=30.0,
    )
    t_hpa = timeit(lambda: simulate_service(hpa, Poisson(LAM), requests=n, seed=0), repeat=3)
    out.append(
        Result(
            "sim: service model with HPA, least-loaded / bare SimPy",
            bare / t_hpa,
            "x",
            target=">= 0.5",
            detail=f"{n / t_hpa:,.0f} req/s",
        )
    )

    big = 200_000 if quick else 1_000_000
    t0 = time.perf_counter()
    s = model_mmc(big, seed=3)
    el = time.perf_counter() - t0
    ref = analytic.mmc_wait_mean(LAM, MU, C)
    out.append(
        Result(
            f"sim: {big:,} requests through the service model",
            el,
            "s",
            detail=f"{big / el:,.0f} req/s",
        )
    )
    out.append(
        Result(
            "sim: mean wait vs Erlang C (rel. error)",
            abs(s["wait_mean"] / ref - 1),
            "ratio",
            detail=f"{s['wait_mean']:.4f} vs {ref:.4f}",
        )
    )

    ceiling = parallel_ceiling()
    out.append(
        Result(
            "sim: machine's 2-process ceiling (CPU loop control)",
            ceiling,
            "x",
            detail="sweep speed-ups below are bounded by this",
        )
    )
    sc = _sweep_scenario(60_000 if quick else 200_000)
    # warm-up: one full-size task per worker (imports, heap growth, copy-on-write after fork)
    warm = replace(sc, replications=1)
    warm_grid = {"replicas": [4, 5]}
    grid = {"replicas": [4, 5, 6, 7]}
    t0 = time.perf_counter()
    serial = sweep(sc, grid)
    t_serial = time.perf_counter() - t0
    with ProcessPoolExecutor(2) as pool:
        t0 = time.perf_counter()
        sweep(warm, warm_grid, executor=pool)
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        procs = sweep(sc, grid, executor=pool)
        t_pool = time.perf_counter() - t0
    out.append(
        Result(
            "sim: sweep speed-up, process pool of 2",
            t_serial / t_pool,
            "x",
            target=">= 1.7",
            detail=f"serial {t_serial:.1f} s; warm-up {t_start:.1f} s excluded",
        )
    )
    t0 = time.perf_counter()
    with executor("dask", 2) as ex:
        assert ex is not None
        sweep(warm, warm_grid, executor=ex)
        t_start = time.perf_counter() - t0
        t0 = time.perf_counter()
        dask = sweep(sc, grid, executor=ex)
        t_dask = time.perf_counter() - t0
    out.append(
        Result(
            "sim: sweep speed-up, Dask LocalCluster of 2",
            t_serial / t_dask,
            "x",
            target=">= 1.7",
            detail=f"cluster start-up and warm-up {t_start:.1f} s excluded",
        )
    )
    same = serial.equals(procs) and serial.equals(dask)
    out.append(
        Result("sim: sweep tables identical across executors", float(same), "bool", target="1")
    )
    return out
