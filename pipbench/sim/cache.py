"""The cache model: Zipf keys, TTL (set on miss or reset on hit), LRU capacity, staleness,
request coalescing, and the load and latency it leaves on the backend.

A request for a cached, unexpired key is a hit (and stale if the origin changed since the
entry was fetched). A miss fetches from the backend, which takes ``backend_latency``; with
``coalescing`` further misses for a key already being fetched wait for that fetch instead
of sending their own (no stampede). The timer of an entry is set when it is stored and, in
``reset-on-hit`` mode, reset by every hit. With ``capacity`` the least recently used entry is
evicted when a new one does not fit. Origin updates are Poisson at ``update_rate`` per key.

Examples
--------
>>> from pipbench.sim.workload import Poisson
>>> run = simulate_cache(Cache(keys=100, ttl=10.0), Poisson(50.0), requests=5000, seed=1)
>>> s = run.summary()
>>> 0.0 < s["hit_ratio"] < 1.0, s["requests"]
(True, 5000)
"""

from __future__ import annotations

import math
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import simpy
from simpy.events import Timeout

from pipbench.errors import ConfigError
from pipbench.sim.analytic import zipf_popularity
from pipbench.sim.distributions import Distribution
from pipbench.sim.workload import Workload

__all__ = ["Cache", "CacheRun", "simulate_cache"]

TTLMode = Literal["set-on-miss", "reset-on-hit"]
_ZERO = Distribution("const", 0.0)

# request outcomes
HIT, MISS, COALESCED = 0, 1, 2


@dataclass(frozen=True)
class Cache:
    """A cache in front of a backend.

    Parameters
    ----------
    keys
        Number of distinct keys; key ``i`` (1-based) has popularity ``∝ i^{−zipf_alpha}``.
    zipf_alpha
        Zipf exponent (0 = uniform).
    ttl
        Seconds an entry lives; ``None`` never expires.
    ttl_mode
        ``set-on-miss`` (hits do not renew) or ``reset-on-hit``.
    capacity
        Entries held at most (LRU eviction); ``None`` is unbounded.
    update_rate
        Origin updates per key per second (to measure staleness).
    coalescing
        Misses for a key being fetched wait for that fetch.
    backend_latency
        Service time of a backend fetch.
    backend_concurrency
        Fetches the backend serves at once; more wait in its FIFO queue (so its latency grows
        with the miss rate). ``None``: unlimited.
    """

    keys: int
    zipf_alpha: float = 0.8
    ttl: float | None = None
    ttl_mode: TTLMode = "set-on-miss"
    capacity: int | None = None
    update_rate: float = 0.0
    coalescing: bool = True
    backend_latency: Distribution = _ZERO
    backend_concurrency: int | None = None

    def __post_init__(self) -> None:
        if self.backend_concurrency is not None and (
            int(self.backend_concurrency) != self.backend_concurrency
            or self.backend_concurrency < 1
        ):
            msg = f"backend concurrency must be an integer ≥ 1, got {self.backend_concurrency!r}"
            raise ConfigError(msg)
        if int(self.keys) != self.keys or self.keys < 1:
            msg = f"keys must be an integer ≥ 1, got {self.keys!r}"
            raise ConfigError(msg)
        if self.ttl is not None and not (math.isfinite(self.ttl) and self.ttl >= 0):
            msg = f"ttl must be ≥ 0 seconds, got {self.ttl!r}"
            raise ConfigError(msg)
        if self.ttl_mode not in ("set-on-miss", "reset-on-hit"):
            msg = f"ttl mode must be 'set-on-miss' or 'reset-on-hit', got {self.ttl_mode!r}"
            raise ConfigError(msg)
        if self.capacity is not None and (int(self.capacity) != self.capacity or self.capacity < 1):
            msg = f"capacity must be an integer ≥ 1, got {self.capacity!r}"
            raise ConfigError(msg)
        if not (math.isfinite(self.update_rate) and self.update_rate >= 0):
            msg = f"update rate must be ≥ 0 per key per second, got {self.update_rate!r}"
            raise ConfigError(msg)
        zipf_popularity(self.keys, self.zipf_alpha)  # validates alpha

    @property
    def popularity(self) -> np.ndarray:
        """Request probability of each key."""
        return zipf_popularity(self.keys, self.zipf_alpha)


