"""Canary verification workflow on the demo story (and small synthetic datasets)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from pipbench.cli import main
from pipbench.dataset import open_dataset
from pipbench.demo import STORY
from pipbench.errors import ConfigError, InputError
from pipbench.notebooks import emit_evidence
from pipbench.plan import VerificationResult
from pipbench.workflows import canary_verification
from pipbench.workflows._select import interval_counts, parse_labels

DEMO_CANARY_TOML = Path(__file__).resolve().parent.parent / "datasets" / "demo" / "canary.toml"


@pytest.fixture(scope="module")
def fix(demo_dataset: Path):
    """The demo's 2.4.1 canary (the defaults: STORY.fix_canary → STORY.fix_rollout)."""
    return canary_verification(demo_dataset)


def _raw_increments(ds_path: Path, metric: str, expr: pl.Expr, t0, t1) -> pl.DataFrame:
    """Reference: per-series differences of the raw cumulative samples, by hand."""
    s = (
        open_dataset(ds_path, create=False)
        .samples()
        .filter((pl.col("metric") == metric) & expr)
        .filter(pl.col("timestamp") > t0 - dt.timedelta(minutes=30))
        .filter(pl.col("timestamp") <= t1)
        .collect()
    )
    keys = [c for c in ("code", "endpoint", "instance", "job", "le", "version") if c in s.columns]
    out = []
    for _, g in s.sort("timestamp").group_by(keys, maintain_order=True):
        v = g["value"].to_numpy()
        inc = np.diff(v)
        inc = np.where(inc < 0, v[1:], inc)
        out.append(g[1:].with_columns(inc=pl.Series(inc)))
    return pl.concat(out).filter(pl.col("timestamp") > t0)


def test_the_fix_canary_passes_against_the_bad_release(fix, demo_dataset):
    """Story: 2.4.1 on checkout-2 (Fri 14:00-16:00) vs 2.4.0 elsewhere: pass, faster, fewer errors."""
    assert fix.verdict == "pass"
    assert fix.passed
    lat, err = fix.judgement.metrics[0], fix.judgement.metrics[1]
    assert lat.name == "p99 latency"
    assert lat.critical
    assert lat.comparison.effect < 0
    assert lat.comparison.ci[1] < 0
    assert err.comparison.effect < 0
    assert {m.decision for m in fix.judgement.metrics} == {"pass"}
    # events are compared too (spans carry service_instance_id)
    assert [m.name for m in fix.judgement.metrics] == [
        "p99 latency",
        "error ratio",
        "request latency",
    ]
    assert fix.start == STORY.fix_canary
    assert fix.end == STORY.fix_rollout


def test_the_bad_canary_fails_on_the_critical_latency(demo_dataset):
    """Story: 2.4.0 on checkout-2 (Wed 10:00-12:00) is the regression: fail."""
    r = canary_verification(
        demo_dataset, start=STORY.bad_canary.isoformat(), end=STORY.bad_rollout.isoformat()
    )
    assert r.verdict == "fail"
    assert "critical metric 'p99 latency' failed" in r.judgement.reason
    assert r.judgement.metrics[0].comparison.effect > 0.2


def test_per_interval_p99_matches_prometheus_interpolation(fix, demo_dataset):
    """Reference: histogram_quantile by hand (linear interpolation inside the bucket, per the
    Prometheus docs) on raw bucket increments summed over the canary's series."""
    t_end = STORY.fix_canary + dt.timedelta(minutes=30)
    inc = _raw_increments(
        demo_dataset,
        "http_request_duration_seconds_bucket",
        pl.col("instance") == "checkout-2",
        STORY.fix_canary,
        STORY.fix_rollout,
    ).filter(pl.col("timestamp") == t_end)
    by_le = inc.group_by("le").agg(pl.col("inc").sum())
    bounds = np.array([float(x) for x in by_le["le"]])
    counts = by_le["inc"].to_numpy()
    order = np.argsort(bounds)
    bounds, counts = bounds[order], counts[order]
    rank = 0.99 * counts[-1]
    i = int(np.searchsorted(counts, rank))
    lo = 0.0 if i == 0 else bounds[i - 1]
    below = 0.0 if i == 0 else counts[i - 1]
    expected = lo + (bounds[i] - lo) * (rank - below) / (counts[i] - below)
    got = fix.latency.filter((pl.col("group") == "canary") & (pl.col("timestamp") == t_end))
    assert got["value"].item() == pytest.approx(expected, rel=1e-9)


