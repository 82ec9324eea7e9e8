"""Canary verification: did the change make things worse, with every statistic explained.

:func:`canary_verification` selects a baseline and a canary from a dataset (two label
selectors over the same window, or one series before and after a change), builds the
metrics a PIP verifies and judges them with :mod:`pipbench.verify`:

- **p99 latency per interval** from the classic histogram of each side (exact bucket
  increases per scrape interval, then ``histogram_quantile``), compared with Mann-Whitney
  on the log scale, autocorrelation-corrected (:func:`~pipbench.verify.compare_samples`);
- **error ratio** from the request counters (errors and requests per interval), compared
  with the exact conditional Poisson test of the rate ratio;
- optionally **request latency** from the ``events`` table (spans, load-test samples).

The metrics are judged together (:func:`~pipbench.verify.judge_canary`: Holm across
metrics, p99 critical), the plan is checked (:func:`~pipbench.verify.minimum_detectable_effect`,
:func:`~pipbench.verify.canary_duration`) and the canary's error and latency rates are
read as burn rates at full rollout (:func:`~pipbench.verify.budget_impact`).

Examples
--------
>>> from pipbench.workflows import canary_verification
>>> r = canary_verification("reports/demo/dataset")  # doctest: +SKIP
>>> r.verdict, r.evidence()["summary"]  # doctest: +SKIP
('pass', 'Canary instance="checkout-2" vs instance!="checkout-2" ...')
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import polars as pl
from scipy import stats

from pipbench import plan
from pipbench.dataset import Dataset
from pipbench.errors import ConfigError, InputError
from pipbench.sli.quantiles import parse_le
from pipbench.sli.queries import histogram_quantile_frame
from pipbench.sli.selectors import Matcher, matchers_expr
from pipbench.verify import (
    BudgetImpact,
    CanaryJudgement,
    Comparison,
    MetricSpec,
    budget_impact,
    canary_duration,
    compare_windows,
    judge_canary,
    minimum_detectable_effect,
)
from pipbench.workflows._inputs import need_dataset, need_time
from pipbench.workflows._select import (
    check_labels,
    interval_counts,
    parse_labels,
    sample_labels,
)

__all__ = ["EVENT_LABELS", "CanaryResult", "canary_verification"]

_W = "canary_verification"

#: How the samples' labels are called in the events table (OpenTelemetry attributes).
EVENT_LABELS: dict[str, str] = {
    "instance": "service_instance_id",
    "version": "service_version",
    "endpoint": "http_route",
    "service": "service_name",
    "job": "service_name",
}

Mode = Literal["canary", "before-after"]

#: What each statistic of a comparison means (the table's "meaning" column).
STATISTICS: dict[str, str] = {
    "decision": "pass/fail after the multiplicity adjustment; nodata = too few points",
    "method": "the test used (auto-chosen from the data; see the notes)",
    "n_baseline": "observations on the baseline side (intervals or requests)",
    "n_canary": "observations on the canary side",
    "baseline_location": "baseline level: median (latency) or rate (errors)",
    "canary_location": "canary level, same measure",
    "effect": "relative change canary vs baseline (+0.10 = 10 % worse)",
    "ci_low": "lower end of the interval for the effect",
    "ci_high": "upper end of the interval (the one-sided bound tested against the tolerance)",
    "p_value": "chance of a change this harmful if the canary were no worse",
    "adjusted_p": "p-value after Holm/BH adjustment across metrics (compared with alpha)",
    "tau": "variance inflation for autocorrelation/over-dispersion (1 = independent)",
}


@dataclass(frozen=True)
class CanaryResult:
    """Everything the canary notebook shows.

    Attributes
    ----------
    mode
        ``"canary"`` (two selectors, one window) or ``"before-after"`` (one series, two
        windows).
    judgement
        The judge's verdict with every metric's comparison.
    latency
        Per-interval p99: ``timestamp, group ("baseline"/"canary"), value`` (seconds).
    errors
        Per-interval counts: ``timestamp, group, errors, requests, ratio``.
    events
        Per-request latencies ``group, value`` (empty without events).
    statistics
        The long table ``metric, statistic, value, meaning``.
    power
        Planning: ``what, effect, minutes, n_baseline, n_canary, explanation``.
    budget
        ``{"errors": BudgetImpact, "latency": BudgetImpact}`` (latency when a threshold is set).
    """

    mode: Mode
    baseline: str
    canary: str
    start: dt.datetime
    end: dt.datetime
    baseline_start: dt.datetime
    baseline_end: dt.datetime
    quantile: float
    slo: float
    latency_slo: float
    latency_threshold: float | None
    judgement: CanaryJudgement
    latency: pl.DataFrame
    errors: pl.DataFrame
    events: pl.DataFrame
    statistics: pl.DataFrame
    power: pl.DataFrame
    mde: float
    budget: dict[str, BudgetImpact]
    window_comparison: Comparison | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        """``"pass"``, ``"marginal"``, ``"fail"`` or ``"nodata"``."""
        return self.judgement.verdict

    @property
    def passed(self) -> bool:
        """The canary may proceed (pass or marginal)."""
        return self.verdict in ("pass", "marginal")

    def intervals(self) -> pl.DataFrame:
        """Per side, the median p-quantile level and the canary's interval (for the ECDF).

        ``group, quantile, estimate, lower, upper``: the baseline's median of the per-interval
        p99 (a point), and the canary's estimate with the Hodges-Lehmann interval of the
        effect applied to the baseline level.
        """
        comp = self._metric(_lat_name(self.quantile)).comparison
        b = comp.baseline_location
        rows = [
            {"group": "baseline", "quantile": 0.5, "estimate": b, "lower": b, "upper": b},
            {
                "group": "canary",
                "quantile": 0.5,
                "estimate": b * (1 + comp.effect),
                "lower": b * (1 + comp.ci[0]),
                "upper": b * (1 + comp.ci[1]),
            },
        ]
        out = pl.DataFrame(rows)
        return out.filter(pl.all_horizontal(pl.col("estimate", "lower", "upper").is_finite()))

    def _metric(self, name: str) -> Any:
        return next(m for m in self.judgement.metrics if m.name == name)

    def summary(self) -> str:
        """One or two sentences for a PIP record."""
        j = self.judgement
        lat = self._metric(_lat_name(self.quantile)).comparison
        err = self._metric("error ratio").comparison
        if self.mode == "canary":
            what = f"Canary {self.canary} vs baseline {self.baseline}"
        else:
            what = f"{self.canary}: after vs before"
        window = f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} UTC"

        def pct(x: float) -> str:
            return f"{x:+.1%}" if math.isfinite(x) else "n/a"

        return (
            f"{what} ({window}): {j.verdict.upper()} — {_lat_name(self.quantile)} "
            f"{pct(lat.effect)} (CI {pct(lat.ci[0])}..{pct(lat.ci[1])}), error ratio "
            f"{pct(err.effect)}. {self.budget['errors'].explanation}"
        )

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence (keys: ``summary``, ``verdict``, ``passed``, ``score``,
        ``reason``, ``mode``, ``baseline``, ``canary``, ``window``, ``baseline_window``,
        ``judgement`` (the judge's dict with every metric's comparison), ``statistics``,
        ``power`` (``mde`` and the ``plans`` table), ``budget`` (per SLO),
        ``window_comparison`` (before-after mode: :func:`~pipbench.verify.compare_windows`
        on the latency series, else None), ``notes``)."""

        def impact(b: BudgetImpact) -> dict[str, Any]:
            return {
                "slo": b.slo,
                "baseline_bad_fraction": b.baseline_bad_fraction,
                "canary_bad_fraction": b.canary_bad_fraction,
                "baseline_burn_rate": b.baseline_burn_rate,
                "burn_rate": b.burn_rate,
                "days_to_exhaustion": b.days_to_exhaustion
                if math.isfinite(b.days_to_exhaustion)
                else None,
                "alert": b.alert.severity if b.alert else None,
                "explanation": b.explanation,
            }

        return {
            "summary": self.summary(),
            "verdict": self.verdict,
            "passed": self.passed,
            "score": self.judgement.score,
            "reason": self.judgement.reason,
            "mode": self.mode,
            "baseline": self.baseline,
            "canary": self.canary,
            "window": [self.start.isoformat(), self.end.isoformat()],
            "baseline_window": [self.baseline_start.isoformat(), self.baseline_end.isoformat()],
            "judgement": self.judgement.as_dict(),
            "statistics": self.statistics.with_columns(pl.col("value").cast(pl.String)).to_dicts(),
            "power": {"mde": self.mde, "plans": self.power.to_dicts()},
            "budget": {k: impact(v) for k, v in self.budget.items()},
            "window_comparison": self.window_comparison.as_dict()
            if self.window_comparison is not None
            else None,
            "notes": list(self.notes),
        }

    def pip_verification(self) -> tuple[plan.VerificationResult, ...]:
        """One :class:`pipbench.plan.VerificationResult` per judged metric (for ``Pip.verification``)."""
        out = []
        units = {_lat_name(self.quantile): "s", "request latency": "s"}
        for m in self.judgement.metrics:
            c = m.comparison
            if m.decision == "nodata":
                continue
            lo, hi = c.ci
            ok = math.isfinite(lo) and math.isfinite(hi)
            out.append(
                plan.VerificationResult(
                    metric=m.name,
                    baseline=c.baseline_location,
                    candidate=c.canary_location,
                    unit=units.get(m.name, ""),
                    lower=c.baseline_location * (1 + lo) if ok else None,
                    upper=c.baseline_location * (1 + hi) if ok else None,
                    confidence=1 - 2 * c.alpha if c.direction != "either" else 1 - c.alpha,
                    p_value=min(max(m.adjusted_p, 0.0), 1.0)
                    if math.isfinite(m.adjusted_p)
                    else None,
                    method=c.method,
                    passed=m.decision == "pass",
                )
            )
        return tuple(out)

    def slo_targets(self) -> tuple[plan.SloTarget, ...]:
        """The SLOs the budget impact was read against."""
        out = [plan.SloTarget(sli="error ratio", objective=self.slo, threshold="non-5xx")]
        if self.latency_threshold is not None:
            out.append(
                plan.SloTarget(
                    sli="latency",
                    objective=self.latency_slo,
                    threshold=f"≤ {self.latency_threshold:g} s",
                )
            )
        return tuple(out)


