"""Error-budget impact against the SRE Workbook's multiwindow burn-rate table."""

from __future__ import annotations

import math

import pytest

from pipbench.errors import ConfigError, InputError
from pipbench.verify import BURN_RATE_ALERTS, budget_impact
from pipbench.verify.budget import bad_fraction


def test_table_is_the_workbooks() -> None:
    """Reference: SRE Workbook table 5-8 — burn rate × long window / 720 h = budget spent
    (2 %, 5 %, 10 % of a 30-day budget)."""
    rows = [(a.severity, a.long_window, a.short_window, a.burn_rate) for a in BURN_RATE_ALERTS]
    assert rows == [
        ("page", "1h", "5m", 14.4),
        ("page", "6h", "30m", 6.0),
        ("ticket", "3d", "6h", 1.0),
    ]
    for a in BURN_RATE_ALERTS:
        assert a.burn_rate * a.long_hours / (30 * 24) == pytest.approx(a.budget_fraction)


@pytest.mark.parametrize(
    ("canary_bad", "severity", "window"),
    [
        (0.0144, "page", "1h"),
        (0.0143, "page", "6h"),
        (0.006, "page", "6h"),
        (0.0059, "ticket", "3d"),
        (0.001, "ticket", "3d"),
        (0.0009, None, None),
    ],
)
def test_which_alert_trips(canary_bad, severity, window) -> None:
    """Burn rate = bad fraction / (1 − SLO); the most severe alert whose threshold is met."""
    r = budget_impact(0.0002, canary_bad, slo=0.999)
    assert r.burn_rate == pytest.approx(canary_bad / 0.001)
    if severity is None:
        assert r.alert is None
        assert "no burn-rate alert" in r.explanation
    else:
        assert (r.alert.severity, r.alert.long_window) == (severity, window)


def test_days_to_exhaustion_and_delta() -> None:
    r = budget_impact(0.0005, 0.002, slo=0.999)
    assert r.days_to_exhaustion == pytest.approx(30 / 2.0)
    assert r.burn_rate_delta == pytest.approx(1.5)
    assert math.isinf(budget_impact(0.0, 0.0, slo=0.99).days_to_exhaustion)


def test_latency_bad_fraction_and_errors() -> None:
    assert bad_fraction([0.1, 0.2, 0.3, 0.4], 0.25) == 0.5
    with pytest.raises(InputError):
        bad_fraction([], 0.3)
    with pytest.raises(ConfigError, match="slo"):
        budget_impact(0.0, 0.1, slo=99.9)
    with pytest.raises(ConfigError, match="canary_bad_fraction"):
        budget_impact(0.0, 1.5, slo=0.999)


def test_budget_impact_of_an_error_comparison() -> None:
    """The comparison's error fractions feed the burn rate; latency comparisons are refused."""
    from pipbench.verify import budget_impact_of, compare_samples

    r = compare_samples(
        [1, 0, 2], [9, 12, 10], baseline_exposure=[1000] * 3, canary_exposure=[1000] * 3
    )
    imp = budget_impact_of(r, slo=0.999)
    assert imp.burn_rate == pytest.approx((31 / 3000) / 0.001)
    assert imp.baseline_burn_rate == pytest.approx((3 / 3000) / 0.001)
    lat = compare_samples([0.1, 0.2, 0.3, 0.4, 0.5], [0.1, 0.2, 0.3, 0.4, 0.6])
    with pytest.raises(ConfigError, match="bad_fraction"):
        budget_impact_of(lat, slo=0.999)


def test_alert_thresholds_follow_the_slo_window() -> None:
    """Workbook: factor = budget fraction × window / long window (2 % of 7 days in 1 h → 3.36)."""
    r = budget_impact(0.0, 0.004, slo=0.999, window_days=7)  # burn rate 4
    assert r.alert is not None
    assert (r.alert.long_window, r.alert.burn_rate) == ("1h", pytest.approx(0.02 * 7 * 24))
