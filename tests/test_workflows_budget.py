"""SLO budget workflow on the demo dataset and the shipped ``datasets/demo/slo.yaml``.

References: the SRE Workbook's budget arithmetic (budget = (1 - SLO) x events, consumed =
bad / budget) with event counts recomputed here by hand from the raw counters (per-series
increments, a drop being a counter reset, Prometheus semantics); the Workbook's
multiwindow rule (fire while both windows burn faster than the factor), re-evaluated here
with numpy at each alert's start; and the demo's ground truth (``pipbench.demo.STORY``).
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
from pipbench.workflows import BudgetResult, slo_budget

SPEC = Path(__file__).resolve().parent.parent / "datasets" / "demo" / "slo.yaml"


@pytest.fixture(scope="module")
def budget(demo_dataset: Path) -> BudgetResult:
    return slo_budget(demo_dataset, spec=SPEC)


def _events(samples: pl.DataFrame) -> float:
    """Sum of per-series counter increments; a drop is a reset (the new value counts)."""
    labels = [c for c in samples.columns if c not in ("timestamp", "value", "source")]
    total = 0.0
    for _, g in samples.sort("timestamp").group_by(labels):
        v = g["value"].to_numpy()
        d = np.diff(v)
        total += float(np.where(d >= 0, d, v[1:]).sum())
    return total


def test_budget_matches_hand_counted_events(budget: BudgetResult, demo_dataset: Path) -> None:
    """Availability: good = non-5xx increments, total = all; consumed = bad / (0.002 total)."""
    s = open_dataset(demo_dataset).samples().collect()
    req = s.filter(pl.col("metric") == "http_requests_total")
    total = _events(req)
    bad = _events(req.filter(pl.col("code").str.starts_with("5")))
    avail = next(x for x in budget.slos if x.slo.name == "checkout-availability")
    assert avail.budget.total == pytest.approx(total, rel=1e-12)
    assert avail.budget.bad == pytest.approx(bad, rel=1e-9)
    assert avail.budget.consumed == pytest.approx(bad / ((1 - 0.998) * total), rel=1e-9)

    lat = next(x for x in budget.slos if x.slo.name == "checkout-latency")
    checkout = pl.col("endpoint") == "/api/checkout"
    good = _events(
        s.filter(
            (pl.col("metric") == "http_request_duration_seconds_bucket")
            & checkout
            & (pl.col("le") == "0.25")
        )
    )
    count = _events(
        s.filter((pl.col("metric") == "http_request_duration_seconds_count") & checkout)
    )
    assert lat.budget.good == pytest.approx(good, rel=1e-12)
    assert lat.budget.total == pytest.approx(count, rel=1e-12)


def test_the_regression_overspends_the_latency_budget(budget: BudgetResult) -> None:
    """Before 2.4.0 almost no budget is spent; after it, the latency budget is overspent."""
    lat = next(x for x in budget.slos if x.slo.name == "checkout-latency")
    bd = lat.burn_down
    before = bd.filter(pl.col("timestamp") <= STORY.bad_canary)["remaining"].min()
    assert before > 0.9
    assert lat.budget.consumed > 1
    assert not lat.budget.compliant
    assert not lat.weekly["compliant"].any()


def test_alerts_fire_only_while_both_windows_burn(budget: BudgetResult) -> None:
    """At every alert start both windows' burn rates exceed the rule's factor (numpy re-check),
    and no alert of the latency SLO starts before the 2.4.0 canary (ground truth)."""
    for s in budget.slos:
        series = s.report.series.sort("timestamp")
        t = series["timestamp"].dt.epoch("us").to_numpy() / 1e6
        good, total = series["good"].to_numpy(), series["total"].to_numpy()
        rules = {r.name: r for r in s.report.backtest.rules}
        for a in s.alerts.iter_rows(named=True):
            r = rules[a["name"]]
            now = a["start"].timestamp()
            for w in (r.long_window_s, r.short_window_s):
                m = (t > now - w) & (t <= now)
                ratio = 1 - good[m].sum() / total[m].sum()
                assert ratio / (1 - s.slo.target) > r.factor
    lat = next(x for x in budget.slos if x.slo.name == "checkout-latency")
    assert lat.alerts.height >= 1
    assert (lat.alerts["start"] >= STORY.bad_canary).all()


def test_incident_detection_and_reset(budget: BudgetResult) -> None:
    """The INC-2417 annotation is matched; detection times are after its start, not negative."""
    det = budget.detection_table()
    assert set(det["slo"]) == {"checkout-availability", "checkout-latency"}
    assert (det["incident_start"] == STORY.incident_start).all()
    caught = det.filter(pl.col("detected"))
    assert caught.height >= 1
    assert (caught["detection_s"] >= 0).all()


def test_rule_families(demo_dataset: Path) -> None:
    """Pyrra's four windows for a 30-day SLO; Sloth's four named rules."""
    pyrra = slo_budget(demo_dataset, spec=SPEC, slos=["checkout-latency"], rules="pyrra")
    assert [r.factor for r in pyrra.slos[0].report.backtest.rules] == [14.0, 7.0, 2.0, 1.0]
    sloth = slo_budget(demo_dataset, spec=SPEC, slos=["checkout-latency"], rules="sloth")
    names = [r.name for r in sloth.slos[0].report.backtest.rules]
    assert names == ["page-quick", "page-slow", "ticket-quick", "ticket-slow"]


def test_evidence_and_pip_pieces(
    budget: BudgetResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PIPBENCH_OUT", str(tmp_path))
    ev = json.loads(emit_evidence("slo_budget", budget.evidence()).read_text())
    assert {"summary", "spec", "rules", "step_s", "slos"} <= set(ev)
    assert "checkout-latency" in ev["summary"]
    one = ev["slos"][1]
    assert {"budget", "burn_rates_now", "rules", "alerts", "incidents", "weekly"} <= set(one)
    targets = budget.pip_slo_targets()
    assert [(t.sli, t.objective, t.window_days) for t in targets] == [
        ("checkout-availability", 0.998, 30),
        ("checkout-latency", 0.99, 30),
    ]
    budgets = budget.pip_error_budgets()
    assert all(isinstance(b, plan.ErrorBudget) for b in budgets)
    assert budgets[1].consumed == pytest.approx(budget.slos[1].budget.consumed)


def test_time_range_limits_the_samples(demo_dataset: Path) -> None:
    """Only Monday and Tuesday: nothing has regressed, the latency budget is intact."""
    r = slo_budget(
        demo_dataset,
        spec=SPEC,
        slos=["checkout-latency"],
        start="2026-03-02T00:00Z",
        end=STORY.bad_canary.isoformat(),
    )
    lat = r.slos[0]
    assert lat.report.series["timestamp"].max() <= STORY.bad_canary
    assert lat.budget.consumed < 0.1
    assert lat.alerts.height == 0


def test_bad_parameters(demo_dataset: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="'rules'"):
        slo_budget(demo_dataset, spec=SPEC, rules="nagios")
    with pytest.raises(ConfigError, match="checkout-availability, checkout-latency"):
        slo_budget(demo_dataset, spec=SPEC, slos=["checkout-speed"])
    with pytest.raises(InputError, match="'spec'"):
        slo_budget(demo_dataset, spec=tmp_path / "none.yaml")
    with pytest.raises(InputError, match="'dataset'"):
        slo_budget(tmp_path / "nowhere", spec=SPEC)
    with pytest.raises(ConfigError, match="'step'"):
        slo_budget(demo_dataset, spec=SPEC, step="often")


def test_unmappable_or_empty_sli_is_a_clear_error(demo_dataset: Path, tmp_path: Path) -> None:
    """A query pipbench cannot evaluate, and one matching no series, each stop with one line."""
    text = SPEC.read_text()
    odd = tmp_path / "odd.yaml"
    odd.write_text(
        text.replace(
            'sum(rate(http_requests_total{code!~"5.."}[5m]))',
            'topk(3, rate(http_requests_total{code!~"5.."}[5m]))',
        )
    )
    with pytest.raises(ConfigError, match="checkout-availability") as info:
        slo_budget(demo_dataset, spec=odd, slos=["checkout-availability"])
    assert "\n" not in str(info.value)
    empty = tmp_path / "empty.yaml"
    empty.write_text(text.replace('endpoint="/api/checkout"', 'endpoint="/api/refund"'))
    with pytest.raises(InputError, match="counts no events"):
        slo_budget(demo_dataset, spec=empty, slos=["checkout-latency"])


def test_step_sets_the_evaluation_grid(demo_dataset: Path) -> None:
    r = slo_budget(demo_dataset, spec=SPEC, slos=["checkout-latency"], step="1h")
    ts = r.slos[0].report.series["timestamp"]
    assert (ts.diff().drop_nulls() == dt.timedelta(hours=1)).all()


def test_timeslice_budgeting_counts_slices(demo_dataset: Path, tmp_path: Path) -> None:
    """OpenSLO Timeslices: one event per 1-hour slice, good when the slice's ratio meets the
    slice target. Reference: the hourly ratios recomputed here from the per-step series."""
    text = SPEC.read_text().replace(
        "  budgetingMethod: Occurrences\n  objectives:\n    - displayName: 99 % of checkouts",
        "  budgetingMethod: Timeslices\n  objectives:\n    - timeSliceTarget: 0.99\n"
        "      timeSliceWindow: 1h\n      displayName: 99 % of checkouts",
    )
    assert "Timeslices" in text
    spec = tmp_path / "slices.yaml"
    spec.write_text(text)
    r = slo_budget(demo_dataset, spec=spec, slos=["checkout-latency"])
    s = r.slos[0]
    assert s.slo.budgeting == "Timeslices"
    hourly = (
        s.report.series.with_columns(
            hour=(pl.col("timestamp") - dt.timedelta(microseconds=1)).dt.truncate("1h")
        )
        .group_by("hour")
        .agg(pl.col("good").sum(), pl.col("total").sum())
        .filter(pl.col("total") > 0)
    )
    good_hours = hourly.filter(pl.col("good") / pl.col("total") >= 0.99).height
    week = s.weekly.row(0, named=True)
    assert week["total"] == hourly.height
    assert week["good"] == good_hours
    assert s.burn_down["burn_rate"].null_count() == 0
