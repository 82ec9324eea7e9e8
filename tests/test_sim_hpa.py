"""The HPA model step by step against hand-worked examples of the Kubernetes documentation's
algorithm ("Horizontal Pod Autoscaling": algorithm details, scaling policies, default
behavior) and of the controller it describes (replica_calculator.go, horizontal.go).

Each expected number below is worked out by hand in the test's comments from the
documented rules, not taken from the implementation.
"""

from __future__ import annotations

import pytest

from pipbench.errors import ConfigError, InputError
from pipbench.sim.hpa import HPA, Behavior, ScalingPolicy, ScalingRules, replay_hpa


def _calc(target: float = 100.0, **kw: object) -> object:
    return HPA(1, 100, target, **kw).controller()  # type: ignore[arg-type]


def test_doc_example_ratio_doubles_and_halves() -> None:
    """Docs: current 200m against a 100m target doubles the replicas; 50m halves them."""
    c = _calc()
    assert c.replica_count(3, [200.0] * 3) == 6  # ceil(3 × 200/100)
    assert c.replica_count(4, [50.0] * 4) == 2  # ceil(4 × 50/100)


def test_tolerance_skips_small_ratios() -> None:
    """Docs: no action when the ratio is within 0.1 of 1.0. The edge follows the controller's
    float64 arithmetic: |1 − 0.9| = 0.09999999999999998 is inside, |1 − 1.1| =
    0.10000000000000009 is outside, so 110 % does scale (ceil(10 × 1.1) = 11)."""
    c = _calc()
    assert c.replica_count(10, [109.0] * 10) == 10
    assert c.replica_count(10, [91.0] * 10) == 10
    assert c.replica_count(10, [90.0] * 10) == 10
    assert c.replica_count(10, [110.0] * 10) == 11
    assert c.replica_count(10, [111.0] * 10) == 12  # ceil(10 × 1.11) = ceil(11.1)
    assert c.replica_count(10, [89.0] * 10) == 9  # ceil(8.9)


def test_ceil_of_average_over_ready_pods() -> None:
    """desired = ceil(ratio × pods): pods at 60, 80, 130 → average 90 against target 50 →
    ratio 1.8 → ceil(5.4) = 6."""
    assert _calc(50.0).replica_count(3, [60.0, 80.0, 130.0]) == 6


def test_unready_pods_count_as_zero_on_scale_up() -> None:
    """Docs: not-yet-ready pods are assumed at 0 % when scaling up. Two ready pods at 150 % of
    a 100 % target with two unready: ratio 1.5 → recomputed (150+150+0+0)/4 = 75 % → 0.75,
    which reverses the direction → no change. With one unready: 300/3 = 100 % → within
    tolerance → no change. Without unready pods: ceil(1.5 × 2) = 3."""
    c = _calc()
    assert c.replica_count(4, [150.0, 150.0], unready=2) == 4
    assert c.replica_count(3, [150.0, 150.0], unready=1) == 3
    assert c.replica_count(2, [150.0, 150.0]) == 3
    # 2 ready at 300 %, 1 unready: (600 + 0)/3 = 200 % → ratio 2 → ceil(2 × 3) = 6
    assert c.replica_count(3, [300.0, 300.0], unready=1) == 6


def test_missing_metrics_are_100_percent_on_scale_down() -> None:
    """Docs: pods without metrics count as 100 % of target on a scale-down, 0 % on a scale-up.
    Ready at 50, 50 with 2 missing: (50+50+100+100)/4 = 75 → ceil(0.75 × 4) = 3.
    Ready at 200, 200 with 2 missing: (400 + 0)/4 = 100 % → within tolerance → 4."""
    c = _calc()
    assert c.replica_count(4, [50.0, 50.0], missing=2) == 3
    assert c.replica_count(4, [200.0, 200.0], missing=2) == 4


