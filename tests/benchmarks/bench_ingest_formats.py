"""Ingest speed per reader family, and peak memory on a large input.

For each family a file of its format is generated (``tests/benchmarks/_formats.py``) and
ingested by ``pipbench.ingest.ingest_file`` (sniff, read, shared rules, Parquet write) in a
fresh subprocess, which reports the time, the rows written and its peak RSS. Next to the
rows per second stands a floor measured in the same subprocess on the same file: polars
reading the file's lines into memory (``ratio = floor_s / ingest_s``; 1 would mean ingest
costs no more than reading the lines).

The memory figure ingests a JMeter JTL of 1 GB (50 MB with ``--quick``) and reports the
peak RSS of the process (``VmHWM``) and how much it grew during the ingest per MB of input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from tests.benchmarks._common import Result
from tests.benchmarks._formats import WRITERS, write_jmeter_fast

_ROOT = Path(__file__).resolve().parents[2]

_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import polars as pl
    from pipbench.dataset import Dataset
    from pipbench.ingest import ingest_file

    def peak_kb():
        # VmHWM: this process's peak RSS since exec (ru_maxrss would include the parent's
        # size at fork time).
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return 0

    path, ds, floor = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "1"
    rss0 = peak_kb()
    floor_s = None
    if floor:
        t = time.perf_counter()
        pl.read_csv(path, has_header=False, separator="\\x1f", quote_char=None,
                    infer_schema=False, truncate_ragged_lines=True)
        floor_s = time.perf_counter() - t
    t = time.perf_counter()
    report = ingest_file(path, Dataset(ds))
    ingest_s = time.perf_counter() - t
    print(json.dumps({
        "rows": report.samples + report.events + report.annotations,
        "format": report.format,
        "ingest_s": ingest_s,
        "floor_s": floor_s,
        "rss_import_kb": rss0,
        "rss_peak_kb": peak_kb(),
    }))
    """
)


def _child(path: Path, ds: Path, *, floor: bool) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(ds), "1" if floor else "0"],
        env={**os.environ, "PYTHONPATH": str(_ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if proc.returncode != 0:
        msg = f"ingest of {path.name} failed: {proc.stderr.strip().splitlines()[-1:]}"
        raise RuntimeError(msg)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(quick: bool) -> list[Result]:
    rows = 100_000 if quick else 500_000
    big_bytes = (50 if quick else 1000) * 1_000_000
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        for family, (fname, write) in WRITERS.items():
            path = d / fname
            expected = write(path, rows)
            out = _child(path, d / f"ds-{family}", floor=True)
            path.unlink()
            if out["format"] != family or out["rows"] != expected:
                msg = f"{family}: sniffed {out['format']}, {out['rows']} rows (expected {expected})"
                raise RuntimeError(msg)
            rate = out["rows"] / out["ingest_s"]
            results.append(
                Result(
                    f"ingest {family}: rows/s",
                    rate,
                    "rows/s",
                    detail=f"{out['rows']:,} rows in {out['ingest_s']:.2f} s, "
                    f"peak RSS {out['rss_peak_kb'] / 1024:.0f} MB",
                )
            )
            results.append(
                Result(
                    f"ingest {family}: ratio to reading its lines",
                    out["floor_s"] / out["ingest_s"],
                    "x",
                    detail=f"floor {out['floor_s']:.3f} s (polars reads the lines)",
                )
            )
        big = d / "big.jtl"
        n = write_jmeter_fast(big, big_bytes)
        size_mb = big.stat().st_size / 1e6
        out = _child(big, d / "ds-big", floor=False)
        if out["rows"] != n:
            msg = f"large JTL: {out['rows']} rows written, {n} expected"
            raise RuntimeError(msg)
        peak_mb = out["rss_peak_kb"] / 1024
        grown_mb = peak_mb - out["rss_import_kb"] / 1024
        results.append(
            Result(
                f"ingest {size_mb:.0f} MB JTL: peak RSS",
                peak_mb,
                "MB",
                detail=f"{n:,} rows in {out['ingest_s']:.1f} s "
                f"({n / out['ingest_s']:,.0f} rows/s); {out['rss_import_kb'] / 1024:.0f} MB "
                "after imports",
            )
        )
        results.append(
            Result(
                f"ingest {size_mb:.0f} MB JTL: RSS growth / file size",
                grown_mb / size_mb,
                "x",
                target="< 6",
                detail="the input is memory-mapped (1x); the rest is the frame and the shared de-duplication",
            )
        )
    return results
