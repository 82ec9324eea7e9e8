"""Workloads and distributions against their definitions: exponential gaps (scipy KS test),
Poisson counts per interval (dispersion index), the integrated intensity of the diurnal sine,
the MMPP's stationary mean rate, replay of a series (rates per interval → counts), and the
moments of the parsed service-time distributions."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from pipbench.errors import ConfigError, InputError
from pipbench.sim.distributions import parse_distribution
from pipbench.sim.workload import MMPP, Diurnal, Poisson, Replay, Steps, read_series, spike

RNG = np.random.default_rng


def test_poisson_gaps_are_exponential() -> None:
    t = Poisson(4.0).arrivals(RNG(1), n=5000)
    assert stats.kstest(np.diff(t), stats.expon(scale=0.25).cdf).pvalue > 0.001


def test_poisson_duration_counts_have_unit_dispersion() -> None:
    """Counts in 1-second bins: mean λ and variance/mean ≈ 1 (χ² dispersion test)."""
    t = Poisson(20.0).arrivals(RNG(2), duration=2000)
    counts = np.bincount(t.astype(int), minlength=2000)
    disp = counts.var(ddof=1) * (counts.size - 1) / counts.mean()
    p = stats.chi2.sf(disp, counts.size - 1)
    assert 0.001 < p < 0.999
    assert abs(counts.mean() - 20.0) < 4 * np.sqrt(20.0 / counts.size)


def test_diurnal_follows_its_intensity() -> None:
    """Counts per quarter period match the integral of mean·(1 + a·sin(2πt/P))."""
    wl = Diurnal(10.0, 0.8, period=400.0)
    t = wl.arrivals(RNG(3), duration=40000)
    phase = (t % 400.0) // 100.0
    got = np.bincount(phase.astype(int), minlength=4) / 100  # per period
    quarter = 100.0
    integral = [
        10 * quarter
        + 10
        * 0.8
        * 400
        / (2 * np.pi)
        * (np.cos(2 * np.pi * k / 4) - np.cos(2 * np.pi * (k + 1) / 4))
        for k in range(4)
    ]
    assert got == pytest.approx(integral, rel=0.03)
    n = wl.arrivals(RNG(3), n=1234)
    assert n.size == 1234
    assert (np.diff(n) >= 0).all()


def test_mmpp_long_run_rate() -> None:
    wl = MMPP([1.0, 9.0], [90.0, 10.0])
    t = wl.arrivals(RNG(4), duration=200_000)
    assert t.size / 200_000 == pytest.approx(wl.mean_rate, rel=0.05)
    # bursty: counts over 10 s are over-dispersed compared with Poisson
    c = np.bincount((t // 10).astype(int))
    assert c.var() / c.mean() > 2


def test_steps_and_spike_rates() -> None:
    wl = spike(2.0, 20.0, at=1000.0, width=500.0)
    t = wl.arrivals(RNG(5), duration=3000)
    inside = ((t >= 1000) & (t < 1500)).sum() / 500
    outside = ((t < 1000) | (t >= 1500)).sum() / 2500
    assert inside == pytest.approx(20.0, rel=0.1)
    assert outside == pytest.approx(2.0, rel=0.1)
    assert Steps([0, 10], [0.0, 5.0]).arrivals(RNG(1), n=50).min() >= 10


def test_replay_of_a_counter_series_reproduces_its_rates(tmp_path: Path) -> None:
    """A Prometheus-style cumulative counter (with a reset) becomes per-interval rates."""
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ts = [t0 + dt.timedelta(seconds=600 * i) for i in range(4)]
    frame = pl.DataFrame({"timestamp": ts, "value": [0.0, 6000.0, 18000.0, 3000.0]})
    r = Replay.from_frame(frame, counter=True)
    assert list(r.rates) == [10.0, 20.0, 5.0]  # 3000 after the reset counts from 0
    t = r.arrivals(RNG(6))
    counts = np.histogram(t, bins=[0, 600, 1200, 1800])[0]
    assert counts / 600 == pytest.approx([10.0, 20.0, 5.0], rel=0.1)


def test_read_series_rejects_unsorted_and_negative_times(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("t_seconds,demand\n0,1\n30,2\n20,3\n")
    with pytest.raises(InputError, match=r"t\.csv:4: field t_seconds: times are not sorted"):
        read_series(str(f), "demand")
    f.write_text("t_seconds,demand\n-5,1\n")
    with pytest.raises(InputError, match="negative"):
        read_series(str(f), "demand")


@pytest.mark.parametrize(
    ("spec", "mean", "scv"),
    [
        ("exp:0.2", 0.2, 1.0),
        ("lognormal:0.5:0.8", 0.5, np.expm1(0.64)),
        ("gamma:2:0.5", 2.0, 0.25),
        ("const:3", 3.0, 0.0),
    ],
)
def test_distribution_moments(spec: str, mean: float, scv: float) -> None:
    """MEAN is the distribution's mean (lognormal: not of the log); SCV as documented."""
    d = parse_distribution(spec)
    x = d.sample(RNG(7), 200_000)
    assert x.mean() == pytest.approx(mean, rel=0.02)
    assert x.var() / x.mean() ** 2 == pytest.approx(scv, rel=0.1, abs=1e-9)
    assert d.scv == pytest.approx(scv)


