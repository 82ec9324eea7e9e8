"""One SLO against one dataset: budget, burn rates, compliance and alert backtest.

Examples
--------
>>> import polars as pl, datetime as dt
>>> from pipbench.slo.model import SLI, SLO, Window
>>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in range(0, 60)]
>>> f = pl.DataFrame({"timestamp": t, "metric": ["req_total"] * 60,
...                   "value": [100.0 * i for i in range(60)]})
>>> slo = SLO("api", 0.99, Window(3600), SLI("ratio", bad='req_total{code="500"}', total="req_total"))
>>> r = slo_report(slo, f)
>>> r.budget.total, r.budget.consumed
(5900.0, 0.0)
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any, cast

import polars as pl

from pipbench.dataset import Dataset
from pipbench.sli.selectors import parse_duration
from pipbench.slo.budget import Budget, Period, compliance, error_budget, timeslices
from pipbench.slo.burnrate import Backtest, Family, backtest, burn_rates, rules
from pipbench.slo.evaluate import promql_error_ratios, sli_series
from pipbench.slo.model import SLO

__all__ = ["SLOReport", "slo_report"]


@dataclass(frozen=True)
class SLOReport:
    """The numbers ``pipbench slo report`` prints for one SLO."""

    slo: SLO
    budget: Budget
    burn: dict[str, float]
    compliance: pl.DataFrame
    backtest: Backtest
    series: pl.DataFrame
    notes: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready report."""
        comp = self.compliance.with_columns(pl.col("period_start", "period_end").dt.to_string())
        alerts = self.backtest.alerts.with_columns(pl.col("start", "end").dt.to_string())
        incidents = self.backtest.incidents.with_columns(
            pl.col("incident_start", "incident_end").dt.to_string()
        )
        return {
            "slo": self.slo.as_dict(),
            "budget": self.budget.as_dict(),
            "burn_rates_now": self.burn,
            "compliance": comp.to_dicts(),
            "alert_rules": self.backtest.summary(),
            "alerts": alerts.to_dicts(),
            "incidents": incidents.to_dicts(),
            "notes": list(self.notes),
        }

    def to_text(self) -> str:
        """A plain-text table."""
        b = self.budget
        lines = [
            f"SLO {self.slo.name}: target {self.slo.target:.4%} over {self.slo.window.days:g} d "
            f"({self.slo.budgeting})",
            f"  window      {b.start} .. {b.end}",
            f"  SLI         {b.sli:.5%}   good {b.good:g} / total {b.total:g}",
            f"  budget      consumed {b.consumed:.1%}   remaining {b.remaining:.1%}   "
            f"{'compliant' if b.compliant else 'NOT compliant'}",
            "  burn now    " + "   ".join(f"{k} {v:.2f}" for k, v in self.burn.items()),
        ]
        lines.extend(f"  note: {n}" for n in self.notes)
        if self.compliance.height:
            lines.append("  periods")
            for row in self.compliance.iter_rows(named=True):
                lines.append(
                    f"    {row['period_start']:%Y-%m-%d} .. {row['period_end']:%Y-%m-%d}  "
                    f"SLI {row['sli']:.5%}  consumed {row['consumed']:.1%}  "
                    f"{'ok' if row['compliant'] else 'MISSED'}"
                )
        lines.append("  alert rules (backtest)")
        for s in self.backtest.summary():
            det = f"{s['mean_detection_s']:.0f}s" if s["mean_detection_s"] is not None else "-"
            rst = f"{s['mean_reset_s']:.0f}s" if s["mean_reset_s"] is not None else "-"
            lines.append(
                f"    {s['name']:14} {s['severity']:8} long {s['long_window_s'] / 3600:g}h "
                f"short {s['short_window_s'] / 60:g}m  factor {s['factor']:.4g}  "
                f"alerts {s['alerts']}  detected {s['detected']}/{s['incidents']}  "
                f"detection {det}  reset {rst}"
            )
        return "\n".join(lines)


