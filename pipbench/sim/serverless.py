"""The serverless model: keep-alive, cold starts, provisioned concurrency, pre-warming, cost.

An invocation goes to a provisioned instance with a free slot, else to a warm on-demand
instance (the most recently used first), else it cold-starts a new on-demand instance and
waits its init time. An on-demand instance that falls idle stays warm for the keep-alive
window chosen by the policy, then is reclaimed. Two policies:

- :class:`FixedKeepAlive`: keep warm for ``K`` seconds (the providers' fixed window).
- :class:`HistogramKeepAlive`: the hybrid histogram policy of Shahrad et al., "Serverless
  in the Wild" (USENIX ATC 2020): record idle times (end of an execution to the next
  arrival) in a histogram; unload at once and pre-warm after the head percentile (5th, less a
  10 % margin), keep warm until the tail percentile (99th, plus 10 %); while the histogram
  has too few samples or is not representative (coefficient of variation of the bin counts
  below a threshold), fall back to a fixed keep-alive.

Cost follows AWS Lambda's published x86 prices (USD): on-demand GB-seconds, per-request
price, provisioned concurrency GB-seconds for the configured instances over the whole run,
and the lower duration price for work done on provisioned instances. ``bill_init`` charges
on-demand init time as duration (Lambda has billed the INIT phase since August 2025).

Examples
--------
>>> from pipbench.sim.workload import Poisson
>>> fn = Serverless(keep_alive=0.0, execution_time=Distribution("const", 0.0),
...                 init_time=Distribution("const", 0.0))
>>> run = simulate_serverless(fn, Poisson(1.0), requests=100, seed=1)
>>> run.summary()["cold_fraction"]  # no keep-alive: every invocation is cold
1.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from pipbench.errors import ConfigError
from pipbench.sim.distributions import Distribution
from pipbench.sim.workload import Workload

__all__ = [
    "FixedKeepAlive",
    "HistogramKeepAlive",
    "Pricing",
    "Serverless",
    "ServerlessRun",
    "default_init_time",
    "simulate_serverless",
]


@dataclass(frozen=True)
class Pricing:
    """Prices in USD (defaults: AWS Lambda, x86, us-east-1, as published)."""

    per_gb_s: float = 0.0000166667
    per_request: float = 0.20 / 1e6
    provisioned_per_gb_s: float = 0.0000041667
    provisioned_duration_per_gb_s: float = 0.0000097222
    bill_init: bool = True


_PRICING = Pricing()


def default_init_time(memory_mb: int) -> Distribution:
    """A cold-start init time that shrinks with memory (more memory buys more CPU).

    A heuristic, not a measurement: lognormal with mean ``0.1 + 100 / memory_mb`` seconds
    (≈ 0.9 s at 128 MB, 0.3 s at 512 MB, 0.2 s at 1024 MB) and ``σ = 0.3``. Pass a measured
    ``init_time`` when you have one.
    """
    return Distribution("lognormal", 0.1 + 100.0 / memory_mb, 0.3)


@dataclass(frozen=True)
class FixedKeepAlive:
    """Fixed windows: keep an idle instance warm for ``keep_alive`` seconds; with ``prewarm``
    > 0, unload it at once and load a fresh one ``prewarm`` seconds later (init off the
    request path), kept warm for ``keep_alive``."""

    keep_alive: float
    prewarm: float = 0.0

    def __post_init__(self) -> None:
        for name in ("keep_alive", "prewarm"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v >= 0):
                msg = f"{name.replace('_', '-')} must be ≥ 0 seconds, got {v!r}"
                raise ConfigError(msg)

    def start(self) -> FixedKeepAlive:
        return self

    def observe_idle(self, idle: float) -> None:
        """Fixed: learns nothing."""

    def windows(self) -> tuple[float, float]:
        """``(pre-warm, keep-alive)`` for an instance falling idle now."""
        return self.prewarm, self.keep_alive


@dataclass
class HistogramKeepAlive:
    """The hybrid histogram keep-alive/pre-warm policy ("Serverless in the Wild").

    Parameters
    ----------
    bin_s, range_s
        Histogram bin width and range (the paper: 1 minute, 4 hours).
    head, tail
        Percentiles of idle time for the pre-warm and keep-alive windows (5, 99).
    margin
        Safety margin (10 %): pre-warm ``× (1 − margin)``, keep-alive end ``× (1 + margin)``.
    min_samples, cv_threshold
        Below either, use ``fallback`` (a fixed keep-alive).
    """

    bin_s: float = 60.0
    range_s: float = 4 * 3600.0
    head: float = 5.0
    tail: float = 99.0
    margin: float = 0.1
    min_samples: int = 10
    cv_threshold: float = 2.0
    fallback: float = 600.0
    _counts: np.ndarray = field(init=False, repr=False, compare=False)
    _n: int = field(init=False, default=0, repr=False, compare=False)
    _oob: int = field(init=False, default=0, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not (self.bin_s > 0 and self.range_s > self.bin_s):
            msg = f"histogram bin ({self.bin_s!r}) and range ({self.range_s!r}) must be > 0, range > bin"
            raise ConfigError(msg)
        self._counts = np.zeros(math.ceil(self.range_s / self.bin_s), dtype=np.int64)

    def start(self) -> HistogramKeepAlive:
        return HistogramKeepAlive(
            self.bin_s, self.range_s, self.head, self.tail, self.margin,
            self.min_samples, self.cv_threshold, self.fallback,
        )  # fmt: skip

    def observe_idle(self, idle: float) -> None:
        """Record one idle time (seconds)."""
        b = int(idle // self.bin_s)
        if b < self._counts.size:
            self._counts[b] += 1
        else:
            self._oob += 1
        self._n += 1

    def windows(self) -> tuple[float, float]:
        """``(pre-warm, keep-alive)`` from the histogram, or ``(0, fallback)``."""
        c = self._counts
        inside = int(c.sum())
        if inside < self.min_samples or self._oob > 0.5 * self._n:
            return 0.0, self.fallback
        cv = float(c.std() / c.mean()) if c.mean() > 0 else 0.0
        if cv < self.cv_threshold:
            return 0.0, self.fallback
        cum = np.cumsum(c) / inside
        head_bin = int(np.searchsorted(cum, self.head / 100.0))
        tail_bin = int(np.searchsorted(cum, self.tail / 100.0))
        prewarm = head_bin * self.bin_s * (1.0 - self.margin)
        end = (tail_bin + 1) * self.bin_s * (1.0 + self.margin)
        return prewarm, max(end - prewarm, 0.0)


_EXEC_DEFAULT = Distribution("const", 0.1)


@dataclass(frozen=True)
class Serverless:
    """A function on a serverless platform.

    Parameters
    ----------
    keep_alive
        Seconds an idle on-demand instance stays warm (the fixed policy); 0 is allowed.
    execution_time
        Duration of one invocation's work (0 is allowed).
    init_time
        Cold-start init duration; default :func:`default_init_time` of ``memory_mb``.
    memory_mb
        Memory size, for cost and the default init time.
    provisioned
        Provisioned-concurrency instances, always warm.
    concurrency
        Invocations one instance runs at once.
    policy
        ``None`` (fixed ``keep_alive``), a :class:`FixedKeepAlive` (fixed pre-warm and
        keep-alive windows) or a :class:`HistogramKeepAlive`.
    pricing
        :class:`Pricing`.
    """

    keep_alive: float = 600.0
    execution_time: Distribution = _EXEC_DEFAULT
    init_time: Distribution | None = None
    memory_mb: int = 512
    provisioned: int = 0
    concurrency: int = 1
    policy: FixedKeepAlive | HistogramKeepAlive | None = None
    pricing: Pricing = _PRICING

    def __post_init__(self) -> None:
        if not (math.isfinite(self.keep_alive) and self.keep_alive >= 0):
            msg = f"keep-alive must be ≥ 0 seconds, got {self.keep_alive!r}"
            raise ConfigError(msg)
        if int(self.memory_mb) != self.memory_mb or not 64 <= self.memory_mb <= 10240:
            msg = f"memory must be an integer in [64, 10240] MB, got {self.memory_mb!r}"
            raise ConfigError(msg)
        if int(self.provisioned) != self.provisioned or self.provisioned < 0:
            msg = f"provisioned concurrency must be an integer ≥ 0, got {self.provisioned!r}"
            raise ConfigError(msg)
        if int(self.concurrency) != self.concurrency or self.concurrency < 1:
            msg = f"concurrency must be an integer ≥ 1, got {self.concurrency!r}"
            raise ConfigError(msg)

    @property
    def init(self) -> Distribution:
        """The init-time distribution in effect."""
        return self.init_time if self.init_time is not None else default_init_time(self.memory_mb)


class _Instance:
    __slots__ = ("alive", "busy", "gen", "idle_since", "provisioned")

    def __init__(self, provisioned: bool, now: float) -> None:
        self.provisioned = provisioned
        self.busy = 0
        self.alive = True
        self.gen = 0  # bumps on reuse, so stale expiry timers do nothing
        self.idle_since = now


@dataclass
class ServerlessRun:
    """Every invocation of one run and the sampled number of warm instances.

    Attributes
    ----------
    arrival, response, cold, provisioned, execution
        Per invocation: time, response time (init + execution when cold), whether it was
        cold, whether a provisioned instance served it, execution time.
    """

    function: Serverless
    arrival: np.ndarray
    response: np.ndarray
    cold: np.ndarray
    provisioned: np.ndarray
    execution: np.ndarray
    init: np.ndarray
    idle_warm_s: float
    measured: np.ndarray
    t0: float
    t1: float
    states: dict[str, np.ndarray]

    def summary(self) -> dict[str, float]:
        """``invocations``, ``cold_fraction``, ``spillover_fraction``,
        ``idle_warm_s_per_invocation``, ``cost_usd`` and latency figures."""
        fn = self.function
        p = fn.pricing
        m = self.measured
        n = int(m.sum())
        gb = fn.memory_mb / 1024.0
        od = m & ~self.provisioned
        od_s = float(self.execution[od].sum() + (self.init[od].sum() if p.bill_init else 0.0))
        pv_s = float(self.execution[m & self.provisioned].sum())
        span = max(self.t1 - self.t0, 0.0)
        cost = (
            n * p.per_request
            + od_s * gb * p.per_gb_s
            + pv_s * gb * p.provisioned_duration_per_gb_s
            + fn.provisioned * span * gb * p.provisioned_per_gb_s
        )
        resp = self.response[m]
        return {
            "invocations": n,
            "cold_fraction": float(self.cold[m].mean()) if n else math.nan,
            "spillover_fraction": float(od.sum() / n) if n else math.nan,
            "idle_warm_s_per_invocation": self.idle_warm_s / n if n else math.nan,
            "cost_usd": cost,
            "response_mean": float(resp.mean()) if n else math.nan,
            "response_p99": float(np.quantile(resp, 0.99)) if n else math.nan,
        }


class _ServerlessSim:
    def __init__(
        self, fn: Serverless, arr: np.ndarray, exe: np.ndarray, init: np.ndarray, t0: float
    ) -> None:
        self.env = simpy.Environment()
        self.fn = fn
        n = arr.size
        self.arr = arr.tolist()
        self.exe = exe.tolist()
        self.init = init.tolist()
        self.cold = [False] * n
        self.prov = [False] * n
        self.resp = [0.0] * n
        self.init_used = [0.0] * n
        self.t0 = t0
        self.idle = 0.0  # idle warm instance-seconds after t0
        self.conc = fn.concurrency
        self.policy: Any = fn.policy.start() if fn.policy else FixedKeepAlive(fn.keep_alive)
        self.provisioned = [_Instance(True, 0.0) for _ in range(fn.provisioned)]
        self.ptokens: list[_Instance] = [i for i in self.provisioned for _ in range(self.conc)]
        self.tokens: list[_Instance] = []
        self.warm = 0  # live on-demand instances
        self.last_end = -math.inf
        self.samples: dict[str, list[float]] = {"t": [], "warm_instances": [], "busy": []}
        self.busy = 0
        self.seen = 0  # invocations so far (cancels pre-warms scheduled before the latest)

    def _idle_add(self, since: float, until: float) -> None:
        lo = max(since, self.t0)
        if until > lo:
            self.idle += until - lo

    def _take(self, tokens: list[_Instance]) -> _Instance | None:
        while tokens:
            inst = tokens.pop()
            if inst.alive:
                return inst
        return None

    def invocations(self) -> Any:
        env = self.env
        for i, t in enumerate(self.arr):
            d = t - env.now
            yield Timeout(env, d if d > 0 else 0.0)
            now = env.now
            self.seen += 1
            if self.last_end > -math.inf and self.busy == 0:
                self.policy.observe_idle(max(now - self.last_end, 0.0))
            inst = self._take(self.ptokens)
            delay = 0.0
            if inst is None:
                inst = self._take(self.tokens)
                if inst is None:
                    inst = _Instance(False, now)
                    self.warm += 1
                    self.cold[i] = True
                    delay = self.init[i]
                    self.init_used[i] = delay
                    if self.conc > 1:  # the other slots open when init completes
                        ready = Timeout(env, delay, inst)
                        ready.callbacks.append(self._on_init)
            else:
                self.prov[i] = True
            if inst.busy == 0:
                self._idle_add(inst.idle_since, now)
                inst.gen += 1
            inst.busy += 1
            self.busy += 1
            self.resp[i] = delay + self.exe[i]
            ev = Timeout(env, delay + self.exe[i], inst)
            ev.callbacks.append(self._on_done)

    def _on_init(self, ev: Any) -> None:
        inst: _Instance = ev._value
        if inst.alive:
            self.tokens.extend([inst] * (self.conc - 1))

    def _on_done(self, ev: Any) -> None:
        inst: _Instance = ev._value
        now = self.env.now
        inst.busy -= 1
        self.busy -= 1
        self.last_end = now
        if inst.provisioned:
            self.ptokens.append(inst)
            if inst.busy == 0:
                inst.idle_since = now
            return
        if inst.busy > 0:
            self.tokens.append(inst)
            return
        prewarm, keep = self.policy.windows()
        inst.idle_since = now
        if prewarm > 0:  # unload now; a fresh instance is loaded after the pre-warm window
            inst.alive = False
            self.warm -= 1
            ev2 = Timeout(self.env, prewarm, (keep, self.seen))
            ev2.callbacks.append(self._on_prewarm)
            return
        self._keep(inst, keep)

    def _keep(self, inst: _Instance, keep: float) -> None:
        if keep <= 0:
            inst.alive = False
            self.warm -= 1
            return
        self.tokens.append(inst)
        ev = Timeout(self.env, keep, (inst, inst.gen))
        ev.callbacks.append(self._on_expire)

    def _on_prewarm(self, ev: Any) -> None:
        keep, seen = ev._value
        if seen != self.seen:  # an invocation came first: that pre-warm is cancelled
            return
        inst = _Instance(False, self.env.now)
        self.warm += 1
        self.tokens.extend([inst] * self.conc)
        ev2 = Timeout(self.env, keep, (inst, inst.gen))
        ev2.callbacks.append(self._on_expire)

    def _on_expire(self, ev: Any) -> None:
        inst, gen = ev._value
        if inst.alive and inst.gen == gen and inst.busy == 0:
            inst.alive = False
            self.warm -= 1
            self._idle_add(inst.idle_since, self.env.now)

    def sampler(self, interval: float) -> Any:
        while True:
            self.samples["t"].append(self.env.now)
            self.samples["warm_instances"].append(self.warm + len(self.provisioned))
            self.samples["busy"].append(self.busy)
            yield Timeout(self.env, interval)


def simulate_serverless(
    function: Serverless,
    workload: Workload,
    *,
    requests: int | None = None,
    duration: float | None = None,
    seed: int | np.random.SeedSequence = 0,
    warmup: float = 0.0,
) -> ServerlessRun:
    """Run the serverless model once (arguments as in
    :func:`pipbench.sim.service.simulate_service`)."""
    if not 0 <= warmup < 1:
        msg = f"warmup must be a fraction in [0, 1), got {warmup!r}"
        raise ConfigError(msg)
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    r_arr, r_exe, r_init = (np.random.default_rng(s) for s in ss.spawn(3))
    arr = workload.arrivals(r_arr, n=requests, duration=duration)
    n = arr.size
    exe = function.execution_time.sample(r_exe, n)
    init = function.init.sample(r_init, n)
    horizon = float(arr[-1]) if n else float(duration or 0.0)
    if requests is not None:
        k0 = min(int(warmup * n), max(n - 1, 0))
        t0 = float(arr[k0]) if n else 0.0
        measured = np.arange(n) >= k0
        t1 = horizon
    else:
        t0 = warmup * float(duration or 0.0)
        measured = arr >= t0
        t1 = float(duration or horizon)
    sim = _ServerlessSim(function, arr, exe, init, t0)
    env = sim.env
    proc = env.process(sim.invocations())
    env.process(sim.sampler(max(horizon / 500.0, 1e-6)))
    env.run(until=proc)
    if t1 > env.now:
        env.run(until=t1)
    # close the books at t1: idle time of instances still warm (and provisioned ones)
    for inst in sim.provisioned:
        if inst.busy == 0:
            sim._idle_add(inst.idle_since, t1)
    for inst in {id(x): x for x in sim.tokens}.values():
        if inst.alive and inst.busy == 0:
            sim._idle_add(inst.idle_since, t1)
    return ServerlessRun(
        function=function,
        arrival=arr,
        response=np.asarray(sim.resp),
        cold=np.asarray(sim.cold, bool),
        provisioned=np.asarray(sim.prov, bool),
        execution=exe,
        init=np.asarray(sim.init_used),
        idle_warm_s=sim.idle,
        measured=measured,
        t0=t0,
        t1=t1,
        states={k: np.asarray(v, float) for k, v in sim.samples.items()},
    )
