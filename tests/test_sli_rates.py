"""rate/increase/irate/delta against Prometheus's own worked examples.

Reference: ``promql/promqltest/testdata/functions.test`` (Prometheus 3.x, left-open
ranges), quoted as ``load`` blocks and ``eval instant`` expectations; and
``promql/functions.go`` ``extrapolatedRate`` for the one-window reference.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl
import pytest

from pipbench.errors import ConfigError
from pipbench.sli import delta, extrapolated_rate, increase, instant, irate, rate, select_series
from tests.promload import at, load


def _eval(fn, frame: pl.DataFrame, metric: str, window: str, minutes: float, **kw) -> dict:
    t = at(minutes)
    out = fn(frame, metric, window, start=t, end=t, **kw)
    label = [c for c in out.columns if c not in ("timestamp", "value")]
    if not label:
        return {None: out["value"][-1]} if out.height else {}
    return dict(zip(out[label[0]], out["value"], strict=True))


INCREASE = load("""
load 5m
    http_requests_total{path="/foo"}    0+10x10
    http_requests_total{path="/bar"}    0+18x5 0+18x5
    http_requests_total{path="/dings"}  10+10x10
    http_requests_total{path="/bumms"}  1+10x10
""")


def test_increase_50m() -> None:
    """functions.test: increase(http_requests_total[50m]) at 50m."""
    got = _eval(increase, INCREASE, "http_requests_total", "50m", 50)
    assert got == pytest.approx({"/foo": 100, "/bar": 160, "/dings": 100, "/bumms": 100})


def test_increase_100m_zero_cutoff() -> None:
    """functions.test: extrapolation stops where the counter would reach zero (bumms: 30 s)."""
    got = _eval(increase, INCREASE, "http_requests_total", "100m", 50)
    assert got == pytest.approx({"/foo": 100, "/bar": 162, "/dings": 105, "/bumms": 101})


def test_increase_with_counter_reset() -> None:
    """functions.test: 0 1 2 3 2 3 4 → increase[30m] at 30m is 7 (3 → 2 read as 3 0 1 2)."""
    f = load('load 5m\n http_requests_total{path="/foo"} 0 1 2 3 2 3 4')
    assert _eval(increase, f, "http_requests_total", "30m", 30) == pytest.approx({"/foo": 7})


def test_rate_resets_and_window_edges() -> None:
    """functions.test: reset mid-range rate[50m] = 0.08; a reset at the end with one sample
    in [5m] gives no result; [6m] gives 0."""
    f = load("""
load 5m
    testcounter_reset_middle_total 0+27x4 0+27x5
    testcounter_reset_end_total 0+10x9 0 10
""")
    assert _eval(rate, f, "testcounter_reset_middle_total", "50m", 50) == pytest.approx(
        {None: 0.08}
    )
    assert _eval(rate, f, "testcounter_reset_end_total", "5m", 50) == {}
    assert _eval(rate, f, "testcounter_reset_end_total", "6m", 50) == {None: 0}


def test_rate_per_second() -> None:
    """functions.test: rate(calculate_rate_window_total[50m]) at 50m = 0.26666666666666666."""
    f = load("load 5m\n calculate_rate_window_total 0+80x10")
    got = _eval(rate, f, "calculate_rate_window_total", "50m", 50)
    assert got[None] == pytest.approx(0.26666666666666666, rel=1e-15)


@pytest.mark.parametrize(
    ("minutes", "want"),
    [
        (10, {"0m": 0.5, "1m": 0.55, "2m": 0.6, "3m": 0.6, "4m": 0.6, "5m": 0.6}),
        (50, {"0m": 0.6, "1m": 0.6, "2m": 0.6, "3m": 0.6, "4m": 0.6, "5m": 0.6}),
    ],
)
def test_rate_zero_cutoff(minutes: float, want: dict) -> None:
    """functions.test: zero cutoff for left-side extrapolation up to half an interval."""
    f = load("""
load 4m
    testcounter_zero_cutoff_total{start="0m"} 0+240x10
    testcounter_zero_cutoff_total{start="1m"} 60+240x10
    testcounter_zero_cutoff_total{start="2m"} 120+240x10
    testcounter_zero_cutoff_total{start="3m"} 180+240x10
    testcounter_zero_cutoff_total{start="4m"} 240+240x10
    testcounter_zero_cutoff_total{start="5m"} 300+240x10
