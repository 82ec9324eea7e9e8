"""Burn rates and multiwindow, multi-burn-rate alerts, with backtesting.

Burn rate = error ratio over a window ÷ (1 − target): at 1 the budget lasts exactly
the SLO period. A rule fires when both its long and its short window burn faster than
its factor (SRE Workbook ch. 5, "Multiwindow, multi-burn-rate alerts"); the factor for
"spend fraction *b* of a period *P* budget within window *W*" is ``b · P / W``.

Rule families (:func:`rules`):

- ``"workbook"`` (default): 2 % in 1 h (short 5 m) → 14.4 page; 5 % in 6 h (30 m) → 6
  page; 10 % in 3 d (6 h) → 1 ticket; short window = long / 12.
- ``"sloth"``: Sloth's defaults, page 1 h/5 m (2 %) and 6 h/30 m (5 %), ticket 1 d/2 h
  (10 %) and 3 d/6 h (10 %).
- ``"pyrra"``: Pyrra's ``Windows(sloWindow)``: factors 14, 7, 2, 1 on windows that scale
  with the SLO window (1 h/5 m, 6 h/30 m, 1 d/2 h, 4 d/6 h for 28 d), with ``for``.

:func:`backtest` replays an SLI series through rules and returns the alert intervals
each rule would have raised and, given incidents, the detection and reset times.

Examples
--------
>>> [round(r.factor, 6) for r in workbook_rules()]
[14.4, 6.0, 1.0]
>>> [(r.long_window_s / 3600, r.short_window_s / 60, r.factor) for r in pyrra_rules(28 * 86400)][:2]
[(1.0, 5.0, 14.0), (6.0, 30.0, 7.0)]
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import polars as pl

from pipbench.errors import ConfigError
from pipbench.slo.model import SLO

__all__ = [
    "Backtest",
    "BurnRateRule",
    "backtest",
    "burn_rates",
    "pyrra_rules",
    "rules",
    "sloth_rules",
    "workbook_rules",
]

Family = Literal["workbook", "sloth", "pyrra"]
_H = 3600.0
_D = 86400.0


@dataclass(frozen=True)
class BurnRateRule:
    """Fire when the burn rate over both windows exceeds ``factor`` (for ``for_s``)."""

    name: str
    severity: str
    long_window_s: float
    short_window_s: float
    factor: float
    for_s: float = 0.0
    budget_fraction: float | None = None

    def error_ratio_threshold(self, target: float) -> float:
        """The error ratio above which the rule fires: ``factor · (1 − target)``."""
        return self.factor * (1 - target)


def _budget_rule(
    name: str, severity: str, frac: float, long_s: float, short_s: float, period_s: float
) -> BurnRateRule:
    return BurnRateRule(name, severity, long_s, short_s, frac * period_s / long_s, 0.0, frac)


def workbook_rules(period_s: float = 30 * _D) -> list[BurnRateRule]:
    """The SRE Workbook's recommended table for an SLO period (default 30 days)."""
    return [
        _budget_rule("page-1h", "page", 0.02, 1 * _H, 5 * 60, period_s),
        _budget_rule("page-6h", "page", 0.05, 6 * _H, 30 * 60, period_s),
        _budget_rule("ticket-3d", "ticket", 0.10, 3 * _D, 6 * _H, period_s),
    ]


def sloth_rules(period_s: float = 30 * _D) -> list[BurnRateRule]:
    """Sloth's default multiwindow alerts (page and ticket, two windows each)."""
    return [
        _budget_rule("page-quick", "page", 0.02, 1 * _H, 5 * 60, period_s),
        _budget_rule("page-slow", "page", 0.05, 6 * _H, 30 * 60, period_s),
        _budget_rule("ticket-quick", "ticket", 0.10, 1 * _D, 2 * _H, period_s),
        _budget_rule("ticket-slow", "ticket", 0.10, 3 * _D, 6 * _H, period_s),
    ]


def _go_round_minute(ns: int) -> float:
    """Go's ``Duration.Round(time.Minute)`` (halves away from zero), in seconds."""
    m = 60_000_000_000
    q, r = divmod(ns, m)
    if r + r >= m:
        q += 1
    return q * 60.0


