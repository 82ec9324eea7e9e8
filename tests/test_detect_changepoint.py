"""Change points: energy statistic by brute force, E-divisive hand cases, ruptures agreement."""

from __future__ import annotations

import numpy as np
import pytest
import ruptures as rpt
from scipy import stats

from pipbench.detect import binseg, e_divisive, pelt
from pipbench.detect.changepoint import energy_statistic
from pipbench.errors import ConfigError


def _brute_q(x: np.ndarray, tau: int) -> float:
    """Matteson & James' Q with U-statistic within-sample means, written out directly."""
    a, b = x[:tau], x[tau:]
    n, m = a.size, b.size
    cross = np.mean([abs(i - j) for i in a for j in b])
    wa = np.mean([abs(a[i] - a[j]) for i in range(n) for j in range(n) if i < j])
    wb = np.mean([abs(b[i] - b[j]) for i in range(m) for j in range(m) if i < j])
    return n * m / (n + m) * (2 * cross - wa - wb)


def test_energy_statistic_equals_the_brute_force_formula():
    x = np.random.default_rng(0).normal(0, 1, 30)
    x[18:] += 2
    q = energy_statistic(x, min_size=3)
    for tau in (3, 10, 18, 27):
        assert q[tau] == pytest.approx(_brute_q(x, tau), rel=1e-10)
    assert np.isnan(q[2])
    assert int(np.nanargmax(q)) == 18


def test_e_divisive_hand_case_two_shifts():
    """Two clean mean shifts at known positions are found, with exact before/after means."""
    y = np.r_[np.full(80, 1.0), np.full(80, 3.0), np.full(80, 2.0)]
    y = y + np.random.default_rng(1).normal(0, 0.2, y.size)
    cps = e_divisive(y, seed=0)
    assert [c.index for c in cps] == [80, 160]
    first = cps[0]
    assert first.mean_before == pytest.approx(y[:80].mean())
    assert first.mean_after == pytest.approx(y[80:160].mean())
    assert first.rel_change == pytest.approx((y[80:160].mean() - y[:80].mean()) / y[:80].mean())
    assert all(1 / 100 <= c.p_value <= 0.05 for c in cps)


def test_e_divisive_detects_a_variance_change_too():
    """The energy statistic sees distribution changes, not only mean shifts."""
    rng = np.random.default_rng(2)
    y = np.r_[rng.normal(0, 1, 150), rng.normal(0, 4, 150)]
    idx = [c.index for c in e_divisive(y, seed=0)]
    assert len(idx) >= 1
    assert abs(idx[0] - 150) <= 10


def test_e_divisive_finds_nothing_in_noise():
    y = np.random.default_rng(3).normal(5, 1, 300)
    assert e_divisive(y, seed=0) == []


def test_e_divisive_is_seeded_and_handles_time_and_bad_input():
    y = np.r_[np.zeros(50), np.ones(50)] + np.random.default_rng(4).normal(0, 0.1, 100)
    ts = 1_700_000_000.0 + 60 * np.arange(100)
    a = e_divisive(y, ts, seed=7)
    assert a == e_divisive(y, ts, seed=7)
    assert a[0].time == ts[50]
    assert e_divisive(np.full(100, 3.0)) == []
    assert e_divisive([1.0]) == []
    assert e_divisive(np.full(50, np.nan)) == []
    with pytest.raises(ConfigError, match="alpha"):
        e_divisive(y, alpha=2)


def test_long_series_are_binned_and_indices_map_back():
    y = np.r_[np.zeros(3000), np.ones(3000)] + np.random.default_rng(5).normal(0, 0.3, 6000)
    cps = e_divisive(y, max_points=1000, permutations=49, seed=0)
    assert len(cps) == 1
    assert abs(cps[0].index - 3000) <= 6


def test_pelt_and_binseg_match_ruptures_and_welch_p_values():
    """Reference: ruptures called directly; p-values: scipy's Welch t-test."""
    rng = np.random.default_rng(6)
    y = np.r_[rng.normal(0, 1, 100), rng.normal(4, 1, 100), rng.normal(1, 1, 100)]
    ours = [c.index for c in pelt(y, penalty=30.0)]
    ref = rpt.Pelt(model="l2", min_size=10, jump=1).fit(y).predict(pen=30.0)[:-1]
    assert ours == ref
    bs = binseg(y, n_bkps=2)
    assert [c.index for c in bs] == rpt.Binseg(model="l2", min_size=10).fit(y).predict(n_bkps=2)[
        :-1
    ]
    c = bs[0]
    p = stats.ttest_ind(y[: c.index], y[c.index : bs[1].index], equal_var=False).pvalue
    assert c.p_value == pytest.approx(p)
