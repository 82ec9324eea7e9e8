"""A PIP game day: inject a latency regression into traffic and see who notices, and when.

The workflow behind ``notebooks/pip_drill.ipynb``. It builds a week of per-step traffic,
injects a regression of a chosen size at a chosen time, and runs the two alarms a team
relies on over it:

* the default online anomaly detector (:class:`~pipbench.detect.OnlineDetector`) on the
  p99 latency SLI;
* the multiwindow burn-rate alerts (:func:`pipbench.slo.backtest`) of a latency SLO
  "``target`` of requests faster than ``threshold_s``" over ``window``.

It reports, per alarm, whether it caught the regression, the detection delay, and the
false alarms raised before the injection.

Traffic (``source``):

* ``"synthetic"`` (seeded): request counts per step are Poisson with the diurnal rate of
  :class:`pipbench.sim.Diurnal` (peak 15:00 UTC); latencies are lognormal
  (``median_s``, ``sigma``). The regression multiplies every latency by ``1 + size``.
  Each step's good count is binomial with ``P(latency <= threshold_s)`` and its p99 is
  drawn exactly as the k-th order statistic of the step's requests
  (``F⁻¹(U)``, ``U ~ Beta(k, n − k + 1)``, ``k = ceil(0.99 n)``).
* ``"replay"``: a dataset's own histogram (e.g. the demo's quiet Monday and Tuesday) is
  replayed: the p99 is ``histogram_quantile`` over all series and the good count is the
  bucket count at ``threshold_s``; the regression scales latencies by ``1 + size``, i.e.
  the p99 by ``1 + size`` and the good count becomes the cumulative count at
  ``threshold_s / (1 + size)`` (linear interpolation inside the bucket, as Prometheus
  does for quantiles).

Examples
--------
>>> from pipbench.workflows import pip_drill
>>> d = pip_drill(size=1.0, seed=1)
>>> d.table.filter(d.table["alarm"] == "online detector")["caught"].item()
True
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl
from scipy import stats

from pipbench.detect import OnlineDetector
from pipbench.errors import ConfigError, InputError
from pipbench.plan import Evidence
from pipbench.sim import Diurnal
from pipbench.sli import latency_quantiles, rate
from pipbench.sli.selectors import as_matchers
from pipbench.slo import backtest, budget_series, burn_rates, pyrra_rules, sloth_rules
from pipbench.slo import workbook_rules as _workbook
from pipbench.workflows._inputs import (
    as_datetime,
    need_dataset,
    need_duration,
    need_metric,
    need_time,
)

__all__ = ["DrillResult", "drill_sweep", "pip_drill"]

_W = "pip_drill"
_Q = 0.99
_PEAK_PHASE = math.pi / 2 - 2 * math.pi * 15 / 24  # the sine peaks at 15:00 UTC


def _iso(t: dt.datetime | None) -> str | None:
    return None if t is None else t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class DrillResult:
    """One game day.

    Attributes
    ----------
    series
        ``timestamp, value, anomaly, score, good, total, injected``: the p99 SLI with the
        online detector's flags, and the latency SLO's good/total requests per step.
    burn_down
        ``timestamp, remaining, burn_rate`` for :func:`pipbench.charts.burn_down_chart`.
    alerts
        ``start, end, name, severity``: the burn-rate alerts that fired.
    table
        One row per alarm: ``alarm``, ``kind`` (``anomaly`` or ``burn-rate``), ``caught``,
        ``first_alert``, ``delay_s``, ``false_alarms`` (flags or alerts before the
        injection).
    """

    source: str
    size: float
    at: dt.datetime
    seed: int
    target: float
    threshold_s: float
    window_s: float
    rules: str
    series: pl.DataFrame
    burn_down: pl.DataFrame
    alerts: pl.DataFrame
    table: pl.DataFrame

    def markers(self) -> pl.DataFrame:
        """``timestamp, text, kind``: the injection and each alarm's first alert (chart labels)."""
        rows = [(self.at, f"injected +{100 * self.size:g} %", "incident")]
        for r in self.table.filter(pl.col("caught")).iter_rows(named=True):
            rows.append((r["first_alert"], r["alarm"], "flag"))
        return pl.DataFrame(
            rows,
            schema={"timestamp": pl.Datetime("us", "UTC"), "text": pl.String, "kind": pl.String},
            orient="row",
        )

    def summary(self) -> str:
        """One or two sentences for a PIP record."""
        caught = self.table.filter(pl.col("caught")).sort("delay_s")
        head = (
            f"Game day ({self.source} traffic, seed {self.seed}): latency +{100 * self.size:g} % "
            f"injected at {_iso(self.at)}"
        )
        if caught.height == 0:
            return head + f"; none of the {self.table.height} alarms caught it."
        first = caught.row(0, named=True)
        missed = self.table.filter(~pl.col("caught"))["alarm"].to_list()
        tail = f"; missed by {', '.join(missed)}" if missed else ""
        return (
            f"{head}; {caught.height} of {self.table.height} alarms caught it, "
            f"first the {first['alarm']} after {first['delay_s'] / 60:.0f} min{tail}."
        )

    def pip_evidence(self) -> Evidence:
        """The drill as a :class:`pipbench.plan.Evidence` entry (a table in the evidence file)."""
        return Evidence(
            title="pip_drill", kind="table", path="evidence/pip_drill.json", summary=self.summary()
        )

    def evidence(self) -> dict[str, Any]:
        """JSON-ready evidence (``emit_evidence("pip_drill", ...)``).

        Keys: ``summary``, ``source``, ``size``, ``injected_at``, ``seed``, ``slo``
        (target, threshold_s, window_s, rules), ``alarms`` (per alarm: alarm, kind, caught,
        first_alert, delay_s, false_alarms), ``alerts`` (burn-rate alert intervals).
        """
        table = self.table.with_columns(
            pl.col("first_alert").map_elements(_iso, return_dtype=pl.String)
        )
        alerts = self.alerts.with_columns(
            pl.col("start", "end").map_elements(_iso, return_dtype=pl.String)
        )
        return {
            "summary": self.summary(),
            "source": self.source,
            "size": self.size,
            "injected_at": _iso(self.at),
            "seed": self.seed,
            "slo": {
                "target": self.target,
                "threshold_s": self.threshold_s,
                "window_s": self.window_s,
                "rules": self.rules,
            },
            "alarms": table.to_dicts(),
            "alerts": alerts.to_dicts(),
        }