# ------------------------------------------------------------------------- selection
def _events_matchers(
    matchers: Sequence[Matcher], columns: Sequence[str]
) -> tuple[Matcher, ...] | None:
    """The selector in the events table's label names; None when a label has no match."""
    out = []
    for m in matchers:
        label = m.label if m.label in columns else EVENT_LABELS.get(m.label)
        if label is None or label not in columns:
            return None
        out.append(Matcher(label, m.op, m.value))
    return tuple(out)


def _p_series(
    ds: Dataset,
    metric: str,
    matchers: Sequence[Matcher],
    start: dt.datetime,
    end: dt.datetime,
    q: float,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per-interval quantile, and the window's summed buckets (``le, value``)."""
    buckets = interval_counts(ds, metric + "_bucket", matchers, start, end, by=["le"])
    per = histogram_quantile_frame(q, buckets).filter(pl.col("value").is_not_nan())
    total = buckets.group_by("le").agg(pl.col("value").sum())
    return per.sort("timestamp"), total


def _bucket_quantile(total: pl.DataFrame, q: float) -> float:
    if total.height == 0:
        return math.nan
    v = histogram_quantile_frame(q, total.with_columns(_k=pl.lit(0)))["value"]
    return float(v[0]) if v.len() else math.nan


def _bad_latency_fraction(total: pl.DataFrame, threshold: float, side: str) -> float:
    """Fraction of requests slower than ``threshold`` (which must be a bucket bound)."""
    if total.height == 0:
        return math.nan
    les = {parse_le(x): v for x, v in total.iter_rows()}
    if threshold not in les:
        bounds = ", ".join(f"{b:g}" for b in sorted(les) if math.isfinite(b))
        msg = (
            f"latency_threshold={threshold:g} s is not a bucket bound of the histogram "
            f"(bounds: {bounds}); pick one so the bad fraction is exact"
        )
        raise ConfigError(msg)
    count = les.get(math.inf, math.nan)
    if not count > 0:
        msg = f"no requests on the {side} side"
        raise InputError(msg, field=side)
    return float(1.0 - les[threshold] / count)


def _error_counts(
    ds: Dataset,
    metric: str,
    matchers: Sequence[Matcher],
    error_matcher: Matcher,
    start: dt.datetime,
    end: dt.datetime,
) -> pl.DataFrame:
    tot = interval_counts(ds, metric, matchers, start, end).rename({"value": "requests"})
    bad = interval_counts(ds, metric, [*matchers, error_matcher], start, end).rename(
        {"value": "errors"}
    )
    return (
        tot.join(bad, on="timestamp", how="left")
        .with_columns(pl.col("errors").fill_null(0.0))
        .filter(pl.col("requests") > 0)
        .with_columns(ratio=pl.col("errors") / pl.col("requests"))
        .select("timestamp", "errors", "requests", "ratio")
    )


def _event_latencies(
    ds: Dataset,
    matchers: Sequence[Matcher],
    start: dt.datetime,
    end: dt.datetime,
) -> np.ndarray | None:
    ev = ds.events()
    cols = ev.collect_schema().names()
    if "duration_s" not in cols:
        return None
    em = _events_matchers(matchers, cols)
    if em is None:
        return None
    pred = (
        matchers_expr(list(em), cols) & (pl.col("timestamp") >= start) & (pl.col("timestamp") < end)
    )
    return ev.filter(pred).select("duration_s").collect().to_series().drop_nulls().to_numpy()


# ------------------------------------------------------------------------ the workflow
def _check_fraction(name: str, v: float, lo: float = 0.0, hi: float = 1.0) -> float:
    if not (isinstance(v, int | float) and lo < v < hi):
        msg = f"{name}={v!r}; expected a number in ({lo:g}, {hi:g})"
        raise ConfigError(msg)
    return float(v)


def canary_verification(
    dataset: str | os.PathLike[str] | Dataset,
    *,
    baseline: str = "instance!=checkout-2",
    canary: str = "instance=checkout-2",
    start: str | dt.datetime = "2026-03-06T14:00:00Z",
    end: str | dt.datetime = "2026-03-06T16:00:00Z",
    mode: Mode = "canary",
    before_start: str | dt.datetime | None = None,
    before_end: str | dt.datetime | None = None,
    where: str | None = None,
    latency_metric: str = "http_request_duration_seconds",
    requests_metric: str = "http_requests_total",
    error_codes: str = "5..",
    quantile: float = 0.99,
    use_events: bool = True,
    tolerance: float = 0.0,
    alpha: float = 0.05,
    slo: float = 0.999,
    latency_slo: float = 0.99,
    latency_threshold: float | None = 0.25,
    power: float = 0.8,
    plan_effects: Sequence[float] = (0.05, 0.1, 0.25),
) -> CanaryResult:
    """Judge a canary (or a before/after change) on latency, errors and the error budget.

    Parameters
    ----------
    dataset
        A dataset directory (or open :class:`~pipbench.dataset.Dataset`) with the
        histogram ``<latency_metric>_bucket`` and the counter ``requests_metric``.
    baseline, canary
        Label selectors, comma-separated ``label=value`` / ``label!=value`` (``=~`` and
        ``!~`` take regexes): e.g. ``instance!=checkout-2`` vs ``instance=checkout-2``. In
        ``before-after`` mode only ``canary`` is used (the one series).
    start, end
        The canary window (ISO-8601, UTC); default: the demo's 2.4.1 canary,
        ``STORY.fix_canary`` → ``STORY.fix_rollout``.
    mode
        ``"canary"`` or ``"before-after"`` (then ``before_start``/``before_end`` is the
        baseline window; default: the same length just before ``start``).
    where
        Extra matchers for both sides, e.g. ``endpoint=/api/checkout``.
    latency_metric, requests_metric, error_codes
        The histogram's base name, the request counter and the ``code`` regex of errors.
    quantile
        The latency percentile per interval (0.99).
    use_events
        Also compare per-request latencies from the ``events`` table when it has them.
    tolerance, alpha
        Allowed relative degradation and the family-wise false-fail rate.
    slo, latency_slo, latency_threshold
        Availability SLO, latency SLO and its threshold in seconds (a bucket bound; None
        to skip the latency budget).
    power, plan_effects
        Power and the regressions (relative) of the duration plan.

    Returns
    -------
    CanaryResult

    Raises
    ------
    InputError
        No dataset, an empty selection or too little data on a side.
    ConfigError
        A malformed selector, an unknown label, an empty or inverted window, a parameter
        outside its range.
    """
    ds = need_dataset(dataset, workflow=_W)
    if mode not in ("canary", "before-after"):
        msg = f"mode={mode!r}; expected 'canary' or 'before-after'"
        raise ConfigError(msg)
    q = _check_fraction("quantile", quantile)
    _check_fraction("alpha", alpha, 0.0, 0.5)
    _check_fraction("slo", slo)
    _check_fraction("latency_slo", latency_slo)
    _check_fraction("power", power)
    if not (isinstance(tolerance, int | float) and 0 <= tolerance < 10):
        msg = f"tolerance={tolerance!r}; expected a relative change ≥ 0, e.g. 0.05"
        raise ConfigError(msg)
    t0 = need_time(start, parameter="start", workflow=_W)
    t1 = need_time(end, parameter="end", workflow=_W)
    if t1 <= t0:
        msg = f"the window is empty: end={t1.isoformat()} is not after start={t0.isoformat()}"
        raise ConfigError(msg)
    labels = sample_labels(ds)
    extra = parse_labels(where, "where") if where else ()
    c_m = (*parse_labels(canary, "canary"), *extra)
    check_labels(c_m, labels, "canary")
    if mode == "canary":
        b_m = (*parse_labels(baseline, "baseline"), *extra)
        check_labels(b_m, labels, "baseline")
        b0, b1 = t0, t1
    else:
        b_m = c_m
        b1 = (
            t0 if before_end is None else need_time(before_end, parameter="before_end", workflow=_W)
        )
        b0 = (
            b1 - (t1 - t0)
            if before_start is None
            else need_time(before_start, parameter="before_start", workflow=_W)
        )
        if b1 <= b0:
            msg = f"the before window is empty: before_end={b1.isoformat()} ≤ before_start={b0.isoformat()}"
            raise ConfigError(msg)
        if b1 > t0:
            msg = f"the before window ends at {b1.isoformat()}, after the window starts ({t0.isoformat()})"
            raise ConfigError(msg)
    have = set(ds.samples().select("metric").unique().collect().to_series().to_list())
    for name, metric in (
        ("latency_metric", latency_metric + "_bucket"),
        ("requests_metric", requests_metric),
    ):
        if metric not in have:
            msg = f"{name}: no metric {metric!r} in the dataset"
            raise InputError(msg, field=name, expected=f"one of {', '.join(sorted(have))}")

    sides = {"baseline": (b_m, b0, b1), "canary": (c_m, t0, t1)}
    lat: dict[str, pl.DataFrame] = {}
    tot: dict[str, pl.DataFrame] = {}
    err: dict[str, pl.DataFrame] = {}
    ev: dict[str, np.ndarray | None] = {}
    err_m = Matcher("code", "=~", error_codes)
    for side, (m, s, e) in sides.items():
        lat[side], tot[side] = _p_series(ds, latency_metric, m, s, e, q)
        err[side] = _error_counts(ds, requests_metric, m, err_m, s, e)
        ev[side] = _event_latencies(ds, m, s, e) if use_events else None
        if lat[side].height == 0 or err[side].height == 0:
            sel = baseline if side == "baseline" and mode == "canary" else canary
            msg = (
                f"the {side} selection {sel!r} has no {latency_metric} or {requests_metric} data "
                f"between {s.isoformat()} and {e.isoformat()}"
            )
            raise InputError(msg, field=side, expected="series matching the selector in the window")

    notes: list[str] = []
    pname = _lat_name(q)
    data: dict[str, tuple[Any, ...]] = {
        pname: (lat["baseline"]["value"].to_numpy(), lat["canary"]["value"].to_numpy()),
        "error ratio": (
            err["baseline"]["errors"].to_numpy(),
            err["canary"]["errors"].to_numpy(),
            err["baseline"]["requests"].to_numpy(),
            err["canary"]["requests"].to_numpy(),
        ),
    }
    specs = [
        MetricSpec(pname, tolerance=tolerance, kind="latency", critical=True, group="latency"),
        MetricSpec("error ratio", tolerance=tolerance, kind="count", group="errors"),
    ]
    evb, evc = ev["baseline"], ev["canary"]
    if use_events and evb is not None and evc is not None and evb.size and evc.size:
        data["request latency"] = (evb, evc)
        specs.append(
            MetricSpec("request latency", tolerance=tolerance, kind="latency", group="latency")
        )
    elif use_events:
        notes.append("no events for these selectors: request latency not compared")
    judgement = judge_canary(data, specs, alpha=alpha)

    window_comparison = None
    if mode == "before-after":
        both = pl.concat([lat["baseline"], lat["canary"]]).sort("timestamp")
        window_comparison = compare_windows(
            both["value"].to_numpy(),
            before=(np.datetime64(b0.replace(tzinfo=None)), np.datetime64(b1.replace(tzinfo=None))),
            after=(np.datetime64(t0.replace(tzinfo=None)), np.datetime64(t1.replace(tzinfo=None))),
            timestamps=both["timestamp"].dt.replace_time_zone(None).to_numpy(),
            tolerance=tolerance,
            alpha=alpha,
        )

    statistics = _statistics_table(judgement)
    power_table, mde = _power(
        judgement, lat, tot, err, t0, t1, b0, b1, alpha, power, plan_effects, mode
    )
    budget = {"errors": budget_impact(_ratio(err["baseline"]), _ratio(err["canary"]), slo=slo)}
    if latency_threshold is not None:
        budget["latency"] = budget_impact(
            _bad_latency_fraction(tot["baseline"], float(latency_threshold), "baseline"),
            _bad_latency_fraction(tot["canary"], float(latency_threshold), "canary"),
            slo=latency_slo,
        )

    def tagged(frames: dict[str, pl.DataFrame]) -> pl.DataFrame:
        return pl.concat(
            [f.with_columns(group=pl.lit(g)) for g, f in frames.items()], how="vertical_relaxed"
        )

    events_frame = pl.DataFrame(
        {
            "group": [g for g, a in ev.items() if a is not None for _ in range(a.size)],
            "value": np.concatenate([a for a in ev.values() if a is not None] or [np.empty(0)]),
        },
        schema={"group": pl.String, "value": pl.Float64},
    )
    return CanaryResult(
        mode=mode,
        baseline=_fmt(b_m) if mode == "canary" else f"{_fmt(c_m)} before",
        canary=_fmt(c_m),
        start=t0,
        end=t1,
        baseline_start=b0,
        baseline_end=b1,
        quantile=q,
        slo=slo,
        latency_slo=latency_slo,
        latency_threshold=latency_threshold,
        judgement=judgement,
        latency=tagged(lat).select("timestamp", "group", "value"),
        errors=tagged(err).select("timestamp", "group", "errors", "requests", "ratio"),
        events=events_frame,
        statistics=statistics,
        power=power_table,
        mde=mde,
        budget=budget,
        window_comparison=window_comparison,
        notes=tuple(notes),
    )


def _lat_name(q: float) -> str:
    """``0.99`` → ``"p99 latency"``, ``0.999`` → ``"p99.9 latency"``."""
    return f"p{round(q * 100, 6):g} latency"


def _fmt(matchers: Sequence[Matcher]) -> str:
    return ",".join(str(m) for m in matchers)


def _ratio(frame: pl.DataFrame) -> float:
    return float(frame["errors"].sum()) / float(frame["requests"].sum())


def _statistics_table(j: CanaryJudgement) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for m in j.metrics:
        c = m.comparison
        values: dict[str, Any] = {
            "decision": m.decision,
            "method": c.method,
            "n_baseline": c.n_baseline,
            "n_canary": c.n_canary,
            "baseline_location": c.baseline_location,
            "canary_location": c.canary_location,
            "effect": c.effect,
            "ci_low": c.ci[0],
            "ci_high": c.ci[1],
            "p_value": m.p_value,
            "adjusted_p": m.adjusted_p,
            "tau": c.tau,
        }
        for k, v in values.items():
            text = f"{v:.4g}" if isinstance(v, float) else str(v)
            rows.append({"metric": m.name, "statistic": k, "value": text, "meaning": STATISTICS[k]})
    return pl.DataFrame(
        rows, schema=dict.fromkeys(("metric", "statistic", "value", "meaning"), pl.String)
    )


def _power(
    j: CanaryJudgement,
    lat: dict[str, pl.DataFrame],
    tot: dict[str, pl.DataFrame],
    err: dict[str, pl.DataFrame],
    t0: dt.datetime,
    t1: dt.datetime,
    b0: dt.datetime,
    b1: dt.datetime,
    alpha: float,
    power: float,
    effects: Sequence[float],
    mode: str,
) -> tuple[pl.DataFrame, float]:
    """The smallest p99 change this run could see, and how long canaries must run."""
    comp = j.metrics[0].comparison  # the latency quantile comes first
    logs = [np.log(lat[s]["value"].to_numpy()) for s in ("baseline", "canary")]
    resid = np.concatenate([x - np.median(x) for x in logs if x.size])
    sigma = float(np.std(resid, ddof=1)) if resid.size > 2 else math.nan
    mde = math.nan
    if math.isfinite(sigma) and sigma > 0 and comp.n_baseline and comp.n_canary:
        mde = minimum_detectable_effect(
            comp.n_baseline, comp.n_canary, sigma=sigma, alpha=alpha, power=power,
            tau=max(comp.tau, 1.0),
        )  # fmt: skip
    # request-level plans: latency σ from the baseline histogram (log-normal fit p50/p90),
    # traffic from the counters
    p50 = _bucket_quantile(tot["baseline"], 0.5)
    p90 = _bucket_quantile(tot["baseline"], 0.9)
    s_req = math.log(p90 / p50) / float(stats.norm.ppf(0.9)) if p50 > 0 and p90 > p50 else math.nan
    nb, nc = float(err["baseline"]["requests"].sum()), float(err["canary"]["requests"].sum())
    secs_c = (t1 - t0).total_seconds()
    secs_b = (b1 - b0).total_seconds()
    rate_c, rate_b = nc / secs_c, nb / secs_b
    if mode == "canary":
        total_rate = rate_b + rate_c
        c_share, b_share = rate_c / total_rate, rate_b / total_rate
    else:  # one series: the whole of it, before vs after
        total_rate, c_share, b_share = rate_b, 1.0, 1.0
    base_err = _ratio(err["baseline"])
    rows = []
    for e in effects:
        if not e > 0:
            msg = f"plan_effects must be positive relative changes, got {e!r}"
            raise ConfigError(msg)
        if math.isfinite(s_req) and total_rate > 0:
            p = canary_duration(
                e, request_rate=total_rate, canary_share=c_share, baseline_share=b_share,
                sigma=s_req, alpha=alpha, power=power,
            )  # fmt: skip
            rows.append(
                ("request latency", e, p.seconds / 60, p.n_baseline, p.n_canary, p.explanation)
            )
        if 0 < base_err < 1 and total_rate > 0:
            p = canary_duration(
                e, request_rate=total_rate, canary_share=c_share, baseline_share=b_share,
                error_rate=base_err, alpha=alpha, power=power,
            )  # fmt: skip
            rows.append(("error ratio", e, p.seconds / 60, p.n_baseline, p.n_canary, p.explanation))
    table = pl.DataFrame(
        rows,
        schema={
            "what": pl.String,
            "effect": pl.Float64,
            "minutes": pl.Float64,
            "n_baseline": pl.Int64,
            "n_canary": pl.Int64,
            "explanation": pl.String,
        },
        orient="row",
    )
    return table, float(mde)