def test_default_behavior_scale_up_is_max_of_double_and_four_pods() -> None:
    """Default scaleUp: the larger of 100 % and 4 pods per 15 s. From 1 pod under a demand
    asking for 100: 1 → max(2, 5) = 5 → max(10, 9) = 10 → 20 → 40 → 80 → 100 (max)."""
    hpa = HPA(1, 100, 100.0)
    out = replay_hpa([0], [100.0], pod_request=1.0, hpa=hpa, initial_replicas=1, end=90)
    assert [n for _, n in out] == [5, 10, 20, 40, 80, 100, 100]


def test_legacy_scale_up_limit_is_max_of_double_and_four() -> None:
    """Without behavior the controller caps a scale-up at max(2 × current, 4):
    1 → 4 → 8 → 16 → 32 → 64 → 100."""
    hpa = HPA(1, 100, 100.0, behavior=None)
    out = replay_hpa([0], [100.0], pod_request=1.0, hpa=hpa, initial_replicas=1, end=90)
    assert [n for _, n in out] == [4, 8, 16, 32, 64, 100, 100]


@pytest.mark.parametrize("behavior", ["default", None])
def test_downscale_stabilization_window_of_five_minutes(behavior: object) -> None:
    """Both paths keep the highest recommendation of the last 300 s. Demand 10 pods' worth
    until t = 60, then 2: the recommendation drops to 2 at t = 60, but recommendations of 10
    at t = 0..45 stay in the window while t − 300 < 45 (samples strictly after the cutoff
    count), so the scale-down happens at t = 345 (default: 100 % per 15 s allows it at once)."""
    hpa = HPA(1, 20, 100.0, behavior=behavior)  # type: ignore[arg-type]
    out = dict(
        replay_hpa([0, 60], [10.0, 2.0], pod_request=1.0, hpa=hpa, initial_replicas=10, end=400)
    )
    assert out[330.0] == 10
    assert out[345.0] == 2


def test_doc_scale_down_policies_example() -> None:
    """Docs ("scaling policies"): Pods 4 / 60 s and Percent 10 / 60 s, selectPolicy Max, from
    80 replicas to a target of 10. The Percent policy removes 8 first (80 → 72), then 72 →
    int(72 × 0.9) = 64 ("7.2, rounded up to 8"), 64 → 57, 57 → 51, 51 → 45, 45 → 40; below
    40 the Pods policy allows more: 40 → 36, 36 → 32, 32 → 28, 28 → 24, 24 → 20, 20 → 16,
    16 → 12, 12 → 10. One step per 60 s period (changes inside the period count)."""
    down = ScalingRules(
        0.0, (ScalingPolicy("Pods", 4, 60.0), ScalingPolicy("Percent", 10, 60.0)), "Max"
    )
    up = ScalingRules(0.0, (ScalingPolicy("Percent", 100, 15.0),), "Max")
    hpa = HPA(1, 100, 100.0, behavior=Behavior(up, down))
    out = replay_hpa([0], [10.0], pod_request=1.0, hpa=hpa, initial_replicas=80, end=60 * 14)
    per_minute = [n for t, n in out if t % 60 == 0]
    assert per_minute == [72, 64, 57, 51, 45, 40, 36, 32, 28, 24, 20, 16, 12, 10, 10]
    assert all(n == dict(out)[t - t % 60] for t, n in out)  # nothing moves inside a period


def test_select_policy_min_and_disabled() -> None:
    """selectPolicy Min picks the smaller change (Pods 4 vs Percent 10 at 80: remove 4);
    Disabled forbids scaling in that direction."""
    pols = (ScalingPolicy("Pods", 4, 60.0), ScalingPolicy("Percent", 10, 60.0))
    up = ScalingRules(0.0, (ScalingPolicy("Percent", 100, 15.0),))
    hpa = HPA(1, 100, 100.0, behavior=Behavior(up, ScalingRules(0.0, pols, "Min")))
    assert replay_hpa([0], [10.0], pod_request=1.0, hpa=hpa, initial_replicas=80, end=0) == [
        (0.0, 76)
    ]
    hpa = HPA(1, 100, 100.0, behavior=Behavior(up, ScalingRules(0.0, pols, "Disabled")))
    out = replay_hpa([0], [10.0], pod_request=1.0, hpa=hpa, initial_replicas=80, end=60)
    assert {n for _, n in out} == {80}


