"""SLO error budgets: remaining, burn-down, burn rates, alert backtest, weekly compliance.

The workflow behind ``notebooks/slo_budget.ipynb``. It reads an SLO spec (OpenSLO, Sloth
or Pyrra YAML, :func:`pipbench.slo.read_slo_specs`), evaluates each SLO on the dataset with
:func:`pipbench.slo.slo_report` (exact good/total event counts per step from the counters,
the budget over the SLO window ending at the last sample, and a backtest of the
multiwindow burn-rate alerts against the dataset's ``incident`` annotations), and adds the
pieces a notebook draws: the rolling budget over time (:func:`pipbench.slo.budget_series`),
the burn rate, the alert intervals and the compliance per calendar week.

Examples
--------
>>> from pipbench.workflows import slo_budget
>>> r = slo_budget("reports/demo/dataset", spec="datasets/demo/slo.yaml")  # doctest: +SKIP
>>> [(s.slo.name, round(s.budget.consumed, 2)) for s in r.slos]              # doctest: +SKIP
[('checkout-availability', 0.98), ('checkout-latency', 3.76)]
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from pipbench import plan
from pipbench.errors import ConfigError, InputError, PipbenchError
from pipbench.slo import (
    SLO,
    Budget,
    SLOReport,
    budget_series,
    burn_rates,
    compliance,
    read_slo_specs,
    slo_report,
    timeslices,
)
from pipbench.workflows._inputs import DatasetLike, need_dataset, need_duration, utc

__all__ = ["RULE_SETS", "BudgetResult", "SloBudget", "slo_budget"]

_W = "slo_budget"

#: Accepted values of ``rules``: the spec's own alert conditions (or its tool's family), or
#: one family forced for every SLO.
RULE_SETS = ("spec", "workbook", "sloth", "pyrra")


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _num(x: float | None) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def _dur(seconds: float) -> str:
    for unit, n in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= n and seconds % n == 0:
            return f"{seconds / n:g}{unit}"
    return f"{seconds:g}s"


@dataclass(frozen=True)
class SloBudget:
    """One SLO evaluated on the dataset.

    Attributes
    ----------
    slo, report
        The SLO and its :class:`~pipbench.slo.SLOReport` (budget over the SLO window
        ending at the last sample, burn rates now, backtest).
    burn_down
        ``timestamp, good, total, sli, consumed, remaining, burn_rate``: the budget over
        the rolling SLO window ending at each step, and the burn rate over
        ``burn_window_s`` (for :func:`pipbench.charts.burn_down_chart`).
    alerts
        ``start, end, name, severity, duration_s, open``: what each burn-rate rule would
        have fired.
    incidents
        Per incident and rule: ``detected``, ``detection_s``, ``reset_s``.
    weekly
        Compliance per calendar week (Monday 00:00 UTC).
    """

    slo: SLO
    report: SLOReport
    burn_down: pl.DataFrame
    burn_window_s: float
    alerts: pl.DataFrame
    incidents: pl.DataFrame
    weekly: pl.DataFrame

    @property
    def budget(self) -> Budget:
        """The budget over the SLO window ending at the last sample."""
        return self.report.budget

    @property
    def label(self) -> str:
        """``"99.9 % over 7 d (rolling)"``."""
        w = self.slo.window
        kind = "rolling" if w.rolling else (w.calendar_unit or "calendar")
        return f"{100 * self.slo.target:g} % over {w.days:g} d ({kind})"

    def sentence(self) -> str:
        """One sentence on this SLO's budget and alerts."""
        b = self.budget
        fired = self.alerts.height
        state = (
            f"{100 * b.consumed:.0f} % of its budget consumed"
            if b.consumed <= 1
            else f"budget overspent ({100 * b.consumed:.0f} % consumed)"
        )
        text = (
            f"{self.slo.name} ({self.label}): SLI {100 * b.sli:.3f} %, {state}; "
            f"{fired} alert interval(s) fired"
        )
        inc = self.incidents
        if inc.height:
            det = inc.filter(pl.col("detected")).sort("detection_s")
            n_rules = inc["rule"].n_unique()
            if det.height:
                fast = det.row(0, named=True)
                text += (
                    f"; {det['rule'].n_unique()} of {n_rules} rules caught the incident, "
                    f"the fastest ({fast['rule']}) {fast['detection_s'] / 60:.0f} min after it began"
                )
            else:
                text += f"; none of the {n_rules} rules caught the incident"
        return text

    def evidence(self) -> dict[str, Any]:
        """JSON-ready details of this SLO (see :meth:`BudgetResult.evidence`)."""
        b = self.budget
        weekly = self.weekly.with_columns(
            pl.col("period_start", "period_end").map_elements(_iso, return_dtype=pl.String)
        )
        alerts = self.alerts.with_columns(
            pl.col("start", "end").map_elements(_iso, return_dtype=pl.String)
        )
        inc = self.incidents.with_columns(
            pl.col("incident_start", "incident_end").map_elements(_iso, return_dtype=pl.String)
        )
        return {
            "name": self.slo.name,
            "service": self.slo.service,
            "target": self.slo.target,
            "window_days": self.slo.window.days,
            "rolling": self.slo.window.rolling,
            "sli": self.slo.sli.queries(),
            "budget": {
                "start": _iso(b.start),
                "end": _iso(b.end),
                "good": b.good,
                "total": b.total,
                "sli": _num(b.sli),
                "consumed": _num(b.consumed),
                "remaining": _num(b.remaining),
                "compliant": b.compliant,
            },
            "burn_rates_now": {k: _num(v) for k, v in self.report.burn.items()},
            "rules": [
                {
                    k: (_num(v) if isinstance(v, float) else v)
                    for k, v in s.items()
                    if k != "budget_fraction"
                }
                for s in self.report.backtest.summary()
            ],
            "alerts": alerts.to_dicts(),
            "incidents": inc.to_dicts(),
            "weekly": weekly.to_dicts(),
        }