def test_error_test_and_budget_match_independent_references(fix, demo_dataset):
    """References: the exact conditional test of a Poisson rate ratio is a binomial test
    (scipy.stats.binomtest); burn rate = bad fraction / (1 - SLO) (SRE Workbook)."""
    counts = {}
    for side, expr in (
        ("baseline", pl.col("instance") != "checkout-2"),
        ("canary", pl.col("instance") == "checkout-2"),
    ):
        inc = _raw_increments(
            demo_dataset, "http_requests_total", expr, STORY.fix_canary, STORY.fix_rollout
        )
        counts[side] = (
            float(inc.filter(pl.col("code").str.contains("^5..$"))["inc"].sum()),
            float(inc["inc"].sum()),
        )
    (eb, nb), (ec, nc) = counts["baseline"], counts["canary"]
    err = fix.judgement.metrics[1].comparison
    ref = stats.binomtest(int(ec), int(eb + ec), nc / (nb + nc), alternative="greater")
    assert err.method in ("poisson", "quasi-poisson")
    if err.method == "poisson":
        assert err.p_value == pytest.approx(ref.pvalue, rel=1e-6)
    else:  # over-dispersed (bursty) counts: the test widens the exact one, never narrows it
        assert err.p_value >= ref.pvalue
    b = fix.budget["errors"]
    assert b.canary_bad_fraction == pytest.approx(ec / nc)
    assert b.baseline_bad_fraction == pytest.approx(eb / nb)
    assert b.burn_rate == pytest.approx((ec / nc) / (1 - 0.999))
    # the canary gets one instance of three: about a third of the requests
    assert nc / (nb + nc) == pytest.approx(1 / 3, abs=0.03)


def test_latency_budget_counts_requests_above_the_threshold(fix, demo_dataset):
    """Reference: 1 - count(le=0.25)/count(+Inf) over the window, from raw increments."""
    inc = _raw_increments(
        demo_dataset,
        "http_request_duration_seconds_bucket",
        pl.col("instance") == "checkout-2",
        STORY.fix_canary,
        STORY.fix_rollout,
    )
    le = inc.group_by("le").agg(pl.col("inc").sum())
    count = dict(le.iter_rows())
    assert fix.budget["latency"].canary_bad_fraction == pytest.approx(
        1 - count["0.25"] / count["+Inf"]
    )
    with pytest.raises(ConfigError, match=r"latency_threshold=0.3 s is not a bucket bound"):
        canary_verification(demo_dataset, latency_threshold=0.3)


def test_power_plan_follows_the_traffic_split(fix):
    """The canary has a third of the traffic, so it sees half the baseline's requests, and a
    smaller regression needs a longer canary (n ∝ 1/log(1+effect)^2)."""
    lat = fix.power.filter(pl.col("what") == "request latency").sort("effect")
    assert lat.height == 3
    ratio = (lat["n_canary"] / lat["n_baseline"]).to_numpy()
    assert np.allclose(ratio, 0.5, atol=0.05)
    m = lat["minutes"].to_numpy()
    e = lat["effect"].to_numpy()
    assert np.allclose(m[0] / m[1], (np.log1p(e[1]) / np.log1p(e[0])) ** 2, rtol=1e-6)
    assert 0 < fix.mde < 0.5


def test_before_after_on_one_series_finds_the_regression(demo_dataset):
    """Story: /api/checkout's p99 rises several-fold with 2.4.0 (Tue vs Wed, 12:00-14:00)."""
    r = canary_verification(
        demo_dataset,
        mode="before-after",
        canary="endpoint=/api/checkout",
        start="2026-03-04T12:00:00Z",
        end="2026-03-04T14:00:00Z",
        before_start="2026-03-03T12:00:00Z",
        before_end="2026-03-03T14:00:00Z",
    )
    assert r.verdict == "fail"
    assert r.window_comparison is not None
    assert r.window_comparison.verdict == "fail"
    assert r.judgement.metrics[0].comparison.effect > 0.5
    # the error ratio rose from 0.2 % to 1.2 % (STORY.bad_error_ratio)
    assert r.budget["errors"].canary_bad_fraction == pytest.approx(STORY.bad_error_ratio, rel=0.25)
    assert set(r.latency["group"]) == {"baseline", "canary"}
    assert r.evidence()["window_comparison"]["verdict"] == "fail"