# ------------------------------------------------------------------------------ traffic
def _synthetic(
    start: dt.datetime,
    n_steps: int,
    step_s: float,
    *,
    rate: float,
    median_s: float,
    sigma: float,
    threshold_s: float,
    at: dt.datetime,
    size: float,
    seed: int,
) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    t = start.timestamp() + step_s * np.arange(1, n_steps + 1)  # row T covers (T - step, T]
    mid = np.mod(t - step_s / 2, 86400.0)
    lam = Diurnal(rate, 0.5, period=86400.0, phase=_PEAK_PHASE).rate_at(mid) * step_s
    n = np.maximum(rng.poisson(lam), 1)
    injected = t > at.timestamp()
    scale = median_s * np.where(injected, 1.0 + size, 1.0)
    k = np.ceil(_Q * n).astype(np.int64)
    u = rng.beta(k, n - k + 1)
    p99 = scale * np.exp(sigma * stats.norm.ppf(u))
    p_good = stats.norm.cdf((np.log(threshold_s) - np.log(scale)) / sigma)
    good = rng.binomial(n, p_good)
    return pl.DataFrame(
        {
            "timestamp": (t * 1e6).astype(np.int64),
            "value": p99,
            "good": good.astype(np.float64),
            "total": n.astype(np.float64),
            "injected": injected,
        }
    ).with_columns(pl.col("timestamp").cast(pl.Datetime("us", "UTC")))


