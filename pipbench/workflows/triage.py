"""Regression triage: what changed in a latency SLI, when, why, and where.

The workflow behind ``notebooks/regression_triage.ipynb``. On a dataset it:

1. computes the SLI, a latency quantile over time from a classic histogram
   (:func:`pipbench.sli.latency_quantiles`, Prometheus ``histogram_quantile`` semantics);
2. fits a robust seasonal baseline (:class:`~pipbench.detect.ProfileBaseline`, medians per
   time of day, which resist a regression covering less than half the days) on the whole
   range, and finds change points of the residual with :func:`~pipbench.detect.e_divisive`
   (removing the daily shape first keeps the diurnal swing from being cut into "changes");
3. takes the largest significant upward change as the regression, walks back over the run
   of upward changes just before it to its *onset*, and refits the baseline on the history
   before the onset (when two days of it exist) for the band drawn on the chart;
4. flags online anomalies with the default streaming detector
   (:class:`~pipbench.detect.OnlineDetector`), ranks the annotations that could explain
   each change (:func:`~pipbench.detect.attribute`), drills down into the label values that
   carry the regression (:func:`~pipbench.detect.drilldown` on the ``events`` table, or
   :func:`~pipbench.detect.drilldown_samples` on per-series quantiles when there are no
   events) and turns it all into ranked hypotheses (:func:`~pipbench.detect.hypotheses`).

Change points are reported on the SLI's scale but *deseasonalised*: ``mean_before`` and
``mean_after`` are the baseline's mean over the new segment plus the mean residual of the
segment before and after the change, so a change at 10:00 is not inflated by the
morning's diurnal rise.

Examples
--------
>>> from pipbench.workflows import regression_triage
>>> r = regression_triage("reports/demo/dataset")          # doctest: +SKIP
>>> r.drill.table["segment"][0]                            # doctest: +SKIP
'endpoint=/api/checkout, version=2.4.0'
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from pipbench import plan
from pipbench.charts import heatmap_from_buckets
from pipbench.dataset import Dataset
from pipbench.detect import (
    BaselineError,
    ChangePoint,
    Drilldown,
    Hypothesis,
    OnlineDetector,
    ProfileBaseline,
    STLBaseline,
    attribute,
    drilldown,
    drilldown_samples,
    e_divisive,
    hypotheses,
)
from pipbench.errors import ConfigError, InputError
from pipbench.sli import latency_quantiles
from pipbench.sli.selectors import Matcher, as_matchers, matchers_expr
from pipbench.workflows._inputs import (
    DatasetLike,
    as_datetime,
    need_dataset,
    need_duration,
    need_metric,
    utc,
)

__all__ = ["EVENT_LABEL_ALIASES", "TriageResult", "regression_triage"]

_W = "regression_triage"
_DAY = 86400.0

#: Where a dimension lives in OpenTelemetry-shaped ``events`` (first match wins).
EVENT_LABEL_ALIASES: dict[str, tuple[str, ...]] = {
    "endpoint": ("endpoint", "http_route", "url_path", "http_target"),
    "version": ("version", "service_version"),
    "instance": ("instance", "service_instance_id", "host_name"),
    "service": ("service", "service_name"),
}


def _iso(t: float | dt.datetime | None) -> str | None:
    if t is None:
        return None
    if isinstance(t, dt.datetime):
        return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return dt.datetime.fromtimestamp(t, dt.UTC).isoformat().replace("+00:00", "Z")


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class TriageResult:
    """What :func:`regression_triage` found; frames are tidy and chart-ready.

    Attributes
    ----------
    sli
        ``timestamp, value, expected, lower, upper, anomaly, score``: the SLI, its baseline
        band and the online detector's flags and scores (for :func:`pipbench.charts.sli_chart`).
    change_frame
        ``timestamp, label, direction, mean_before, mean_after, rel_change, p_value``: one
        row per change point (for :func:`pipbench.charts.change_points_chart`).
    change_points
        The same change points as :class:`~pipbench.detect.ChangePoint` (SLI scale).
    main_change, onset, recovery
        The regression: its largest upward change, the first change of the run of upward
        changes leading to it, and the first downward change after it (None if absent).
    suspects
        :func:`~pipbench.detect.attribute` output for every change point, with
        ``change_time`` and ``annotation_time`` as datetimes.
    drill
        The drill-down of the regression (None when there is no regression).
    drill_source
        ``"events"`` or ``"samples"``.
    hypotheses
        Ranked :class:`~pipbench.detect.Hypothesis` objects, most likely first.
    annotations
        The dataset's annotations within the range (``timestamp, text, kind``).
    heatmap
        Latency heatmap cells from the histogram (for :func:`pipbench.charts.latency_heatmap`).
    """

    metric: str
    quantile: float
    min_change: float
    step_s: float
    window_s: float
    where: str
    sli: pl.DataFrame
    baseline_method: str
    baseline_from: dt.datetime | None
    baseline_to: dt.datetime | None
    baseline_notes: tuple[str, ...]
    change_points: tuple[ChangePoint, ...]
    change_frame: pl.DataFrame
    main_change: ChangePoint | None
    onset: ChangePoint | None
    recovery: ChangePoint | None
    suspects: pl.DataFrame
    drill: Drilldown | None
    drill_source: str
    hypotheses: tuple[Hypothesis, ...]
    annotations: pl.DataFrame
    heatmap: pl.DataFrame

    @property
    def sli_name(self) -> str:
        """``"p99 of http_request_duration_seconds"``."""
        return f"p{100 * self.quantile:g} of {self.metric}"

    @property
    def query(self) -> str:
        """The SLI as PromQL."""
        w = f"{self.window_s:g}s"
        return (
            f"histogram_quantile({self.quantile:g}, sum by (le) "
            f"(rate({self.metric}_bucket{self.where}[{w}])))"
        )

    def drilldown_frame(self) -> pl.DataFrame:
        """``value, contribution, traffic`` per segment (for :func:`pipbench.charts.drilldown_chart`)."""
        if self.drill is None:
            return pl.DataFrame(
                schema={"value": pl.String, "contribution": pl.Float64, "traffic": pl.Float64}
            )
        return self.drill.table.select(
            value=pl.col("segment"),
            contribution=pl.col("explained"),
            traffic=pl.col("share_after"),
        )

    def summary(self) -> str:
        """One or two plain sentences for a PIP record."""
        if self.main_change is None or self.onset is None:
            return (
                f"No regression of {self.sli_name}: no significant upward change of "
                f"{100 * self.min_change:g} % or more among {len(self.change_points)} "
                "change point(s)."
            )
        m, o = self.main_change, self.onset
        rel = (m.mean_after - o.mean_before) / o.mean_before if o.mean_before else math.inf
        text = (
            f"{self.sli_name} rose {100 * rel:.0f} % ({o.mean_before:.3g} s -> "
            f"{m.mean_after:.3g} s) from {_iso(o.time)}"
        )
        causes = []
        for cp in dict.fromkeys((o, m)):
            top = self.suspects.filter(pl.col("change_index") == cp.index).sort("rank").head(1)
            if top.height:
                r = top.row(0, named=True)
                causes.append(f"{r['kind']} '{r['text']}'")
        causes = list(dict.fromkeys(causes))
        if causes:
            text += ", most likely caused by " + " then ".join(causes)
        text += "."
        if self.drill is not None and self.drill.table.height:
            text += " " + self.drill.headline() + "."
        return text

    def pip_baseline(self) -> plan.SliBaseline:
        """The SLI before the regression (median over the baseline's history)."""
        f = self.sli
        if self.onset is not None and self.onset.time is not None:
            cut = dt.datetime.fromtimestamp(self.onset.time, dt.UTC)
            f = f.filter(pl.col("timestamp") < cut)
        median = f["value"].median()  # None when there are no points
        value = float(median) if isinstance(median, int | float) else float("nan")
        start, end = as_datetime(f["timestamp"].min()), as_datetime(f["timestamp"].max())
        return plan.SliBaseline(
            name=self.sli_name,
            value=value,
            unit="s",
            window=f"{_iso(start)} .. {_iso(end)}" if start else "",
            query=self.query,
        )

    def pip_timeline(self) -> list[plan.TimelineEntry]:
        """Dated steps for the PIP record: the regression's onset, main change and recovery."""
        steps = (
            (self.onset, "regression began"),
            (self.main_change, "regression peaked"),
            (self.recovery, "recovery began"),
        )
        out, seen = [], set()
        for cp, what in steps:
            if cp is None or cp.time is None or cp.index in seen:
                continue
            seen.add(cp.index)
            out.append(
                plan.TimelineEntry(
                    at=dt.datetime.fromtimestamp(cp.time, dt.UTC),
                    event=f"{what}: {self.sli_name} {100 * cp.rel_change:+.0f} % "
                    f"({cp.mean_before:.3g} s -> {cp.mean_after:.3g} s)",
                )
            )
        return out

    def pip_hypotheses(self) -> list[plan.Hypothesis]:
        """The hypotheses as :class:`pipbench.plan.Hypothesis` entries (status ``open``)."""
        return [
            plan.Hypothesis(
                rank=h.rank,
                statement=h.title,
                evidence=(
                    plan.Evidence(
                        title="regression_triage",
                        kind="json",
                        path="evidence/regression_triage.json",
                        summary=f"confidence {h.confidence:.2f}",
                    ),
                ),
            )
            for h in self.hypotheses
        ]

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence (``emit_evidence("regression_triage", ...)``).

        Keys: ``summary``, ``sli`` (name, query, metric, quantile, step_s, window_s, points,
        start, end), ``baseline`` (method, fitted_from, fitted_to, notes, value_s),
        ``regression`` (onset, main_change, recovery, before_s, after_s, rel_change; null
        without one), ``change_points``, ``suspects`` (top 3 per change),
        ``anomalies`` (times flagged online), ``drilldown`` (source, statistic, before,
        after, headline, segments), ``hypotheses`` (rank, title, confidence).
        """

        def cp(c: ChangePoint | None) -> dict[str, Any] | None:
            if c is None:
                return None
            return {
                "time": _iso(c.time),
                "mean_before": _finite(c.mean_before),
                "mean_after": _finite(c.mean_after),
                "rel_change": _finite(c.rel_change),
                "p_value": c.p_value,
            }

        sus = self.suspects.filter(pl.col("rank") <= 3).with_columns(
            pl.col("annotation_time").map_elements(_iso, return_dtype=pl.String),
            pl.col("change_time").map_elements(_iso, return_dtype=pl.String),
        )
        drill = None
        if self.drill is not None:
            drill = {
                "source": self.drill_source,
                "statistic": self.drill.statistic,
                "before": _finite(self.drill.before),
                "after": _finite(self.drill.after),
                "n_before": self.drill.n_before,
                "n_after": self.drill.n_after,
                "headline": self.drill.headline(),
                "segments": self.drill.table.head(8).to_dicts(),
            }
        m = self.main_change
        base = self.pip_baseline()
        return {
            "summary": self.summary(),
            "sli": {
                "name": self.sli_name,
                "query": self.query,
                "metric": self.metric,
                "quantile": self.quantile,
                "step_s": self.step_s,
                "window_s": self.window_s,
                "points": self.sli.height,
                "start": _iso(as_datetime(self.sli["timestamp"].min())),
                "end": _iso(as_datetime(self.sli["timestamp"].max())),
            },
            "baseline": {
                "method": self.baseline_method,
                "fitted_from": _iso(self.baseline_from),
                "fitted_to": _iso(self.baseline_to),
                "notes": list(self.baseline_notes),
                "value_s": _finite(base.value),
            },
            "regression": None
            if m is None
            else {
                "onset": _iso(self.onset.time if self.onset else None),
                "main_change": _iso(m.time),
                "recovery": _iso(self.recovery.time if self.recovery else None),
                "before_s": _finite(self.onset.mean_before) if self.onset else None,
                "after_s": _finite(m.mean_after),
                "rel_change": _finite(
                    (m.mean_after - self.onset.mean_before) / abs(self.onset.mean_before)
                )
                if self.onset and self.onset.mean_before
                else None,
            },
            "change_points": [cp(c) for c in self.change_points],
            "suspects": sus.to_dicts(),
            "anomalies": [
                _iso(t) for t in self.sli.filter(pl.col("anomaly"))["timestamp"].to_list()
            ],
            "drilldown": drill,
            "hypotheses": [
                {"rank": h.rank, "title": h.title, "confidence": h.confidence}
                for h in self.hypotheses
            ],
        }


# ----------------------------------------------------------------------------- helpers
def _check_params(quantile: float, dimensions: Sequence[str], baseline: str) -> None:
    if isinstance(quantile, bool) or not isinstance(quantile, int | float):
        msg = f"{_W}: parameter 'quantile' must be a number in (0, 1), got {quantile!r}"
        raise ConfigError(msg)
    if not 0 < quantile < 1:
        msg = f"{_W}: parameter 'quantile' = {quantile!r} must be in (0, 1), e.g. 0.99"
        raise ConfigError(msg)
    if isinstance(dimensions, str) or not all(isinstance(d, str) for d in dimensions):
        msg = f"{_W}: parameter 'dimensions' must be a list of label names, got {dimensions!r}"
        raise ConfigError(msg)
    if baseline not in ("profile", "stl"):
        msg = f"{_W}: parameter 'baseline' = {baseline!r}; expected 'profile' or 'stl'"
        raise ConfigError(msg)


def _scrape_interval(samples: pl.LazyFrame, bucket: str) -> float:
    ts = (
        samples.filter(pl.col("metric") == bucket)
        .select(pl.col("timestamp").unique().sort().head(500))
        .collect()["timestamp"]
    )
    if ts.len() < 2:
        return 0.0
    return float(np.median(np.diff(ts.dt.epoch("us").to_numpy())) / 1e6)


def _fit_band(
    kind: str, ts: np.ndarray, y: np.ndarray, fit_mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, str, list[str]]:
    """Expected, lower, upper at every ``ts`` from a baseline fitted on ``ts[fit_mask]``."""
    model = STLBaseline() if kind == "stl" else ProfileBaseline()
    try:
        fc = model.fit(ts[fit_mask], y[fit_mask]).predict(ts)
        return fc.expected, fc.lower, fc.upper, kind, list(model.notes_)
    except BaselineError as err:
        med = float(np.median(y[fit_mask]))
        mad = 1.4826 * float(np.median(np.abs(y[fit_mask] - med)))
        e = np.full(y.size, med)
        return e, e - 1.96 * mad, e + 1.96 * mad, "median", [f"seasonal baseline not used: {err}"]


def _on_sli_scale(
    cps: list[ChangePoint], ts: np.ndarray, resid: np.ndarray, expected: np.ndarray
) -> list[ChangePoint]:
    """Deseasonalised before/after levels of each change (see the module docstring)."""
    idx = [0, *(c.index for c in cps), ts.size]
    out = []
    for k, c in enumerate(cps):
        lo, mid, hi = idx[k], idx[k + 1], idx[k + 2]
        level = float(np.mean(expected[mid:hi]))
        before = level + float(np.mean(resid[lo:mid]))
        after = level + float(np.mean(resid[mid:hi]))
        rel = (after - before) / abs(before) if before != 0 else math.inf
        out.append(ChangePoint(c.index, c.time, before, after, rel, c.p_value, c.method))
    return out


def _episode(
    cps: list[ChangePoint], min_change: float
) -> tuple[ChangePoint | None, ChangePoint | None, ChangePoint | None]:
    ups = [c for c in cps if c.abs_change > 0 and c.rel_change >= min_change]
    if not ups:
        return None, None, None
    main = max(ups, key=lambda c: c.abs_change)
    k = cps.index(main)
    j = k
    while j > 0 and cps[j - 1].abs_change > 0:
        j -= 1
    recovery = next((c for c in cps[k + 1 :] if c.abs_change < 0), None)
    return main, cps[j], recovery


def _event_dims(events_schema: Sequence[str], dims: Sequence[str]) -> dict[str, str] | None:
    out = {}
    for d in dims:
        col = next((c for c in EVENT_LABEL_ALIASES.get(d, (d,)) if c in events_schema), None)
        if col is None:
            return None
        out[col] = d
    return out


def _drill(
    ds: Dataset,
    samples: pl.LazyFrame,
    *,
    metric: str,
    q: float,
    dims: Sequence[str],
    at: float,
    before: float,
    after: float,
    where: tuple[Matcher, ...],
    window_s: float,
    step_s: float,
) -> tuple[Drilldown, str]:
    stat = f"p{100 * q:g}"
    ev = ds.events()
    names = ev.collect_schema().names()
    # the SLI's label matchers apply to the events too (through the same aliases)
    needed = list(dict.fromkeys([*dims, *(m.label for m in where)]))
    mapping = _event_dims(names, needed) if "duration_s" in names else None
    lo = dt.datetime.fromtimestamp(at - before, dt.UTC)
    hi = dt.datetime.fromtimestamp(at + after, dt.UTC)
    if mapping is not None:
        frame = (
            ev.filter((pl.col("timestamp") >= lo) & (pl.col("timestamp") < hi))
            .select("timestamp", "duration_s", *mapping)
            .rename(mapping)
            .collect()
        )
        frame = frame.filter(matchers_expr(where, frame.columns))
        t = frame["timestamp"].dt.epoch("us").to_numpy() / 1e6
        if (t < at).sum() >= 100 and (t >= at).sum() >= 100:
            d = drilldown(frame, at=at, statistic=stat, before=before, after=after, dimensions=dims)
            return d, "events"
    per_series = latency_quantiles(
        samples,
        metric,
        q=q,
        by=list(dims),
        window=window_s,
        where=where,
        step=step_s,
        start=lo,
        end=hi,
    ).filter(pl.col("value").is_not_nan())
    frame = per_series.with_columns(metric=pl.lit("sli"))
    d = drilldown_samples(
        frame, metric="sli", at=at, statistic="mean", before=before, after=after, dimensions=dims
    )
    return d, "samples"


def _coarse(cells: pl.DataFrame, every: str) -> pl.DataFrame:
    """Heatmap cells summed into ``every``-long intervals (same bins)."""
    if cells.height == 0:
        return cells
    return (
        cells.group_by(pl.col("timestamp").dt.truncate(every), "lower", "upper")
        .agg(pl.col("count").sum())
        .with_columns(end=pl.col("timestamp").dt.offset_by(every))
        .select("timestamp", "end", "lower", "upper", "count")
        .sort("timestamp", "lower")
    )


# ---------------------------------------------------------------------------- workflow
def regression_triage(
    dataset: DatasetLike,
    *,
    metric: str = "http_request_duration_seconds",
    quantile: float = 0.99,
    start: str | dt.datetime | None = None,
    end: str | dt.datetime | None = None,
    step: str | float = "5m",
    window: str | float | None = None,
    where: str | None = None,
    dimensions: Sequence[str] = ("endpoint", "version", "instance"),
    baseline: str = "profile",
    attribution_window: str | float = "1h",
    alpha: float = 0.05,
    min_change: float = 0.2,
    seed: int = 0,
    heatmap_every: str = "1h",
) -> TriageResult:
    """Triage a latency regression on ``dataset``: SLI, baseline, changes, suspects, drill-down.

    Parameters
    ----------
    dataset
        A dataset directory (or :class:`~pipbench.dataset.Dataset`); it must exist.
    metric
        Base name of a classic histogram in the samples table (``<metric>_bucket``).
    quantile
        The latency quantile, e.g. 0.99.
    start, end
        Optional time range (ISO 8601); default: all the data.
    step
        Resolution of the SLI (a Prometheus duration).
    window
        Rate window; default: the step, at least twice the histogram's scrape interval.
    where
        Label matchers selecting series, e.g. ``'{service="checkout"}'``.
    dimensions
        Labels to drill down by (events columns are found through
        :data:`EVENT_LABEL_ALIASES`, e.g. ``http_route`` for ``endpoint``).
    baseline
        ``"profile"`` (robust time-of-day profile) or ``"stl"`` for the band fitted on the
        history before the regression.
    attribution_window
        How long before a change an annotation is still a suspect.
    alpha
        Significance level of the change points.
    min_change
        Smallest relative rise of a change point that counts as a regression (0.2: 20 %;
        a p99 swings by 10 % within a day).
    seed
        Seed of the change-point permutation test.
    heatmap_every
        Time resolution of the latency heatmap cells (coarser than the step keeps the
        chart small).

    Returns
    -------
    TriageResult

    Raises
    ------
    InputError
        No dataset, the metric is not in it, or no SLI points in the range.
    ConfigError
        A parameter of the wrong type or out of range (the message names it).
    """
    _check_params(quantile, dimensions, baseline)
    ds = need_dataset(dataset, workflow=_W)
    bucket = metric if metric.endswith("_bucket") else f"{metric}_bucket"
    metric = bucket.removesuffix("_bucket")
    need_metric(ds, bucket, workflow=_W, parameter="metric")
    t0 = utc(start, parameter="start", workflow=_W)
    t1 = utc(end, parameter="end", workflow=_W)
    if t0 is not None and t1 is not None and t0 >= t1:
        msg = f"{_W}: parameter 'start' ({t0:%Y-%m-%d %H:%M}) must be before 'end' ({t1:%Y-%m-%d %H:%M})"
        raise ConfigError(msg)
    step_s = need_duration(step, parameter="step", workflow=_W)
    need_duration(heatmap_every, parameter="heatmap_every", workflow=_W)
    aw_s = need_duration(attribution_window, parameter="attribution_window", workflow=_W)
    if isinstance(min_change, bool) or not isinstance(min_change, int | float) or min_change < 0:
        msg = f"{_W}: parameter 'min_change' = {min_change!r} must be a number >= 0, e.g. 0.1"
        raise ConfigError(msg)
    if not 0 < alpha < 1:
        msg = f"{_W}: parameter 'alpha' = {alpha!r} must be in (0, 1), e.g. 0.05"
        raise ConfigError(msg)
    try:
        matchers = as_matchers(where)
    except ConfigError as err:
        msg = f"{_W}: parameter 'where' = {where!r}: {err}"
        raise ConfigError(msg) from None
    samples = ds.samples()
    labels = set(samples.collect_schema().names())
    ev_names = ds.events().collect_schema().names()
    unknown = [d for d in dimensions if d not in labels and _event_dims(ev_names, [d]) is None]
    if unknown:
        have = sorted(labels - {"timestamp", "metric", "value", "source", "le", "quantile"})
        msg = f"{_W}: parameter 'dimensions' names unknown label(s) {unknown} (labels: {', '.join(have)})"
        raise ConfigError(msg)
    scrape = _scrape_interval(samples, bucket)
    window_s = (
        need_duration(window, parameter="window", workflow=_W)
        if window is not None
        else max(step_s, 2 * scrape)
    )

    sli = latency_quantiles(
        samples, metric, q=quantile, window=window_s, where=matchers, step=step_s, start=t0, end=t1
    ).filter(pl.col("value").is_finite())
    if sli.height < 20:
        msg = (
            f"{_W}: only {sli.height} SLI point(s) of {metric} in the range "
            f"(start={start!r}, end={end!r}, where={where!r}); need at least 20"
        )
        raise InputError(msg, file=ds.path, field="metric")
    ts = sli["timestamp"].dt.epoch("us").to_numpy() / 1e6
    y = sli["value"].to_numpy()

    # pass 1: a robust baseline on everything, change points of the residual. A median per
    # time of day resists a regression only with 3+ days (with 2 it is their mean), so a
    # shorter range is segmented as it is.
    everything = np.ones(y.size, dtype=bool)
    pre_notes: list[str] = []
    if ts[-1] - ts[0] >= 3 * _DAY - step_s:
        exp1, _, _, _, _ = _fit_band("profile", ts, y, everything)
    else:
        exp1 = np.full(y.size, float(np.median(y)))
        pre_notes.append("under 3 days of data: change points found on the SLI as it is")
    resid = y - exp1
    raw = e_divisive(resid, ts, alpha=alpha, max_points=500, seed=seed)
    cps = _on_sli_scale(raw, ts, resid, exp1)
    main, onset, recovery = _episode(cps, min_change)

    # pass 2: the band from the history before the regression, when there is enough of it
    fit_mask = everything
    if onset is not None and onset.time is not None and onset.time - ts[0] >= 2 * _DAY:
        fit_mask = ts < onset.time
    # STL's in-sample fit follows a regression inside its history: only the robust profile
    # may be fitted on a range that contains it
    kind = baseline if fit_mask is not everything else "profile"
    if kind != baseline:
        pre_notes.append(f"baseline {baseline!r} needs 2 days before the regression; profile used")
    expected, lower, upper, method, notes = _fit_band(kind, ts, y, fit_mask)
    notes = [*pre_notes, *notes]
    if fit_mask is everything and method != "median":
        notes = ["fitted on the whole range (robust medians per time of day)", *notes]
    det = OnlineDetector().fit(y, ts)
    sli = sli.with_columns(
        expected=pl.Series(expected),
        lower=pl.Series(lower),
        upper=pl.Series(upper),
        anomaly=pl.Series(det.is_anomaly_),
        score=pl.Series(det.scores_),
    )

    ann = ds.annotations()
    if t0 is not None:
        ann = ann.filter(pl.col("timestamp") >= t0)
    if t1 is not None:
        ann = ann.filter(pl.col("timestamp") <= t1)
    annotations = ann.collect()
    suspects = attribute(cps, annotations, window=aw_s, top=None)
    suspects = suspects.with_columns(
        pl.from_epoch((pl.col(c) * 1e6).cast(pl.Int64), time_unit="us")
        .dt.replace_time_zone("UTC")
        .alias(c)
        for c in ("annotation_time", "change_time")
    )

    drill: Drilldown | None = None
    source = ""
    if onset is not None and onset.time is not None and dimensions:
        end_t = recovery.time if recovery is not None and recovery.time is not None else ts[-1]
        before = min(_DAY, onset.time - ts[0])
        after = min(_DAY, max(end_t - onset.time, step_s))
        try:
            drill, source = _drill(
                ds,
                samples,
                metric=metric,
                q=quantile,
                dims=dimensions,
                at=onset.time,
                before=before,
                after=after,
                where=matchers,
                window_s=window_s,
                step_s=step_s,
            )
        except InputError:
            drill, source = None, ""

    hyps = hypotheses(
        cps,
        series=f"p{100 * quantile:g} latency of {metric}",
        unit="s",
        suspects=suspects.with_columns(
            pl.col("annotation_time", "change_time").dt.epoch("us").cast(pl.Float64) / 1e6
        ),
        drill=drill,
    )
    change_frame = pl.DataFrame(
        {
            "timestamp": [dt.datetime.fromtimestamp(c.time or 0.0, dt.UTC) for c in cps],
            "label": [f"{'+' if c.abs_change > 0 else ''}{100 * c.rel_change:.0f} %" for c in cps],
            "direction": ["up" if c.abs_change > 0 else "down" for c in cps],
            "mean_before": [c.mean_before for c in cps],
            "mean_after": [c.mean_after for c in cps],
            "rel_change": [c.rel_change for c in cps],
            "p_value": [c.p_value for c in cps],
        },
        schema={
            "timestamp": pl.Datetime("us", "UTC"),
            "label": pl.String,
            "direction": pl.String,
            "mean_before": pl.Float64,
            "mean_after": pl.Float64,
            "rel_change": pl.Float64,
            "p_value": pl.Float64,
        },
    )
    hm_src = samples.filter((pl.col("metric") == bucket) & matchers_expr(matchers, sorted(labels)))
    if t0 is not None:
        hm_src = hm_src.filter(pl.col("timestamp") >= t0)
    if t1 is not None:
        hm_src = hm_src.filter(pl.col("timestamp") <= t1)
    heat = _coarse(heatmap_from_buckets(hm_src.collect(), metric=bucket), heatmap_every)
    fitted = sli["timestamp"].filter(pl.Series(fit_mask))
    return TriageResult(
        metric=metric,
        quantile=float(quantile),
        min_change=float(min_change),
        step_s=step_s,
        window_s=window_s,
        where="{" + ", ".join(str(m) for m in matchers) + "}" if matchers else "",
        sli=sli,
        baseline_method=method,
        baseline_from=fitted.min(),  # type: ignore[arg-type]
        baseline_to=fitted.max(),  # type: ignore[arg-type]
        baseline_notes=tuple(notes),
        change_points=tuple(cps),
        change_frame=change_frame,
        main_change=main,
        onset=onset,
        recovery=recovery,
        suspects=suspects,
        drill=drill,
        drill_source=source,
        hypotheses=tuple(hyps),
        annotations=annotations.select("timestamp", "text", "kind"),
        heatmap=heat,
    )