@dataclass(frozen=True)
class BudgetResult:
    """Every SLO of a spec evaluated on one dataset."""

    spec: Path
    rules: str
    step_s: float
    slos: tuple[SloBudget, ...]

    def summary(self) -> str:
        """One sentence per SLO."""
        return " ".join(s.sentence() + "." for s in self.slos)

    def alert_timeline(self) -> pl.DataFrame:
        """All SLOs' alerts on one timeline: ``slo, name, severity, start, end``."""
        frames = [s.alerts.with_columns(slo=pl.lit(s.slo.name)) for s in self.slos]
        return pl.concat(frames).select("slo", "name", "severity", "start", "end", "duration_s")

    def detection_table(self) -> pl.DataFrame:
        """Per SLO, incident and rule: detected, detection and reset seconds."""
        frames = [s.incidents.with_columns(slo=pl.lit(s.slo.name)) for s in self.slos]
        return pl.concat(frames).select(
            "slo", "incident", "incident_start", "rule", "detected", "detection_s", "reset_s"
        )

    def pip_slo_targets(self) -> list[plan.SloTarget]:
        """The SLOs as :class:`pipbench.plan.SloTarget` entries."""
        out = []
        for s in self.slos:
            q = s.slo.sli.queries()
            threshold = s.slo.description or q.get("good") or q.get("bad") or ""
            out.append(
                plan.SloTarget(
                    sli=s.slo.name,
                    objective=s.slo.target,
                    window_days=max(1, round(s.slo.window.days)),
                    threshold=" ".join(threshold.split()),
                )
            )
        return out

    def pip_error_budgets(self) -> list[plan.ErrorBudget]:
        """Budget consumed per SLO as :class:`pipbench.plan.ErrorBudget` entries."""
        return [
            plan.ErrorBudget(
                slo=s.slo.name, consumed=max(0.0, s.budget.consumed), as_of=s.budget.end
            )
            for s in self.slos
            if math.isfinite(s.budget.consumed)
        ]

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence (``emit_evidence("slo_budget", ...)``).

        Keys: ``summary``, ``spec``, ``rules``, ``step_s`` and ``slos``: per SLO ``name``,
        ``service``, ``target``, ``window_days``, ``rolling``, ``sli`` (queries),
        ``budget`` (start, end, good, total, sli, consumed, remaining, compliant),
        ``burn_rates_now`` (by window), ``rules`` (per rule: windows, factor, alerts,
        detected, mean detection and reset seconds), ``alerts`` (intervals),
        ``incidents`` (detection and reset per incident and rule), ``weekly``
        (compliance per calendar week).
        """
        return {
            "summary": self.summary(),
            "spec": str(self.spec),
            "rules": self.rules,
            "step_s": self.step_s,
            "slos": [s.evidence() for s in self.slos],
        }


def _evaluate(
    slo: SLO,
    samples: pl.LazyFrame,
    incidents: pl.DataFrame | None,
    *,
    step: float,
    family: str | None,
) -> SloBudget:
    try:
        rep = slo_report(slo, samples, step=step, family=family, incidents=incidents)  # type: ignore[arg-type]
    except PipbenchError as err:
        msg = f"{_W}: SLO {slo.name!r} from {slo.file}: {err}"
        raise ConfigError(msg) from None
    if rep.series.height == 0 or float(rep.series["total"].sum()) == 0:
        msg = f"{_W}: SLO {slo.name!r} counts no events in the dataset ({'; '.join(rep.notes)})"
        raise InputError(msg, file=slo.file or None, field="sli")
    rules = rep.backtest.rules
    burn_w = min(r.long_window_s for r in rules) if rules else 3600.0
    series = rep.series
    rows = series  # budget rows: occurrences, or one row per slice as slo_report counts them
    if slo.budgeting != "Occurrences":
        rows = timeslices(
            series,
            slo.timeslice_window_s or step,
            method=slo.budgeting,
            timeslice_target=slo.timeslice_target,
        )
    bd = budget_series(rows, slo.target, slo.window.duration_s)
    br = burn_rates(series, slo.target, [burn_w])
    bd = bd.sort("timestamp").join_asof(
        br.rename({f"burn_{burn_w:g}": "burn_rate"}).sort("timestamp"), on="timestamp"
    )
    alerts = rep.backtest.alerts.select(
        "start", "end", pl.col("rule").alias("name"), "severity", "duration_s", "open"
    )
    weekly = compliance(rows, slo.target, "week")
    return SloBudget(slo, rep, bd, burn_w, alerts, rep.backtest.incidents, weekly)


def slo_budget(
    dataset: DatasetLike,
    *,
    spec: str | os.PathLike[str],
    slos: Sequence[str] | None = None,
    rules: str = "spec",
    step: str | float = "5m",
    start: str | dt.datetime | None = None,
    end: str | dt.datetime | None = None,
) -> BudgetResult:
    """Evaluate the SLOs of ``spec`` on ``dataset``: budgets, burn rates, alerts, compliance.

    Parameters
    ----------
    dataset
        A dataset directory (or :class:`~pipbench.dataset.Dataset`); it must exist.
    spec
        An OpenSLO, Sloth or Pyrra YAML file.
    slos
        Names of the SLOs to evaluate (default: all in the spec).
    rules
        ``"spec"`` (the spec's own alert conditions, else its tool's family), or one of
        ``"workbook"``, ``"sloth"``, ``"pyrra"`` for every SLO.
    step
        Evaluation step: each step is one alert evaluation and one row of the SLI series.
    start, end
        Optional time range (ISO 8601) of the samples used.

    Returns
    -------
    BudgetResult

    Raises
    ------
    InputError
        No dataset, no spec file, a bad spec (names the field), or an SLO that counts no
        events in the dataset.
    ConfigError
        An unknown SLO name or rule set, a bad step or time, or an SLI query pipbench
        cannot map onto the dataset's series.
    """
    if rules not in RULE_SETS:
        msg = f"{_W}: parameter 'rules' = {rules!r}; expected one of {', '.join(RULE_SETS)}"
        raise ConfigError(msg)
    step_s = need_duration(step, parameter="step", workflow=_W)
    t0 = utc(start, parameter="start", workflow=_W)
    t1 = utc(end, parameter="end", workflow=_W)
    if t0 is not None and t1 is not None and t0 >= t1:
        msg = f"{_W}: parameter 'start' ({t0:%Y-%m-%d %H:%M}) must be before 'end' ({t1:%Y-%m-%d %H:%M})"
        raise ConfigError(msg)
    ds = need_dataset(dataset, workflow=_W)
    path = Path(spec)
    if not path.is_file():
        msg = f"{_W}: no SLO spec at parameter 'spec'"
        raise InputError(msg, file=path, expected="an OpenSLO, Sloth or Pyrra YAML file")
    found = read_slo_specs(path)
    if not found:
        msg = f"{_W}: the spec defines no SLO"
        raise InputError(msg, file=path, expected="at least one SLO")
    if slos:
        if isinstance(slos, str):
            slos = [slos]
        names = [s.name for s in found]
        unknown = [n for n in slos if n not in names]
        if unknown:
            msg = f"{_W}: parameter 'slos' names unknown SLO(s) {unknown} (in {path.name}: {', '.join(names)})"
            raise ConfigError(msg)
        found = [s for s in found if s.name in slos]
    samples = ds.samples()
    ann = ds.annotations().filter(pl.col("kind") == "incident")
    if t0 is not None:
        samples = samples.filter(pl.col("timestamp") >= t0)
        ann = ann.filter(pl.col("end").is_null() | (pl.col("end") >= t0))
    if t1 is not None:
        samples = samples.filter(pl.col("timestamp") <= t1)
        ann = ann.filter(pl.col("timestamp") <= t1)
    inc = ann.select("timestamp", "end").collect()
    family = None if rules == "spec" else rules
    out = tuple(
        _evaluate(s, samples, inc if inc.height else None, step=step_s, family=family)
        for s in found
    )
    return BudgetResult(spec=path, rules=rules, step_s=step_s, slos=out)
