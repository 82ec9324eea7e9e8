"""Planning: MDE and canary duration against statsmodels power functions and Monte Carlo."""

from __future__ import annotations

import math

import numpy as np
import pytest
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.rates import power_poisson_ratio_2indep

from pipbench.errors import ConfigError
from pipbench.verify import canary_duration, compare_samples, minimum_detectable_effect


def test_mde_t_matches_statsmodels() -> None:
    """Reference: statsmodels NormalIndPower.solve_power for the standardized log shift."""
    d = NormalIndPower().solve_power(
        nobs1=400, ratio=0.5, alpha=0.05, power=0.8, alternative="larger"
    )
    got = minimum_detectable_effect(400, 200, sigma=0.6, test="t")
    assert got == pytest.approx(math.expm1(d * 0.6), rel=1e-4)


def test_mde_mannwhitney_uses_are_and_tau() -> None:
    """Mann-Whitney needs π/3 times the samples of the t-test on normal data; τ multiplies n."""
    t = math.log1p(minimum_detectable_effect(300, sigma=0.5, test="t"))
    mw = math.log1p(minimum_detectable_effect(300, sigma=0.5))
    assert mw == pytest.approx(t * math.sqrt(math.pi / 3))
    ac = math.log1p(minimum_detectable_effect(300, sigma=0.5, tau=4.0))
    assert ac == pytest.approx(2 * mw)
    # cv and sigma agree through σ² = log(1 + cv²)
    cv = 0.7
    assert minimum_detectable_effect(300, cv=cv) == pytest.approx(
        minimum_detectable_effect(300, sigma=math.sqrt(math.log1p(cv * cv)))
    )


def test_duration_inverts_mde() -> None:
    plan = canary_duration(0.1, request_rate=50, canary_share=0.05, sigma=0.5)
    assert minimum_detectable_effect(plan.n_baseline, plan.n_canary, sigma=0.5) == pytest.approx(
        0.1, rel=0.01
    )
    assert plan.seconds == pytest.approx(plan.n_canary / 2.5, rel=0.01)
    assert "min" in plan.explanation


def test_planned_duration_gives_80_percent_power_monte_carlo() -> None:
    """Simulate the planned canary: Mann-Whitney catches the +10 % about 80 % of the time."""
    plan = canary_duration(0.1, request_rate=20, canary_share=0.05, sigma=0.5)
    rng = np.random.default_rng(0)
    reps = 200
    hits = sum(
        compare_samples(
            rng.lognormal(0, 0.5, plan.n_baseline),
            rng.lognormal(math.log(1.1), 0.5, plan.n_canary),
            autocorrelation="ignore",
        ).verdict
        == "fail"
        for _ in range(reps)
    )
    assert 0.7 <= hits / reps <= 0.9


def test_error_rate_duration_matches_statsmodels_power() -> None:
    """Reference: statsmodels power_poisson_ratio_2indep at the planned sample is 0.80."""
    plan = canary_duration(0.5, request_rate=100, canary_share=0.1, error_rate=0.01)
    res = power_poisson_ratio_2indep(
        0.015,
        0.01,
        plan.n_canary,
        nobs_ratio=plan.n_baseline / plan.n_canary,
        value=1,
        alpha=0.05,
        alternative="larger",
    )
    assert res.power == pytest.approx(0.8, abs=0.005)


def test_planning_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="sigma"):
        minimum_detectable_effect(100)
    with pytest.raises(ConfigError, match="canary_share"):
        canary_duration(0.1, request_rate=10, canary_share=0, sigma=0.5)
    with pytest.raises(ConfigError, match="error_rate"):
        canary_duration(0.1, request_rate=10, canary_share=0.1, error_rate=2.0)


def test_unknown_test_name() -> None:
    with pytest.raises(ConfigError, match="test="):
        minimum_detectable_effect(100, sigma=0.5, test="z")
