"""Reports: chart export, chart-data preparation at scale, notebook runs.

Every speed figure is a ratio against a baseline measured in the same run:
- ``save_chart`` vs Altair's own ``Chart.save`` (vl-convert as well; HTML inline);
- ``heatmap_from_events`` vs ``numpy.histogram2d`` on the same events and bins;
- ``pareto_mask`` vs one ``numpy.lexsort`` of the same points (the sort it needs);
- a notebook run (fixture: one chart as PNG+SVG, one evidence, HTML report) vs
  papermill running an empty notebook (kernel start and teardown).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import nbformat
import numpy as np
import polars as pl
import vl_convert as vlc

from pipbench import charts
from tests.benchmarks._common import Result, timeit

FIXTURES = Path(__file__).resolve().parent.parent / "data" / "notebooks"


def _sli(n: int) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    v = 0.2 + 0.02 * rng.standard_normal(n)
    return pl.DataFrame(
        {
            "timestamp": pl.datetime_range(t0, t0 + dt.timedelta(minutes=n - 1), "1m", eager=True),
            "value": v,
            "lower": 0.16,
            "upper": 0.24,
            "anomaly": v > 0.24,
        }
    )


def _export(quick: bool) -> list[Result]:
    out = []
    chart = charts.sli_chart(_sli(1440), title="p95", unit="s")  # one day at 1-minute steps
    spec = charts.chart_spec(chart)
    size = len(json.dumps(spec))
    out.append(Result("chart spec size, SLI 1,440 points", size / 1e3, "kB"))
    tmp = Path(tempfile.mkdtemp())
    vlc.vegalite_to_svg(spec)  # warm the converter
    rep = 2 if quick else 5
    for fmt in ("svg", "png", "html"):
        # Baseline: Altair's own save (vl-convert too; HTML with Vega inlined), themed.
        kw: dict = {"html": {"inline": True}, "png": {"scale_factor": 2}}.get(fmt, {})
        with charts.use_theme():  # same theme, same pixels: only the wrappers differ
            base = timeit(
                lambda fmt=fmt, kw=kw: chart.save(str(tmp / f"a.{fmt}"), **kw), repeat=rep
            )
        ours = timeit(lambda fmt=fmt: charts.save_chart(chart, tmp / f"c.{fmt}"), repeat=rep)
        size = (tmp / f"c.{fmt}").stat().st_size / 1e3
        out.append(
            Result(
                f"save_chart .{fmt} vs altair Chart.save (speed ratio)",
                base / ours,
                "x",
                target=">= 0.8",
                detail=f"{ours * 1e3:.0f} ms vs {base * 1e3:.0f} ms; file {size:.0f} kB",
            )
        )
    return out


def _prep(quick: bool) -> list[Result]:
    out = []
    n = 200_000 if quick else 2_000_000
    rng = np.random.default_rng(1)
    secs = rng.uniform(0, 86_400, n)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    t0_us = int(t0.timestamp() * 1e6)
    events = pl.DataFrame(
        {
            "timestamp": pl.Series(t0_us + (secs * 1e6).astype("int64")).cast(
                pl.Datetime("us", "UTC")
            ),
            "duration_s": rng.lognormal(-2, 0.7, n),
        }
    )
    d = events["duration_s"].to_numpy()
    edges = np.geomspace(d.min(), d.max(), 31)
    tb = np.arange(0, 86_400 + 300, 300)
    base = timeit(lambda: np.histogram2d(secs, d, bins=(tb, edges)), repeat=3)
    ours = timeit(lambda: charts.heatmap_from_events(events, every="5m", bins=30), repeat=3)
    out.append(
        Result(
            f"heatmap_from_events {n:,} events vs numpy.histogram2d",
            base / ours,
            "x",
            target=">= 0.3",
            detail=f"{ours:.3f} s vs {base:.3f} s",
        )
    )
    m = 100_000 if quick else 1_000_000
    x, y = rng.uniform(size=m), rng.uniform(size=m)
    base = timeit(lambda: np.lexsort((y, x)), repeat=3)
    ours = timeit(lambda: charts.pareto_mask(x, y), repeat=3)
    out.append(
        Result(
            f"pareto_mask {m:,} points vs one lexsort",
            base / ours,
            "x",
            target=">= 0.3",
            detail=f"{ours:.3f} s vs {base:.3f} s",
        )
    )
    groups = pl.DataFrame(
        {"group": ["baseline"] * (n // 2) + ["canary"] * (n - n // 2), "value": d}
    )
    ours = timeit(lambda: charts.ecdf_frame(groups, max_points=500), repeat=3)
    rows = charts.ecdf_frame(groups, max_points=500).height
    out.append(
        Result(
            f"ecdf_frame {n:,} observations → chart rows",
            rows,
            "rows",
            target="<= 1002",
            detail=f"{ours:.3f} s",
        )
    )
    return out


def _notebook(quick: bool) -> list[Result]:
    import papermill

    from pipbench.notebooks import run_notebook

    tmp = Path(tempfile.mkdtemp())
    empty = nbformat.v4.new_notebook()
    empty.cells = [nbformat.v4.new_code_cell("1")]
    empty.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(empty, tmp / "empty.ipynb")
    rep = 1 if quick else 3
    base = timeit(
        lambda: papermill.execute_notebook(
            str(tmp / "empty.ipynb"),
            str(tmp / "empty.out.ipynb"),
            kernel_name="python3",
            progress_bar=False,
        ),
        repeat=rep,
    )
    ours = timeit(
        lambda: run_notebook("fixture_report", {"n": 100}, out_dir=tmp / "run", directory=FIXTURES),
        repeat=rep,
    )
    return [
        Result(
            "notebook run (1 chart PNG+SVG, evidence, HTML) vs empty papermill run",
            ours / base,
            "x slower",
            target="<= 4",
            detail=f"{ours:.1f} s vs {base:.1f} s",
        )
    ]


def run(quick: bool) -> list[Result]:
    return [*_export(quick), *_prep(quick), *_notebook(quick)]