def pyrra_rules(window_s: float) -> list[BurnRateRule]:
    """Pyrra's burn-rate windows for an SLO window (integer-nanosecond arithmetic as in Go)."""
    w = round(window_s * 1e9)
    spec = [  # (severity, for divisor, long divisor, short divisor, factor)
        ("critical", 28 * 24 * 30, 28 * 24, 28 * 24 * 12, 14.0),
        ("critical", 28 * 24 * 4, 28 * 4, 28 * 24 * 2, 7.0),
        ("warning", 28 * 24, 28, 28 * 12, 2.0),
        ("warning", 28 * 8, 7, 28 * 4, 1.0),
    ]
    out = []
    for sev, f_div, l_div, s_div, factor in spec:
        long_s = _go_round_minute(w // l_div)
        out.append(
            BurnRateRule(
                f"{sev}-{long_s / _H:g}h",
                sev,
                long_s,
                _go_round_minute(w // s_div),
                factor,
                _go_round_minute(w // f_div),
            )
        )
    return out


def rules(slo: SLO, family: Family | None = None) -> list[BurnRateRule]:
    """The burn-rate rules for ``slo``: the spec's own OpenSLO alert conditions if it has
    any (and no ``family`` is forced), else the family's table for the SLO window.
    """
    if family is None and slo.alert_conditions:
        return [
            BurnRateRule(
                c.name,
                c.severity,
                c.long_window_s,
                c.short_window_s or c.long_window_s / 12,
                c.burn_rate,
                c.for_s,
            )
            for c in slo.alert_conditions
        ]
    fam = family or slo.alerting
    if fam == "workbook":
        return workbook_rules(slo.window.duration_s)
    if fam == "sloth":
        return sloth_rules(slo.window.duration_s)
    if fam == "pyrra":
        return pyrra_rules(slo.window.duration_s)
    msg = f"alert family {fam!r} is not one of 'workbook', 'sloth', 'pyrra'"
    raise ConfigError(msg)


def _window_ratio(t_us: np.ndarray, cg: np.ndarray, ct: np.ndarray, w_s: float) -> np.ndarray:
    lo = np.searchsorted(t_us, t_us - round(w_s * 1e6), side="right")
    hi = np.arange(1, t_us.size + 1)
    total = ct[hi] - ct[lo]
    bad = total - (cg[hi] - cg[lo])
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, bad / total, np.nan)


def burn_rates(series: pl.DataFrame, target: float, windows_s: list[float]) -> pl.DataFrame:
    """Burn rate over each window ending at every row: columns ``burn_<seconds>``.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t = [dt.datetime(2026, 1, 1, 0, m, tzinfo=dt.UTC) for m in range(1, 4)]
    >>> s = pl.DataFrame({"timestamp": t, "good": [100.0, 98, 100], "total": [100.0] * 3})
    >>> [round(x, 9) for x in burn_rates(s, 0.99, [120])["burn_120"]]
    [0.0, 1.0, 1.0]
    """
    f = series.sort("timestamp")
    t = f["timestamp"].dt.epoch("us").to_numpy()
    cg = np.concatenate([[0.0], np.cumsum(f["good"].cast(pl.Float64).to_numpy())])
    ct = np.concatenate([[0.0], np.cumsum(f["total"].cast(pl.Float64).to_numpy())])
    cols = {f"burn_{w:g}": pl.Series(_window_ratio(t, cg, ct, w) / (1 - target)) for w in windows_s}
    return f.select("timestamp").with_columns(**cols)


@dataclass(frozen=True)
class Backtest:
    """What a set of rules would have done over an SLI series.

    ``alerts``: ``rule, severity, start, end, duration_s, open`` (``open``: still firing at
    the end of the data). ``incidents``: per incident and rule, ``detected``,
    ``detection_s`` (first firing after the incident start) and ``reset_s`` (how long
    the alert kept firing after the incident ended; null while it is still firing at the
    end of the data).
    """

    alerts: pl.DataFrame
    incidents: pl.DataFrame
    rules: tuple[BurnRateRule, ...]

    def summary(self) -> list[dict[str, Any]]:
        """Per rule: alerts raised, incidents detected, mean detection and reset times."""
        out = []
        for r in self.rules:
            a = self.alerts.filter(pl.col("rule") == r.name)
            i = (
                self.incidents.filter(pl.col("rule") == r.name)
                if self.incidents.height
                else self.incidents
            )
            det = i.filter(pl.col("detected")) if i.height else i
            out.append(
                {
                    **asdict(r),
                    "alerts": a.height,
                    "incidents": i.height,
                    "detected": det.height,
                    "mean_detection_s": _mean(det, "detection_s"),
                    "mean_reset_s": _mean(det, "reset_s"),
                }
            )
        return out


def _mean(frame: pl.DataFrame, column: str) -> float | None:
    vals = frame[column].drop_nulls() if frame.height else frame
    return float(vals.mean()) if len(vals) else None  # type: ignore[arg-type]


def _intervals(t_us: np.ndarray, cond: np.ndarray, for_us: int) -> list[tuple[int, int, bool]]:
    """Firing intervals (start, end, open) from a condition on the evaluation grid."""
    if not cond.any():
        return []
    c = np.concatenate([[False], cond, [False]]).astype(np.int8)
    d = np.diff(c)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1)  # index of the first false evaluation after the run
    out = []
    for s, e in zip(starts, ends, strict=True):
        run_t = t_us[s:e]
        fire = np.flatnonzero(run_t - run_t[0] >= for_us)
        if fire.size == 0:
            continue
        start = int(run_t[fire[0]])
        is_open = e >= t_us.size
        end = int(t_us[e]) if not is_open else int(t_us[-1])
        out.append((start, end, bool(is_open)))
    return out


def backtest(
    series: pl.DataFrame,
    target: float,
    rule_set: list[BurnRateRule],
    *,
    incidents: pl.DataFrame | None = None,
    ratios: pl.DataFrame | None = None,
) -> Backtest:
    """Replay ``series`` through ``rule_set``; each row of the series is one evaluation.

    Parameters
    ----------
    series
        SLI series ``timestamp, good, total`` (one row per evaluation step).
    target
        The SLO target.
    rule_set
        Rules, e.g. :func:`workbook_rules`.
    incidents
        Optional frame with ``timestamp`` (start) and ``end`` (nullable), e.g. the
        dataset's annotations of kind ``incident``.
    ratios
        Error ratios already evaluated per window, ``timestamp, ratio_<seconds>…``
        (e.g. PromQL-exact ones from :func:`pipbench.slo.promql_error_ratios`); then
        ``series`` is not used and each row of ``ratios`` is one evaluation.

    Examples
    --------
    >>> import polars as pl, datetime as dt
    >>> t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    >>> t = [t0 + dt.timedelta(minutes=m) for m in range(1, 181)]
    >>> bad = [50.0 if 60 <= m < 90 else 0.0 for m in range(1, 181)]
    >>> s = pl.DataFrame({"timestamp": t, "good": [1000 - b for b in bad], "total": [1000.0] * 180})
    >>> bt = backtest(s, 0.999, workbook_rules())
    >>> bt.alerts.select("rule", "start", "end").rows()[0][0]
    'page-1h'
    """
    if ratios is not None:
        rf = ratios.sort("timestamp")
        t = rf["timestamp"].dt.epoch("us").to_numpy()

        def ratio(w: float) -> np.ndarray:
            col = f"ratio_{w:g}"
            if col not in rf.columns:
                msg = f"ratios has no column {col!r} for a {w:g} s window"
                raise ConfigError(msg)
            return rf[col].cast(pl.Float64).fill_null(np.nan).to_numpy()
    else:
        f = series.sort("timestamp")
        t = f["timestamp"].dt.epoch("us").to_numpy()
        cg = np.concatenate([[0.0], np.cumsum(f["good"].cast(pl.Float64).to_numpy())])
        ct = np.concatenate([[0.0], np.cumsum(f["total"].cast(pl.Float64).to_numpy())])

        def ratio(w: float) -> np.ndarray:
            return _window_ratio(t, cg, ct, w)

    rows: list[dict[str, Any]] = []
    for r in rule_set:
        thr = r.error_ratio_threshold(target)
        long_r = ratio(r.long_window_s)
        short_r = ratio(r.short_window_s)
        with np.errstate(invalid="ignore"):
            cond = (long_r > thr) & (short_r > thr)
        for s, e, is_open in _intervals(t, cond, round(r.for_s * 1e6)):
            rows.append(
                {
                    "rule": r.name,
                    "severity": r.severity,
                    "start": s,
                    "end": e,
                    "duration_s": (e - s) / 1e6,
                    "open": is_open,
                }
            )
    schema: dict[str, Any] = {
        "rule": pl.String,
        "severity": pl.String,
        "start": pl.Int64,
        "end": pl.Int64,
        "duration_s": pl.Float64,
        "open": pl.Boolean,
    }
    alerts = pl.DataFrame(rows, schema=schema).with_columns(
        pl.col("start", "end").cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    )
    inc = _match_incidents(alerts, rule_set, incidents)
    return Backtest(alerts, inc, tuple(rule_set))


def _match_incidents(
    alerts: pl.DataFrame, rule_set: list[BurnRateRule], incidents: pl.DataFrame | None
) -> pl.DataFrame:
    schema: dict[str, Any] = {
        "incident": pl.Int64,
        "incident_start": pl.Datetime("us", "UTC"),
        "incident_end": pl.Datetime("us", "UTC"),
        "rule": pl.String,
        "detected": pl.Boolean,
        "detection_s": pl.Float64,
        "reset_s": pl.Float64,
    }
    if incidents is None or incidents.height == 0:
        return pl.DataFrame(schema=schema)
    rows = []
    inc = incidents.sort("timestamp")
    for k, (s, e) in enumerate(zip(inc["timestamp"], inc["end"], strict=True)):
        e_eff = e if e is not None else dt.datetime.max.replace(tzinfo=dt.UTC)
        for r in rule_set:
            a = alerts.filter(
                (pl.col("rule") == r.name) & (pl.col("start") <= e_eff) & (pl.col("end") >= s)
            )
            if a.height == 0:
                rows.append(
                    {
                        "incident": k,
                        "incident_start": s,
                        "incident_end": e,
                        "rule": r.name,
                        "detected": False,
                        "detection_s": None,
                        "reset_s": None,
                    }
                )
                continue
            first = a["start"].min()
            last = a["end"].max()
            still_firing = bool(a.filter(pl.col("end") == last)["open"].any())
            det = max(0.0, (first - s).total_seconds())  # type: ignore[operator]
            reset = (
                (last - e).total_seconds()  # type: ignore[operator]
                if e is not None and not still_firing
                else math.nan
            )
            rows.append(
                {
                    "incident": k,
                    "incident_start": s,
                    "incident_end": e,
                    "rule": r.name,
                    "detected": True,
                    "detection_s": det,
                    "reset_s": max(0.0, reset) if not math.isnan(reset) else None,
                }
            )
    return pl.DataFrame(rows, schema=schema)