@dataclass
class CacheRun:
    """Every request of one run and the sampled cache size.

    Attributes
    ----------
    arrival, key, outcome, stale, response
        Per request: time, key (0-based), ``0`` hit / ``1`` miss (fetched) / ``2`` coalesced,
        whether a hit was stale, response time (seconds).
    fetches
        Times backend fetches were requested.
    backend_wait
        Time each started fetch waited in the backend's queue.
    states
        ``t``, ``cache_size``, ``inflight``.
    """

    arrival: np.ndarray
    key: np.ndarray
    outcome: np.ndarray
    stale: np.ndarray
    response: np.ndarray
    fetches: np.ndarray
    backend_wait: np.ndarray
    measured: np.ndarray
    t0: float
    t1: float
    states: dict[str, np.ndarray]

    def summary(self) -> dict[str, float]:
        """``requests``, ``hit_ratio``, ``backend_rate``, ``stale_given_hit`` and more."""
        m = self.measured
        n = int(m.sum())
        hits = (self.outcome == HIT) & m
        span = self.t1 - self.t0
        f = self.fetches[(self.fetches >= self.t0) & (self.fetches <= self.t1)]
        peak = 0.0
        if f.size and span > 0:
            peak = float(np.bincount(((f - self.t0) // 1.0).astype(np.int64)).max())
        resp = self.response[m]
        bw = self.backend_wait
        return {
            "requests": n,
            "hit_ratio": float(hits.sum() / n) if n else math.nan,
            "backend_rate": f.size / span if span > 0 else math.nan,
            "stale_given_hit": float(self.stale[hits].mean()) if hits.any() else 0.0,
            "coalesced_fraction": float(((self.outcome == COALESCED) & m).sum() / n)
            if n
            else math.nan,
            "backend_peak_per_s": peak,
            "response_mean": float(resp.mean()) if resp.size else math.nan,
            "response_p99": float(np.quantile(resp, 0.99)) if resp.size else math.nan,
            "backend_wait_mean": float(bw[(self.fetches >= self.t0)[: bw.size]].mean())
            if bw.size
            else 0.0,
        }


class _CacheSim:
    def __init__(self, cache: Cache, arrivals: np.ndarray, keys: np.ndarray, fetch_t: np.ndarray):
        self.env = simpy.Environment()
        self.c = cache
        n = arrivals.size
        self.arr = arrivals.tolist()
        self.keys = keys.tolist()
        self.fetch_t = fetch_t.tolist()
        self.outcome = [HIT] * n
        self.stale = [False] * n
        self.response = [0.0] * n
        self.fetches: list[float] = []
        self.store: OrderedDict[int, list[float]] = OrderedDict()  # key -> [expires, version]
        self.version = [0] * cache.keys
        self.inflight: dict[int, list[int]] = {}  # key -> requests waiting for its fetch
        self.backlog: deque[tuple[int, int]] = deque()  # fetches waiting for the backend
        self.backend_busy = 0
        self.backend_wait: list[float] = []
        self.nfetch = 0
        self.samples: dict[str, list[float]] = {"t": [], "cache_size": [], "inflight": []}

    def requests(self) -> Any:
        env = self.env
        c = self.c
        ttl = math.inf if c.ttl is None else c.ttl
        reset = c.ttl_mode == "reset-on-hit"
        lru = c.capacity is not None
        store = self.store
        version = self.version
        for i, t in enumerate(self.arr):
            d = t - env.now
            yield Timeout(env, d if d > 0 else 0.0)
            now = env.now
            k = self.keys[i]
            entry = store.get(k)
            if entry is not None and entry[0] > now:
                if entry[1] < version[k]:
                    self.stale[i] = True
                if reset:
                    entry[0] = now + ttl
                if lru:
                    store.move_to_end(k)
                continue
            if entry is not None:
                del store[k]
            if c.coalescing and k in self.inflight:
                self.outcome[i] = COALESCED
                self.inflight[k].append(i)
                continue
            self.outcome[i] = MISS
            self._fetch(i, k, now)

    def _fetch(self, i: int, k: int, now: float) -> None:
        self.fetches.append(now)
        lat = self.fetch_t[self.nfetch]
        self.nfetch += 1
        limit = self.c.backend_concurrency
        if lat <= 0 and limit is None:
            self.backend_wait.append(0.0)
            self._install(k, now, self.version[k])
            return
        if k in self.inflight:  # no coalescing: a second fetch of the same key
            self.inflight[k].append(i)
        else:
            self.inflight[k] = [i]
        if limit is not None and self.backend_busy >= limit:
            self.backlog.append((k, self.nfetch - 1))
            return
        self._start_fetch(k, self.nfetch - 1, now)

    def _start_fetch(self, k: int, f: int, now: float) -> None:
        self.backend_busy += 1
        self.backend_wait.append(now - self.fetches[f])
        ev = Timeout(self.env, self.fetch_t[f], (k, self.version[k]))
        ev.callbacks.append(self._on_fetched)

    def _on_fetched(self, ev: Any) -> None:
        k, ver = ev._value
        now = self.env.now
        self.backend_busy -= 1
        waiting = self.inflight.pop(k, [])
        for i in waiting:
            self.response[i] = now - self.arr[i]
        self._install(k, now, ver)
        if self.backlog:
            k2, f2 = self.backlog.popleft()
            self._start_fetch(k2, f2, now)

    def _install(self, k: int, now: float, ver: int) -> None:
        ttl = math.inf if self.c.ttl is None else self.c.ttl
        if ttl <= 0:
            return
        store = self.store
        store[k] = [now + ttl, ver]
        store.move_to_end(k)
        cap = self.c.capacity
        if cap is not None and len(store) > cap:
            store.popitem(last=False)

    def updates(self, times: np.ndarray, keys: np.ndarray) -> Any:
        env = self.env
        version = self.version
        for t, k in zip(times.tolist(), keys.tolist(), strict=True):
            d = t - env.now
            yield Timeout(env, d if d > 0 else 0.0)
            version[k] += 1

    def sampler(self, interval: float) -> Any:
        while True:
            self.samples["t"].append(self.env.now)
            self.samples["cache_size"].append(len(self.store))
            self.samples["inflight"].append(len(self.inflight))
            yield Timeout(self.env, interval)


def simulate_cache(
    cache: Cache,
    workload: Workload,
    *,
    requests: int | None = None,
    duration: float | None = None,
    seed: int | np.random.SeedSequence = 0,
    warmup: float = 0.0,
) -> CacheRun:
    """Run the cache model once (see :func:`pipbench.sim.service.simulate_service` for the
    meaning of ``requests``, ``duration``, ``seed`` and ``warmup``)."""
    if not 0 <= warmup < 1:
        msg = f"warmup must be a fraction in [0, 1), got {warmup!r}"
        raise ConfigError(msg)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    r_arr, r_key, r_upd, r_lat = (np.random.default_rng(s) for s in ss.spawn(4))
    arr = workload.arrivals(r_arr, n=requests, duration=duration)
    n = arr.size
    keys = r_key.choice(cache.keys, size=n, p=cache.popularity)
    horizon = float(arr[-1]) if n else float(duration or 0.0)
    fetch_t = cache.backend_latency.sample(r_lat, n)
    sim = _CacheSim(cache, arr, keys, fetch_t)
    env = sim.env
    proc = env.process(sim.requests())
    if cache.update_rate > 0 and horizon > 0:
        total = cache.update_rate * cache.keys * horizon
        k = r_upd.poisson(total)
        ut = np.sort(r_upd.uniform(0, horizon, k))
        env.process(sim.updates(ut, r_upd.integers(0, cache.keys, k)))
    env.process(sim.sampler(max(horizon / 500.0, 1e-6)))
    env.run(until=proc)
    while sim.inflight or sim.backlog:  # let the last fetches finish
        env.step()
    if requests is not None:
        k0 = min(int(warmup * n), max(n - 1, 0))
        t0 = float(arr[k0]) if n else 0.0
        measured = np.arange(n) >= k0
        t1 = horizon
    else:
        t0 = warmup * float(duration or 0.0)
        measured = arr >= t0
        t1 = float(duration or horizon)
    return CacheRun(
        arrival=arr,
        key=keys,
        outcome=np.asarray(sim.outcome, dtype=np.int8),
        stale=np.asarray(sim.stale, dtype=bool),
        response=np.asarray(sim.response),
        fetches=np.asarray(sim.fetches),
        backend_wait=np.asarray(sim.backend_wait),
        measured=measured,
        t0=t0,
        t1=t1,
        states={k: np.asarray(v, float) for k, v in sim.samples.items()},
    )
