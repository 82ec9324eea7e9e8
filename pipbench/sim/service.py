"""The service model: replicas serving requests, a waiting limit (503s), routing, autoscaling.

Each replica serves ``concurrency`` requests at once. Requests wait in one shared FIFO queue
(``routing="shared"``, an M/M/c-style pool) or in per-replica FIFO queues chosen by
``random``, ``round-robin`` or ``least-loaded`` routing. ``queue_limit`` is the number of
waiting slots in each queue; an arrival that finds it full is rejected (the 503). Replicas
added by an autoscaler become ready ``provisioning_delay`` seconds later; removed replicas
stop taking work and leave when idle.

The SimPy environment is explicit and the randomness comes from a ``SeedSequence``: one
child stream for arrivals, one for service times (drawn per request, so scenarios sharing a
seed see the same requests: common random numbers), one for routing.

Examples
--------
>>> from pipbench.sim.distributions import parse_distribution
>>> from pipbench.sim.workload import Poisson
>>> svc = Service(replicas=2, service_time=parse_distribution("exp:1.0"))
>>> run = simulate_service(svc, Poisson(1.0), requests=2000, seed=1)
>>> s = run.summary()
>>> s["requests"], s["rejected"]
(2000, 0)
>>> 0.3 < s["utilization"] < 0.7
True
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import simpy
from simpy.events import Timeout

from pipbench.errors import ConfigError
from pipbench.sim.distributions import Distribution
from pipbench.sim.hpa import HPA
from pipbench.sim.scaling import Scheduled, StepScaling, TargetTracking
from pipbench.sim.workload import Workload

__all__ = ["Routing", "Service", "ServiceRun", "simulate_service"]

Routing = Literal["shared", "random", "round-robin", "least-loaded"]
ROUTINGS: tuple[str, ...] = ("shared", "random", "round-robin", "least-loaded")

_EXP1 = Distribution("exp", 1.0)


@dataclass(frozen=True)
class Service:
    """The configuration of a replicated service.

    Parameters
    ----------
    replicas
        Initial replicas (with an autoscaler, clamped to its bounds).
    concurrency
        Requests one replica serves at once.
    service_time
        Service-time distribution (seconds).
    queue_limit
        Waiting slots per queue; ``None`` is unbounded.
    routing
        ``shared`` (one queue) or per-replica queues by ``random``, ``round-robin``,
        ``least-loaded`` (fewest requests in service plus waiting).
    provisioning_delay
        Seconds from an autoscaler's scale-up to the new replica being ready.
    autoscaler
        An :class:`~pipbench.sim.hpa.HPA`, :class:`~pipbench.sim.scaling.TargetTracking`,
        :class:`~pipbench.sim.scaling.StepScaling` or :class:`~pipbench.sim.scaling.Scheduled`.
        Its metric is each ready replica's busy fraction of ``concurrency`` (percent) over
        the last sync period.
    sample_interval
        Seconds between state samples; default: 1/500 of the arrival horizon.
    """

    replicas: int = 1
    concurrency: int = 1
    service_time: Distribution = _EXP1
    queue_limit: int | None = None
    routing: Routing = "shared"
    provisioning_delay: float = 0.0
    autoscaler: HPA | TargetTracking | StepScaling | Scheduled | None = None
    sample_interval: float | None = None

    def __post_init__(self) -> None:
        for name in ("replicas", "concurrency"):
            v = getattr(self, name)
            if int(v) != v or v < 1:
                msg = f"{name} must be an integer ≥ 1, got {v!r}"
                raise ConfigError(msg)
        if self.queue_limit is not None and (
            int(self.queue_limit) != self.queue_limit or self.queue_limit < 0
        ):
            msg = f"queue limit must be an integer ≥ 0, got {self.queue_limit!r}"
            raise ConfigError(msg)
        if self.routing not in ROUTINGS:
            msg = f"routing must be one of {', '.join(ROUTINGS)}, got {self.routing!r}"
            raise ConfigError(msg)
        if not (math.isfinite(self.provisioning_delay) and self.provisioning_delay >= 0):
            msg = f"provisioning delay must be ≥ 0 seconds, got {self.provisioning_delay!r}"
            raise ConfigError(msg)
        if self.sample_interval is not None and not self.sample_interval > 0:
            msg = f"sample interval must be > 0 seconds, got {self.sample_interval!r}"
            raise ConfigError(msg)


class _Replica:
    __slots__ = (
        "active",
        "area",
        "busy",
        "cancelled",
        "id",
        "last",
        "queue",
        "ready",
        "ready_at",
        "t_area",
    )

    def __init__(self, rid: int, now: float) -> None:
        self.id = rid
        self.busy = 0
        self.queue: deque[int] = deque()
        self.active = False  # takes new work
        self.ready = False
        self.cancelled = False
        self.ready_at = now
        self.area = 0.0  # busy-slot-seconds (autoscaling only)
        self.last = now
        self.t_area = now


@dataclass
class ServiceRun:
    """The outcome of one simulation: every request and the sampled states.

    Attributes
    ----------
    arrival, start, end
        Per request, seconds from 0; ``start``/``end`` are NaN for rejected requests.
    replica
        The replica that served each request (-1 if rejected).
    measured
        Mask of the requests counted in statistics (after the warm-up).
    t0, t1
        The measured window (first measured arrival, last arrival).
    states
        Sampled states: ``t``, ``replicas`` (existing), ``ready``, ``busy``, ``queue``,
        ``utilization`` (busy over ready slots).
    """

    service: Service
    arrival: np.ndarray
    start: np.ndarray
    end: np.ndarray
    replica: np.ndarray
    measured: np.ndarray
    t0: float
    t1: float
    states: dict[str, np.ndarray]
    changes: np.ndarray = field(repr=False)  # (t, existing, ready) after each change

    @property
    def rejected(self) -> np.ndarray:
        """Mask of rejected requests."""
        return self.replica < 0

    def _time_average(self, col: int) -> float:
        t, v = self.changes[:, 0], self.changes[:, col]
        lo, hi = self.t0, self.t1
        if hi <= lo:
            i = int(np.searchsorted(t, lo, side="right")) - 1
            return float(v[max(i, 0)])
        edges = np.concatenate([[lo], t[(t > lo) & (t < hi)], [hi]])
        idx = np.searchsorted(t, edges[:-1], side="right") - 1
        return float(np.dot(v[np.maximum(idx, 0)], np.diff(edges)) / (hi - lo))

    def summary(self) -> dict[str, float]:
        """The statistics of the measured requests (the CLI's JSON keys)."""
        m = self.measured
        rej = self.rejected & m
        ok = ~self.rejected & m
        n = int(m.sum())
        n_rej = int(rej.sum())
        wait = self.start[ok] - self.arrival[ok]
        resp = self.end[ok] - self.arrival[ok]
        span = self.t1 - self.t0
        conc = self.service.concurrency
        busy = np.clip(
            np.minimum(self.end[ok], self.t1) - np.maximum(self.start[ok], self.t0), 0, None
        ).sum()
        ready_mean = self._time_average(2)
        util = busy / (ready_mean * conc * span) if span > 0 and ready_mean > 0 else math.nan
        q = np.quantile(resp, [0.5, 0.95, 0.99]) if resp.size else [math.nan] * 3
        return {
            "requests": n,
            "completed": int(ok.sum()),
            "rejected": n_rej,
            "p_block": n_rej / n if n else math.nan,
            "throughput": float(ok.sum()) / span if span > 0 else math.nan,
            "utilization": float(util),
            "p_wait": float((wait > 1e-9).mean()) if wait.size else math.nan,
            "wait_mean": float(wait.mean()) if wait.size else math.nan,
            "response_mean": float(resp.mean()) if resp.size else math.nan,
            "response_p50": float(q[0]),
            "response_p95": float(q[1]),
            "response_p99": float(q[2]),
            "replicas_mean": self._time_average(1),
        }


class _ServiceSim:
    """The SimPy processes of one run (callbacks on the hot path, no per-request process)."""

    def __init__(
        self,
        svc: Service,
        arrivals: np.ndarray,
        service_times: np.ndarray,
        route_u: np.ndarray,
    ) -> None:
        self.env = simpy.Environment()
        self.svc = svc
        n = arrivals.size
        self.n = n
        self.arr = arrivals.tolist()
        self.svc_t = service_times.tolist()
        self.route_u = route_u.tolist()
        self.start = [math.nan] * n
        self.end = [math.nan] * n
        self.who: list[_Replica | None] = [None] * n
        self.conc = svc.concurrency
        self.qlimit = math.inf if svc.queue_limit is None else svc.queue_limit
        self.shared = svc.routing == "shared"
        self.track = svc.autoscaler is not None
        self.queue: deque[int] = deque()
        self.tokens: list[_Replica] = []
        self.routable: list[_Replica] = []
        self.replicas: list[_Replica] = []  # every replica ever created
        self.live: list[_Replica] = []  # provisioning or ready, not draining
        self.rr = 0
        self.left = n
        self.finished = self.env.event()
        self.changes: list[tuple[float, int, int]] = []
        self.samples: dict[str, list[float]] = {
            k: [] for k in ("t", "replicas", "ready", "busy", "queue", "utilization")
        }
        self.existing = 0
        self.n_ready = 0
        initial = svc.replicas
        if svc.autoscaler is not None:
            initial = min(max(initial, svc.autoscaler.min_replicas), svc.autoscaler.max_replicas)
        for _ in range(initial):
            self._add(delay=0.0)
        self._changed()

    # ------------------------------------------------------------------ replicas
    def _changed(self) -> None:
        self.changes.append((self.env.now, self.existing, self.n_ready))

    def _add(self, delay: float) -> None:
        rep = _Replica(len(self.replicas), self.env.now)
        self.replicas.append(rep)
        self.live.append(rep)
        self.existing += 1
        if delay <= 0:
            self._make_ready(rep)
        else:
            ev = Timeout(self.env, delay, rep)
            ev.callbacks.append(self._on_ready)

    def _on_ready(self, ev: Any) -> None:
        rep: _Replica = ev._value
        if not rep.cancelled:
            self._make_ready(rep)
            self._changed()

    def _make_ready(self, rep: _Replica) -> None:
        rep.ready = rep.active = True
        rep.last = rep.t_area = rep.ready_at = self.env.now
        self.n_ready += 1
        if self.shared:
            self.tokens.extend([rep] * self.conc)
            while self.queue:
                tok = self._take()
                if tok is None:
                    break
                self._start(self.queue.popleft(), tok)
        else:
            self.routable.append(rep)

    def _remove(self, k: int) -> None:
        for _ in range(k):
            pending = [r for r in self.live if not r.ready]
            rep = pending[-1] if pending else self.live[-1]
            self.live.remove(rep)
            if not rep.ready:
                rep.cancelled = True
                self.existing -= 1
                continue
            rep.active = False
            if not self.shared:
                self.routable.remove(rep)
            if rep.busy == 0 and not rep.queue:
                self._retire(rep)

    def _retire(self, rep: _Replica) -> None:
        self.existing -= 1
        self.n_ready -= 1
        rep.ready = False

    def scale_to(self, new: int) -> None:
        cur = len(self.live)
        if new > cur:
            for _ in range(new - cur):
                self._add(self.svc.provisioning_delay)
        elif new < cur:
            self._remove(cur - new)
        if new != cur:
            self._changed()

    # ------------------------------------------------------------------ requests
    def _take(self) -> _Replica | None:
        tokens = self.tokens
        while tokens:
            rep = tokens.pop()
            if rep.active:
                return rep
        return None

    def _start(self, i: int, rep: _Replica) -> None:
        now = self.env.now
        if self.track:
            rep.area += rep.busy * (now - rep.last)
            rep.last = now
        rep.busy += 1
        self.start[i] = now
        self.who[i] = rep
        ev = Timeout(self.env, self.svc_t[i], i)
        ev.callbacks.append(self._on_done)

    def _reject(self, i: int) -> None:
        self.left -= 1
        if self.left == 0:
            self.finished.succeed()

    def _arrive(self, i: int) -> None:
        if self.shared:
            rep = self._take()
            if rep is not None:
                self._start(i, rep)
            elif len(self.queue) < self.qlimit:
                self.queue.append(i)
            else:
                self._reject(i)
            return
        reps = self.routable
        if not reps:
            self._reject(i)
            return
        routing = self.svc.routing
        if routing == "random":
            rep = reps[int(self.route_u[i] * len(reps))]
        elif routing == "round-robin":
            self.rr = (self.rr + 1) % len(reps)
            rep = reps[self.rr]
        else:
            rep = min(reps, key=_load)
        if rep.busy < self.conc:
            self._start(i, rep)
        elif len(rep.queue) < self.qlimit:
            rep.queue.append(i)
        else:
            self._reject(i)

    def _on_done(self, ev: Any) -> None:
        i: int = ev._value
        now = self.env.now
        self.end[i] = now
        rep = self.who[i]
        assert rep is not None
        if self.track:
            rep.area += rep.busy * (now - rep.last)
            rep.last = now
        rep.busy -= 1
        if self.shared:
            if rep.active:
                if self.queue:
                    self._start(self.queue.popleft(), rep)
                else:
                    self.tokens.append(rep)
            elif rep.busy == 0 and rep.ready:
                self._retire(rep)
                self._changed()
        elif rep.queue:
            self._start(rep.queue.popleft(), rep)
        elif not rep.active and rep.busy == 0 and rep.ready:
            self._retire(rep)
            self._changed()
        self.left -= 1
        if self.left == 0:
            self.finished.succeed()

    # ------------------------------------------------------------------ processes
    def source(self) -> Any:
        env = self.env
        arrive = self._arrive
        for i, t in enumerate(self.arr):
            d = t - env.now
            yield Timeout(env, d if d > 0 else 0.0)
            arrive(i)

    def scaler(self) -> Any:
        assert self.svc.autoscaler is not None
        ctl = self.svc.autoscaler.controller()
        window = getattr(self.svc.autoscaler, "metric_window", 0.0)
        env = self.env
        while True:
            now = env.now
            metrics = []
            unready = 0
            for rep in self.live:
                if not rep.ready:
                    unready += 1
                    continue
                rep.area += rep.busy * (now - rep.last)
                rep.last = now
                span = now - rep.t_area
                if span > 0 and now - rep.ready_at >= window:
                    metrics.append(100.0 * rep.area / (self.conc * span))
                else:  # ready too recently to have a metric: set aside as not ready
                    unready += 1
                rep.area = 0.0
                rep.t_area = now
            new = ctl.sync(now, current=len(self.live), metrics=metrics, unready=unready)
            self.scale_to(int(new))
            yield Timeout(env, ctl.sync_period)

    def sampler(self, interval: float) -> Any:
        env = self.env
        s = self.samples
        while True:
            busy = sum(r.busy for r in self.replicas if r.ready)
            queue = len(self.queue) + sum(len(r.queue) for r in self.replicas if r.ready)
            s["t"].append(env.now)
            s["replicas"].append(self.existing)
            s["ready"].append(self.n_ready)
            s["busy"].append(busy)
            s["queue"].append(queue)
            s["utilization"].append(busy / (self.n_ready * self.conc) if self.n_ready else 0.0)
            yield Timeout(env, interval)


def _load(rep: _Replica) -> int:
    return rep.busy + len(rep.queue)


def _seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    return seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)


