"""The PIP drill: seeded traffic, the injected regression, and who catches it.

References: the lognormal latency model in closed form (``scipy.stats.lognorm``: the share
of requests under the threshold and the 99th percentile, before and after latencies are
scaled by ``1 + size``); Poisson request counts (mean = rate x step over whole days of the
diurnal sine); the SRE Workbook's burn-rate factors for a 30-day SLO (14.4, 6, 1), which
decide from the closed-form error ratio which rules can fire; and, for replay, the demo's
own histogram buckets (a latency scaled by 2.5 is under 0.25 s exactly when it was under
0.1 s, a bucket boundary).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pipbench.dataset import open_dataset
from pipbench.errors import ConfigError, InputError
from pipbench.notebooks import emit_evidence
from pipbench.sli import latency_quantiles, rate
from pipbench.workflows import DrillResult, drill_sweep, pip_drill

MEDIAN, SIGMA, T = 0.05, 0.45, 0.25
LAT = stats.lognorm(s=SIGMA, scale=MEDIAN)


@pytest.fixture(scope="module")
def big() -> DrillResult:
    return pip_drill(size=2.0, seed=7)


def _row(d: DrillResult, alarm: str) -> dict:
    return d.table.filter(pl.col("alarm") == alarm).row(0, named=True)


def test_synthetic_traffic_follows_the_model(big: DrillResult) -> None:
    """Good share and p99 before and after the injection match the lognormal closed form."""
    s = big.series
    for injected, scale in ((False, 1.0), (True, 3.0)):
        part = s.filter(pl.col("injected") == injected)
        p_good = LAT.cdf(T / scale)
        n = part["total"].sum()
        se = np.sqrt(p_good * (1 - p_good) / n)
        assert part["good"].sum() / n == pytest.approx(p_good, abs=5 * se)
        # the sample p99 of ~1,500 requests is unbiased to well under 2 %
        assert part["value"].median() == pytest.approx(scale * LAT.ppf(0.99), rel=0.02)
    # Poisson counts: 7 whole days at 5 req/s on average
    total = s["total"].sum()
    assert total == pytest.approx(5 * 7 * 86400, abs=5 * np.sqrt(5 * 7 * 86400))


def test_burn_rate_rules_that_can_fire_follow_the_error_ratio(big: DrillResult) -> None:
    """Tripled latency: error ratio 1 - F(T/3) ~ 0.128, burn ~12.8 at 99 %: above page-6h's 6
    and the ticket's 1, below page-1h's 14.4."""
    burn = (1 - LAT.cdf(T / 3)) / 0.01
    assert 6 < burn < 14.4
    assert _row(big, "burn-rate page-6h")["caught"]
    assert _row(big, "burn-rate ticket-3d")["caught"]
    assert not _row(big, "burn-rate page-1h")["caught"]
    # the 6 h page fires once the traffic-weighted error ratio over the last 6 h exceeds
    # 6 x 1 %; with the diurnal rate 5 (1 + 0.5 cos(2 pi (t - 15:00) / 1 d)) that is when
    # p0 A + p1 B > 0.06 (A + B), A and B the requests before and after the injection
    p0, p1 = 1 - LAT.cdf(T), 1 - LAT.cdf(T / 3)
    at = 10 * 3600.0  # 10:00, seconds of the day
    grid = np.arange(at - 6 * 3600, at + 6 * 3600)
    lam = 5 * (1 + 0.5 * np.cos(2 * np.pi * (grid - 15 * 3600) / 86400))
    cum = np.cumsum(lam)
    t_end = np.arange(at, at + 6 * 3600, 300.0) + 300  # evaluation instants after `at`
    k_end = (t_end - grid[0]).astype(int) - 1
    k_at = int(at - grid[0]) - 1
    k_lo = (t_end - 6 * 3600 - grid[0]).astype(int) - 1
    a = cum[k_at] - cum[np.maximum(k_lo, 0)]
    b = cum[k_end] - cum[k_at]
    expected = t_end[np.argmax((p0 * a + p1 * b) / (a + b) > 0.06)] - at
    delay = _row(big, "burn-rate page-6h")["delay_s"]
    assert abs(delay - expected) <= 900


def test_online_detector_catches_a_large_regression_fast(big: DrillResult) -> None:
    row = _row(big, "online detector")
    assert row["caught"]
    assert row["delay_s"] <= 900
    assert row["first_alert"] - big.at == dt.timedelta(seconds=row["delay_s"])


def test_small_regression_cannot_burn_the_budget() -> None:
    """+25 % latency: error ratio 1 - F(T/1.25) ~ 0.001, burn ~0.1, below every factor."""
    assert (1 - LAT.cdf(T / 1.25)) / 0.01 < 1
    d = pip_drill(size=0.25, seed=7)
    assert not d.table.filter(pl.col("kind") == "burn-rate")["caught"].any()
    assert d.alerts.height == 0


def test_seeded_and_reproducible() -> None:
    a = pip_drill(size=0.5, seed=3).series
    b = pip_drill(size=0.5, seed=3).series
    c = pip_drill(size=0.5, seed=4).series
    assert a.equals(b)
    assert not a.equals(c)


def test_sweep_has_one_row_per_size_and_alarm() -> None:
    t = drill_sweep([0.25, 2.0], seed=7)
    assert t.height == 2 * 4
    assert t.filter(pl.col("size") == 0.25)["caught"].to_list()[1:] == [False, False, False]


def test_replay_scales_the_demo_histogram(demo_dataset: Path) -> None:
    """Replay with size 1.5: p99 x 2.5 after the injection, and the good count becomes the
    0.1 s bucket (0.25 / 2.5 = 0.1, a bucket boundary), before it the 0.25 s bucket."""
    start = dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
    at = dt.datetime(2026, 3, 3, 12, tzinfo=dt.UTC)
    end = start + dt.timedelta(days=2)
    where = '{endpoint="/api/checkout"}'
    d = pip_drill(
        source="replay",
        dataset=demo_dataset,
        start=start,
        days=2,
        at=at,
        size=1.5,
        where=where,
    )
    samples = open_dataset(demo_dataset).samples()
    kw = {"step": 300, "start": start, "end": end}
    p99 = latency_quantiles(
        samples, "http_request_duration_seconds", q=0.99, window=600, where=where, **kw
    )
    got = d.series.join(p99, on="timestamp", suffix="_ref")
    factor = np.where(got["injected"].to_numpy(), 2.5, 1.0)
    assert np.allclose(got["value"].to_numpy(), factor * got["value_ref"].to_numpy())

    def bucket(le: str) -> pl.DataFrame:
        m = where[:-1] + f', le="{le}"}}'
        r = rate(samples, "http_request_duration_seconds_bucket", 600, where=m, **kw)
        return r.group_by("timestamp").agg((pl.col("value").sum() * 300).alias(f"b{le}"))

    ref = d.series.join(bucket("0.1"), on="timestamp").join(bucket("0.25"), on="timestamp")
    want = np.where(ref["injected"].to_numpy(), ref["b0.1"].to_numpy(), ref["b0.25"].to_numpy())
    assert np.allclose(ref["good"].to_numpy(), want)


def test_evidence(big: DrillResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIPBENCH_OUT", str(tmp_path))
    ev = json.loads(emit_evidence("pip_drill", big.evidence()).read_text())
    assert {"summary", "source", "size", "injected_at", "seed", "slo", "alarms", "alerts"} <= set(
        ev
    )
    assert ev["injected_at"] == "2026-03-05T10:00:00Z"
    assert "online detector" in ev["summary"]
    assert big.pip_evidence().summary == big.summary()
    assert big.markers()["text"][0] == "injected +200 %"


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"size": 0}, ConfigError, "'size'"),
        ({"size": "big"}, ConfigError, "'size'"),
        ({"at": "2026-03-02T06:00Z"}, ConfigError, "'at'"),
        ({"at": "2026-04-01"}, ConfigError, "'at'"),
        ({"source": "prod"}, ConfigError, "'source'"),
        ({"rules": "nagios"}, ConfigError, "'rules'"),
        ({"target": 99.0}, ConfigError, "'target'"),
        ({"seed": -1}, ConfigError, "'seed'"),
        ({"step": "soon"}, ConfigError, "'step'"),
        ({"source": "replay"}, InputError, "'dataset'"),
    ],
)
def test_bad_parameters(kwargs: dict, error: type, words: str) -> None:
    with pytest.raises(error) as info:
        pip_drill(**kwargs)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


@settings(max_examples=6, deadline=None)
@given(
    size=st.floats(0.05, 5.0),
    seed=st.integers(0, 2**16),
    hour=st.integers(0, 23),
)
def test_drill_table_invariants(size: float, seed: int, hour: int) -> None:
    """Whatever the size, seed and injection hour: an alarm is caught exactly when it has a
    first alert, that alert is at or after the injection and its delay is their difference;
    the p99 is scaled only after the injection."""
    at = dt.datetime(2026, 3, 3, hour, tzinfo=dt.UTC)
    d = pip_drill(size=size, seed=seed, at=at, days=3.0)
    for row in d.table.iter_rows(named=True):
        assert row["caught"] == (row["first_alert"] is not None)
        assert row["false_alarms"] >= 0
        if row["caught"]:
            assert row["first_alert"] >= at
            assert row["delay_s"] == (row["first_alert"] - at).total_seconds()
    inj = d.series["injected"]
    assert (d.series["timestamp"].filter(inj) > at).all()
    assert (d.series["timestamp"].filter(~inj) <= at).all()
