"""Error-budget arithmetic against hand computation, and calendar window edges.

Reference: the SRE Workbook's definitions (budget = (1 − SLO) × events; consumed = bad /
budget) and OpenSLO's budgeting methods (Occurrences, Timeslices, RatioTimeslices).
"""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from pipbench.errors import ConfigError
from pipbench.slo import budget_series, compliance, error_budget, timeslices


def _series(ts: list[dt.datetime], good: list[float], total: list[float]) -> pl.DataFrame:
    return pl.DataFrame({"timestamp": ts, "good": good, "total": total})


def test_budget_hand_computed() -> None:
    """99.9 % of 1,000,000 requests allows 1,000 bad; 250 bad spend 25 %, leave 75 %."""
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    b = error_budget(
        _series([t, t + dt.timedelta(hours=1)], [499_900, 499_850], [500_000] * 2), 0.999
    )
    assert b.bad == 250
    assert b.allowed == pytest.approx(1000)
    assert b.consumed == pytest.approx(0.25)
    assert b.remaining == pytest.approx(0.75)
    assert b.sli == pytest.approx(0.99975)
    assert b.compliant


def test_overspent_budget_is_negative_remaining() -> None:
    """3,000 bad against 1,000 allowed: consumed 3, remaining −2, not compliant."""
    t = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    b = error_budget(_series([t], [997_000], [1_000_000]), 0.999)
    assert b.consumed == pytest.approx(3)
    assert b.remaining == pytest.approx(-2)
    assert not b.compliant


def test_window_is_left_open() -> None:
    """Rows at T cover (T − step, T]: a window (start, end] excludes the row at start."""
    t = [dt.datetime(2026, 1, 1, h, tzinfo=dt.UTC) for h in range(4)]
    s = _series(t, [10, 9, 8, 7], [10] * 4)
    b = error_budget(s, 0.9, start=t[1], end=t[3])
    assert (b.good, b.total) == (15, 20)


def test_budget_series_rolling() -> None:
    """Rolling 2 h over hourly rows: consumed = bad in the last two rows / (0.01 × total)."""
    t = [dt.datetime(2026, 1, 1, h, tzinfo=dt.UTC) for h in range(4)]
    out = budget_series(_series(t, [100, 99, 98, 100], [100] * 4), 0.99, "2h")
    assert out["total"].to_list() == [100, 200, 200, 200]
    assert out["consumed"].to_list() == pytest.approx([0, 0.5, 1.5, 1.0])


def test_compliance_month_edges() -> None:
    """Months by calendar: Jan has 31 days, Feb 28 (2026); a row at 00:00 on the 1st
    closes the previous month; compliance per month against the target."""
    ts = [
        dt.datetime(2026, 1, 1, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 2, 1, 0, 0, tzinfo=dt.UTC),  # (Jan 31 23:59, Feb 1 00:00] → January
        dt.datetime(2026, 2, 1, 0, 1, tzinfo=dt.UTC),
        dt.datetime(2026, 3, 1, 0, 0, tzinfo=dt.UTC),  # → February
        dt.datetime(2026, 3, 1, 0, 1, tzinfo=dt.UTC),
    ]
    out = compliance(_series(ts, [100, 100, 90, 100, 100], [100] * 5), 0.99, "month")
    assert out["period_start"].dt.strftime("%Y-%m-%d").to_list() == [
        "2026-01-01",
        "2026-02-01",
        "2026-03-01",
    ]
    assert out["period_end"].dt.strftime("%Y-%m-%d").to_list() == [
        "2026-02-01",
        "2026-03-01",
        "2026-04-01",
    ]
    assert out["total"].to_list() == [200, 200, 100]
    assert out["compliant"].to_list() == [True, False, True]
    assert out["consumed"][1] == pytest.approx(10 / (0.01 * 200))


def test_compliance_weeks_start_on_monday_and_time_zones() -> None:
    """ISO weeks: 2026-01-04 is a Sunday, 2026-01-05 a Monday. In America/New_York the
    UTC row at 2026-01-05 03:00 still belongs to Sunday's week."""
    ts = [dt.datetime(2026, 1, 4, 12, tzinfo=dt.UTC), dt.datetime(2026, 1, 5, 3, tzinfo=dt.UTC)]
    s = _series(ts, [1, 1], [1, 1])
    assert compliance(s, 0.9, "week")["period_start"].dt.strftime("%Y-%m-%d").to_list() == [
        "2025-12-29",
        "2026-01-05",
    ]
    ny = compliance(s, 0.9, "week", time_zone="America/New_York")
    assert ny.height == 1
    assert ny["period_start"][0] == dt.datetime(2025, 12, 29, 5, tzinfo=dt.UTC)


def test_timeslices_methods() -> None:
    """Timeslices: a slice is good when its ratio ≥ timeSliceTarget; RatioTimeslices
    averages slice ratios. Hand: slices (0.5, 1.0, 0.9) at target 0.9 → good 0, 1, 1."""
    t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in range(1, 7)]
    s = _series(t, [1, 0, 1, 1, 9, 9], [1, 1, 1, 1, 10, 10])
    ts = timeslices(s, "2m", method="Timeslices", timeslice_target=0.9)
    assert ts["good"].to_list() == [0, 1, 1]
    rt = timeslices(s, "2m", method="RatioTimeslices")
    assert rt["good"].to_list() == pytest.approx([0.5, 1.0, 0.9])
    assert error_budget(rt, 0.9).sli == pytest.approx(2.4 / 3)
    with pytest.raises(ConfigError, match="timeslice_target"):
        timeslices(s, "2m", method="Timeslices")


def test_bad_target() -> None:
    """A target outside (0, 1) names itself."""
    with pytest.raises(ConfigError, match=r"target 1\.5"):
        error_budget(_series([], [], []), 1.5)
