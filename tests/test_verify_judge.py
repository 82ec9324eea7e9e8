"""pipbench's multi-metric judge: multiplicity control (statsmodels reference), critical and
no-data rules, score arithmetic (Kayenta's scorer), family-wise A/A calibration."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from pipbench.errors import ConfigError
from pipbench.verify import MetricSpec, judge_canary


def _data(rng: np.random.Generator, shifts: dict[str, float], n: int = 200) -> dict:
    return {
        k: (rng.lognormal(0, 0.5, n), rng.lognormal(np.log1p(s), 0.5, n)) for k, s in shifts.items()
    }


@pytest.mark.parametrize(("correction", "sm"), [("holm", "holm"), ("bh", "fdr_bh")])
def test_adjusted_p_values_are_statsmodels(correction: str, sm: str) -> None:
    """Reference: statsmodels.stats.multitest.multipletests on the raw p-values."""
    rng = np.random.default_rng(0)
    data = _data(rng, {"a": 0.0, "b": 0.05, "c": 0.2, "d": 0.0})
    res = judge_canary(data, [MetricSpec(k) for k in data], correction=correction)
    raw = np.array([m.p_value for m in res.metrics])
    ref = multipletests(raw, alpha=0.05, method=sm)[1]
    assert np.allclose([m.adjusted_p for m in res.metrics], ref)
    assert [m.decision for m in res.metrics] == ["fail" if p <= 0.05 else "pass" for p in ref]


def test_critical_metric_decides() -> None:
    rng = np.random.default_rng(1)
    data = _data(rng, {"lat": 0.3, "cpu": 0.0})
    specs = [MetricSpec("lat", critical=True), MetricSpec("cpu")]
    res = judge_canary(data, specs)
    assert (res.verdict, res.score) == ("fail", 0.0)
    assert "critical metric 'lat' failed" in res.reason


def test_no_data_semantics_never_pass_silently() -> None:
    """A critical metric without data → nodata; half the metrics without data → nodata;
    a low-traffic metric is reported as nodata with its reason."""
    rng = np.random.default_rng(2)
    ok = (rng.lognormal(0, 0.5, 100), rng.lognormal(0, 0.5, 100))
    res = judge_canary(
        {"lat": ok, "err": ([], [1.0])}, [MetricSpec("lat"), MetricSpec("err", critical=True)]
    )
    assert res.verdict == "nodata"
    assert "'err'" in res.reason
    res = judge_canary({"a": ok, "b": ([1.0, 2.0], [1.0])}, [MetricSpec("a"), MetricSpec("b")])
    assert res.verdict == "nodata"
    b = next(m for m in res.metrics if m.name == "b")
    assert b.decision == "nodata"
    assert "fewer than" in b.explanation
    # a metric in the config that returned no series at all
    res = judge_canary({"a": ok}, [MetricSpec("a"), MetricSpec("gone", critical=True)])
    assert res.verdict == "nodata"


def test_score_groups_and_weights() -> None:
    """Kayenta's scorer arithmetic: group = passed/(passed+failed)·100, weighted sum."""
    rng = np.random.default_rng(3)
    data = _data(rng, {"l1": 0.0, "l2": 0.5, "e1": 0.0, "e2": 0.0})
    specs = [
        MetricSpec("l1", group="lat"),
        MetricSpec("l2", group="lat"),
        MetricSpec("e1", group="err"),
        MetricSpec("e2", group="err"),
    ]
    res = judge_canary(
        data, specs, group_weights={"lat": 70}, pass_threshold=90, marginal_threshold=60
    )
    assert res.group_scores == {"lat": 50.0, "err": 100.0}
    assert res.score == pytest.approx(0.7 * 50 + 0.3 * 100)
    assert res.verdict == "marginal"


def test_family_wise_false_fail_under_aa() -> None:
    """A/A with 20 metrics: Holm keeps P(any metric fails) ≤ alpha (Monte Carlo, 60 canaries),
    where 20 unadjusted 5 % tests would fail ≈ 64 % of healthy canaries."""
    rng = np.random.default_rng(4)
    specs = [MetricSpec(f"m{i}") for i in range(20)]
    any_fail = any_fail_raw = 0
    reps = 60
    for _ in range(reps):
        data = {s.name: (rng.lognormal(0, 0.5, 40), rng.lognormal(0, 0.5, 40)) for s in specs}
        res = judge_canary(data, specs)
        any_fail += any(m.decision == "fail" for m in res.metrics)
        any_fail_raw += any(m.comparison.verdict == "fail" for m in res.metrics)
    assert any_fail / reps <= 0.1
    assert any_fail_raw / reps > 0.4


def test_bad_parameters() -> None:
    with pytest.raises(ConfigError, match="correction"):
        judge_canary({}, [], correction="bonferroni")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="no MetricSpec"):
        judge_canary({"x": ([1.0], [1.0])}, [])


def test_every_decision_is_explained() -> None:
    rng = np.random.default_rng(5)
    data = _data(rng, {"a": 0.3})
    res = judge_canary(data, [MetricSpec("a")])
    m = res.metrics[0]
    for token in ("p=", "CI", "n=", "adjusted p="):
        assert token in m.explanation
    d = res.as_dict()
    assert d["metrics"][0]["comparison"]["n_canary"] == 200


@settings(max_examples=30, deadline=None)  # statsmodels' Holm runs gc.collect() per call
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.sampled_from(["holm", "bh"]))
def test_adjustment_matches_statsmodels_property(ps, correction) -> None:
    """Reference: statsmodels multipletests (holm, fdr_bh) for any p-values, ties included."""
    from pipbench.verify.judge import _adjust

    p = np.array(ps)
    ref = multipletests(p, method={"holm": "holm", "bh": "fdr_bh"}[correction])[1]
    assert np.allclose(_adjust(p, correction), ref)
