"""The Kubernetes Horizontal Pod Autoscaler, as documented and as the controller computes it.

References: the Kubernetes documentation, "Horizontal Pod Autoscaling" (algorithm details,
configurable scaling behavior, default behavior) and the controller it describes
(``pkg/controller/podautoscaler/{horizontal,replica_calculator}.go``):

1. Replica calculation, per sync (``--horizontal-pod-autoscaler-sync-period``, 15 s).
   The utilization is the pods' total usage over their total request, truncated to an
   integer percent; ``ratio = utilization / target``. Not-ready pods and pods without
   metrics are set aside. If none are set aside: inside the tolerance (``|1 − ratio| ≤ 0.1``)
   nothing changes, else ``desired = ceil(ratio × ready pods)``. Otherwise the average is
   recomputed with missing pods at 100 % of the target on a scale-down (as documented; recent
   controllers use the larger of 100 % of the request and the target) and 0 % on a scale-up,
   and not-ready pods at 0 % on a scale-up; if that recomputation lands inside the tolerance
   or reverses the direction, nothing changes.
2. Normalisation without ``behavior`` (the legacy path): the recommendation is the highest
   one of the downscale stabilization window (5 min), then clamped to ``[min, max]`` and to
   ``max(2 × current, 4)``.
3. With ``behavior`` (the default when enabled): the recommendation is clamped between the
   lowest recommendation of the scale-up window and the highest of the scale-down window,
   then rate-limited by the policies: each policy allows ``Pods`` or ``Percent`` of the
   replicas at the start of its period (current minus the changes made inside it), and
   ``selectPolicy`` picks the largest change (``Max``), the smallest (``Min``) or none
   (``Disabled``). The default is scale-down: window 300 s, 100 % per 15 s; scale-up:
   window 0, the larger of 100 % and 4 pods per 15 s.

Examples
--------
>>> hpa = HPA(min_replicas=1, max_replicas=10, target=50)
>>> c = hpa.controller()
>>> c.sync(0.0, current=2, metrics=[100.0, 100.0])  # 100 % against a 50 % target: double
4
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from pipbench.errors import ConfigError, InputError

__all__ = [
    "DEFAULT_BEHAVIOR",
    "HPA",
    "Behavior",
    "HPAController",
    "ScalingPolicy",
    "ScalingRules",
    "replay_hpa",
]


@dataclass(frozen=True)
class ScalingPolicy:
    """One ``behavior`` policy: change at most ``value`` pods or percent per ``period_seconds``."""

    type: Literal["Pods", "Percent"]
    value: int
    period_seconds: float

    def __post_init__(self) -> None:
        if self.type not in ("Pods", "Percent"):
            msg = f"policy type must be 'Pods' or 'Percent', got {self.type!r}"
            raise ConfigError(msg)
        if self.value <= 0 or self.period_seconds <= 0:
            msg = f"policy value and periodSeconds must be > 0, got {self.value!r}, {self.period_seconds!r}"
            raise ConfigError(msg)


@dataclass(frozen=True)
class ScalingRules:
    """``behavior.scaleUp`` or ``behavior.scaleDown``."""

    stabilization_window_seconds: float
    policies: tuple[ScalingPolicy, ...]
    select_policy: Literal["Max", "Min", "Disabled"] = "Max"


@dataclass(frozen=True)
class Behavior:
    """``spec.behavior`` of an ``autoscaling/v2`` HorizontalPodAutoscaler."""

    scale_up: ScalingRules
    scale_down: ScalingRules


#: The documented default ``behavior``.
DEFAULT_BEHAVIOR = Behavior(
    scale_up=ScalingRules(
        0.0, (ScalingPolicy("Percent", 100, 15.0), ScalingPolicy("Pods", 4, 15.0)), "Max"
    ),
    scale_down=ScalingRules(300.0, (ScalingPolicy("Percent", 100, 15.0),), "Max"),
)


@dataclass(frozen=True)
class HPA:
    """An HPA spec on a utilization-style metric (a per-pod percent of the request).

    Parameters
    ----------
    min_replicas, max_replicas
        ``spec.minReplicas``/``maxReplicas``.
    target
        ``averageUtilization`` in percent.
    behavior
        A :class:`Behavior`, ``"default"`` (:data:`DEFAULT_BEHAVIOR`) or ``None`` for the
        legacy path.
    tolerance
        ``--horizontal-pod-autoscaler-tolerance`` (0.1).
    sync_period
        ``--horizontal-pod-autoscaler-sync-period`` in seconds (15).
    downscale_stabilization
        ``--horizontal-pod-autoscaler-downscale-stabilization`` in seconds (300), the legacy
        path's window.
    metric_window
        The metrics' collection window: a pod whose latest metric was not collected a full
        window after it became ready is set aside as not ready (the CPU rule of the docs).
        0 (default) counts a pod from the moment it is ready.
    """

    min_replicas: int = 1
    max_replicas: int = 10
    target: float = 80.0
    behavior: Behavior | Literal["default"] | None = "default"
    tolerance: float = 0.1
    sync_period: float = 15.0
    downscale_stabilization: float = 300.0
    metric_window: float = 0.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.metric_window) and self.metric_window >= 0):
            msg = f"metric window must be ≥ 0 seconds, got {self.metric_window!r}"
            raise ConfigError(msg)
        if int(self.min_replicas) != self.min_replicas or self.min_replicas < 1:
            msg = f"min replicas must be an integer ≥ 1, got {self.min_replicas!r}"
            raise ConfigError(msg)
        if self.min_replicas > self.max_replicas:
            msg = f"min replicas ({self.min_replicas}) is above max replicas ({self.max_replicas})"
            raise ConfigError(msg)
        if not self.target > 0:
            msg = f"target utilization must be > 0 percent, got {self.target!r}"
            raise ConfigError(msg)
        if not self.sync_period > 0:
            msg = f"sync period must be > 0 seconds, got {self.sync_period!r}"
            raise ConfigError(msg)
        if not 0 <= self.tolerance < 1:
            msg = f"tolerance must be in [0, 1), got {self.tolerance!r}"
            raise ConfigError(msg)

    @property
    def rules(self) -> Behavior | None:
        """The effective behavior (``None`` on the legacy path)."""
        return DEFAULT_BEHAVIOR if self.behavior == "default" else self.behavior  # type: ignore[return-value]

    def controller(self) -> HPAController:
        """A fresh controller (its recommendation and event history start empty)."""
        return HPAController(self)


@dataclass
class HPAController:
    """The stateful HPA loop for one target; call :meth:`sync` every ``sync_period``."""

    spec: HPA
    _recommendations: list[tuple[float, int]] = field(default_factory=list)
    _up_events: list[tuple[float, int]] = field(default_factory=list)
    _down_events: list[tuple[float, int]] = field(default_factory=list)

    @property
    def sync_period(self) -> float:
        return self.spec.sync_period

    # -------------------------------------------------------------- the calculator
    def replica_count(
        self,
        current: int,
        metrics: Sequence[float] | np.ndarray,
        *,
        unready: int = 0,
        missing: int = 0,
    ) -> int:
        """The metric's desired replicas (``replica_calculator.go``), before normalisation.

        Parameters
        ----------
        current
            The scale target's current replicas.
        metrics
            Per-pod usage of the ready pods that report metrics, in percent of the request.
        unready
            Pods not ready yet (set aside; 0 % on a scale-up).
        missing
            Ready pods without metrics (100 % of target on a scale-down, 0 % on a scale-up).
        """
        m = [float(v) for v in metrics]
        if not m:
            return current  # "did not receive metrics for any ready pods": no change
        tol = self.spec.tolerance
        target = float(self.spec.target)
        ratio = math.trunc(sum(m) / len(m)) / target
        scale_up_with_unready = unready > 0 and ratio > 1.0
        if not scale_up_with_unready and missing == 0:
            if abs(1.0 - ratio) <= tol:
                return current
            return math.ceil(ratio * len(m))
        if missing:
            if ratio < 1.0:
                m += [target] * missing
            elif ratio > 1.0:
                m += [0.0] * missing
        if scale_up_with_unready:
            m += [0.0] * unready
        new_ratio = math.trunc(sum(m) / len(m)) / target
        if abs(1.0 - new_ratio) <= tol or (ratio < 1.0 < new_ratio) or (ratio > 1.0 > new_ratio):
            return current
        new = math.ceil(new_ratio * len(m))
        if (new_ratio < 1.0 and new > current) or (new_ratio > 1.0 and new < current):
            return current
        return new

    # -------------------------------------------------------------- the reconcile loop
    def sync(
        self,
        t: float,
        *,
        current: int,
        metrics: Sequence[float] | np.ndarray,
        unready: int = 0,
        missing: int = 0,
    ) -> int:
        """One controller sync at time ``t`` (seconds): the new replica count."""
        spec = self.spec
        if current > spec.max_replicas:
            desired = spec.max_replicas
        elif current < spec.min_replicas:
            desired = spec.min_replicas
        else:
            raw = self.replica_count(current, metrics, unready=unready, missing=missing)
            rules = spec.rules
            if rules is None:
                desired = self._legacy(t, current, raw)
            else:
                desired = self._with_behavior(t, current, raw, rules)
        if desired != current and spec.rules is not None:
            if desired > current:
                self._up_events.append((t, desired - current))
            else:
                self._down_events.append((t, current - desired))
        return desired

    def _legacy(self, t: float, current: int, raw: int) -> int:
        spec = self.spec
        cutoff = t - spec.downscale_stabilization
        self._recommendations = [(ts, r) for ts, r in self._recommendations if ts > cutoff]
        stabilized = max([raw] + [r for _, r in self._recommendations])
        self._recommendations.append((t, raw))
        up_limit = max(2 * current, 4)
        maximum = min(spec.max_replicas, up_limit)
        minimum = max(spec.min_replicas, 1)
        return min(max(stabilized, minimum), maximum)

    def _with_behavior(self, t: float, current: int, raw: int, rules: Behavior) -> int:
        spec = self.spec
        up_cut = t - rules.scale_up.stabilization_window_seconds
        down_cut = t - rules.scale_down.stabilization_window_seconds
        up_rec = raw
        down_rec = raw
        for ts, r in self._recommendations:
            if ts > up_cut:
                up_rec = min(up_rec, r)
            if ts > down_cut:
                down_rec = max(down_rec, r)
        keep_from = t - max(
            rules.scale_up.stabilization_window_seconds,
            rules.scale_down.stabilization_window_seconds,
        )
        self._recommendations = [(ts, r) for ts, r in self._recommendations if ts >= keep_from]
        self._recommendations.append((t, raw))
        desired = current
        desired = max(desired, up_rec)
        desired = min(desired, down_rec)
        if desired > current:
            limit = max(self._limit(t, current, rules.scale_up, up=True), current)
            return min(desired, min(spec.max_replicas, limit))
        if desired < current:
            limit = min(self._limit(t, current, rules.scale_down, up=False), current)
            return max(desired, max(spec.min_replicas, limit))
        return current

    def _changed(self, events: list[tuple[float, int]], t: float, period: float) -> int:
        return sum(n for ts, n in events if ts > t - period)

    def _limit(self, t: float, current: int, rules: ScalingRules, *, up: bool) -> int:
        if rules.select_policy == "Disabled":
            return current
        pick = max if (rules.select_policy == "Max") == up else min
        result: int | None = None
        for p in rules.policies:
            added = self._changed(self._up_events, t, p.period_seconds)
            deleted = self._changed(self._down_events, t, p.period_seconds)
            start = current - added + deleted
            if up:
                proposed = (
                    start + p.value if p.type == "Pods" else math.ceil(start * (1 + p.value / 100))
                )
            else:
                proposed = start - p.value if p.type == "Pods" else int(start * (1 - p.value / 100))
            result = proposed if result is None else pick(result, proposed)
        return current if result is None else result


def replay_hpa(
    times: Sequence[float] | np.ndarray,
    demand: Sequence[float] | np.ndarray,
    *,
    pod_request: float,
    hpa: HPA,
    initial_replicas: int | None = None,
    readiness_delay: float = 0.0,
    end: float | None = None,
) -> list[tuple[float, int]]:
    """Replay a total-demand step function through the HPA; replicas after every sync.

    The demand (in the unit of ``pod_request``) is shared evenly by the ready pods, so each
    reports ``demand / (ready × pod_request) × 100`` percent. A pod created at a sync is
    ready ``readiness_delay`` seconds later (0: at the next sync) and reports a metric
    ``hpa.metric_window`` seconds after that; until then it is set aside as not ready. Syncs run at
    ``0, sync_period, …`` up to ``end`` (default: the last time of the trace).

    Examples
    --------
    >>> replay_hpa([0, 30], [1.0, 4.0], pod_request=1.0, hpa=HPA(1, 10, 100.0))
    [(0.0, 1), (15.0, 1), (30.0, 4)]
    """
    t = np.asarray(times, dtype=float)
    d = np.asarray(demand, dtype=float)
    if t.size == 0 or t.size != d.size:
        msg = "trace needs the same, non-zero number of times and demands"
        raise InputError(msg)
    if (t < 0).any():
        msg = f"negative time {float(t[t < 0][0])!r}"
        raise InputError(msg, field="t_seconds", expected="times ≥ 0")
    if (np.diff(t) <= 0).any():
        i = int(np.argmax(np.diff(t) <= 0)) + 1
        msg = f"times are not sorted: {t[i]:g} follows {t[i - 1]:g}"
        raise InputError(msg, field="t_seconds", expected="increasing times")
    if not pod_request > 0:
        msg = f"pod request must be > 0, got {pod_request!r}"
        raise ConfigError(msg)
    current = hpa.min_replicas if initial_replicas is None else int(initial_replicas)
    if current < 1:
        msg = f"initial replicas must be ≥ 1, got {initial_replicas!r}"
        raise ConfigError(msg)
    ctl = hpa.controller()
    stop = float(t[-1]) if end is None else float(end)
    ready_at = [-math.inf] * current  # one entry per pod: when it becomes ready
    out: list[tuple[float, int]] = []
    k = 0
    while True:
        now = k * hpa.sync_period
        if now > stop + 1e-9:
            break
        i = int(np.searchsorted(t, now, side="right")) - 1
        load = float(d[max(i, 0)])
        serving = sum(1 for r in ready_at if r <= now)
        measured = sum(1 for r in ready_at if r + hpa.metric_window <= now)
        unready = len(ready_at) - measured
        per_pod = load / (serving * pod_request) * 100.0 if serving else 0.0
        metrics = [per_pod] * measured
        new = ctl.sync(now, current=current, metrics=metrics, unready=unready)
        if new > current:
            ready_at += [now + max(readiness_delay, 1e-9)] * (new - current)
        elif new < current:
            ready_at = sorted(ready_at)[:new]  # the newest pods go first
        current = new
        out.append((now, current))
        k += 1
    return out
