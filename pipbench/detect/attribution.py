"""Match change points to deploy / flag / incident annotations and rank the suspects.

A suspect's score is the product of three weights, each in (0, 1]:

* **time**: ``exp(-lag / window)`` for an annotation ``lag`` seconds before the change;
  an annotation after the change (``lead`` tolerance, detection times are fuzzy) gets half
  that; an interval annotation (``end`` set) that contains the change has lag 0;
* **kind**: causes before consequences (deploy 1.0, flag and config 0.9, scale 0.6, other
  0.5, incident 0.3: an incident usually reports the regression rather than causes it);
* **labels**: when the regressed series' labels are given, an annotation on another
  service/endpoint scores 0.3, one on the same labels 1.0, one without labels 0.7.

Examples
--------
>>> import polars as pl
>>> from datetime import datetime, timezone
>>> from pipbench.detect.changepoint import ChangePoint
>>> t = datetime(2026, 1, 1, 12, tzinfo=timezone.utc).timestamp()
>>> cp = ChangePoint(100, t, 1.0, 1.4, 0.4, 0.01, "e-divisive")
>>> ann = pl.DataFrame({"timestamp": [t - 120, t - 3000], "kind": ["deploy", "flag"],
...                     "text": ["checkout 2.4.0", "new-cart on"]})
>>> attribute([cp], ann, window=3600)["text"].to_list()
['checkout 2.4.0', 'new-cart on']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import polars as pl

from pipbench.detect.changepoint import ChangePoint
from pipbench.errors import ConfigError, InputError

__all__ = ["KIND_WEIGHTS", "attribute"]

KIND_WEIGHTS: dict[str, float] = {
    "deploy": 1.0,
    "rollout": 1.0,
    "release": 1.0,
    "flag": 0.9,
    "config": 0.9,
    "scale": 0.6,
    "incident": 0.3,
}
"""Default weight of an annotation kind; kinds not listed weigh 0.5."""

_NOT_LABELS = {"timestamp", "end", "kind", "text", "source"}


def _epoch(col: pl.Series) -> np.ndarray:
    if col.dtype.is_temporal():
        return col.cast(pl.Datetime("us")).dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    return col.cast(pl.Float64).to_numpy()


def attribute(
    change_points: Sequence[ChangePoint],
    annotations: pl.DataFrame | pl.LazyFrame,
    *,
    window: float = 3600.0,
    lead: float | None = None,
    labels: Mapping[str, str] | None = None,
    kind_weights: Mapping[str, float] | None = None,
    top: int | None = 5,
) -> pl.DataFrame:
    """Rank the annotations that could explain each change point.

    Parameters
    ----------
    change_points
        Change points with ``time`` set (epoch seconds).
    annotations
        The dataset's ``annotations`` table (``timestamp``, ``kind``, ``text``, optional
        ``end`` and label columns).
    window
        Seconds before a change in which an annotation is a suspect.
    lead
        Seconds after a change still considered (default ``window / 4``).
    labels
        Labels of the regressed series (e.g. ``{"service": "checkout"}``).
    kind_weights
        Overrides of :data:`KIND_WEIGHTS`.
    top
        Keep the best ``top`` suspects per change point (None keeps all).

    Returns
    -------
    polars.DataFrame
        One row per (change point, suspect): ``change_index``, ``change_time``,
        ``annotation_time``, ``kind``, ``text``, ``lag_s`` (positive = before the change),
        ``score``, ``rank`` (1 = prime suspect), sorted by change then rank.
    """
    if not window > 0:
        msg = f"window={window!r} must be a positive number of seconds"
        raise ConfigError(msg)
    lead = window / 4 if lead is None else lead
    ann = annotations.collect() if isinstance(annotations, pl.LazyFrame) else annotations
    missing = {"timestamp", "kind"} - set(ann.columns)
    if missing:
        msg = f"annotations lack column(s) {sorted(missing)}"
        raise InputError(msg, field=sorted(missing)[0], expected="timestamp, kind, text columns")
    weights = dict(KIND_WEIGHTS)
    weights.update(kind_weights or {})
    at = _epoch(ann["timestamp"])
    end = _epoch(ann["end"]) if "end" in ann.columns else np.full(at.size, np.nan)
    kinds = ann["kind"].cast(pl.String).fill_null("").to_list()
    texts = (
        ann["text"].cast(pl.String).fill_null("").to_list()
        if "text" in ann.columns
        else [""] * at.size
    )
    w_kind = np.array([weights.get(k.lower(), 0.5) for k in kinds])
    w_label = np.ones(at.size)
    if labels:
        lab_cols = [c for c in ann.columns if c not in _NOT_LABELS and c in labels]
        w_label = np.full(at.size, 0.7)
        for c in lab_cols:
            vals = ann[c].cast(pl.String).to_numpy()
            present = np.array([v is not None for v in vals])
            same = np.array([v == labels[c] for v in vals])
            w_label = np.where(present & same, np.maximum(w_label, 1.0), w_label)
            w_label = np.where(present & ~same, 0.3, w_label)
    rows = []
    for cp in change_points:
        if cp.time is None:
            msg = "change points need times to be attributed; pass timestamps to the detector"
            raise ConfigError(msg)
        lag = cp.time - at
        inside = np.isfinite(end) & (at <= cp.time) & (cp.time <= end)
        lag = np.where(inside, 0.0, lag)
        ok = ((lag >= 0) & (lag <= window)) | ((lag < 0) & (-lag <= lead))
        w_time = np.where(
            lag >= 0, np.exp(-np.maximum(lag, 0) / window), 0.5 * np.exp(lag / window)
        )
        score = w_time * w_kind * w_label
        idx = np.flatnonzero(ok)
        idx = idx[np.argsort(-score[idx], kind="stable")]
        if top is not None:
            idx = idx[:top]
        for r, i in enumerate(idx, start=1):
            rows.append(
                {
                    "change_index": cp.index,
                    "change_time": cp.time,
                    "annotation_time": float(at[i]),
                    "kind": kinds[i],
                    "text": texts[i],
                    "lag_s": float(lag[i]),
                    "score": float(score[i]),
                    "rank": r,
                }
            )
    schema = {
        "change_index": pl.Int64,
        "change_time": pl.Float64,
        "annotation_time": pl.Float64,
        "kind": pl.String,
        "text": pl.String,
        "lag_s": pl.Float64,
        "score": pl.Float64,
        "rank": pl.Int64,
    }
    return pl.DataFrame(rows, schema=schema)