def slo_report(
    slo: SLO,
    data: Dataset | pl.LazyFrame | pl.DataFrame,
    *,
    step: str | float | dt.timedelta = "1m",
    family: Family | None = None,
    incidents: pl.DataFrame | None = None,
    period: Period | None = None,
    promql: bool = False,
) -> SLOReport:
    """Evaluate ``slo`` on a dataset (or a samples frame).

    The budget covers the last SLO window of the data (a calendar window: the current
    period); burn rates are those at the last step for each rule window; compliance is
    per calendar ``period`` (default: the SLO's calendar unit, else month); the
    backtest replays the whole series, matching incidents from the dataset's
    annotations of kind ``incident`` unless ``incidents`` is given.

    Burn rates and alerts use exact event counts per window by default; with
    ``promql=True`` they use the error ratios a Prometheus rule would compute
    (``sum(rate(bad[w])) / sum(rate(total[w]))``, with extrapolation) at every step.
    """
    samples = data.samples() if isinstance(data, Dataset) else data
    if incidents is None and isinstance(data, Dataset):
        ann = data.annotations().filter(pl.col("kind") == "incident").collect()
        incidents = ann.select("timestamp", "end") if ann.height else None
    events = data.events() if isinstance(data, Dataset) else None
    series = sli_series(slo.sli, samples, step=step, events=events)
    budget_rows = series
    if slo.budgeting != "Occurrences":
        budget_rows = timeslices(
            series,
            slo.timeslice_window_s or parse_duration(step),
            method=slo.budgeting,
            timeslice_target=slo.timeslice_target,
        )
    end = cast("dt.datetime | None", series["timestamp"].max() if series.height else None)
    if end is None:
        budget = error_budget(budget_rows, slo.target)
    elif slo.window.rolling or slo.window.calendar_unit is None:
        budget = error_budget(
            budget_rows,
            slo.target,
            start=end - dt.timedelta(seconds=slo.window.duration_s),
            end=end,
        )
    else:
        periods = compliance(
            budget_rows, slo.target, slo.window.calendar_unit, time_zone=slo.window.time_zone
        )
        last = periods.row(-1, named=True)
        budget = error_budget(
            budget_rows, slo.target, start=last["period_start"], end=last["period_end"]
        )
    comp = compliance(
        budget_rows,
        slo.target,
        period or slo.window.calendar_unit or "month",
        time_zone=slo.window.time_zone,
    )
    rule_set = rules(slo, family)
    windows = sorted({w for r in rule_set for w in (r.long_window_s, r.short_window_s)})
    burn: dict[str, float] = {}
    notes = []
    ratios = None
    if promql:
        ratios = promql_error_ratios(slo.sli, samples, windows, step=step)
        notes.append("burn rates and alerts from PromQL rate() error ratios")
        if ratios.height:
            last = ratios.row(-1, named=True)
            burn = {_label(w): _div(last[f"ratio_{w:g}"], 1 - slo.target) for w in windows}
    elif series.height:
        br = burn_rates(series, slo.target, windows).row(-1, named=True)
        burn = {_label(w): br[f"burn_{w:g}"] for w in windows}
    bt = backtest(series, slo.target, rule_set, incidents=incidents, ratios=ratios)
    if float(series["total"].sum() if series.height else 0.0) == 0:
        queries = "; ".join(f"{k}: {' '.join(v.split())}" for k, v in slo.sli.queries().items())
        notes.append(f"no events: no samples matched the SLI's series ({queries})")
    return SLOReport(slo, budget, burn, comp, bt, series, tuple(notes))


def _div(a: float | None, b: float) -> float:
    return math.nan if a is None else a / b


def _label(seconds: float) -> str:
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= n and seconds % n == 0:
            return f"{seconds / n:g}{unit}"
    return f"{seconds:g}s"