""")
    assert _eval(rate, f, "testcounter_zero_cutoff_total", "20m", minutes) == pytest.approx(want)


def test_irate() -> None:
    """functions.test: irate at 50m = 1/30 for both; at 30m /bar just reset → 0."""
    f = load("""
load 5m
    http_requests_total{path="/foo"} 0+10x10
    http_requests_total{path="/bar"} 0+10x5 0+10x5
""")
    got = _eval(irate, f, "http_requests_total", "50m", 50)
    assert got == pytest.approx({"/foo": 1 / 30, "/bar": 1 / 30})
    got = _eval(irate, f, "http_requests_total", "50m", 30)
    assert got == pytest.approx({"/foo": 1 / 30, "/bar": 0})


def test_delta_on_gauges() -> None:
    """functions.test: delta(http_requests[20m]) at 20m = 200 and −200."""
    f = load("""
load 5m
    http_requests{path="/foo"} 0 50 100 150 200
    http_requests{path="/bar"} 200 150 100 50 0
""")
    assert _eval(delta, f, "http_requests", "20m", 20) == pytest.approx({"/foo": 200, "/bar": -200})


def test_reference_function_on_docs_examples() -> None:
    """The one-window reference reproduces the same worked examples."""
    ts = [300.0 * i for i in range(11)]
    assert (
        extrapolated_rate(ts, [10.0 * i for i in range(11)], at=3000, window=3000, rate=False)
        == 100
    )
    assert extrapolated_rate(
        ts, [1 + 10.0 * i for i in range(11)], at=3000, window=6000, rate=False
    ) == pytest.approx(101)
    assert math.isnan(extrapolated_rate([0, 300], [1, 2], at=600, window=300))


def test_vectorised_equals_reference_on_random_counters() -> None:
    """Property-style (seeded): jittered scrapes, random resets and gaps; every (series,
    time) of the frame path equals the one-window reference exactly."""
    rng = np.random.default_rng(7)
    rows = []
    series = {}
    for s in range(6):
        n = int(rng.integers(5, 60))
        t = np.cumsum(rng.uniform(5, 40, n)) + rng.uniform(0, 30)
        t = np.round(t * 1000) / 1000  # ms precision, like Prometheus
        v = np.cumsum(rng.exponential(3, n))
        for r in rng.choice(n, size=int(rng.integers(0, 4)), replace=False):
            v[r:] -= v[r] - rng.uniform(0, 2)  # counter reset
        v = np.maximum(v, 0)
        series[str(s)] = (t, v)
        rows += [
            {
                "timestamp": dt.datetime.fromtimestamp(a, dt.UTC),
                "metric": "c",
                "value": float(b),
                "inst": str(s),
            }
            for a, b in zip(t, v, strict=True)
        ]
    f = pl.DataFrame(rows)
    for fn, kw in ((rate, {}), (increase, {"rate": False})):
        out = fn(f, "c", "95s", step="17s")
        assert out.height > 50
        for inst, ts, val in zip(out["inst"], out["timestamp"], out["value"], strict=True):
            t, v = series[inst]
            ref = extrapolated_rate(t, v, at=ts.timestamp(), window=95, **kw)
            assert val == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_where_matchers_follow_prometheus() -> None:
    """Regexes are anchored; an absent label equals ""."""
    f = load("""
load 1m
    req_total{code="500"} 0+1x5
    req_total{code="5000"} 0+1x5
    req_total 0+1x5
""")
    assert select_series(f, "req_total", '{code=~"5.."}')["code"].unique().to_list() == ["500"]
    unlabelled = select_series(f, "req_total", {"code": ""})
    assert unlabelled.height == 6
    assert "code" not in unlabelled.columns
    assert set(select_series(f, "req_total", '{code!=""}')["code"]) == {"500", "5000"}


def test_instant_lookback() -> None:
    """Instant vectors take the last sample in the left-open 5m lookback (Prometheus 3)."""
    f = load("load 1m\n g 1 2 _ _ _ _ _ _ _ 9")
    out = instant(f, "g", step="2m", end=at(10))
    got = dict(zip(out["timestamp"], out["value"], strict=True))
    assert got == {at(0): 1.0, at(2): 2.0, at(4): 2.0, at(10): 9.0}  # (1m, 6m] is empty


def test_bad_window_is_a_clear_error() -> None:
    """A window that is not a duration names itself."""
    with pytest.raises(ConfigError, match="window '5 minutes' is not a duration"):
        rate(INCREASE, "http_requests_total", "5 minutes")