def test_min_max_bounds_and_out_of_range_current() -> None:
    """Desired replicas stay within [min, max]; a current count outside is moved to the bound."""
    hpa = HPA(3, 5, 100.0)
    out = replay_hpa([0], [0.0], pod_request=1.0, hpa=hpa, initial_replicas=8, end=15)
    assert out == [(0.0, 5), (15.0, 3)]


def test_readiness_delay_keeps_new_pods_unready() -> None:
    """New pods are not ready for ``readiness_delay``: while unready they count as 0 % on
    scale-up. 1 pod at 400 % → 4 (4 pods asked, default limit 5); next sync the 3 new pods
    are unready, ratio recomputed (400/4 = 100 %) → in tolerance → stay at 4."""
    hpa = HPA(1, 10, 100.0)
    out = replay_hpa(
        [0], [4.0], pod_request=1.0, hpa=hpa, initial_replicas=1, readiness_delay=40, end=30
    )
    assert out == [(0.0, 4), (15.0, 4), (30.0, 4)]


def test_bad_inputs() -> None:
    with pytest.raises(ConfigError, match=r"min replicas \(5\) is above max replicas \(2\)"):
        HPA(5, 2, 50.0)
    with pytest.raises(InputError, match="not sorted"):
        replay_hpa([0, 30, 20], [1, 1, 1], pod_request=1.0, hpa=HPA())
    with pytest.raises(InputError, match="negative"):
        replay_hpa([-5, 30], [1, 1], pod_request=1.0, hpa=HPA())
    with pytest.raises(ConfigError, match="pod request"):
        replay_hpa([0], [1], pod_request=0.0, hpa=HPA())


def test_doc_percent_900_scale_up_example() -> None:
    """Docs ("scaling policies"): scaleUp Percent 900 / 60 s lets a 1-pod app grow
    1 → 10 → 100 → 1000, one ×10 step per 60-second period (the change made at t = 0 counts
    in the periods of the syncs at 15, 30 and 45 s)."""
    up = ScalingRules(0.0, (ScalingPolicy("Percent", 900, 60.0),))
    down = ScalingRules(300.0, (ScalingPolicy("Percent", 100, 15.0),))
    hpa = HPA(1, 5000, 100.0, behavior=Behavior(up, down))
    out = dict(replay_hpa([0], [4000.0], pod_request=1.0, hpa=hpa, initial_replicas=1, end=180))
    assert [out[t] for t in (0.0, 15.0, 45.0, 60.0, 105.0, 120.0, 180.0)] == [
        10,
        10,
        10,
        100,
        100,
        1000,
        4000,
    ]


def test_metric_window_sets_fresh_pods_aside() -> None:
    """Docs (CPU): a pod whose latest metric predates a full window after it became ready is
    set aside like a not-ready pod (0 % on a scale-up). 1 pod, demand 8 pods' worth, target
    100 %: t = 0 → 5 (default limit max(2, 1 + 4)). At t = 15 the 5 pods each serve 160 %.
    Without a window: ratio 1.6 → ceil(1.6 × 5) = 8. With a 30 s window the 4 new pods
    (ready just after t = 0) have no valid metric until after t = 30: (160 + 4 × 0)/5 = 32 %
    reverses the direction → stay at 5, at t = 15 and t = 30; at t = 45 → 8."""
    ref = replay_hpa(
        [0], [8.0], pod_request=1.0, hpa=HPA(1, 100, 100.0), initial_replicas=1, end=45
    )
    assert ref == [(0.0, 5), (15.0, 8), (30.0, 8), (45.0, 8)]
    hpa = HPA(1, 100, 100.0, metric_window=30.0)
    out = replay_hpa([0], [8.0], pod_request=1.0, hpa=hpa, initial_replicas=1, end=45)
    assert out == [(0.0, 5), (15.0, 5), (30.0, 5), (45.0, 8)]