def _replay(
    dataset: str | os.PathLike[str],
    *,
    metric: str,
    where: str | None,
    start: dt.datetime,
    end: dt.datetime,
    step_s: float,
    threshold_s: float,
    at: dt.datetime,
    size: float,
) -> pl.DataFrame:
    ds = need_dataset(dataset, workflow=_W)
    bucket = f"{metric.removesuffix('_bucket')}_bucket"
    need_metric(ds, bucket, workflow=_W, parameter="metric")
    matchers = as_matchers(where)
    window = 2 * step_s
    kw = {"where": matchers, "step": step_s, "start": start, "end": end}
    p99 = latency_quantiles(ds.samples(), bucket, q=_Q, window=window, **kw)  # type: ignore[arg-type]
    r = rate(ds.samples(), bucket, window, **kw)  # type: ignore[arg-type]
    if r.height == 0:
        msg = f"{_W}: no samples of {bucket} between {_iso(start)} and {_iso(end)}"
        raise InputError(msg, file=ds.path, field="metric")
    cum = (
        r.group_by("timestamp", "le")
        .agg(pl.col("value").sum() * step_s)
        .with_columns(bound=pl.col("le").cast(pl.Float64, strict=False))
        .filter(pl.col("bound").is_not_null())
        .pivot(on="bound", index="timestamp", values="value", sort_columns=False)
        .sort("timestamp")
    )
    names = {float(col): col for col in cum.columns if col != "timestamp"}
    bounds = np.array(sorted(names))
    c = np.nan_to_num(cum.select([names[b] for b in bounds]).to_numpy())
    t = cum["timestamp"]
    injected = (t > at).to_numpy()
    total = c[:, -1]

    def below(x: float) -> np.ndarray:
        j = int(np.searchsorted(bounds, x))
        if j >= bounds.size or not np.isfinite(bounds[j]):
            return total.copy()
        lo_b = bounds[j - 1] if j > 0 else 0.0
        lo_c = c[:, j - 1] if j > 0 else np.zeros_like(total)
        return lo_c + (c[:, j] - lo_c) * (x - lo_b) / (bounds[j] - lo_b)

    good = np.where(injected, below(threshold_s / (1 + size)), below(threshold_s))
    frame = pl.DataFrame({"timestamp": t, "good": good, "total": total, "injected": injected}).join(
        p99.select("timestamp", "value"), on="timestamp", how="inner"
    )
    frame = frame.with_columns(
        value=pl.when("injected").then(pl.col("value") * (1 + size)).otherwise(pl.col("value"))
    ).filter(pl.col("value").is_finite() & (pl.col("total") > 0))
    return frame.select("timestamp", "value", "good", "total", "injected")


# ----------------------------------------------------------------------------- workflow
def _rules(rules: str, window_s: float) -> list:
    if rules == "workbook":
        return _workbook(window_s)
    if rules == "sloth":
        return sloth_rules(window_s)
    if rules == "pyrra":
        return pyrra_rules(window_s)
    msg = f"{_W}: parameter 'rules' = {rules!r}; expected workbook, sloth or pyrra"
    raise ConfigError(msg)


def _check_number(name: str, value: object, lo: float, hi: float = math.inf) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not lo < value < hi:
        rng = f"> {lo:g}" if hi == math.inf else f"in ({lo:g}, {hi:g})"
        msg = f"{_W}: parameter {name!r} = {value!r} must be a number {rng}"
        raise ConfigError(msg)
    return float(value)


