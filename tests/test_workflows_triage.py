"""Regression triage on the demo dataset, checked against the demo's ground truth.

References: ``pipbench.demo.STORY`` (when 2.4.0 went to the canary and to every instance,
which endpoint and version carry the N+1 query), Prometheus ``histogram_quantile``
semantics (linear interpolation inside the bucket holding the rank, computed by hand here
from the raw bucket counters) and the nominal coverage of a 95 % band.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from pipbench import plan
from pipbench.dataset import open_dataset
from pipbench.demo import STORY
from pipbench.errors import ConfigError, InputError
from pipbench.notebooks import emit_evidence
from pipbench.workflows import TriageResult, regression_triage

HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def triage(demo_dataset: Path) -> TriageResult:
    return regression_triage(demo_dataset)


def _at(t: float | None) -> dt.datetime:
    assert t is not None
    return dt.datetime.fromtimestamp(t, dt.UTC)


def test_finds_the_regression_between_canary_and_rollout(triage: TriageResult) -> None:
    """Ground truth: 2.4.0 reached the canary at 10:00 and everyone at 12:00 on Wednesday."""
    assert triage.main_change is not None
    assert triage.onset is not None
    for cp in (triage.onset, triage.main_change):
        assert STORY.bad_canary <= _at(cp.time) <= STORY.bad_rollout + HOUR
    assert triage.main_change.mean_after > 1.2 * triage.onset.mean_before
    # the recovery is the fix (2.4.1 canary at Fri 14:00, rollout at 16:00)
    assert triage.recovery is not None
    assert STORY.fix_canary <= _at(triage.recovery.time) <= STORY.fix_rollout + HOUR


def test_attributes_the_regression_to_the_2_4_0_deploy(triage: TriageResult) -> None:
    """The prime suspect of the main change is a 2.4.0 deploy, not the flag flip at 11:10."""
    assert triage.main_change is not None
    top = (
        triage.suspects.filter(pl.col("change_index") == triage.main_change.index)
        .sort("rank")
        .row(0, named=True)
    )
    assert top["kind"] == "deploy"
    assert "2.4.0" in top["text"]
    assert "2.4.0" in triage.hypotheses[0].title
    assert "flag" not in triage.hypotheses[0].title


def test_drilldown_names_checkout_on_2_4_0(triage: TriageResult) -> None:
    """Ground truth: the N+1 query is on /api/checkout only, in version 2.4.0."""
    assert triage.drill is not None
    top = triage.drill.table.row(0, named=True)
    assert top["segment"] == "endpoint=/api/checkout, version=2.4.0"
    assert top["explained"] > 0.8
    # checkout is about a quarter of the traffic (demo ENDPOINTS share 0.25)
    assert 0.15 < top["share_after"] < 0.35
    frame = triage.drilldown_frame()
    assert frame.columns == ["value", "contribution", "traffic"]


def test_sli_is_prometheus_histogram_quantile(triage: TriageResult, demo_dataset: Path) -> None:
    """p99 at one step equals a hand-written histogram_quantile of the summed bucket increases.

    With every series scraped at the same instants, Prometheus' rate extrapolation scales
    all buckets alike (counters here are far from zero, so no zero-point clamp), and the
    quantile depends only on the increases between the samples inside ``(t - w, t]``.
    """
    t = dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC)
    prev = t - dt.timedelta(seconds=triage.window_s - 300)  # first 5-min sample in (t-w, t]
    raw = (
        open_dataset(demo_dataset)
        .samples()
        .filter(
            (pl.col("metric") == "http_request_duration_seconds_bucket")
            & pl.col("timestamp").is_in([prev, t])
        )
        .collect()
    )
    keys = ["le", "endpoint", "instance", "version", "code", "job"]
    keys = [k for k in keys if k in raw.columns]
    wide = raw.pivot(on="timestamp", index=keys, values="value")
    a, b = wide.columns[-2:]
    inc = wide.with_columns(inc=pl.col(b) - pl.col(a)).group_by("le").agg(pl.col("inc").sum())
    inc = inc.with_columns(bound=pl.col("le").cast(pl.Float64)).sort("bound")
    bounds, counts = inc["bound"].to_numpy(), inc["inc"].to_numpy()
    rank = 0.99 * counts[-1]
    i = int(np.searchsorted(counts, rank))  # first bucket whose cumulative count >= rank
    lo = 0.0 if i == 0 else bounds[i - 1]
    below = 0.0 if i == 0 else counts[i - 1]
    expected = lo + (bounds[i] - lo) * (rank - below) / (counts[i] - below)
    got = triage.sli.filter(pl.col("timestamp") == t)["value"].item()
    assert got == pytest.approx(expected, rel=1e-9)


def test_baseline_band_is_fitted_before_the_onset(triage: TriageResult) -> None:
    """The band comes from the history before the regression and covers it at about 95 %."""
    assert triage.onset is not None
    assert triage.baseline_to is not None
    assert triage.baseline_to < _at(triage.onset.time)
    s = triage.sli
    inside = (pl.col("value") >= pl.col("lower")) & (pl.col("value") <= pl.col("upper"))
    before = s.filter(pl.col("timestamp") < STORY.bad_canary).select(inside.mean()).item()
    during = (
        s.filter(
            (pl.col("timestamp") >= STORY.bad_rollout + HOUR)
            & (pl.col("timestamp") < STORY.fix_canary)
        )
        .select(inside.mean())
        .item()
    )
    assert before > 0.85
    assert during < 0.2


def test_online_detector_flags_the_regression(triage: TriageResult) -> None:
    """The streaming detector raises a flag between the canary and an hour after the rollout."""
    flagged = triage.sli.filter(pl.col("anomaly"))["timestamp"].to_list()
    assert any(STORY.bad_canary <= t <= STORY.bad_rollout + HOUR for t in flagged)


def test_evidence_is_json_with_summary_and_pip_pieces(
    triage: TriageResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The evidence file round-trips as JSON; the PIP objects validate."""
    monkeypatch.setenv("PIPBENCH_OUT", str(tmp_path))
    ev = json.loads(emit_evidence("regression_triage", triage.evidence()).read_text())
    assert {"summary", "sli", "baseline", "regression", "change_points", "suspects"} <= set(ev)
    assert {"anomalies", "drilldown", "hypotheses"} <= set(ev)
    assert "2.4.0" in ev["summary"]
    assert "/api/checkout" in ev["summary"]
    assert ev["regression"]["onset"].startswith("2026-03-04T1")
    hyps = triage.pip_hypotheses()
    assert all(isinstance(h, plan.Hypothesis) for h in hyps)
    assert [h.rank for h in hyps] == list(range(1, len(hyps) + 1))
    steps = triage.pip_timeline()
    assert [e.event.split(":")[0] for e in steps] == [
        "regression began",
        "regression peaked",
        "recovery began",
    ]
    assert STORY.bad_canary <= steps[0].at <= STORY.bad_rollout
    base = triage.pip_baseline()
    assert base.unit == "s"
    assert 0.1 < base.value < 0.25


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"quantile": 1.5}, ConfigError, "'quantile'"),
        ({"metric": "nope_seconds"}, InputError, "http_request_duration_seconds_bucket"),
        ({"dimensions": ["region"]}, ConfigError, "'dimensions'"),
        ({"step": "5 minutes"}, ConfigError, "step"),
        ({"start": "2026-03-05", "end": "2026-03-04"}, ConfigError, "'start'"),
        ({"start": "yesterday"}, ConfigError, "ISO-8601"),
        ({"baseline": "ets"}, ConfigError, "'baseline'"),
    ],
)
def test_bad_parameters_fail_first_with_one_line(
    demo_dataset: Path, kwargs: dict, error: type, words: str
) -> None:
    with pytest.raises(error) as info:
        regression_triage(demo_dataset, **kwargs)
    assert words in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_dataset_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nothing"
    with pytest.raises(InputError, match="'dataset'"):
        regression_triage(missing)
    assert not missing.exists()


