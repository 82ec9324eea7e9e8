"""Closed forms for the simulation models: queues, caches, keep-alive cold starts.

Useful to planners on their own (a first answer in microseconds) and the references every
simulator is tested against.

- Erlang B and C, M/M/c waiting-time tail, mean wait and response-time percentiles
  (Kleinrock, *Queueing Systems* vol. 1, §3.5; Harchol-Balter, *Performance Modeling and
  Design of Computer Systems*, ch. 14).
- M/M/c/K: blocking probability, mean wait, probability of waiting (Gross & Harris, §2.5).
- TTL caches under Poisson requests: the timer set on miss and not renewed by hits
  (hit ratio ``λT/(1+λT)``) and the timer reset on every request (``1 − e^{−λT}``)
  (Fofack, Nain, Neglia & Towsley, "Analysis of TTL-based cache networks", 2012), with
  the staleness of hits under Poisson origin updates.
- Che's approximation for LRU under the independent reference model with Zipf popularity
  (Che, Tung & Wang 2002; Fricker, Robert & Roberts 2012).
- Keep-alive cold starts with zero execution time: a request is cold when the gap since the
  previous one exceeds the keep-alive ``K``, so the cold fraction is ``e^{−λK}``.

Examples
--------
>>> round(erlang_b(2, 1.0), 4)
0.2
>>> round(erlang_c(2, 1.0), 4)
0.3333
>>> round(ttl_hit_ratio([1.0], [1.0], ttl=1.0, mode="set-on-miss"), 3)
0.5
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import optimize

from pipbench.errors import ConfigError

__all__ = [
    "MMcK",
    "che_hit_ratio",
    "che_time",
    "cold_start_fraction",
    "erlang_b",
    "erlang_c",
    "keep_alive_idle_per_invocation",
    "mmc_response_quantile",
    "mmc_response_tail",
    "mmc_wait_mean",
    "mmc_wait_tail",
    "mmck",
    "servers_for",
    "ttl_hit_ratio",
    "ttl_stale_given_hit",
    "zipf_popularity",
]

TTLMode = Literal["set-on-miss", "reset-on-hit"]


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        msg = f"{name} must be a positive number, got {value!r}"
        raise ConfigError(msg)
    return float(value)


def _servers(c: int) -> int:
    if int(c) != c or c < 1:
        msg = f"servers c must be a positive integer, got {c!r}"
        raise ConfigError(msg)
    return int(c)


def erlang_b(c: int, a: float) -> float:
    """Blocking probability of M/M/c/c (Erlang B) with offered load ``a = λ/μ`` erlangs.

    Uses the stable recursion ``B(k) = a·B(k−1) / (k + a·B(k−1))``.

    Examples
    --------
    >>> round(erlang_b(1, 1.0), 3)
    0.5
    """
    c = _servers(c)
    a = _positive("offered load a", a)
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """Probability of waiting in M/M/c (Erlang C), offered load ``a = λ/μ < c``.

    Examples
    --------
    >>> round(erlang_c(1, 0.5), 3)  # M/M/1: P(wait) = ρ
    0.5
    """
    c = _servers(c)
    a = _positive("offered load a", a)
    if a >= c:
        msg = f"offered load a={a} must be below the number of servers c={c} for M/M/c"
        raise ConfigError(msg)
    b = erlang_b(c, a)
    return c * b / (c - a * (1.0 - b))


def mmc_wait_mean(lam: float, mu: float, c: int) -> float:
    """Mean time in queue of M/M/c: ``C(c, a) / (cμ − λ)``.

    Examples
    --------
    >>> round(mmc_wait_mean(0.5, 1.0, 1), 3)  # M/M/1: ρ/(μ−λ)
    1.0
    """
    return erlang_c(c, lam / mu) / (c * mu - lam)


def mmc_wait_tail(t: float | np.ndarray, lam: float, mu: float, c: int) -> float | np.ndarray:
    """``P(W > t)`` for M/M/c FCFS: ``C(c, a)·e^{−(cμ−λ)t}``.

    Examples
    --------
    >>> round(float(mmc_wait_tail(0.0, 0.5, 1.0, 1)), 3)
    0.5
    """
    return erlang_c(c, lam / mu) * np.exp(-(c * mu - lam) * np.asarray(t, dtype=float))


def mmc_response_tail(t: float | np.ndarray, lam: float, mu: float, c: int) -> float | np.ndarray:
    """``P(T > t)`` for the response time ``T = W + S`` of M/M/c FCFS.

    ``W`` is 0 with probability ``1 − C`` and exponential with rate ``θ = cμ − λ`` otherwise;
    ``S`` is exponential with rate ``μ``, independent of ``W``.

    Examples
    --------
    >>> round(float(mmc_response_tail(1.0, 0.5, 1.0, 1)), 4)  # M/M/1: e^{−(μ−λ)t}
    0.6065
    """
    t = np.asarray(t, dtype=float)
    pc = erlang_c(c, lam / mu)
    theta = c * mu - lam
    if math.isclose(theta, mu, rel_tol=1e-9):
        conv = (1.0 + mu * t) * np.exp(-mu * t)
    else:
        conv = (theta * np.exp(-mu * t) - mu * np.exp(-theta * t)) / (theta - mu)
    return (1.0 - pc) * np.exp(-mu * t) + pc * conv


def mmc_response_quantile(q: float, lam: float, mu: float, c: int) -> float:
    """The ``q`` quantile of the M/M/c response time (root of ``P(T > t) = 1 − q``).

    Examples
    --------
    >>> round(mmc_response_quantile(0.5, 0.5, 1.0, 1), 4)  # M/M/1: ln 2 / (μ−λ)
    1.3863
    """
    if not 0.0 < q < 1.0:
        msg = f"quantile q must be in (0, 1), got {q!r}"
        raise ConfigError(msg)
    hi = 1.0 / mu
    while float(mmc_response_tail(hi, lam, mu, c)) > 1.0 - q:
        hi *= 2.0
    return float(
        optimize.brentq(
            lambda t: float(mmc_response_tail(t, lam, mu, c)) - (1.0 - q), 0.0, hi, xtol=1e-12
        )
    )


@dataclass(frozen=True)
class MMcK:
    """Steady state of M/M/c/K (``K`` = servers + waiting slots, the system's capacity).

    Attributes
    ----------
    p_block
        Probability an arrival finds the system full (is rejected).
    p_wait
        Probability an accepted arrival waits.
    wait_mean, response_mean
        Mean wait and response of accepted arrivals (Little's law).
    utilization
        Mean fraction of busy servers.
    """

    p_block: float
    p_wait: float
    wait_mean: float
    response_mean: float
    utilization: float


def mmck(lam: float, mu: float, c: int, K: int) -> MMcK:
    """Solve M/M/c/K in log space (stable for large ``K``).

    Examples
    --------
    >>> r = mmck(1.0, 1.0, 1, 1)  # M/M/1/1 = Erlang B with one server
    >>> round(r.p_block, 3)
    0.5
    """
    lam = _positive("arrival rate", lam)
    mu = _positive("service rate", mu)
    c = _servers(c)
    if int(K) != K or c > K:
        msg = f"capacity K must be an integer ≥ c={c}, got {K!r}"
        raise ConfigError(msg)
    n = np.arange(int(K) + 1)
    a = lam / mu
    logp = np.where(
        n <= c,
        n * math.log(a) - np.array([math.lgamma(k + 1) for k in np.minimum(n, c)]),
        c * math.log(a) - math.lgamma(c + 1) + (n - c) * math.log(a / c),
    )
    p = np.exp(logp - logp.max())
    p /= p.sum()
    p_block = float(p[-1])
    lam_eff = lam * (1.0 - p_block)
    lq = float(np.sum(np.maximum(n - c, 0) * p))
    wait = lq / lam_eff
    p_wait = float(p[c:-1].sum() / (1.0 - p_block)) if c < K else 0.0
    busy = float(np.sum(np.minimum(n, c) * p))
    return MMcK(p_block, p_wait, wait, wait + 1.0 / mu, busy / c)


def zipf_popularity(keys: int, alpha: float) -> np.ndarray:
    """Request probabilities ``p_i ∝ i^{−α}`` of keys ``1..keys`` (α = 0 is uniform).

    Examples
    --------
    >>> zipf_popularity(2, 0.0).tolist()
    [0.5, 0.5]
    """
    if int(keys) != keys or keys < 1:
        msg = f"keys must be a positive integer, got {keys!r}"
        raise ConfigError(msg)
    if not (math.isfinite(alpha) and alpha >= 0):
        msg = f"zipf alpha must be ≥ 0, got {alpha!r}"
        raise ConfigError(msg)
    w = np.arange(1, int(keys) + 1, dtype=float) ** (-float(alpha))
    return w / w.sum()


def _rates(popularity: Sequence[float] | np.ndarray, rate: float | Sequence[float]) -> np.ndarray:
    p = np.asarray(popularity, dtype=float)
    return p * np.asarray(rate, dtype=float)


def _ttl_mode(mode: str) -> TTLMode:
    if mode not in ("set-on-miss", "reset-on-hit"):
        msg = f"ttl mode must be 'set-on-miss' or 'reset-on-hit', got {mode!r}"
        raise ConfigError(msg)
    return mode  # type: ignore[return-value]


def ttl_hit_ratio(
    popularity: Sequence[float] | np.ndarray,
    rate: float | Sequence[float],
    *,
    ttl: float,
    mode: TTLMode = "set-on-miss",
) -> float:
    """Hit ratio of a TTL cache with no capacity limit under Poisson requests.

    Per key with request rate ``λ_i = rate·p_i``: ``λ_iT/(1+λ_iT)`` when the timer is set on
    a miss and hits do not renew it; ``1 − e^{−λ_iT}`` when every request resets it. The
    aggregate weights keys by popularity.

    Examples
    --------
    >>> round(ttl_hit_ratio([1.0], 1.0, ttl=1.0, mode="reset-on-hit"), 4)
    0.6321
    """
    mode = _ttl_mode(mode)
    if not (math.isfinite(ttl) and ttl >= 0):
        msg = f"ttl must be ≥ 0 seconds, got {ttl!r}"
        raise ConfigError(msg)
    lam = _rates(popularity, rate)
    x = lam * ttl
    h = x / (1.0 + x) if mode == "set-on-miss" else -np.expm1(-x)
    return float(np.sum(lam * h) / np.sum(lam))


def ttl_stale_given_hit(
    popularity: Sequence[float] | np.ndarray,
    rate: float | Sequence[float],
    *,
    ttl: float,
    update_rate: float,
    mode: TTLMode = "set-on-miss",
) -> float:
    """Probability that a hit returns a stale value, with Poisson origin updates per key.

    A hit is stale when the origin changed since the entry was fetched. Renewal argument per
    key: a cycle starts with a miss (fetch); the ``k``-th following hit has age
    ``X_1+…+X_k`` with ``X_j`` the inter-request gaps, and it is fresh with probability
    ``E[e^{−u·age}]``. With the timer set on miss the hits are the requests in ``(0, T]``;
    with reset-on-hit they continue while every gap is ``< T``, giving fresh hits per cycle
    ``g/(1−g)`` with ``g = λ/(λ+u)·(1 − e^{−(λ+u)T})``.

    Examples
    --------
    >>> ttl_stale_given_hit([1.0], 1.0, ttl=1.0, update_rate=0.0)
    0.0
    """
    mode = _ttl_mode(mode)
    lam = _rates(popularity, rate)
    u = float(update_rate)
    if not (math.isfinite(u) and u >= 0):
        msg = f"update rate must be ≥ 0, got {update_rate!r}"
        raise ConfigError(msg)
    if ttl <= 0 or u == 0:
        return 0.0
    if mode == "set-on-miss":
        # cycles per second λ/(1+λT); hits per cycle λT; stale per cycle λ(T − (1−e^{−uT})/u)
        cycles = lam / (1.0 + lam * ttl)
        hits = cycles * lam * ttl
        stale = cycles * lam * (ttl + np.expm1(-u * ttl) / u)
        return float(stale.sum() / hits.sum())
    h = -np.expm1(-lam * ttl)
    g = lam / (lam + u) * -np.expm1(-(lam + u) * ttl)
    misses = lam * (1.0 - h)
    hits = lam * h
    fresh = misses * g / (1.0 - g)
    return float(1.0 - fresh.sum() / hits.sum())


def che_time(popularity: Sequence[float] | np.ndarray, capacity: int) -> float:
    """Che's characteristic time ``t_C`` (in requests): ``Σ_i (1 − e^{−p_i t_C}) = C``.

    Examples
    --------
    >>> round(che_time([0.5, 0.5], 1), 4)  # 2(1 − e^{−t/2}) = 1
    1.3863
    """
    p = np.asarray(popularity, dtype=float)
    if int(capacity) != capacity or capacity < 1:
        msg = f"capacity must be a positive integer, got {capacity!r}"
        raise ConfigError(msg)
    if capacity >= p.size:
        return math.inf

    def f(t: float) -> float:
        return float(np.sum(-np.expm1(-p * t)) - capacity)

    hi = 1.0
    while f(hi) < 0:
        hi *= 2.0
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-10, rtol=1e-12))


def che_hit_ratio(popularity: Sequence[float] | np.ndarray, capacity: int) -> float:
    """LRU hit ratio by Che's approximation: ``Σ_i p_i (1 − e^{−p_i t_C})``.

    Examples
    --------
    >>> round(che_hit_ratio([0.5, 0.5], 1), 3)
    0.5
    """
    p = np.asarray(popularity, dtype=float)
    t = che_time(p, capacity)
    if math.isinf(t):
        return 1.0
    return float(np.sum(p * -np.expm1(-p * t)))


def cold_start_fraction(rate: float, keep_alive: float) -> float:
    """Fraction of cold invocations with a keep-alive window ``K``: ``e^{−λK}``.

    Exact for Poisson arrivals, zero execution time, one instance; an upper bound on the
    benefit when executions take time.

    Examples
    --------
    >>> round(cold_start_fraction(1.0, 1.0), 4)
    0.3679
    """
    rate = _positive("arrival rate", rate)
    if not (math.isfinite(keep_alive) and keep_alive >= 0):
        msg = f"keep-alive must be ≥ 0 seconds, got {keep_alive!r}"
        raise ConfigError(msg)
    return math.exp(-rate * keep_alive)


def keep_alive_idle_per_invocation(rate: float, keep_alive: float) -> float:
    """Mean idle warm instance-seconds per invocation with keep-alive ``K`` (zero execution
    time, one instance): ``E[min(gap, K)] = (1 − e^{−λK}) / λ``.

    Examples
    --------
    >>> round(keep_alive_idle_per_invocation(1.0, 1.0), 4)
    0.6321
    """
    cold = cold_start_fraction(rate, keep_alive)
    return (1.0 - cold) / rate


def servers_for(
    lam: float,
    mu: float,
    *,
    max_p_wait: float | None = None,
    max_wait_mean: float | None = None,
    response_quantile: tuple[float, float] | None = None,
    max_servers: int = 100_000,
) -> int:
    """The fewest M/M/c servers meeting every given target (a planner's first answer).

    Parameters
    ----------
    lam, mu
        Arrival and per-server service rates.
    max_p_wait
        Upper bound on the Erlang-C probability of waiting.
    max_wait_mean
        Upper bound on the mean wait (seconds).
    response_quantile
        ``(q, t)``: the ``q`` quantile of the response time must be ≤ ``t`` seconds.

    Examples
    --------
    >>> servers_for(8.0, 1.0, max_p_wait=0.2)  # 8 erlangs, at most 20 % of requests wait
    12
    """
    lam = _positive("arrival rate", lam)
    mu = _positive("service rate", mu)
    if (
        response_quantile is not None
        and -math.log(1 - response_quantile[0]) / mu > response_quantile[1]
    ):
        msg = (
            f"response quantile target {response_quantile} is below the service time's own quantile"
        )
        raise ConfigError(msg)

    def ok(c: int) -> bool:
        if lam >= c * mu:
            return False
        if max_p_wait is not None and erlang_c(c, lam / mu) > max_p_wait:
            return False
        if max_wait_mean is not None and mmc_wait_mean(lam, mu, c) > max_wait_mean:
            return False
        if response_quantile is not None:
            q, t = response_quantile
            return mmc_response_quantile(q, lam, mu, c) <= t
        return True

    c = max(1, math.floor(lam / mu))
    while not ok(c):
        c += 1
        if c > max_servers:
            msg = f"no c ≤ {max_servers} meets the targets"
            raise ConfigError(msg)
    return c
