"""Autoscalers other than the HPA: target tracking, step scaling, scheduled scaling.

Every autoscaler is a frozen spec with a ``controller()`` that returns a fresh stateful loop
with ``sync_period`` and ``sync(t, *, current, metrics, unready=0) -> int``: the same shape
as :class:`pipbench.sim.hpa.HPAController`, so the service model drives any of them.
``metrics`` are the ready replicas' utilizations in percent over the last period.

Examples
--------
>>> c = TargetTracking(target=50.0, min_replicas=1, max_replicas=8).controller()
>>> c.sync(0.0, current=2, metrics=[90.0, 90.0])
4
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from pipbench.errors import ConfigError
from pipbench.sim.hpa import HPA

__all__ = [
    "Autoscaler",
    "Controller",
    "Scheduled",
    "StepScaling",
    "TargetTracking",
]


class Controller(Protocol):
    """A running autoscaler loop."""

    @property
    def sync_period(self) -> float: ...

    def sync(
        self,
        t: float,
        *,
        current: int,
        metrics: Sequence[float] | np.ndarray,
        unready: int = 0,
    ) -> int: ...


class Autoscaler(Protocol):
    """A spec that makes controllers."""

    min_replicas: int
    max_replicas: int

    def controller(self) -> Controller: ...


def _bounds(lo: int, hi: int) -> None:
    if lo < 1 or lo > hi:
        msg = f"min replicas ({lo}) must be ≥ 1 and not above max replicas ({hi})"
        raise ConfigError(msg)


@dataclass(frozen=True)
class TargetTracking:
    """AWS-style target tracking: ``ceil(current × metric / target)`` with cooldowns.

    Scale-out may happen every evaluation after ``scale_out_cooldown``; scale-in waits
    ``scale_in_cooldown`` after the last scaling activity and removes at most what the
    metric asks for.
    """

    target: float = 70.0
    min_replicas: int = 1
    max_replicas: int = 10
    period: float = 60.0
    scale_out_cooldown: float = 0.0
    scale_in_cooldown: float = 300.0

    def __post_init__(self) -> None:
        _bounds(self.min_replicas, self.max_replicas)
        if not self.target > 0 or not self.period > 0:
            msg = f"target ({self.target!r}) and period ({self.period!r}) must be > 0"
            raise ConfigError(msg)

    def controller(self) -> _TargetTrackingLoop:
        return _TargetTrackingLoop(self)


@dataclass
class _TargetTrackingLoop:
    spec: TargetTracking
    _last: float = -math.inf

    @property
    def sync_period(self) -> float:
        return self.spec.period

    def sync(
        self, t: float, *, current: int, metrics: Sequence[float] | np.ndarray, unready: int = 0
    ) -> int:
        s = self.spec
        m = np.asarray(metrics, float)
        if m.size == 0:
            return current
        want = math.ceil(round(current * float(m.mean()) / s.target, 9))
        want = min(max(want, s.min_replicas), s.max_replicas)
        if want > current and t - self._last >= s.scale_out_cooldown:
            self._last = t
            return want
        if want < current and t - self._last >= s.scale_in_cooldown:
            self._last = t
            return want
        return current


@dataclass(frozen=True)
class StepScaling:
    """Step scaling: ``steps`` are ``(lower, upper, adjustment)`` on the mean utilization.

    The first step whose ``[lower, upper)`` holds the metric adds ``adjustment`` replicas
    (negative removes); then nothing happens for ``cooldown`` seconds.
    """

    steps: tuple[tuple[float, float, int], ...] = (
        (0.0, 30.0, -1),
        (70.0, 90.0, 1),
        (90.0, math.inf, 3),
    )
    min_replicas: int = 1
    max_replicas: int = 10
    period: float = 60.0
    cooldown: float = 120.0

    def __post_init__(self) -> None:
        _bounds(self.min_replicas, self.max_replicas)
        for lo, hi, _ in self.steps:
            if not lo < hi:
                msg = f"step bounds must have lower < upper, got ({lo!r}, {hi!r})"
                raise ConfigError(msg)

    def controller(self) -> _StepLoop:
        return _StepLoop(self)


@dataclass
class _StepLoop:
    spec: StepScaling
    _last: float = -math.inf

    @property
    def sync_period(self) -> float:
        return self.spec.period

    def sync(
        self, t: float, *, current: int, metrics: Sequence[float] | np.ndarray, unready: int = 0
    ) -> int:
        s = self.spec
        m = np.asarray(metrics, float)
        if m.size == 0 or t - self._last < s.cooldown:
            return current
        value = float(m.mean())
        for lo, hi, adj in s.steps:
            if lo <= value < hi:
                new = min(max(current + adj, s.min_replicas), s.max_replicas)
                if new != current:
                    self._last = t
                return new
        return current


@dataclass(frozen=True)
class Scheduled:
    """Scheduled scaling: from ``times[i]`` on, keep ``replicas[i]``; optionally an inner
    autoscaler works within ``[replicas[i], max_replicas]`` (a scheduled minimum)."""

    times: tuple[float, ...]
    replicas: tuple[int, ...]
    inner: HPA | TargetTracking | StepScaling | None = None
    period: float = 15.0

    def __post_init__(self) -> None:
        if not self.times or len(self.times) != len(self.replicas):
            msg = "scheduled scaling needs one replica count per time"
            raise ConfigError(msg)
        if any(b <= a for a, b in zip(self.times, self.times[1:], strict=False)):
            msg = f"schedule times must increase strictly, got {list(self.times)}"
            raise ConfigError(msg)
        if min(self.replicas) < 1:
            msg = f"scheduled replicas must be ≥ 1, got {min(self.replicas)}"
            raise ConfigError(msg)

    @property
    def min_replicas(self) -> int:
        return min(self.replicas)

    @property
    def max_replicas(self) -> int:
        return max(max(self.replicas), self.inner.max_replicas if self.inner else 0)

    def controller(self) -> _ScheduledLoop:
        return _ScheduledLoop(self, self.inner.controller() if self.inner else None)


@dataclass
class _ScheduledLoop:
    spec: Scheduled
    inner: Controller | None

    @property
    def sync_period(self) -> float:
        return self.inner.sync_period if self.inner else self.spec.period

    def floor(self, t: float) -> int:
        i = int(np.searchsorted(np.asarray(self.spec.times), t, side="right")) - 1
        return self.spec.replicas[max(i, 0)]

    def sync(
        self, t: float, *, current: int, metrics: Sequence[float] | np.ndarray, unready: int = 0
    ) -> int:
        base = self.floor(t)
        if self.inner is None:
            return base
        return max(base, self.inner.sync(t, current=current, metrics=metrics, unready=unready))
