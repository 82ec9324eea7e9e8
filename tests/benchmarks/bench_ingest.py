"""Ingest floors: long CSV and Prometheus query_range JSON against bare library decodes.

- Long CSV (10 M rows; 1 M with --quick) → dataset, against a bare
  ``polars.scan_csv(...).sink_parquet(...)`` of the same file (target: ≤ 1.5×).
- Prometheus ``query_range`` JSON (2,000 series × 5,000 points; 200 × 5,000 with --quick)
  → dataset, against the fastest bare decode (msgspec with a typed schema, GC paused) plus
  an Arrow table build (target: ≤ 2×).
"""

from __future__ import annotations

import gc
import json
import shutil
import tempfile
from pathlib import Path

import msgspec
import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc

from pipbench.ingest import ingest
from tests.benchmarks._common import Result, timeit


def make_long_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    n_series = 1000
    per = rows // n_series
    t0 = 1_767_225_600
    ts = (t0 + 15 * np.tile(np.arange(per), n_series)).astype("int64")
    sid = np.repeat(np.arange(n_series), per)
    frame = pl.DataFrame(
        {
            "timestamp": pl.Series(ts * 1_000_000)
            .cast(pl.Datetime("us", "UTC"))
            .dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "metric": pl.Series(["http_requests_total", "process_cpu_usage_ratio"])[sid % 2],
            "value": np.round(rng.random(per * n_series) * 1000, 3),
            "instance": pl.Series([f"pod-{i:04d}" for i in range(n_series)])[sid],
            "endpoint": pl.Series(["/api/a", "/api/b", "/api/c"])[sid % 3],
        }
    )
    frame.write_csv(path)


def make_query_range(path: Path, series: int, points: int, seed: int = 2) -> None:
    rng = np.random.default_rng(seed)
    t = 1_767_225_600 + 15 * np.arange(points)
    with open(path, "w") as fh:
        fh.write('{"status":"success","data":{"resultType":"matrix","result":[')
        for i in range(series):
            vals = np.round(rng.random(points) * 100, 3)
            body = ",".join(f'[{a},"{b}"]' for a, b in zip(t.tolist(), vals.tolist(), strict=True))
            sep = "," if i else ""
            fh.write(
                f'{sep}{{"metric":{json.dumps({"__name__": "m", "instance": f"i{i}", "job": "j"})},"values":[{body}]}}'
            )
        fh.write("]}}")


class _R(msgspec.Struct):
    metric: dict[str, str]
    values: list[tuple[float, str]]


class _D(msgspec.Struct):
    result: list[_R]


class _E(msgspec.Struct):
    data: _D


def bare_prometheus(path: Path) -> pa.Table:
    gc.disable()
    try:
        env = msgspec.json.decode(path.read_bytes(), type=_E)
    finally:
        gc.enable()
    ts, vs, ids = [], [], []
    for i, r in enumerate(env.data.result):
        t, v = zip(*r.values, strict=True)
        ts.append(np.asarray(t))
        vs.extend(v)
        ids.append(np.full(len(t), i))
    return pa.table(
        {
            "t": np.concatenate(ts),
            "v": pc.cast(pa.array(vs), pa.float64()),
            "s": np.concatenate(ids),
        }
    )


def run(quick: bool) -> list[Result]:
    work = Path(tempfile.mkdtemp(prefix="pipbench-bench-"))
    results = []
    try:
        rows = 1_000_000 if quick else 10_000_000
        csv = work / "long.csv"
        make_long_csv(csv, rows)
        bare = timeit(lambda: pl.scan_csv(csv).sink_parquet(work / "bare.parquet"), repeat=3)

        def ours() -> None:
            shutil.rmtree(work / "ds", ignore_errors=True)
            ingest(csv, work / "ds")

        t_ours = timeit(ours, repeat=3)
        results.append(
            Result(
                f"long CSV {rows:,} rows: pipbench / bare scan_csv→sink_parquet",
                t_ours / bare,
                "× time",
                "≤ 1.5",
                f"{rows / t_ours / 1e6:.2f} M rows/s",
            )
        )
        n_series = 200 if quick else 2000
        js = work / "query_range.json"
        make_query_range(js, n_series, 5000)
        bare_j = timeit(lambda: bare_prometheus(js), repeat=3)

        def ours_j() -> None:
            shutil.rmtree(work / "dsj", ignore_errors=True)
            ingest(js, work / "dsj")

        t_j = timeit(ours_j, repeat=3)
        results.append(
            Result(
                f"query_range {n_series}×5000: pipbench / msgspec+Arrow",
                t_j / bare_j,
                "× time",
                "≤ 2",
                f"{n_series * 5000 / t_j / 1e6:.2f} M points/s",
            )
        )
        if not quick:
            results.append(_peak_rss_1gb(work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


# VmHWM, not ru_maxrss: after fork+exec ru_maxrss still counts the parent's pages at fork.
_RSS_SCRIPT = """
import re, sys
from pathlib import Path
from pipbench.ingest import ingest
(r,) = ingest(sys.argv[1], sys.argv[2])
hwm = re.search(r"VmHWM:\\s+(\\d+) kB", Path("/proc/self/status").read_text()).group(1)
print(r.samples, hwm)
"""


def _peak_rss_1gb(work: Path) -> Result:
    """Peak RSS of a separate process ingesting a ~1 GB long CSV (streamed in chunks)."""
    import subprocess
    import sys

    big = work / "big.csv"
    make_long_csv(big, 16_000_000)
    size_mb = big.stat().st_size / 2**20
    out = subprocess.run(
        [sys.executable, "-c", _RSS_SCRIPT, str(big), str(work / "dsbig")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    rss_mb = int(out[1]) / 1024
    return Result(
        f"peak RSS ingesting a {size_mb:,.0f} MiB long CSV",
        rss_mb,
        "MiB",
        "bounded (≪ file size × 3)",
        f"{int(out[0]):,} rows",
    )
