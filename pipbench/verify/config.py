"""Canary configs (pipbench TOML or Kayenta canary-config JSON) run over a dataset.

A pipbench canary TOML::

    [canary]
    judge = "pipbench"          # or "kayenta"
    alpha = 0.05
    correction = "holm"         # "holm" | "bh" | "none"
    pass_threshold = 95
    marginal_threshold = 75
    group_weights = { latency = 60, errors = 40 }

    [[metrics]]
    name = "p99 latency"
    table = "events"            # events → duration_s (or `column`); samples → `value`
    where = { name = "GET /api" }
    quantile = 0.99
    direction = "increase"
    tolerance = 0.05
    group = "latency"
    critical = true

    [[metrics]]
    name = "errors"
    table = "events"
    errors = true               # per-interval error counts over request counts
    interval = "1m"
    group = "errors"

    [[metrics]]
    name = "cpu"
    table = "samples"
    metric = "process_cpu_seconds_rate"

The baseline and canary are selected with selectors such as ``version=2.4.0`` (comma
separated for several labels), applied on top of each metric's ``where``.

Kayenta canary-config JSON (``metrics[].analysisConfigurations.canary``,
``classifier.groupWeights``) is read too; each metric's ``query.metricName`` (or its
``name``) selects the ``samples`` metric.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "c.toml"
>>> _ = p.write_text('[[metrics]]\\nname = "latency"\\ntable = "events"\\n')
>>> cfg = load_canary_config(p)
>>> cfg.judge, cfg.metrics[0].spec.name, cfg.metrics[0].table
('pipbench', 'latency', 'events')
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import polars as pl

from pipbench.dataset import Dataset
from pipbench.errors import ConfigError, InputError
from pipbench.verify.judge import CanaryJudgement, MetricSpec, judge_canary
from pipbench.verify.kayenta import KayentaMetric, KayentaResult, kayenta_judge

__all__ = ["CanaryConfig", "MetricQuery", "load_canary_config", "parse_selector", "run_canary"]


@dataclass(frozen=True)
class MetricQuery:
    """One metric of a canary config: what to select from the dataset, and how to judge it."""

    spec: MetricSpec
    table: Literal["events", "samples"] = "samples"
    metric: str | None = None
    column: str | None = None
    where: Mapping[str, str] = field(default_factory=dict)
    errors: bool = False
    interval: str = "1m"
    kayenta: KayentaMetric | None = None


@dataclass(frozen=True)
class CanaryConfig:
    """A parsed canary config."""

    metrics: tuple[MetricQuery, ...]
    judge: Literal["pipbench", "kayenta"] = "pipbench"
    alpha: float = 0.05
    correction: Literal["holm", "bh", "none"] = "holm"
    pass_threshold: float = 95.0
    marginal_threshold: float = 75.0
    group_weights: Mapping[str, float] = field(default_factory=dict)
    name: str = ""


def parse_selector(selector: str) -> dict[str, str]:
    """``"version=2.4.0,region=eu"`` → ``{"version": "2.4.0", "region": "eu"}``.

    Examples
    --------
    >>> parse_selector("version=2.4.0")
    {'version': '2.4.0'}
    """
    out: dict[str, str] = {}
    for part in selector.split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            msg = f"selector {selector!r}: {part!r} is not label=value"
            raise ConfigError(msg)
        out[key.strip()] = value.strip()
    if not out:
        msg = f"selector {selector!r} is empty; expected label=value, e.g. version=2.4.0"
        raise ConfigError(msg)
    return out


_SPEC_KEYS = {f.name for f in fields(MetricSpec)}
_QUERY_KEYS = {"table", "metric", "column", "where", "errors", "interval"}


def _metric_from_toml(raw: Mapping[str, Any], file: Path, i: int) -> MetricQuery:
    unknown = set(raw) - _SPEC_KEYS - _QUERY_KEYS
    if unknown:
        msg = f"metrics[{i}] has unknown keys {sorted(unknown)}"
        raise InputError(msg, file=file, expected=f"keys from {sorted(_SPEC_KEYS | _QUERY_KEYS)}")
    if "name" not in raw:
        msg = f"metrics[{i}] has no name"
        raise InputError(msg, file=file, field="name")
    spec = MetricSpec(**{k: v for k, v in raw.items() if k in _SPEC_KEYS})
    table = raw.get("table", "samples")
    if table not in ("events", "samples"):
        msg = f"metrics[{i}].table={table!r}"
        raise InputError(msg, file=file, field="table", expected="'events' or 'samples'")
    errors = bool(raw.get("errors", False))
    if errors and spec.kind == "auto":
        spec = replace(spec, kind="count")
    elif (
        table == "events"
        and raw.get("column", "duration_s") == "duration_s"
        and spec.kind == "auto"
    ):
        spec = replace(spec, kind="latency")  # durations: a negative one is bad input
    return MetricQuery(
        spec=spec,
        table=table,
        metric=raw.get("metric"),
        column=raw.get("column"),
        where={str(k): str(v) for k, v in dict(raw.get("where", {})).items()},
        errors=errors,
        interval=str(raw.get("interval", "1m")),
    )


def _kayenta_metric(raw: Mapping[str, Any]) -> MetricQuery:
    canary = dict(raw.get("analysisConfigurations", {}).get("canary", {}))
    eff = dict(canary.get("effectSize", {}))
    out = dict(canary.get("outliers", {}))
    name = str(raw["name"])
    km = KayentaMetric(
        name=name,
        groups=tuple(raw.get("groups", ())),
        direction=canary.get("direction", "either"),
        nan_strategy=canary.get("nanStrategy", "remove"),
        critical=bool(canary.get("critical", False)),
        must_have_data=bool(canary.get("mustHaveData", False)),
        muted=bool(canary.get("muted", False)),
        outlier_strategy=out.get("strategy", "keep"),
        outlier_factor=float(out.get("outlierFactor", 3.0)),
        effect_measure=eff.get("measure", "meanRatio"),
        allowed_increase=float(eff.get("allowedIncrease", 1.0)),
        allowed_decrease=float(eff.get("allowedDecrease", 1.0)),
        critical_increase=float(eff.get("criticalIncrease", 1.0)),
        critical_decrease=float(eff.get("criticalDecrease", 1.0)),
    )
    query = dict(raw.get("query", {}))
    direction = km.direction
    spec = MetricSpec(
        name=name,
        direction=direction,
        critical=km.critical,
        group=km.groups[0] if km.groups else "default",
    )
    return MetricQuery(
        spec=spec,
        table="samples",
        metric=str(query.get("metricName") or name),
        kayenta=km,
    )


def load_canary_config(path: str | Path) -> CanaryConfig:
    """Read a canary config: ``.toml`` (pipbench) or ``.json`` (Kayenta canary config)."""
    p = Path(path)
    try:
        text = p.read_text()
    except OSError as err:
        msg = f"cannot read the canary config: {err.strerror}"
        raise InputError(msg, file=p) from None
    if p.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as err:
            msg = f"not valid JSON: {err.msg}"
            raise InputError(msg, file=p, line=err.lineno) from None
        if "metrics" not in doc:
            msg = "no 'metrics' list"
            raise InputError(msg, file=p, expected="a Kayenta canary config")
        weights = dict(doc.get("classifier", {}).get("groupWeights", {}) or {})
        return CanaryConfig(
            metrics=tuple(_kayenta_metric(m) for m in doc["metrics"]),
            judge="kayenta",
            group_weights={k: float(v) for k, v in weights.items()},
            name=str(doc.get("name", "")),
        )
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        msg = f"not valid TOML: {err}"
        raise InputError(msg, file=p) from None
    head = dict(doc.get("canary", {}))
    metrics = doc.get("metrics", [])
    if not metrics:
        msg = "no [[metrics]] tables"
        raise InputError(msg, file=p, expected="at least one [[metrics]] entry")
    queries = tuple(_metric_from_toml(m, p, i) for i, m in enumerate(metrics))
    judge = head.get("judge", "pipbench")
    if judge not in ("pipbench", "kayenta"):
        msg = f"canary.judge={judge!r}"
        raise InputError(msg, file=p, field="judge", expected="'pipbench' or 'kayenta'")
    if judge == "kayenta":
        queries = tuple(
            MetricQuery(
                **{
                    **q.__dict__,
                    "kayenta": KayentaMetric(
                        name=q.spec.name,
                        groups=(q.spec.group,),
                        direction=q.spec.direction,
                        critical=q.spec.critical,
                    ),
                }
            )
            for q in queries
        )
    return CanaryConfig(
        metrics=queries,
        judge=judge,
        alpha=float(head.get("alpha", 0.05)),
        correction=head.get("correction", "holm"),
        pass_threshold=float(head.get("pass_threshold", 95.0)),
        marginal_threshold=float(head.get("marginal_threshold", 75.0)),
        group_weights={k: float(v) for k, v in dict(head.get("group_weights", {})).items()},
        name=str(head.get("name", "")),
    )


def _filter(frame: pl.LazyFrame, labels: Mapping[str, str]) -> pl.LazyFrame:
    names = frame.collect_schema().names()
    for key, value in labels.items():
        if key not in names:
            msg = f"no label {key!r} in the dataset"
            raise InputError(msg, field=key, expected=f"one of {sorted(names)}")
        frame = frame.filter(pl.col(key) == value)
    return frame


def select_series(
    dataset: Dataset, query: MetricQuery, selector: Mapping[str, str]
) -> tuple[np.ndarray, ...]:
    """Values (or counts and exposures) of one metric for one selector, in time order."""
    labels = {**query.where, **selector}
    if query.table == "events":
        frame = _filter(dataset.events(), labels).sort("timestamp")
        if query.errors:
            agg = (
                frame.group_by_dynamic("timestamp", every=query.interval)
                .agg(
                    (~pl.col("ok").fill_null(True)).sum().cast(pl.Float64).alias("errors"),
                    pl.len().cast(pl.Float64).alias("requests"),
                )
                .collect()
            )
            return agg["errors"].to_numpy(), agg["requests"].to_numpy()
        col = query.column or "duration_s"
        return (frame.select(pl.col(col).cast(pl.Float64)).collect().to_series().to_numpy(),)
    frame = dataset.samples()
    if query.metric is not None:
        frame = frame.filter(pl.col("metric") == query.metric)
    frame = _filter(frame, labels).sort("timestamp")
    col = query.column or "value"
    return (frame.select(pl.col(col).cast(pl.Float64)).collect().to_series().to_numpy(),)


def run_canary(
    dataset: Dataset,
    config: CanaryConfig,
    baseline: str | Mapping[str, str],
    canary: str | Mapping[str, str],
) -> CanaryJudgement | KayentaResult:
    """Select every metric of ``config`` for both selectors and judge the canary."""
    sel_b = parse_selector(baseline) if isinstance(baseline, str) else dict(baseline)
    sel_c = parse_selector(canary) if isinstance(canary, str) else dict(canary)
    data: dict[str, tuple[Any, ...]] = {}
    for q in config.metrics:
        b = select_series(dataset, q, sel_b)
        c = select_series(dataset, q, sel_c)
        if q.errors:
            data[q.spec.name] = (b[0], c[0], b[1], c[1])
        else:
            data[q.spec.name] = (b[0], c[0])
    if config.judge == "kayenta":
        kms = [q.kayenta or KayentaMetric(q.spec.name) for q in config.metrics]
        return kayenta_judge(
            {k: (v[0], v[1]) for k, v in data.items()},
            kms,
            group_weights=config.group_weights,
            pass_threshold=config.pass_threshold,
            marginal_threshold=config.marginal_threshold,
        )
    return judge_canary(
        data,
        [q.spec for q in config.metrics],
        alpha=config.alpha,
        correction=config.correction,
        pass_threshold=config.pass_threshold,
        marginal_threshold=config.marginal_threshold,
        group_weights=config.group_weights,
    )