def test_evidence_and_pip_objects(fix, tmp_path, monkeypatch):
    monkeypatch.setenv("PIPBENCH_OUT", str(tmp_path))
    ev = json.loads(emit_evidence("canary_verification", fix.evidence()).read_text())
    assert ev["summary"].startswith('Canary instance="checkout-2"')
    assert "PASS" in ev["summary"]
    assert ev["verdict"] == "pass"
    assert ev["passed"] is True
    assert {s["statistic"] for s in ev["statistics"]} >= {"effect", "ci_high", "adjusted_p"}
    assert ev["budget"]["errors"]["slo"] == 0.999
    assert len(ev["judgement"]["metrics"]) == 3
    vr = fix.pip_verification()
    assert all(isinstance(v, VerificationResult) and v.passed for v in vr)
    assert vr[0].metric == "p99 latency"
    assert vr[0].candidate < vr[0].baseline
    assert vr[0].lower <= vr[0].candidate <= vr[0].upper
    assert [t.sli for t in fix.slo_targets()] == ["error ratio", "latency"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"canary": "instance~checkout-2"}, ConfigError, r"canary=.*is not label=value"),
        ({"baseline": ""}, ConfigError, r"baseline='' is empty"),
        ({"canary": "pod=checkout-2"}, ConfigError, r"no label 'pod' in the dataset \(labels:"),
        ({"canary": "instance=nope"}, InputError, r"the canary selection .* has no"),
        ({"start": "2026-03-06T16:00:00Z"}, ConfigError, r"the window is empty"),
        ({"start": "friday"}, ConfigError, r"start='friday' is not an ISO-8601 time"),
        ({"quantile": 1.5}, ConfigError, r"quantile=1.5"),
        ({"mode": "ab"}, ConfigError, r"mode='ab'"),
        ({"latency_metric": "nope"}, InputError, r"no metric 'nope_bucket'"),
    ],
)
def test_bad_parameters_get_one_clear_error(demo_dataset, kwargs, error, match):
    with pytest.raises(error, match=match):
        canary_verification(demo_dataset, **kwargs)


def test_missing_dataset_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no dataset here"):
        canary_verification(tmp_path / "nothing")


def _counter_frame(values: list[float], *, instance: str = "a") -> pl.DataFrame:
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return pl.DataFrame(
        {
            "timestamp": [t0 + dt.timedelta(minutes=5 * i) for i in range(len(values))],
            "metric": ["req_total"] * len(values),
            "value": values,
            "instance": [instance] * len(values),
        }
    )


def test_interval_counts_handle_counter_resets(tmp_path):
    """Prometheus semantics: a drop is a restart from 0, so the increase is the new value."""
    ds = open_dataset(tmp_path / "ds")
    frame = pl.concat(
        [_counter_frame([10, 15, 22, 3, 9]), _counter_frame([0, 1, 2, 3, 4], instance="b")]
    )
    ds.write({"samples": frame}, key="x", source="x")
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    got = interval_counts(ds, "req_total", (), t0, t0 + dt.timedelta(hours=1))
    assert got["value"].to_list() == [5 + 1, 7 + 1, 3 + 1, 6 + 1]
    only_a = interval_counts(
        ds, "req_total", parse_labels("instance!=b", "x"), t0, t0 + dt.timedelta(hours=1)
    )
    assert only_a["value"].to_list() == [5, 7, 3, 6]


@given(
    label=st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True),
    op=st.sampled_from(["=", "!=", "=~", "!~"]),
    value=st.text(
        st.characters(blacklist_characters=',"{}=~!', blacklist_categories=["Cc", "Zs", "Cs"]),
        max_size=12,
    ),
)
def test_label_selectors_parse_every_operator(label, op, value):
    (m,) = parse_labels(f"{label}{op}{value}", "canary")
    assert (m.label, m.op, m.value) == (label, op, value.strip())
    (q,) = parse_labels(str(m), "canary")  # the quoted form reads back the same
    assert q == m


def test_demo_canary_toml_drives_the_verify_cli(demo_dataset, capsys):
    """datasets/demo/canary.toml: the fix passes (exit 0), the regression fails (exit 1)."""
    args = ["verify", "--dataset", str(demo_dataset), "--config", str(DEMO_CANARY_TOML)]
    assert main([*args, "-b", "service_version=2.4.0", "-c", "service_version=2.4.1"]) == 0
    assert capsys.readouterr().out.startswith("PASS")
    assert main([*args, "-b", "service_version=2.3.9", "-c", "service_version=2.4.0"]) == 1
    assert "critical metric 'checkout p99 latency' failed" in capsys.readouterr().out


def test_events_are_optional(demo_dataset):
    r = canary_verification(demo_dataset, use_events=False, latency_threshold=None)
    assert [m.name for m in r.judgement.metrics] == ["p99 latency", "error ratio"]
    assert r.events.height == 0
    assert set(r.budget) == {"errors"}
    assert [t.sli for t in r.slo_targets()] == ["error ratio"]
    # a label the spans do not carry: the events comparison is skipped, with a note
    r = canary_verification(demo_dataset, where="code=~.*")
    assert r.verdict == "pass"
    assert r.notes == ("no events for these selectors: request latency not compared",)
    # job is service_name in OpenTelemetry: mapped, so the spans are compared
    r = canary_verification(demo_dataset, baseline="job=checkout,instance!=checkout-2")
    assert r.judgement.metrics[-1].name == "request latency"
    q = canary_verification(demo_dataset, quantile=0.95)
    assert q.judgement.metrics[0].name == "p95 latency"