def simulate_service(
    service: Service,
    workload: Workload,
    *,
    requests: int | None = None,
    duration: float | None = None,
    seed: int | np.random.SeedSequence = 0,
    warmup: float = 0.0,
) -> ServiceRun:
    """Run the service model once.

    Parameters
    ----------
    service
        The configuration.
    workload
        The arrival process (:mod:`pipbench.sim.workload`).
    requests, duration
        Simulate the first ``requests`` arrivals, or every arrival before ``duration``.
    seed
        An integer or a ``SeedSequence`` (replications pass spawned children).
    warmup
        Fraction of the requests (or of the duration) left out of the statistics.

    Returns
    -------
    ServiceRun
    """
    if not 0 <= warmup < 1:
        msg = f"warmup must be a fraction in [0, 1), got {warmup!r}"
        raise ConfigError(msg)
    ss = _seed_sequence(seed)
    r_arr, r_svc, r_route = (np.random.default_rng(s) for s in ss.spawn(3))
    arr = workload.arrivals(r_arr, n=requests, duration=duration)
    n = arr.size
    svc_t = service.service_time.sample(r_svc, n)
    route_u = r_route.random(n) if service.routing == "random" else np.empty(0)
    sim = _ServiceSim(service, arr, svc_t, route_u)
    env = sim.env
    horizon = float(arr[-1]) if n else float(duration or 0.0)
    env.process(sim.source())
    if service.autoscaler is not None:
        env.process(sim.scaler())
    interval = service.sample_interval or max(horizon / 500.0, 1e-6)
    env.process(sim.sampler(interval))
    if n:
        env.run(until=sim.finished)
    if requests is not None:
        k = min(int(warmup * n), max(n - 1, 0))
        t0 = float(arr[k]) if n else 0.0
        measured = np.arange(n) >= k
    else:
        t0 = warmup * float(duration or 0.0)
        measured = arr >= t0
    who = np.fromiter((-1 if r is None else r.id for r in sim.who), dtype=np.int64, count=n)
    states = {k: np.asarray(v, dtype=float) for k, v in sim.samples.items()}
    return ServiceRun(
        service=service,
        arrival=arr,
        start=np.asarray(sim.start),
        end=np.asarray(sim.end),
        replica=who,
        measured=measured,
        t0=t0,
        t1=horizon if requests is not None else float(duration or horizon),
        states=states,
        changes=np.asarray(sim.changes, dtype=float),
    )