def pip_drill(
    *,
    size: float = 1.0,
    at: str | dt.datetime = "2026-03-05T10:00Z",
    seed: int = 0,
    source: str = "synthetic",
    start: str | dt.datetime = "2026-03-02T00:00Z",
    days: float = 7.0,
    step: str | float = "5m",
    rate: float = 5.0,
    median_s: float = 0.05,
    sigma: float = 0.45,
    threshold_s: float = 0.25,
    target: float = 0.99,
    window: str | float = "30d",
    rules: str = "workbook",
    dataset: str | os.PathLike[str] | None = None,
    metric: str = "http_request_duration_seconds",
    where: str | None = None,
) -> DrillResult:
    """Inject a latency regression at ``at`` and measure who catches it and how fast.

    Parameters
    ----------
    size
        Relative latency increase of every request after ``at`` (1.0 doubles latency).
    at
        When the regression starts (ISO 8601); at least a day after ``start`` (the
        detector's warm-up) and before the end.
    seed
        Seed of the synthetic traffic.
    source
        ``"synthetic"`` or ``"replay"`` (a dataset's histogram, see the module docstring).
    start, days, step
        The drill's time range and resolution.
    rate, median_s, sigma
        Synthetic traffic: mean requests per second (diurnal ±50 %), lognormal latency.
    threshold_s, target, window, rules
        The latency SLO: ``target`` of requests within ``threshold_s`` over ``window``,
        alerted by the ``rules`` family (``workbook``, ``sloth`` or ``pyrra``).
    dataset, metric, where
        For ``source="replay"``: the dataset, its histogram and label matchers.

    Returns
    -------
    DrillResult

    Raises
    ------
    ConfigError
        A parameter out of range or of the wrong type (the message names it).
    InputError
        ``source="replay"`` without a dataset, or one lacking the histogram.
    """
    size = _check_number("size", size, 0.0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        msg = f"{_W}: parameter 'seed' = {seed!r} must be an int >= 0"
        raise ConfigError(msg)
    if source not in ("synthetic", "replay"):
        msg = f"{_W}: parameter 'source' = {source!r}; expected 'synthetic' or 'replay'"
        raise ConfigError(msg)
    t0 = need_time(start, parameter="start", workflow=_W)
    t_at = need_time(at, parameter="at", workflow=_W)
    days = _check_number("days", days, 1.0, 92.0)
    step_s = need_duration(step, parameter="step", workflow=_W)
    window_s = need_duration(window, parameter="window", workflow=_W)
    threshold_s = _check_number("threshold_s", threshold_s, 0.0)
    target = _check_number("target", target, 0.0, 1.0)
    rule_set = _rules(rules, window_s)
    t1 = t0 + dt.timedelta(days=days)
    if not t0 + dt.timedelta(days=1) <= t_at < t1 - dt.timedelta(seconds=step_s):
        msg = (
            f"{_W}: parameter 'at' = {_iso(t_at)} must fall between a day after 'start' "
            f"({_iso(t0 + dt.timedelta(days=1))}, the detector's warm-up) and the end ({_iso(t1)})"
        )
        raise ConfigError(msg)
    n_steps = int(days * 86400 / step_s)
    if n_steps > 200_000:
        msg = f"{_W}: {n_steps} steps of {step_s:g} s; use a coarser 'step' or fewer 'days'"
        raise ConfigError(msg)
    if source == "synthetic":
        rate = _check_number("rate", rate, 0.0)
        median_s = _check_number("median_s", median_s, 0.0)
        sigma = _check_number("sigma", sigma, 0.0)
        frame = _synthetic(
            t0,
            n_steps,
            step_s,
            rate=rate,
            median_s=median_s,
            sigma=sigma,
            threshold_s=threshold_s,
            at=t_at,
            size=size,
            seed=seed,
        )
    else:
        if dataset is None:
            msg = f"{_W}: source='replay' needs parameter 'dataset'"
            raise InputError(msg, field="dataset", expected="a dataset directory")
        frame = _replay(
            dataset,
            metric=metric,
            where=where,
            start=t0,
            end=t1,
            step_s=step_s,
            threshold_s=threshold_s,
            at=t_at,
            size=size,
        )
    return _score(frame, source, size, t_at, seed, target, threshold_s, window_s, rules, rule_set)


def _score(
    frame: pl.DataFrame,
    source: str,
    size: float,
    at: dt.datetime,
    seed: int,
    target: float,
    threshold_s: float,
    window_s: float,
    rules: str,
    rule_set: list,
) -> DrillResult:
    ts = frame["timestamp"]
    det = OnlineDetector().fit(frame["value"].to_numpy(), ts)
    frame = frame.with_columns(anomaly=pl.Series(det.is_anomaly_), score=pl.Series(det.scores_))
    series = frame.select("timestamp", "value", "anomaly", "score", "good", "total", "injected")
    flags = series.filter(pl.col("anomaly"))["timestamp"]
    after = flags.filter(flags >= at)
    first = as_datetime(after.min())  # None when nothing fired after the injection
    rows: list[dict[str, Any]] = [
        {
            "alarm": "online detector",
            "kind": "anomaly",
            "caught": after.len() > 0,
            "first_alert": first,
            "delay_s": (first - at).total_seconds() if first is not None else None,
            "false_alarms": int((flags < at).sum()),
        }
    ]
    sli = series.select("timestamp", "good", "total")
    incidents = pl.DataFrame(
        {"timestamp": [at], "end": [None]},
        schema={"timestamp": pl.Datetime("us", "UTC"), "end": pl.Datetime("us", "UTC")},
    )
    bt = backtest(sli, target, rule_set, incidents=incidents)
    for r in rule_set:
        a = bt.alerts.filter(pl.col("rule") == r.name)
        # an alert already firing before the injection is a false alarm, not a detection
        later = a.filter(pl.col("start") >= at)
        first = as_datetime(later["start"].min())
        rows.append(
            {
                "alarm": f"burn-rate {r.name}",
                "kind": "burn-rate",
                "caught": later.height > 0,
                "first_alert": first,
                "delay_s": (first - at).total_seconds() if first is not None else None,
                "false_alarms": int((a["start"] < at).sum()),
            }
        )
    table = pl.DataFrame(
        rows,
        schema={
            "alarm": pl.String,
            "kind": pl.String,
            "caught": pl.Boolean,
            "first_alert": pl.Datetime("us", "UTC"),
            "delay_s": pl.Float64,
            "false_alarms": pl.Int64,
        },
    )
    fastest = min((r.long_window_s for r in rule_set), default=3600.0)
    bd = budget_series(sli, target, window_s).join(
        burn_rates(sli, target, [fastest]).rename({f"burn_{fastest:g}": "burn_rate"}),
        on="timestamp",
    )
    alerts = bt.alerts.select("start", "end", pl.col("rule").alias("name"), "severity")
    return DrillResult(
        source=source,
        size=size,
        at=at,
        seed=seed,
        target=target,
        threshold_s=threshold_s,
        window_s=window_s,
        rules=rules,
        series=series,
        burn_down=bd.select("timestamp", "remaining", "burn_rate"),
        alerts=alerts,
        table=table,
    )


def drill_sweep(sizes: Sequence[float], **kwargs: Any) -> pl.DataFrame:
    """Run :func:`pip_drill` for each size (same seed and settings): who catches what, how fast.

    Returns
    -------
    polars.DataFrame
        ``size, alarm, caught, delay_s, false_alarms``, one row per size and alarm.

    Examples
    --------
    >>> t = drill_sweep([0.05, 2.0], seed=3)
    >>> t.filter(t["alarm"] == "online detector")["caught"].to_list()
    [False, True]
    """
    if isinstance(sizes, str) or not len(sizes):
        msg = f"{_W}: parameter 'sizes' must be a non-empty list of numbers, got {sizes!r}"
        raise ConfigError(msg)
    frames = [
        pip_drill(size=s, **kwargs)
        .table.select("alarm", "caught", "delay_s", "false_alarms")
        .with_columns(size=pl.lit(float(s)))
        for s in sizes
    ]
    return pl.concat(frames).select("size", "alarm", "caught", "delay_s", "false_alarms")
