"""Drill-down: the segment that carries a regression, checked against closed forms."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipbench.detect import drilldown, drilldown_samples
from pipbench.errors import ConfigError, InputError


def _events(seed: int = 0, n: int = 20000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.sort(rng.uniform(0, 7200, n))
    ep = rng.choice(["/api/cart", "/api/checkout", "/api/search"], n, p=[0.4, 0.3, 0.3])
    after = t >= 3600
    ver = np.where(after & (rng.uniform(size=n) < 0.5), "2.4.0", "2.3.9")
    inst = rng.choice(["a", "b", "c", "d"], n)
    slow = (ver == "2.4.0") & (ep == "/api/checkout")
    dur = rng.lognormal(-3, 0.4, n) * np.where(slow, 3.0, 1.0)
    ok = rng.uniform(size=n) > np.where(slow, 0.2, 0.01)
    return pl.DataFrame(
        {
            "timestamp": t,
            "duration_s": dur,
            "ok": ok,
            "endpoint": ep,
            "version": ver,
            "instance": inst,
        }
    )


def test_the_pair_that_carries_a_p99_regression_ranks_first():
    d = drilldown(_events(), at=3600.0, statistic="p99")
    top = d.table.row(0, named=True)
    assert top["segment"] == "endpoint=/api/checkout, version=2.4.0"
    assert top["explained"] > 0.9
    assert top["share_after"] == pytest.approx(0.15, abs=0.02)
    assert "% of the p99 increase" in d.headline()
    assert "/api/checkout on version=2.4.0" in d.headline()


def test_overall_statistics_match_numpy():
    ev = _events(1)
    d = drilldown(ev, at=3600.0, statistic="p95", before=None, after=None)
    t = ev["timestamp"].to_numpy()
    x = ev["duration_s"].to_numpy()
    assert d.before == pytest.approx(np.quantile(x[t < 3600], 0.95))
    assert d.after == pytest.approx(np.quantile(x[t >= 3600], 0.95))


def test_mean_counterfactual_is_exact():
    """For the mean, reverting segment v changes the mean by n_v/N (mean_after_v - mean_before_v)."""
    ev = _events(2)
    d = drilldown(ev, at=3600.0, statistic="mean", max_depth=1)
    t = ev["timestamp"].to_numpy()
    x = ev["duration_s"].to_numpy()
    ep = ev["endpoint"].to_numpy()
    a, b = t >= 3600, t < 3600
    v = "/api/checkout"
    n_v = (a & (ep == v)).sum()
    delta = n_v / a.sum() * (x[a & (ep == v)].mean() - x[b & (ep == v)].mean())
    row = d.table.filter(pl.col("segment") == f"endpoint={v}").row(0, named=True)
    assert d.after - row["counterfactual"] == pytest.approx(delta)
    assert row["explained"] == pytest.approx(delta / (d.after - d.before))


def test_error_rate_statistic():
    d = drilldown(_events(3), at=3600.0, statistic="error_rate")
    assert d.after > d.before
    assert d.table.row(0, named=True)["segment"].startswith("endpoint=/api/checkout")


def test_bad_inputs_are_clear():
    ev = _events(4, n=2000)
    with pytest.raises(ConfigError, match="statistic"):
        drilldown(ev, at=3600.0, statistic="p999x")
    with pytest.raises(InputError, match="before"):
        drilldown(ev, at=-10.0)
    with pytest.raises(InputError, match="region"):
        drilldown(ev, at=3600.0, dimensions=["region"])


def test_samples_drilldown_finds_the_instance():
    rng = np.random.default_rng(5)
    rows = []
    for inst in ["a", "b", "c", "d"]:
        t = np.arange(0, 7200, 60.0)
        v = rng.normal(0.2, 0.01, t.size) + np.where((inst == "c") & (t >= 3600), 0.3, 0.0)
        rows.append(
            pl.DataFrame({"timestamp": t, "metric": "latency", "value": v, "instance": inst})
        )
    d = drilldown_samples(pl.concat(rows), metric="latency", at=3600.0)
    assert d.table.row(0, named=True)["segment"] == "instance=c"
    assert d.table.row(0, named=True)["explained"] == pytest.approx(1.0, abs=0.05)


def test_dataset_shaped_events_datetime_at_and_constant_labels():
    """Datetime columns and a datetime ``at`` work; a label with one value (or the whole
    population) is never 'the' explanation."""
    from datetime import UTC, datetime, timedelta

    ev = _events(6, n=6000)
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    ev = ev.with_columns(
        (pl.lit(t0) + pl.duration(microseconds=(pl.col("timestamp") * 1e6).cast(pl.Int64)))
        .dt.cast_time_unit("us")
        .alias("timestamp"),
        pl.lit("GET").alias("name"),
        pl.lit("x.json").alias("source"),
    )
    d = drilldown(ev, at=t0 + timedelta(seconds=3600), statistic="p99")
    segs = d.table["segment"].to_list()
    assert not any(s.startswith("name=") for s in segs)
    assert segs[0] == "endpoint=/api/checkout, version=2.4.0"
    assert d.table["share_after"].max() < 1.0
