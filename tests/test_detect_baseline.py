"""Seasonal baselines: checked against numpy per-bin medians, statsmodels STL and ETSModel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipbench.detect import (
    BaselineError,
    ETSBaseline,
    ProfileBaseline,
    STLBaseline,
    clone,
)
from pipbench.detect.baseline import r_stl_jumps
from pipbench.errors import ConfigError, NotFittedError

T0 = 1_700_006_400.0  # a midnight UTC
STEP = 300.0


def _week(seed: int = 0, n: int = 2016, noise: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    ts = T0 + STEP * np.arange(n)
    y = 50 + 10 * np.sin(2 * np.pi * np.arange(n) / 288) + rng.normal(0, noise, n)
    return ts, y


def test_profile_is_the_per_bin_median_of_cycle_centred_values():
    """Reference: a direct per-bin loop with numpy.median over cycle-centred values."""
    ts, y = _week(1, n=288 * 3)
    b = ProfileBaseline().fit(ts, y)
    day = ((ts - ts[0]) // 86400).astype(int)
    centred = y - np.array([np.median(y[day == d]) for d in day])
    ref = np.array([np.median(centred[np.arange(y.size) % 288 == k]) for k in range(288)])
    phase = ((np.mod(ts, 86400) / 86400) * 288).astype(int)
    assert np.allclose(b.profile_[phase[:288]], ref[:288])


def test_profile_band_covers_about_the_requested_share():
    """Gaussian noise: the 95 % band holds ~95 % of fresh points (binomial tolerance)."""
    ts, y = _week(2, n=288 * 14)
    b = ProfileBaseline(coverage=0.95).fit(ts[: 288 * 7], y[: 288 * 7])
    fc = b.predict(ts[288 * 7 :])
    inside = np.mean((y[288 * 7 :] >= fc.lower) & (y[288 * 7 :] <= fc.upper))
    assert 0.90 < inside < 0.99


def test_profile_follows_the_recent_level_after_a_shift_and_says_so():
    ts, y = _week(3, n=288 * 4)
    y[288 * 3 :] += 30
    b = ProfileBaseline().fit(ts, y)
    assert any("level shift" in n for n in b.notes_)
    fc = b.predict(ts[-288:] + 86400)
    assert abs(np.median(fc.expected - (y[-288:] - 0))) < 2


def test_too_short_history_says_why():
    ts, y = _week(0, n=100)
    with pytest.raises(BaselineError, match="needs at least 2"):
        ProfileBaseline().fit(ts, y)
    with pytest.raises(BaselineError, match="two cycles"):
        STLBaseline().fit(ts, y)


def test_gaps_duplicates_and_disorder_are_repaired_and_reported():
    ts, y = _week(4, n=288 * 3)
    keep = np.ones(ts.size, bool)
    keep[300:320] = False
    ts2 = np.r_[ts[keep], ts[:5]]
    y2 = np.r_[y[keep], y[:5]]
    perm = np.random.default_rng(0).permutation(ts2.size)
    b = STLBaseline().fit(ts2[perm], y2[perm])
    notes = " ".join(b.notes_)
    assert "duplicate" in notes
    assert "gaps" in notes


def test_all_nan_history_is_an_error_not_a_crash():
    with pytest.raises(BaselineError, match="no finite"):
        ProfileBaseline().fit(T0 + STEP * np.arange(10), np.full(10, np.nan))


def test_r_jumps_are_ceil_window_over_ten():
    """R's stl: s.jump = ceiling(s.window/10) etc.; for period 288 R uses 1, 56, 29."""
    assert r_stl_jumps(288) == {"seasonal_jump": 1, "trend_jump": 56, "low_pass_jump": 29}


def test_stl_in_sample_equals_statsmodels_stl():
    """Reference: statsmodels STL called directly with the same R-style jumps."""
    from statsmodels.tsa.seasonal import STL

    ts, y = _week(5, n=288 * 4)
    b = STLBaseline().fit(ts, y)
    ref = STL(y, period=288, seasonal=7, **r_stl_jumps(288)).fit()
    fc = b.predict(ts)
    assert np.allclose(fc.expected, ref.trend + ref.seasonal)


def test_mstl_accepts_several_periods():
    ts, y = _week(6, n=288 * 3)
    b = STLBaseline(period=(48, 288)).fit(ts, y)
    assert b.periods_ == [48, 288]
    assert np.isfinite(b.predict(ts[-1] + STEP * np.arange(1, 10)).expected).all()


def test_stl_forecast_repeats_the_last_cycle():
    ts, y = _week(7, n=288 * 4, noise=0.0)
    fc = STLBaseline().fit(ts, y).predict(ts[-1] + STEP * np.arange(1, 289))
    assert np.allclose(fc.expected, y[:288], atol=0.05)


def test_ets_intervals_equal_statsmodels_etsmodel():
    """Reference: statsmodels ETSModel fitted directly; same mean and 95 % interval."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    rng = np.random.default_rng(8)
    n = 24 * 10
    ts = T0 + 3600.0 * np.arange(n)
    y = 20 + 5 * np.sin(2 * np.pi * np.arange(n) / 24) + rng.normal(0, 1, n)
    b = ETSBaseline().fit(ts, y)
    fc = b.predict(ts[-1] + 3600.0 * np.arange(1, 13))
    ref = (
        ETSModel(
            pd.Series(y),
            error="add",
            seasonal="add",
            seasonal_periods=24,
            initialization_method="heuristic",
        )
        .fit(disp=False)
        .get_prediction(start=n, end=n + 11)
        .summary_frame(alpha=0.05)
    )
    assert np.allclose(fc.expected, ref["mean"].to_numpy())
    assert np.allclose(fc.lower, ref["pi_lower"].to_numpy())
    assert np.allclose(fc.upper, ref["pi_upper"].to_numpy())
    # the ETS interval widens with the horizon; the first step is ~ +-1.96 sigma
    width = fc.upper - fc.lower
    assert width[-1] >= width[0]
    assert width[0] / 2 == pytest.approx(stats.norm.ppf(0.975) * b.sigma_, rel=0.05)


@pytest.mark.parametrize("cls", [ProfileBaseline, STLBaseline, ETSBaseline])
def test_baseline_contract(cls):
    """scikit-learn contract: clone keeps params, fit returns self, predict before fit fails."""
    b = cls(coverage=0.9)
    c = clone(b)
    assert c.get_params() == b.get_params()
    with pytest.raises(NotFittedError):
        c.predict([T0])
    ts, y = _week(9, n=288 * 3)
    assert c.fit(ts, y) is c
    fc = c.predict(ts[:10])
    assert np.all(fc.lower <= fc.expected)
    assert np.all(fc.expected <= fc.upper)
    with pytest.raises(ConfigError, match="coverage"):
        cls(coverage=2.0).fit(ts, y)
