"""Burn-rate rules and backtests.

References: the SRE Workbook, chapter 5 "Alerting on SLOs" (table 5-8 recommended
parameters; the factor = budget fraction × period / window; detection time = factor ×
(1 − SLO) × window / error ratio); Sloth's default alert windows; Pyrra's
``Windows(sloWindow)`` (Go integer-duration arithmetic, ``Round(time.Minute)``).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipbench.slo import (
    SLI,
    SLO,
    AlertCondition,
    Window,
    backtest,
    burn_rates,
    pyrra_rules,
    rules,
    sloth_rules,
    workbook_rules,
)

D = 86400.0


def test_workbook_table() -> None:
    """Table 5-8: 2 % in 1 h → 14.4 page, 5 % in 6 h → 6 page, 10 % in 3 d → 1 ticket;
    short windows are 1/12 of the long ones."""
    got = [
        (r.severity, r.long_window_s, r.short_window_s, round(r.factor, 9), r.budget_fraction)
        for r in workbook_rules(30 * D)
    ]
    assert got == [
        ("page", 3600, 300, 14.4, 0.02),
        ("page", 21600, 1800, 6.0, 0.05),
        ("ticket", 259200, 21600, 1.0, 0.10),
    ]
    assert all(r.short_window_s == r.long_window_s / 12 for r in workbook_rules())


@pytest.mark.parametrize(
    ("target", "thresholds"),
    [
        (0.999, (0.0144, 0.006, 0.001)),
        (0.99, (0.144, 0.06, 0.01)),
        (0.9995, (0.0072, 0.003, 0.0005)),
    ],
)
def test_error_ratio_thresholds_for_several_targets(target: float, thresholds: tuple) -> None:
    """Workbook: alert when error ratio > factor × (1 − SLO), e.g. 14.4 × 0.1 % = 1.44 %."""
    got = tuple(r.error_ratio_threshold(target) for r in workbook_rules())
    assert got == pytest.approx(thresholds)


def test_factors_scale_with_period() -> None:
    """For a 28-day period, 2 % in 1 h is 13.44 (0.02 × 672 h / 1 h)."""
    assert workbook_rules(28 * D)[0].factor == pytest.approx(13.44)


def test_sloth_defaults() -> None:
    """Sloth: page 1h/5m (14.4) and 6h/30m (6), ticket 1d/2h (3) and 3d/6h (1) for 30 d."""
    got = [(r.long_window_s, r.short_window_s, round(r.factor, 9)) for r in sloth_rules()]
    assert got == [(3600, 300, 14.4), (21600, 1800, 6.0), (86400, 7200, 3.0), (259200, 21600, 1.0)]


def test_pyrra_windows() -> None:
    """Pyrra for 28 d: (1h, 5m, 14, for 2m), (6h, 30m, 7, 15m), (1d, 2h, 2, 1h), (4d, 6h, 1, 3h).
    For 14 d the windows halve; the 2.5-minute short window rounds to 3m like Go's Round."""
    got = [(r.long_window_s, r.short_window_s, r.factor, r.for_s) for r in pyrra_rules(28 * D)]
    assert got == [
        (3600, 300, 14, 120),
        (21600, 1800, 7, 900),
        (86400, 7200, 2, 3600),
        (345600, 21600, 1, 10800),
    ]
    two_weeks = pyrra_rules(14 * D)
    assert (two_weeks[0].long_window_s, two_weeks[0].short_window_s, two_weeks[0].for_s) == (
        1800,
        180,
        60,
    )


def _outage(
    minutes: int, bad_from: int, bad_to: int, ratio: float, step_s: int = 60
) -> pl.DataFrame:
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    n = minutes * 60 // step_s
    ts = [t0 + dt.timedelta(seconds=step_s * (i + 1)) for i in range(n)]
    bad = [ratio * 1000 if bad_from * 60 <= step_s * i < bad_to * 60 else 0.0 for i in range(n)]
    return pl.DataFrame({"timestamp": ts, "good": [1000 - b for b in bad], "total": [1000.0] * n})


