"""Generalized ESD and seasonal hybrid ESD."""

from __future__ import annotations

import numpy as np

from pipbench.detect import RobustZDetector, SeasonalESDDetector, generalized_esd

# Rosner (1983) data as tabulated in the NIST/SEMATECH e-Handbook, section 1.3.5.17.
ROSNER = np.array(
    [-0.25, 0.68, 0.94, 1.15, 1.20, 1.26, 1.26, 1.34, 1.38, 1.43, 1.49, 1.49, 1.55, 1.56,
     1.58, 1.65, 1.69, 1.70, 1.76, 1.77, 1.81, 1.91, 1.94, 1.96, 1.99, 2.06, 2.09, 2.10,
     2.14, 2.15, 2.23, 2.24, 2.26, 2.35, 2.37, 2.40, 2.47, 2.54, 2.62, 2.64, 2.90, 2.92,
     2.92, 2.93, 3.21, 3.26, 3.30, 3.59, 3.68, 4.30, 4.64, 5.34, 5.42, 6.01]
)  # fmt: skip


def test_generalized_esd_matches_the_nist_handbook_example():
    """Reference: NIST e-Handbook table (r = 10, alpha = 0.05): three outliers."""
    out, R, lam = generalized_esd(ROSNER, max_outliers=10, alpha=0.05, hybrid=False)
    assert sorted(ROSNER[out].tolist()) == [5.34, 5.42, 6.01]
    assert np.allclose(R[:4], [3.118, 2.942, 3.179, 2.810], atol=1e-3)
    assert np.allclose(lam[:4], [3.158, 3.151, 3.143, 3.136], atol=1e-3)


def test_seasonal_esd_finds_a_spike_in_a_seasonal_series_and_scores_it_highest():
    rng = np.random.default_rng(4)
    y = np.sin(np.arange(960) * 2 * np.pi / 48) * 5 + rng.normal(0, 0.3, 960)
    y[500] += 4  # invisible to a global test, obvious after removing the season
    det = SeasonalESDDetector(period=48).fit(y)
    assert det.is_anomaly_[500]
    assert int(np.argmax(det.scores_)) == 500
    assert det.is_anomaly_.sum() <= 3


def test_robust_z_on_profile_baseline_flags_the_spike():
    rng = np.random.default_rng(5)
    ts = 1_700_006_400.0 + 300 * np.arange(288 * 3)
    y = 10 + 3 * np.sin(2 * np.pi * np.arange(288 * 3) / 288) + rng.normal(0, 0.2, 288 * 3)
    y[400] += 3
    det = RobustZDetector().fit(y, ts)
    assert np.flatnonzero(det.is_anomaly_).tolist() == [400]


def test_robust_z_falls_back_and_says_why_on_short_history():
    det = RobustZDetector().fit(np.r_[np.zeros(20), 5.0, np.zeros(5)] + np.arange(26) * 1e-3)
    assert "baseline not used" in det.baseline_note_
    assert det.is_anomaly_[20]


def test_constant_series_has_no_anomalies_in_offline_detectors():
    y = np.full(300, 7.0)
    assert not SeasonalESDDetector(period=None).fit_predict(y).any()
    assert not RobustZDetector().fit_predict(y).any()


def test_seasonal_esd_on_short_history_does_not_flag_noise():
    """With 3-4 cycles a point must not pull its own seasonal median (leave-one-cycle-out):
    pure noise plus one spike gives that one spike."""
    ts = 1_700_006_400.0 + 300 * np.arange(1000)
    for seed in range(3):
        y = np.random.default_rng(seed).normal(0, 1, 1000)
        y[700] += 9
        assert np.flatnonzero(SeasonalESDDetector().fit_predict(y, ts)).tolist() == [700]


def test_missing_timestamps_do_not_crash_any_detector():
    from pipbench.detect import OnlineDetector

    ts = 1_700_006_400.0 + 300 * np.arange(1000)
    ts[10] = np.nan
    y = np.random.default_rng(0).normal(0, 1, 1000)
    y[700] += 9
    for det in (OnlineDetector(), RobustZDetector(), SeasonalESDDetector()):
        assert det.fit(y, ts).is_anomaly_[700]
