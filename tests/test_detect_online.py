"""The streaming detector: causality, re-adaptation, seasonality, bad input, the contract."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pipbench.detect import DETECTORS, OnlineDetector, clone, make_detector
from pipbench.detect._series import tail_score
from pipbench.errors import ConfigError, InputError

STEP = 300.0
T0 = 1_700_006_400.0  # midnight UTC


def _noise(n: int, seed: int = 0, sd: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, sd, n)


def test_tail_score_is_log10_of_the_scipy_two_sided_tail():
    """Reference: scipy.stats.norm.sf; score = -log10(2 sf(|z|)) / 10, capped at 1."""
    z = np.array([0.0, 1.0, 3.0, -4.4, 6.0, 40.0])
    with np.errstate(divide="ignore"):
        expected = np.clip(-np.log10(2 * stats.norm.sf(np.abs(z))) / 10, 0, 1)
    assert np.allclose(tail_score(z), expected, atol=1e-12)
    assert tail_score(np.array([40.0]))[0] == 1.0


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(60, 300),
    cut=st.integers(1, 59),
    seed=st.integers(0, 2**16),
)
def test_scores_are_causal(n, cut, seed):
    """Changing the future never changes a past score (the online contract)."""
    rng = np.random.default_rng(seed)
    y = rng.normal(10, 1, n)
    k = n - cut
    z = y.copy()
    z[k:] = rng.normal(50, 20, n - k)
    det = OnlineDetector(period=None)
    a = det.fit(y).scores_
    b = det.fit(z).scores_
    assert np.array_equal(a[:k], b[:k])


def test_batch_equals_one_series_at_a_time():
    """The vectorised batch kernel and the plain-float one-series kernel agree (with a
    seasonal model, a spike, a shift and a gap of NaN)."""
    rng = np.random.default_rng(3)
    Y = rng.normal(100, 5, (4, 900))
    Y[1, 500] += 60
    Y[2, 600:] += 40
    Y[3, 100:120] = np.nan
    ts = T0 + STEP * np.arange(900)
    det = OnlineDetector()
    s, f = det.score_batch(Y, ts)
    for i in range(4):
        one = det.fit(Y[i], ts)
        assert np.allclose(one.scores_, s[i])
        assert np.array_equal(one.is_anomaly_, f[i])


def test_scores_in_unit_interval_and_flags_match_threshold():
    y = np.r_[_noise(500), _noise(500) + 8]
    y[200] = 30
    det = OnlineDetector(threshold=0.5).fit(y)
    assert det.scores_.min() >= 0
    assert det.scores_.max() <= 1
    assert np.array_equal(det.is_anomaly_, det.scores_ >= 0.5)


def test_spike_flagged_once_and_level_shift_flagged_at_onset_only():
    """A level shift is one flag at its start; the detector re-adapts to the new level."""
    y = _noise(2000, seed=5)
    y[400] += 12
    y[1000:] += 10
    flags = np.flatnonzero(OnlineDetector(period=None).fit_predict(y))
    assert 400 in flags
    assert any(1000 <= f <= 1003 for f in flags)
    assert len(flags) == 2
    late = OnlineDetector(period=None).fit(y).scores_[1100:]
    assert late.max() < 0.5


def test_gaussian_noise_false_alarm_rate_is_near_the_nominal_tail():
    """Pure N(0,1) noise: threshold 0.4 is a two-sided tail p = 1e-4 per point (closed form),
    so 100,000 points give ~10 flags; the drift/variance channels may add a few."""
    det = OnlineDetector(period=None)
    Y = np.random.default_rng(8).normal(0, 1, (50, 2000))
    _, f = det.score_batch(Y)
    assert f.sum() <= 2 * 1e-4 * Y.size


def test_daily_pattern_is_learned_not_flagged():
    """A sharp spike at the same time every day is normal after two days."""
    n = 288 * 7
    y = _noise(n, seed=2)
    y[np.arange(n) % 288 == 100] += 15  # a nightly job
    ts = T0 + STEP * np.arange(n)
    f = OnlineDetector().fit_predict(y, ts)
    assert f[288 * 3 :].sum() == 0
    y2 = y.copy()
    y2[288 * 5 + 200] += 15  # the same spike at an unusual time is an anomaly
    assert OnlineDetector().fit_predict(y2, ts)[288 * 5 + 200]


def test_constant_series_has_no_anomalies():
    assert not OnlineDetector().fit_predict(np.full(500, 3.0)).any()


def test_nan_points_score_zero_and_do_not_break_the_state():
    y = _noise(600, seed=1)
    y[100:150] = np.nan
    y[400] = 15
    det = OnlineDetector(period=None).fit(y)
    assert np.all(det.scores_[100:150] == 0)
    assert np.flatnonzero(det.is_anomaly_).tolist() == [400]


@pytest.mark.parametrize("values", [[], [1.0], [np.nan] * 10, [1.0, 2.0]])
def test_degenerate_series_do_not_crash(values):
    det = OnlineDetector().fit(np.array(values, dtype=float))
    assert det.scores_.shape == (len(values),)
    assert not det.is_anomaly_.any()


def test_unsorted_input_is_scored_in_time_order_and_returned_in_input_order():
    y = _noise(400, seed=4)
    y[300] = 20
    ts = T0 + STEP * np.arange(400)
    perm = np.random.default_rng(0).permutation(400)
    det = OnlineDetector()
    sorted_scores = det.fit(y, ts).scores_
    shuffled = det.fit(y[perm], ts[perm]).scores_
    assert np.allclose(shuffled, sorted_scores[perm])


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("alpha", 0.0),
        ("alpha", 2),
        ("threshold", 1.5),
        ("clip", -1),
        ("cooldown", -3),
        ("period", 1),
    ],
)
def test_bad_parameters_name_the_parameter(param, value):
    with pytest.raises(ConfigError, match=param):
        OnlineDetector(**{param: value}).fit(np.zeros(10))


def test_batch_input_shape_is_checked():
    with pytest.raises(InputError, match="2-D"):
        OnlineDetector().score_batch(np.zeros(10))


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_detector_contract(name):
    """scikit-learn contract: params stored verbatim, clone, set_params, fit returns self."""
    det = make_detector(name)
    params = det.get_params()
    c = clone(det)
    assert type(c) is type(det)
    assert c.get_params() == params
    assert not hasattr(c, "scores_")
    y = _noise(700, seed=9)
    assert det.fit(y) is det
    assert det.scores_.shape == y.shape
    assert det.is_anomaly_.dtype == bool
    with pytest.raises(ConfigError, match="no parameter"):
        det.set_params(nonsense=1)


def test_unknown_detector_lists_the_valid_names():
    with pytest.raises(ConfigError, match="online"):
        make_detector("nope")


def test_slow_drift_is_flagged_during_the_ramp():
    """A ramp of 10 s.d. over 200 points (no single point is an outlier) is caught."""
    hits = 0
    for seed in range(10):
        y = _noise(2500, seed=seed)
        y[1500:1700] += np.linspace(0, 10, 200)
        y[1700:] += 10
        f = np.flatnonzero(OnlineDetector(period=None).fit_predict(y))
        hits += bool(np.any((f >= 1500) & (f < 1720)))
    assert hits >= 8


def test_random_walk_is_not_a_drift():
    """A random walk wanders from any slow reference; the drift gap is normalised by its
    own typical size, so flags stay rare (< 3 per 1,000 points)."""
    y = np.cumsum(_noise(20_000, seed=11))
    assert OnlineDetector(period=None).fit_predict(y).sum() < 3 * 20


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_infinities_and_extreme_magnitudes_give_valid_scores(name):
    rng = np.random.default_rng(12)
    ts = T0 + STEP * np.arange(700)
    y = np.where(rng.uniform(size=700) < 0.05, np.inf, rng.normal(0, 1, 700))
    s = make_detector(name).fit(y, ts).scores_
    if name == "online":  # an infinity is a missing point, not an anomaly
        assert np.all(s[np.isinf(y)] == 0)
    for arr in (y, rng.choice([0.0, 1e308, -1e308], 700)):
        s = make_detector(name).fit(arr, ts).scores_
        assert np.isfinite(s).all()
        assert s.min() >= 0
        assert s.max() <= 1


def test_a_steady_trend_is_reported_once_not_every_few_dozen_points():
    """Drift alarms back off geometrically: a constant growth is one episode (plus the
    nominal chance flags, 4,000 x 1e-4 = 0.4 expected)."""
    y = 0.2 * np.arange(4000) + _noise(4000, seed=13)
    assert OnlineDetector(period=None).fit_predict(y).sum() <= 2


def test_sparse_counts_flag_the_burst_not_every_blip():
    """Error counts that are mostly 0 with a 1 or 2 now and then: once ten steps have shown
    the data's resolution the scale is floored at it, so only a real burst is an anomaly."""
    rng = np.random.default_rng(0)
    n = 4032
    y = (rng.uniform(size=n) < 0.01) * rng.integers(1, 3, n).astype(float)
    y[3000] = 12
    flags = np.flatnonzero(OnlineDetector().fit_predict(y, T0 + STEP * np.arange(n)))
    learned = np.flatnonzero(y[:-1] != y[1:])[10]  # index of the tenth step
    assert flags[flags > learned].tolist() == [3000]


def test_piecewise_constant_series_flags_every_jump():
    """Few steps do not establish a 'resolution': each jump of a step function is flagged."""
    y = np.r_[np.full(300, 5.0), np.full(100, 9.0), np.full(200, 5.0), 6.0, np.full(100, 5.0)]
    assert np.flatnonzero(OnlineDetector().fit_predict(y)).tolist() == [300, 400, 600]
