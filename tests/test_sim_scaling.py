"""Target tracking, step scaling and scheduled scaling, step by step against their documented
rules (AWS Application Auto Scaling: target tracking = ceil(current × metric / target) with
cooldowns; step scaling adjustments by metric interval; scheduled minimums)."""

from __future__ import annotations

import pytest

from pipbench.errors import ConfigError
from pipbench.sim.hpa import HPA
from pipbench.sim.scaling import Scheduled, StepScaling, TargetTracking


def test_target_tracking_and_cooldowns() -> None:
    c = TargetTracking(
        target=50.0, min_replicas=1, max_replicas=8, scale_in_cooldown=300
    ).controller()
    assert c.sync(0, current=2, metrics=[90.0, 90.0]) == 4  # ceil(2 × 90/50) = ceil(3.6)
    assert (
        c.sync(60, current=4, metrics=[10.0] * 4) == 4
    )  # scale-in waits 300 s after the last change
    assert c.sync(300, current=4, metrics=[10.0] * 4) == 1  # ceil(4 × 10/50) = ceil(0.8)
    assert c.sync(360, current=1, metrics=[900.0]) == 8  # bounded by max


def test_step_scaling_intervals_and_cooldown() -> None:
    c = StepScaling(min_replicas=1, max_replicas=10, cooldown=120).controller()
    assert c.sync(0, current=3, metrics=[95.0]) == 6  # [90, ∞): +3
    assert c.sync(60, current=6, metrics=[95.0]) == 6  # cooldown
    assert c.sync(120, current=6, metrics=[75.0]) == 7  # [70, 90): +1
    assert c.sync(240, current=7, metrics=[50.0]) == 7  # no step holds 50
    assert c.sync(360, current=7, metrics=[10.0]) == 6  # [0, 30): −1


def test_scheduled_minimum_with_inner_hpa() -> None:
    c = Scheduled(times=(0.0, 100.0), replicas=(2, 6), inner=HPA(1, 10, 50.0)).controller()
    assert c.sync(0, current=2, metrics=[10.0, 10.0]) == 2  # HPA would go to 1; schedule holds 2
    assert c.sync(100, current=2, metrics=[10.0, 10.0]) == 6
    assert c.sync(115, current=6, metrics=[100.0] * 6) == 10  # HPA above the floor: min(12, max 10)


def test_bad_bounds() -> None:
    with pytest.raises(ConfigError, match="min replicas"):
        TargetTracking(min_replicas=5, max_replicas=2)
    with pytest.raises(ConfigError, match="schedule times"):
        Scheduled(times=(10.0, 5.0), replicas=(1, 2))
