"""Drill-down: which label values carry a regression, and how much of it.

Given a regressed SLI (a latency quantile, the mean, the error rate) and the time of the
change, every label value (``endpoint=/api/checkout``) and every pair of values from two
dimensions (``endpoint=/api/checkout, version=2.4.0``) is scored by a counterfactual: put
that segment's after-change behaviour back to what it was before (its after values are
mapped, rank for rank, onto its own before distribution; a segment that did not exist
before is mapped onto the whole before population) and recompute the SLI. The share of
the change that disappears is what the segment *explains*; with its share of traffic, a
PIP can say "94 % of the p99 increase is /api/checkout on version 2.4.0 (31 % of traffic)".

For the mean and the error rate the counterfactual is exact and additive (segment
contributions of disjoint values of one dimension sum to the change less the mix effect);
for quantiles it is the natural generalisation.

Examples
--------
>>> import numpy as np, polars as pl
>>> rng = np.random.default_rng(0)
>>> n = 4000
>>> ep = rng.choice(["/api/cart", "/api/checkout", "/api/search"], n)
>>> after = np.arange(n) >= n // 2
>>> dur = rng.lognormal(-3, 0.3, n) * np.where(after & (ep == "/api/checkout"), 4.0, 1.0)
>>> ev = pl.DataFrame({"timestamp": np.arange(n) * 1.0, "duration_s": dur, "endpoint": ep})
>>> d = drilldown(ev, at=float(n // 2), statistic="p99")
>>> row = d.table.row(0, named=True)
>>> row["segment"], row["explained"] > 0.9
('endpoint=/api/checkout', True)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
import polars as pl

from pipbench.errors import ConfigError, InputError

__all__ = ["Drilldown", "drilldown", "drilldown_samples"]

_NOT_DIMS = {"timestamp", "duration_s", "value", "ok", "source", "metric", "end", "le", "quantile"}


@dataclass(frozen=True)
class Drilldown:
    """The result of :func:`drilldown`: overall change plus the ranked segments."""

    statistic: str
    before: float
    after: float
    n_before: int
    n_after: int
    table: pl.DataFrame
    """One row per segment: ``segment``, ``dimensions``, ``stat_before``, ``stat_after``,
    ``share_before``, ``share_after``, ``counterfactual``, ``explained``; best first."""

    @property
    def change(self) -> float:
        return self.after - self.before

    def headline(self) -> str:
        """One plain sentence about the top segment."""
        if self.table.height == 0 or self.change == 0:
            return f"{self.statistic} did not change ({self.before:.4g} -> {self.after:.4g})"
        r = self.table.row(0, named=True)
        word = "increase" if self.change > 0 else "decrease"
        seg = r["segment"].replace(", ", " on ")
        return (
            f"{100 * min(max(r['explained'], 0.0), 1.0):.0f} % of the {self.statistic} {word} "
            f"({self.before:.4g} -> {self.after:.4g}) is {seg} "
            f"({100 * r['share_after']:.0f} % of traffic after the change)"
        )


def _stat_fn(statistic: str) -> tuple[str, float | None]:
    s = statistic.lower()
    if s in ("mean", "error_rate"):
        return s, None
    m = re.fullmatch(r"p(\d+(?:\.\d+)?)", s)
    if m and 0 < float(m.group(1)) < 100:
        return "quantile", float(m.group(1)) / 100
    msg = f"statistic={statistic!r}; expected 'mean', 'error_rate' or a quantile like 'p99' or 'p99.9'"
    raise ConfigError(msg)


def _compute(kind: str, q: float | None, x: np.ndarray) -> float:
    if x.size == 0:
        return float("nan")
    if kind == "quantile" and q is not None:
        return float(np.quantile(x, q))
    return float(np.mean(x))


def _revert(after_seg: np.ndarray, before_ref: np.ndarray) -> np.ndarray:
    """Map after values rank for rank onto the before distribution (quantile mapping)."""
    if after_seg.size == 0 or before_ref.size == 0:
        return after_seg
    ranks = (np.argsort(np.argsort(after_seg, kind="stable"), kind="stable") + 0.5) / after_seg.size
    return np.quantile(before_ref, ranks)


def _labels(col: pl.Series) -> np.ndarray:
    """Label values as a string array, missing values as "(none)"."""
    if col.dtype == pl.Object:
        return np.array(["(none)" if v is None else str(v) for v in col.to_list()])
    return col.cast(pl.String).fill_null("(none)").to_numpy()


def _core(
    statistic: str,
    xb: np.ndarray,
    xa: np.ndarray,
    lb: pl.DataFrame,
    la: pl.DataFrame,
    dims: Sequence[str],
    max_depth: int,
    min_share: float,
    top_pairs: int,
) -> Drilldown:
    kind, q = _stat_fn(statistic)
    before, after = _compute(kind, q, xb), _compute(kind, q, xa)
    change = after - before
    rows: list[dict[str, object]] = []

    def score(name: str, dimset: str, mb: np.ndarray, ma: np.ndarray) -> None:
        share_a = float(ma.mean()) if ma.size else 0.0
        if share_a < min_share or ma.sum() == 0 or ma.all():
            return  # too small, or the whole population (explains everything, says nothing)
        seg_b, seg_a = xb[mb], xa[ma]
        ref = seg_b if seg_b.size >= 5 else xb
        cf = xa.copy()
        if kind == "quantile":
            cf[ma] = _revert(seg_a, ref)
        else:
            cf[ma] = seg_a - seg_a.mean() + ref.mean()
        cf_stat = _compute(kind, q, cf)
        explained = (after - cf_stat) / change if change != 0 else 0.0
        rows.append(
            {
                "segment": name,
                "dimensions": dimset,
                "stat_before": _compute(kind, q, seg_b) if seg_b.size else None,
                "stat_after": _compute(kind, q, seg_a),
                "share_before": float(mb.mean()) if mb.size else 0.0,
                "share_after": share_a,
                "counterfactual": cf_stat,
                "explained": float(explained),
            }
        )

    singles: list[tuple[float, str, str, np.ndarray, np.ndarray]] = []
    for d in dims:
        vb = _labels(lb[d])
        va = _labels(la[d])
        for v in np.unique(va):
            mb, ma = vb == v, va == v
            n0 = len(rows)
            score(f"{d}={v}", d, mb, ma)
            if len(rows) > n0:
                singles.append((float(rows[-1]["explained"]), d, str(v), mb, ma))  # type: ignore[arg-type]
    if max_depth >= 2:
        singles.sort(key=lambda s: -s[0])
        best = singles[:top_pairs]
        for (_, d1, v1, mb1, ma1), (_, d2, v2, mb2, ma2) in combinations(best, 2):
            if d1 == d2:
                continue
            (d1, v1, mb1, ma1), (d2, v2, mb2, ma2) = sorted(
                [(d1, v1, mb1, ma1), (d2, v2, mb2, ma2)], key=lambda s: s[0]
            )
            score(f"{d1}={v1}, {d2}={v2}", f"{d1},{d2}", mb1 & mb2, ma1 & ma2)
    schema = {
        "segment": pl.String,
        "dimensions": pl.String,
        "stat_before": pl.Float64,
        "stat_after": pl.Float64,
        "share_before": pl.Float64,
        "share_after": pl.Float64,
        "counterfactual": pl.Float64,
        "explained": pl.Float64,
    }
    table = pl.DataFrame(rows, schema=schema)
    if table.height:
        # rank by explained, then prefer the smaller (more specific) segment at equal explanation
        table = (
            table.with_columns(
                (pl.col("explained").round(2) - 0.1 * pl.col("share_after")).alias("_key")
            )
            .sort("_key", descending=True)
            .drop("_key")
        )
    return Drilldown(statistic, before, after, int(xb.size), int(xa.size), table)


def _epoch_expr(col: str, dtype: pl.DataType) -> pl.Expr:
    if dtype.is_temporal():
        return pl.col(col).cast(pl.Datetime("us")).dt.epoch("us").cast(pl.Float64) / 1e6
    return pl.col(col).cast(pl.Float64)


def _windows(
    frame: pl.DataFrame | pl.LazyFrame, at: object, before: float | None, after: float | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    lf = frame.lazy() if isinstance(frame, pl.DataFrame) else frame
    schema = lf.collect_schema()
    if "timestamp" not in schema:
        msg = "the table has no timestamp column"
        raise InputError(msg, field="timestamp", expected="a timestamp column")
    from pipbench.detect._series import to_epoch_seconds

    t = float(to_epoch_seconds(np.array([at]))[0]) if not isinstance(at, int | float) else float(at)
    lf = lf.with_columns(_epoch_expr("timestamp", schema["timestamp"]).alias("_t"))
    lo = -np.inf if before is None else t - before
    hi = np.inf if after is None else t + after
    b = lf.filter((pl.col("_t") >= lo) & (pl.col("_t") < t)).collect()
    a = lf.filter((pl.col("_t") >= t) & (pl.col("_t") < hi)).collect()
    if b.height == 0 or a.height == 0:
        msg = f"no rows {'before' if b.height == 0 else 'after'} the change at {t:.0f} within the window"
        raise InputError(msg, field="timestamp", expected="rows on both sides of the change")
    return b, a


def _dims(frame: pl.DataFrame, dimensions: Sequence[str] | None) -> list[str]:
    if dimensions is None:
        return [
            c
            for c, dt in frame.schema.items()
            if c not in _NOT_DIMS
            and not c.startswith("_")
            and dt in (pl.String, pl.Categorical, pl.Enum)
            and frame[c].n_unique() > 1
        ]
    missing = [d for d in dimensions if d not in frame.columns]
    if missing:
        msg = f"no column(s) {missing}; available: {sorted(frame.columns)}"
        raise InputError(msg, field=missing[0], expected="label columns of the table")
    return list(dimensions)


def drilldown(
    events: pl.DataFrame | pl.LazyFrame,
    *,
    at: object,
    statistic: str = "p99",
    before: float | None = 3600.0,
    after: float | None = 3600.0,
    dimensions: Sequence[str] | None = None,
    max_depth: int = 2,
    min_share: float = 0.005,
    top_pairs: int = 8,
) -> Drilldown:
    """Rank label values of the ``events`` table by how much of an SLI change they explain.

    Parameters
    ----------
    events
        ``timestamp``, ``duration_s`` (and ``ok`` for ``error_rate``) plus label columns.
    at
        Time of the change (datetime or epoch seconds).
    statistic
        ``"p99"`` (any ``pNN``), ``"mean"`` or ``"error_rate"``.
    before, after
        Window lengths in seconds on each side of ``at`` (None: everything).
    dimensions
        Label columns to consider (default: every string column but ``source``).
    max_depth
        1 for single values, 2 to also score pairs of values from two dimensions.
    min_share
        Segments with less after-change traffic are skipped.
    top_pairs
        Pairs are formed among this many best single values.
    """
    b, a = _windows(events, at, before, after)
    kind, _ = _stat_fn(statistic)
    col = "ok" if kind == "error_rate" else "duration_s"
    if col not in b.columns:
        msg = f"events have no {col!r} column"
        raise InputError(msg, field=col, expected=f"a {col} column for statistic {statistic!r}")
    if kind == "error_rate":
        xb = 1.0 - b[col].cast(pl.Float64).fill_null(1.0).to_numpy()
        xa = 1.0 - a[col].cast(pl.Float64).fill_null(1.0).to_numpy()
    else:
        xb = b[col].cast(pl.Float64).to_numpy()
        xa = a[col].cast(pl.Float64).to_numpy()
        kb, ka = np.isfinite(xb), np.isfinite(xa)
        b, a, xb, xa = b.filter(pl.Series(kb)), a.filter(pl.Series(ka)), xb[kb], xa[ka]
    dims = _dims(a, dimensions)
    return _core(statistic, xb, xa, b, a, dims, max_depth, min_share, top_pairs)


def drilldown_samples(
    samples: pl.DataFrame | pl.LazyFrame,
    *,
    metric: str,
    at: object,
    statistic: str = "mean",
    before: float | None = 3600.0,
    after: float | None = 3600.0,
    dimensions: Sequence[str] | None = None,
    max_depth: int = 2,
) -> Drilldown:
    """The same drill-down on the ``samples`` table for one gauge-like ``metric``.

    Each sample counts once, so "share" is the share of samples (of series x time), not of
    requests. Use it on gauges or on rates already computed from counters.
    """
    lf = samples.lazy() if isinstance(samples, pl.DataFrame) else samples
    lf = lf.filter(pl.col("metric") == metric)
    b, a = _windows(lf, at, before, after)
    dims = [d for d in _dims(a, dimensions) if a[d].null_count() < a.height]
    return _core(
        statistic,
        b["value"].to_numpy(),
        a["value"].to_numpy(),
        b,
        a,
        dims,
        max_depth,
        0.0,
        8,
    )
