"""Shared helpers: input checks, time ordering, sampling step and period, tail scores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import log_ndtr

from pipbench.errors import InputError

__all__ = ["Prepared", "infer_period", "prepare", "tail_score"]

_LN10 = np.log(10.0)
DAY_S = 86400.0


@dataclass(frozen=True)
class Prepared:
    """A series in time order: ``order`` maps sorted position -> input position."""

    values: np.ndarray
    timestamps: np.ndarray | None
    order: np.ndarray


def as_float_array(values: object, name: str = "values") -> np.ndarray:
    """A 1-D float64 copy of ``values`` or an :class:`InputError` naming ``name``."""
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as err:
        msg = f"{name} must be numbers: {err}"
        raise InputError(msg, field=name, expected="a 1-D array of floats") from None
    if arr.ndim != 1:
        msg = f"{name} has shape {arr.shape}"
        raise InputError(msg, field=name, expected="a 1-D array")
    return arr


def to_epoch_seconds(timestamps: object) -> np.ndarray:
    """Epoch seconds (float64) from datetimes (naive = UTC), numpy datetime64, strings or numbers."""
    import polars as pl

    if isinstance(timestamps, pl.Series):
        if timestamps.dtype.is_temporal():
            return timestamps.dt.epoch("us").to_numpy().astype(np.float64) / 1e6
        timestamps = timestamps.to_numpy()
    arr = np.asarray(timestamps)
    if np.issubdtype(arr.dtype, np.datetime64):
        return arr.astype("datetime64[us]").astype(np.int64).astype(np.float64) / 1e6
    if arr.dtype != object and not np.issubdtype(arr.dtype, np.str_):
        try:
            return arr.astype(np.float64)
        except (TypeError, ValueError):
            pass
    try:
        from pipbench.ingest.normalize import parse_timestamps

        series = pl.Series("timestamp", arr.reshape(-1).tolist())
        parsed = parse_timestamps(series, field="timestamp")
        return parsed.dt.epoch("us").to_numpy().astype(np.float64).reshape(arr.shape) / 1e6
    except Exception:
        msg = "timestamps are neither datetimes nor numbers"
        raise InputError(msg, field="timestamps", expected="datetimes or epoch seconds") from None


def prepare(values: object, timestamps: object | None = None) -> Prepared:
    """Check a series and put it in time order (stable, so duplicates keep input order)."""
    y = as_float_array(values)
    if timestamps is None:
        return Prepared(y, None, np.arange(y.size))
    ts = to_epoch_seconds(timestamps)
    if ts.shape != y.shape:
        msg = f"timestamps have {ts.size} entries but values have {y.size}"
        raise InputError(msg, field="timestamps", expected="one timestamp per value")
    order = np.argsort(ts, kind="stable")
    return Prepared(y[order], ts[order], order)


def median_step(ts: np.ndarray | None) -> float | None:
    """The median positive sampling interval in seconds (None when it cannot be told)."""
    if ts is None or ts.size < 3:
        return None
    d = np.diff(ts)
    d = d[np.isfinite(d) & (d > 0)]
    if d.size == 0:
        return None
    return float(np.median(d))


def infer_period(ts: np.ndarray | None, *, horizon_s: float = DAY_S) -> int | None:
    """Points per day from the sampling interval, when the day holds 4..2880 points."""
    step = median_step(ts)
    if step is None:
        return None
    p = horizon_s / step
    if 4 <= p <= 2880:
        return round(p)
    return None


def phase_index(
    ts: np.ndarray | None, period: int, n: int, *, horizon_s: float = DAY_S
) -> np.ndarray:
    """Phase (0..period-1) of each point: time of day when timestamps are known, else i mod period."""
    if ts is None:
        return np.arange(n) % period
    frac = np.mod(np.nan_to_num(ts, nan=0.0), horizon_s) / horizon_s  # no time: phase 0
    return np.clip((frac * period).astype(np.int64), 0, period - 1)


def tail_score(z: np.ndarray, *, decades: float = 10.0) -> np.ndarray:
    """Map |z| to [0, 1]: ``-log10(two-sided Gaussian tail probability) / decades``, capped at 1.

    A score of 0.5 means a tail probability of ``10**(-decades/2)``. It keeps the ranking of
    extreme points (no saturation below ``decades``) and is monotone in ``|z|``.
    """
    a = np.abs(np.nan_to_num(z, nan=0.0, posinf=1e3, neginf=1e3))
    log10_p = (np.log(2.0) + log_ndtr(-a)) / _LN10
    return np.clip(-log10_p / decades, 0.0, 1.0)