def test_empty_range_says_so(demo_dataset: Path) -> None:
    with pytest.raises(InputError, match="SLI point"):
        regression_triage(demo_dataset, start="2027-01-01", end="2027-01-02")


def test_without_traces_the_drilldown_uses_per_series_quantiles(tmp_path: Path) -> None:
    """Only the histogram and the deploys: the drill-down falls back to the samples table and
    still names /api/checkout on 2.4.0 (ground truth)."""
    from pipbench.demo.pipeline import demo_dir
    from pipbench.ingest import ingest

    src = demo_dir()
    ds = tmp_path / "ds"
    ingest([src / "prometheus_latency.json", src / "deploys.csv"], ds)
    r = regression_triage(ds, dimensions=["endpoint", "version"])
    assert r.drill_source == "samples"
    assert r.drill is not None
    assert r.drill.table["segment"][0] == "endpoint=/api/checkout, version=2.4.0"


def test_a_two_day_range_still_finds_the_deploy(demo_dataset: Path) -> None:
    """Tuesday and Wednesday only: too short for a daily profile (the notes say so), yet the
    regression is attributed to 2.4.0 and drilled down to /api/checkout (ground truth)."""
    r = regression_triage(
        demo_dataset, start="2026-03-03T00:00Z", end="2026-03-05T00:00Z", baseline="stl"
    )
    assert any("under 3 days" in n for n in r.baseline_notes)
    assert r.baseline_method == "profile"
    assert "2.4.0" in r.hypotheses[0].title
    assert r.drill is not None
    assert r.drill.table["segment"][0] == "endpoint=/api/checkout, version=2.4.0"


def test_where_selects_the_sli_and_the_heatmap(demo_dataset: Path) -> None:
    """With ``where`` on /api/checkout, the heatmap's cells add up to that endpoint's requests,
    counted by hand from the histogram's ``_count`` counters (per-series increments)."""
    r = regression_triage(demo_dataset, where='{endpoint="/api/checkout"}', dimensions=["version"])
    counts = (
        open_dataset(demo_dataset)
        .samples()
        .filter(
            (pl.col("metric") == "http_request_duration_seconds_count")
            & (pl.col("endpoint") == "/api/checkout")
        )
        .collect()
        .sort("timestamp")
    )
    total = 0.0
    for _, g in counts.group_by("instance", "version"):
        v = g["value"].to_numpy()
        d = np.diff(v)
        total += float(np.where(d >= 0, d, v[1:]).sum())
    assert r.heatmap["count"].sum() == pytest.approx(total, rel=1e-9)
    assert 'endpoint="/api/checkout"' in r.query


def test_before_the_release_there_is_no_regression(demo_dataset: Path) -> None:
    """Monday to the 2.4.0 canary: no change of 20 % or more, so no regression, no drill-down
    and no onset in the evidence (ground truth: nothing was released)."""
    r = regression_triage(demo_dataset, end=STORY.bad_canary.isoformat())
    assert r.main_change is None
    assert r.drill is None
    assert r.summary().startswith("No regression")
    assert r.evidence()["regression"] is None
    cart = regression_triage(demo_dataset, where='{endpoint="/api/cart"}', dimensions=["version"])
    assert cart.main_change is None
