"""The cache model against TTL-cache theory (both timer kinds, with staleness), Che's
approximation for LRU under Zipf, and the renewal formula for request coalescing. Each
comparison uses the 99.9 % CI of the replication means, except Che, an approximation whose
known error (Fricker et al. 2012: < 1 % at these sizes) is added to the CI."""

from __future__ import annotations

import pytest

from pipbench.errors import ConfigError
from pipbench.sim import analytic as an
from pipbench.sim.cache import Cache, simulate_cache
from pipbench.sim.distributions import Distribution
from pipbench.sim.workload import Poisson
from tests._simstats import check, ci, replications


def _rows(cache: Cache, rate: float, n: int = 6000, r: int = 10, seed: int = 1) -> list:
    return replications(
        lambda s: simulate_cache(cache, Poisson(rate), requests=n, seed=s, warmup=0.2).summary(),
        r,
        seed,
    )


@pytest.mark.parametrize("mode", ["set-on-miss", "reset-on-hit"])
@pytest.mark.parametrize(("alpha", "ttl"), [(0.8, 1.0), (1.2, 5.0), (0.0, 0.5)])
def test_ttl_hit_ratio_and_staleness(mode: str, alpha: float, ttl: float) -> None:
    cache = Cache(keys=100, zipf_alpha=alpha, ttl=ttl, ttl_mode=mode, update_rate=0.2)  # type: ignore[arg-type]
    rows = _rows(cache, 50.0, seed=int(ttl * 10 + alpha * 100))
    p = cache.popularity
    h = an.ttl_hit_ratio(p, 50.0, ttl=ttl, mode=mode)  # type: ignore[arg-type]
    check(rows, "hit_ratio", h)
    check(rows, "backend_rate", 50.0 * (1 - h))
    check(
        rows,
        "stale_given_hit",
        an.ttl_stale_given_hit(p, 50.0, ttl=ttl, update_rate=0.2, mode=mode),
    )  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("keys", "alpha", "cap"), [(500, 0.8, 50), (1000, 1.0, 100), (200, 0.6, 100)]
)
def test_lru_matches_che(keys: int, alpha: float, cap: int) -> None:
    cache = Cache(keys=keys, zipf_alpha=alpha, capacity=cap)
    rows = _rows(cache, 100.0, n=12000, r=8, seed=keys + cap)
    _mean, lo, hi = ci([r["hit_ratio"] for r in rows])
    che = an.che_hit_ratio(cache.popularity, cap)
    assert lo - 0.01 <= che <= hi + 0.01, (che, lo, hi)


def test_coalescing_renewal_formula() -> None:
    """No caching (TTL 0), one key at λ, fetch latency L: with coalescing a fetch absorbs every
    arrival during L, so the backend sees λ/(1 + λL); without, λ."""
    lat = Distribution("const", 0.5)
    on = _rows(Cache(keys=1, ttl=0.0, backend_latency=lat), 4.0, n=4000, seed=3)
    off = _rows(Cache(keys=1, ttl=0.0, backend_latency=lat, coalescing=False), 4.0, n=4000, seed=3)
    check(on, "backend_rate", 4.0 / (1 + 4.0 * 0.5))
    check(off, "backend_rate", 4.0)


def test_capacity_never_exceeded_and_no_ttl_means_no_expiry() -> None:
    run = simulate_cache(Cache(keys=300, capacity=20), Poisson(10.0), requests=3000, seed=2)
    assert run.states["cache_size"].max() <= 20
    run = simulate_cache(Cache(keys=5, zipf_alpha=0.0), Poisson(10.0), requests=2000, seed=2)
    assert int((run.outcome == 1).sum()) == 5  # each key fetched once, then always a hit


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ttl": -1.0}, "ttl"),
        ({"keys": 0}, "keys"),
        ({"ttl_mode": "lazy"}, "ttl mode"),
        ({"capacity": 0}, "capacity"),
        ({"zipf_alpha": -0.5}, "zipf alpha"),
    ],
)
def test_bad_parameters(kwargs: dict, fragment: str) -> None:
    base = {"keys": 10, **kwargs}
    with pytest.raises(ConfigError, match=fragment):
        Cache(**base)


def test_backend_queue_is_mmc() -> None:
    """No caching (TTL 0), no coalescing, a backend of c = 3 with exponential fetches: the
    backend is M/M/3, so the mean response is the Erlang-C wait plus the mean fetch time."""
    cache = Cache(
        keys=1000,
        ttl=0.0,
        coalescing=False,
        backend_latency=Distribution("exp", 1.0),
        backend_concurrency=3,
    )
    rows = _rows(cache, 2.4, n=5000, r=10, seed=21)
    check(rows, "backend_wait_mean", an.mmc_wait_mean(2.4, 1.0, 3))
    check(rows, "response_mean", an.mmc_wait_mean(2.4, 1.0, 3) + 1.0)


def test_coalescing_relieves_a_saturated_backend() -> None:
    """A hot key behind a slow backend: without coalescing the misses queue up (stampede);
    with it the backend sees one fetch at a time per key and the tail latency drops."""
    kw = {"keys": 20, "zipf_alpha": 1.2, "ttl": 1.0, "backend_latency": Distribution("const", 0.5),
          "backend_concurrency": 4}  # fmt: skip
    on = simulate_cache(Cache(**kw), Poisson(40.0), requests=8000, seed=1).summary()  # type: ignore[arg-type]
    off = simulate_cache(
        Cache(coalescing=False, **kw), Poisson(40.0), requests=8000, seed=1
    ).summary()  # type: ignore[arg-type]
    assert on["backend_rate"] < off["backend_rate"]
    assert on["response_p99"] < off["response_p99"]
