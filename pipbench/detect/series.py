"""One series in, one scored series out: the library behind ``pipbench detect``.

Examples
--------
>>> import numpy as np
>>> y = np.r_[np.zeros(100), 10.0, np.zeros(100)] + np.random.default_rng(0).normal(0, 0.1, 201)
>>> out = detect_series(np.arange(201) * 60.0, y)
>>> out.columns, out.filter(out["is_anomaly"])["value"].round(0).to_list()
(['timestamp', 'value', 'anomaly_score', 'is_anomaly'], [10.0])
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import polars as pl

from pipbench.detect.anomaly import DETECTORS, make_detector
from pipbench.errors import ConfigError, InputError

__all__ = ["detect_series", "read_series_csv", "select_series"]


def read_series_csv(path: str | Path) -> pl.DataFrame:
    """Read a ``timestamp,value`` CSV, keeping the timestamp text as written.

    Returns a frame with ``timestamp`` (the original text), ``t`` (UTC datetime) and
    ``value`` (float; empty cells are NaN), one row per data row, in file order. Column
    names are matched case-insensitively; a missing column or a non-numeric value is an
    :class:`InputError` naming the file and line.
    """
    path = Path(path)
    if not path.is_file():
        msg = "no such file"
        raise InputError(msg, file=path, expected="a CSV file with a timestamp,value header")
    try:
        raw = pl.read_csv(path, infer_schema=False, truncate_ragged_lines=True)
    except pl.exceptions.NoDataError:
        msg = "the file is empty"
        raise InputError(msg, file=path, expected="a timestamp,value header and rows") from None
    except Exception as err:
        msg = f"not a readable CSV ({type(err).__name__}: {str(err).splitlines()[0]})"
        raise InputError(msg, file=path, expected="a timestamp,value CSV") from None
    cols = {c.strip().lower(): c for c in raw.columns}
    for need in ("value", "timestamp"):
        if need not in cols:
            msg = f"no {need!r} column (columns: {raw.columns})"
            raise InputError(
                msg, file=path, line=1, field=need, expected="a CSV header with timestamp,value"
            )
    text = raw[cols["value"]].str.strip_chars()
    vals = text.cast(pl.Float64, strict=False)
    bad = vals.is_null() & text.is_not_null() & (text != "")
    if bad.any():
        i = int(bad.arg_true()[0])
        msg = f"value {text[i]!r} is not a number"
        raise InputError(
            msg, file=path, line=i + 2, field="value", expected="a number or an empty cell"
        )
    from pipbench.ingest.normalize import parse_timestamps

    ts_text = raw[cols["timestamp"]]
    t = parse_timestamps(ts_text, file=path, field="timestamp", first_line=2)
    return pl.DataFrame({"timestamp": ts_text, "t": t, "value": vals.fill_null(float("nan"))})


def select_series(
    dataset: str | Path, metric: str, labels: Mapping[str, str] | None = None
) -> pl.DataFrame:
    """One series of a dataset's ``samples`` table as ``timestamp``, ``t``, ``value``.

    The selection (metric plus label filters) must name exactly one series; otherwise the
    error lists how many matched and which labels tell them apart.
    """
    from pipbench.dataset import open_dataset

    ds = open_dataset(dataset, create=False)
    lf = ds.samples().filter(pl.col("metric") == metric)
    for k, v in (labels or {}).items():
        lf = lf.filter(pl.col(k) == v)
    df = lf.collect()
    if df.height == 0:
        msg = f"no samples for metric {metric!r} with labels {dict(labels or {})}"
        raise InputError(
            msg, file=dataset, field="metric", expected="a metric and labels that exist"
        )
    label_cols = [
        c
        for c in df.columns
        if c not in ("timestamp", "metric", "value", "source") and df[c].null_count() < df.height
    ]
    n = df.select(label_cols).unique().height if label_cols else 1
    if n > 1:
        varying = [c for c in label_cols if df[c].n_unique() > 1]
        msg = f"metric {metric!r} has {n} series; narrow it with labels (they differ in {varying})"
        raise InputError(msg, file=dataset, field="metric", expected="a selection of one series")
    df = df.sort("timestamp")
    return pl.DataFrame(
        {
            "timestamp": df["timestamp"].dt.to_string("%Y-%m-%dT%H:%M:%S%.fZ"),
            "t": df["timestamp"],
            "value": df["value"],
        }
    )


def detect_series(
    timestamps: object,
    values: object,
    *,
    method: str = "online",
    online: bool = False,
    params: Mapping[str, object] | None = None,
) -> pl.DataFrame:
    """Score one series: ``timestamp``, ``value``, ``anomaly_score``, ``is_anomaly``.

    One row per input point, in input order (unsorted input and duplicate timestamps are
    scored in time order, stably, and written back in input order). NaN values score 0.
    A constant series has no anomalies.

    Parameters
    ----------
    timestamps, values
        The series; timestamps may be datetimes, epoch seconds, or None.
    method
        A name in :data:`~pipbench.detect.anomaly.DETECTORS`.
    online
        Require a causal (streaming) detector; an offline method is then an error.
    params
        Detector parameters.
    """
    if method not in DETECTORS:
        msg = f"unknown method {method!r}; choose one of {sorted(DETECTORS)}"
        raise ConfigError(msg)
    if online and not DETECTORS[method].online:
        online_names = sorted(k for k, v in DETECTORS.items() if v.online)
        msg = f"method {method!r} is offline (it looks at the whole series); with --online use one of {online_names}"
        raise ConfigError(msg)
    det = make_detector(method, **dict(params or {}))
    y = np.asarray(values, dtype=np.float64)
    if y.size == 0:
        return pl.DataFrame(
            {"timestamp": [], "value": [], "anomaly_score": [], "is_anomaly": []},
            schema={
                "timestamp": pl.String,
                "value": pl.Float64,
                "anomaly_score": pl.Float64,
                "is_anomaly": pl.Boolean,
            },
        )
    det.fit(y, timestamps)
    ts_out = timestamps if timestamps is not None else np.arange(y.size)
    return pl.DataFrame(
        {
            "timestamp": ts_out if isinstance(ts_out, pl.Series) else pl.Series(np.asarray(ts_out)),
            "value": y,
            "anomaly_score": det.scores_,
            "is_anomaly": det.is_anomaly_,
        }
    )