def test_empirical_distribution_from_file(tmp_path: Path) -> None:
    f = tmp_path / "d.txt"
    f.write_text("duration_s\n0.1\n0.2\n0.3\n")
    d = parse_distribution(f"empirical:{f}")
    assert set(d.sample(RNG(1), 100).tolist()) <= {0.1, 0.2, 0.3}
    assert d.mean == pytest.approx(0.2)


@given(st.sampled_from(["weibull:1", "exp", "exp:x", "gamma:1", "lognormal:1:-1", "const:-1", ""]))
def test_bad_distribution_specs_raise_config_error(spec: str) -> None:
    with pytest.raises(ConfigError, match="distribution"):
        parse_distribution(spec)


@given(st.floats(1e-3, 1e3), st.floats(0.05, 3.0))
def test_parse_roundtrip(mean: float, shape: float) -> None:
    d = parse_distribution(f"gamma:{mean!r}:{shape!r}")
    assert (d.mean, d.shape) == (mean, shape)


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda: Poisson(0.0), "arrival rate"),
        (lambda: Poisson(-3.0), "arrival rate must be > 0 requests per second, got -3.0"),
        (lambda: Diurnal(1.0, 1.5), "amplitude"),
        (lambda: Steps([0, 5, 3], [1, 1, 1]), "step times"),
        (lambda: Replay([0, 10, 5], [1, 1, 1]), "replay times must increase"),
        (lambda: Replay([-1, 10], [1, 1]), "replay times must be ≥ 0"),
        (lambda: Poisson(1.0).arrivals(RNG(0)), "exactly one"),
    ],
)
def test_bad_workloads(make: object, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        make()  # type: ignore[operator]


def test_replay_from_a_dataset_counter(tmp_path: Path) -> None:
    """ "Last Tuesday's traffic": a counter series of the dataset → arrivals at its rates,
    summed over the series that match the label filter."""
    from pipbench.dataset import open_dataset

    t0 = dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    ts = [t0 + dt.timedelta(seconds=300 * i) for i in range(3)]
    frame = pl.DataFrame(
        {
            "timestamp": ts * 2,
            "metric": "http_requests_total",
            "value": [0.0, 1500.0, 4500.0, 0.0, 1500.0, 1500.0],
            "instance": ["a"] * 3 + ["b"] * 3,
        }
    )
    ds = open_dataset(tmp_path / "ds")
    ds.write({"samples": frame}, key="k", source="k")
    both = Replay.from_dataset(ds, "http_requests_total")
    assert list(both.rates) == [10.0, 10.0]  # (1500 + 1500)/300, (3000 + 0)/300
    only_a = Replay.from_dataset(ds, "http_requests_total", instance="a")
    assert list(only_a.rates) == [5.0, 10.0]
    t = only_a.arrivals(RNG(1))
    assert t.max() < 600
    with pytest.raises(InputError, match="point"):
        Replay.from_dataset(ds, "nope_total")