def test_detection_time_matches_workbook_formula() -> None:
    """Workbook: at a 100 % error rate a 99.9 % SLO's 1 h/14.4 rule detects after
    0.0144 × 60 min = 0.864 min = 51.84 s; on a 1-second grid the first firing is at 52 s."""
    s = _outage(75, 62, 75, 1.0, step_s=1)  # a full hour of good data first
    bt = backtest(
        s,
        0.999,
        workbook_rules()[:1],
        incidents=pl.DataFrame(
            {"timestamp": [dt.datetime(2026, 1, 1, 1, 2, tzinfo=dt.UTC)], "end": [None]}
        ).cast({"end": pl.Datetime("us", "UTC")}),
    )
    assert bt.incidents["detection_s"][0] == 52
    assert bt.alerts["open"][0]


def test_long_window_fires_only_with_its_short_window() -> None:
    """After a 20-minute 5 % burst the 1 h ratio stays above 1.44 % for a while, but the
    alert resets once the 5 m window recovers (hand: bad rows 01:11–01:30; the 5 m window
    (T−5m, T] is 1 % at 01:34 < 1.44 %)."""
    s = _outage(180, 70, 90, 0.05)
    r = workbook_rules()[0]
    bt = backtest(s, 0.999, [r])
    (start, end) = bt.alerts.select("start", "end").row(0)
    assert end == dt.datetime(2026, 1, 1, 1, 34, tzinfo=dt.UTC)
    br = burn_rates(s, 0.999, [3600]).filter(pl.col("timestamp") == end)
    assert br["burn_3600"][0] > r.factor  # the long window alone would still fire
    # and it started once 18 of 60 minutes were bad: 18 × 5 % / 60 = 1.5 % > 1.44 %
    assert start == dt.datetime(2026, 1, 1, 1, 28, tzinfo=dt.UTC)


def test_for_delays_firing() -> None:
    """Prometheus `for`: the condition must hold for the whole duration before firing."""
    s = _outage(120, 70, 100, 1.0)
    r = workbook_rules()[0]
    no_for = backtest(s, 0.999, [r]).alerts["start"][0]
    with_for = backtest(s, 0.999, [r.__class__(**{**r.__dict__, "for_s": 300})]).alerts["start"][0]
    assert with_for - no_for == dt.timedelta(minutes=5)


def test_incident_reset_time_and_missed_incidents() -> None:
    """Reset = alert end − incident end; an incident no alert overlaps is not detected."""
    s = _outage(240, 70, 90, 0.05)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    inc = pl.DataFrame(
        {
            "timestamp": [t0 + dt.timedelta(minutes=70), t0 + dt.timedelta(minutes=200)],
            "end": [t0 + dt.timedelta(minutes=90), t0 + dt.timedelta(minutes=210)],
        }
    )
    bt = backtest(s, 0.999, workbook_rules()[:1], incidents=inc)
    rows = bt.incidents.sort("incident")
    assert rows["detected"].to_list() == [True, False]
    assert rows["reset_s"][0] == 240  # alert ends 01:34, incident ended 01:30
    assert rows["detection_s"][0] == 18 * 60
    (summary,) = bt.summary()
    assert (summary["alerts"], summary["detected"], summary["incidents"]) == (1, 1, 2)


def test_rules_from_spec() -> None:
    """OpenSLO alert conditions win unless a family is forced; otherwise the spec's tool."""
    slo = SLO(
        "x",
        0.999,
        Window(30 * D),
        SLI("ratio", bad="a", total="b"),
        alert_conditions=(AlertCondition("fast", 14.4, 3600, 300, 120, "page"),),
    )
    assert [(r.factor, r.for_s) for r in rules(slo)] == [(14.4, 120)]
    assert len(rules(slo, "sloth")) == 4
    assert len(rules(SLO("y", 0.99, Window(28 * D), SLI("ratio"), alerting="pyrra"))) == 4
