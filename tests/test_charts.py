"""Chart builders: spec structure, the data they draw, input errors, offline export."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET

import altair as alt
import numpy as np
import pandas as pd
import polars as pl
import pytest
import scipy.stats
import vl_convert
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench import charts
from pipbench.errors import ConfigError

T0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _times(n: int, minutes: float = 1.0) -> list[dt.datetime]:
    return [T0 + dt.timedelta(minutes=minutes * i) for i in range(n)]


@pytest.fixture
def sli() -> pl.DataFrame:
    rng = np.random.default_rng(7)
    v = 0.2 + 0.02 * rng.standard_normal(60)
    v[40:] += 0.1
    return pl.DataFrame(
        {
            "timestamp": _times(60),
            "value": v,
            "expected": [0.2] * 60,
            "lower": [0.16] * 60,
            "upper": [0.24] * 60,
            "anomaly": v > 0.24,
        }
    )


@pytest.fixture
def annotations() -> pl.DataFrame:
    t = _times(60)
    return pl.DataFrame(
        {"timestamp": [t[40], t[50]], "text": ["deploy v2", "flag off"], "kind": ["deploy", "flag"]}
    )


def _datasets(spec: dict) -> dict[str, list[dict]]:
    return spec.get("datasets", {})


def _layer_rows(spec: dict, layer: dict) -> list[dict]:
    """Rows a layer draws (Altair hoists the data of a single-data layer chart to the top)."""
    return _datasets(spec)[(layer.get("data") or spec["data"])["name"]]


def _marks(spec: dict) -> list[str]:
    return [layer["mark"]["type"] if "mark" in layer else "layer" for layer in spec["layer"]]


# --------------------------------------------------------------------------- theme


def test_theme_is_registered_and_applied_by_chart_spec(sli):
    assert charts.THEME in alt.theme.names()
    spec = charts.chart_spec(charts.sli_chart(sli))
    assert spec["config"]["font"].startswith("DejaVu Sans")
    assert spec["config"]["title"]["anchor"] == "start"
    before = alt.theme.active
    with charts.use_theme():
        assert alt.theme.active == charts.THEME
    assert alt.theme.active == before  # the context manager restores the previous theme
    plain = charts.chart_spec(charts.sli_chart(sli), theme="default")
    assert "font" not in plain.get("config", {})


# --------------------------------------------------------------------------- SLI


def test_sli_chart_draws_band_baseline_series_anomalies_and_deploys(sli, annotations):
    spec = charts.chart_spec(
        charts.sli_chart(sli, annotations=annotations, title="p95", value_title="p95", unit="s")
    )
    assert spec["title"] == "p95"
    assert _marks(spec)[:4] == ["area", "line", "line", "point"]
    band, _, series, anomalies = spec["layer"][:4]
    assert band["encoding"]["y"]["field"] == "lower"
    assert band["encoding"]["y2"]["field"] == "upper"
    assert series["encoding"]["y"]["title"] == "p95 (s)"
    assert series["encoding"]["x"]["scale"]["type"] == "utc"
    # Only rows flagged as anomalies are drawn as points.
    assert len(_layer_rows(spec, anomalies)) == int(sli["anomaly"].sum())
    deploys = spec["layer"][4]
    assert [layer["mark"]["type"] for layer in deploys["layer"]] == ["rule", "text"]
    assert [r["text"] for r in _layer_rows(spec, deploys)] == ["deploy v2", "flag off"]


def test_sli_chart_without_band_draws_only_the_series(sli):
    spec = charts.chart_spec(charts.sli_chart(sli.select("timestamp", "value")))
    assert _marks(spec) == ["line"]


def test_sli_chart_accepts_pandas_and_lazy_frames(sli):
    from_pandas = charts.chart_spec(charts.sli_chart(sli.to_pandas()))
    from_lazy = charts.chart_spec(charts.sli_chart(sli.lazy()))
    assert _marks(from_pandas) == _marks(from_lazy) == ["area", "line", "line", "point"]


def test_time_axes_are_utc_whatever_the_input_zone(sli):
    """Naive timestamps are read as UTC; zoned ones are converted (same instant)."""
    utc = charts.chart_spec(charts.sli_chart(sli.select("timestamp", "value")))
    naive = sli.select(pl.col("timestamp").dt.replace_time_zone(None), "value")
    paris = sli.select(pl.col("timestamp").dt.convert_time_zone("Europe/Paris"), "value")
    for other in (naive, paris):
        spec = charts.chart_spec(charts.sli_chart(other))
        assert list(_datasets(spec).values()) == list(_datasets(utc).values())


@pytest.mark.parametrize(
    ("frame", "needle"),
    [
        (pl.DataFrame({"timestamp": _times(2)}), "lacks column(s) 'value'"),
        (
            pl.DataFrame({"timestamp": _times(2), "value": ["a", "b"]}),
            "'value' of data must be a number",
        ),
        (pl.DataFrame({"timestamp": ["x", "y"], "value": [1.0, 2.0]}), "must be a datetime"),
        (
            pl.DataFrame({"timestamp": _times(2), "value": [1.0, 2.0]}).clear(),
            "no rows (an empty selection?)",
        ),
        ({"timestamp": 1}, "must be a polars or pandas DataFrame"),
    ],
)
def test_bad_frames_raise_one_clear_error(frame, needle):
    with pytest.raises(ConfigError) as err:
        charts.sli_chart(frame)
    assert "sli_chart" in str(err.value)
    assert needle in str(err.value)


# --------------------------------------------------------------------------- change points


def test_segment_means_match_numpy_slices():
    """Reference: numpy mean of each slice between change points."""
    rng = np.random.default_rng(3)
    ts = np.arange(100)
    vals = rng.normal(size=100)
    cps = [30, 71]
    got = charts.segment_means(ts, vals, cps)
    for lo, hi in [(0, 30), (30, 71), (71, 100)]:
        np.testing.assert_allclose(got[lo:hi], vals[lo:hi].mean())


def test_change_points_chart_layers_and_segment_means(sli):
    t = sli["timestamp"]
    cps = pl.DataFrame({"timestamp": [t[40]], "label": ["+0.1 s"]})
    spec = charts.chart_spec(charts.change_points_chart(sli, cps, unit="s"))
    assert _marks(spec) == ["line", "line", "rule", "text"]
    rows = _layer_rows(spec, spec["layer"][1])
    means = sorted({round(r["segment_mean"], 12) for r in rows})
    v = sli["value"].to_numpy()
    assert means == sorted({round(v[:40].mean(), 12), round(v[40:].mean(), 12)})


# --------------------------------------------------------------------------- drill-down


def test_drilldown_sorts_by_contribution_and_keeps_top():
    df = pd.DataFrame(
        {
            "dimension": ["endpoint"] * 4,
            "value": ["/a", "/b", "/c", "/d"],
            "contribution": [0.05, 0.7, 0.2, 0.05],
            "traffic": [0.4, 0.1, 0.3, 0.2],
        }
    )
    spec = charts.chart_spec(charts.drilldown_chart(df, top=3))
    assert spec["encoding"]["y"]["sort"] == ["endpoint=/b", "endpoint=/c", "endpoint=/a"]
    rows = _datasets(spec)[spec["data"]["name"]]
    assert len(rows) == 6  # three values x (contribution, traffic)
    assert spec["encoding"]["x"]["axis"]["format"] == "%"


# --------------------------------------------------------------------------- ECDF


def test_ecdf_frame_matches_scipy_ecdf():
    """Reference: scipy.stats.ecdf evaluated at each kept value."""
    rng = np.random.default_rng(11)
    a = rng.lognormal(-2, 0.5, 1000)
    b = rng.lognormal(-1.8, 0.5, 700)
    df = pl.DataFrame({"group": ["a"] * 1000 + ["b"] * 700, "value": np.r_[a, b]})
    out = charts.ecdf_frame(df, max_points=100)
    for name, sample in [("a", a), ("b", b)]:
        sub = out.filter(pl.col("group") == name)
        assert 2 <= sub.height <= 101
        ref = scipy.stats.ecdf(sample).cdf.evaluate(sub["value"].to_numpy())
        np.testing.assert_allclose(sub["ecdf"].to_numpy(), ref)
        assert sub["ecdf"][-1] == 1.0
        assert sub["value"][-1] == sample.max()


def test_ecdf_frame_with_ties_matches_scipy():
    """Reference: scipy.stats.ecdf on millisecond-quantised latencies (many ties)."""
    rng = np.random.default_rng(12)
    sample = np.round(rng.exponential(0.05, 5000), 3)
    out = charts.ecdf_frame(pl.DataFrame({"group": "a", "value": sample}), max_points=50)
    ref = scipy.stats.ecdf(sample).cdf.evaluate(out["value"].to_numpy())
    np.testing.assert_allclose(out["ecdf"].to_numpy(), ref)
    assert out["value"].is_unique().all()
    assert out["value"].is_sorted()


def test_ecdf_chart_draws_intervals_at_their_quantile():
    rng = np.random.default_rng(5)
    data = pl.DataFrame(
        {"group": ["baseline"] * 200 + ["canary"] * 200, "value": rng.exponential(0.2, 400)}
    )
    iv = pl.DataFrame(
        {
            "group": ["baseline", "canary"],
            "quantile": [0.95, 0.95],
            "estimate": [0.6, 0.7],
            "lower": [0.55, 0.62],
            "upper": [0.66, 0.8],
        }
    )
    spec = charts.chart_spec(charts.ecdf_chart(data, intervals=iv, log_x=True))
    assert _marks(spec) == ["line", "rule", "point", "text"]
    line, rule, _, text = spec["layer"]
    assert line["encoding"]["x"]["scale"]["type"] == "log"
    assert line["encoding"]["color"]["scale"]["domain"] == ["baseline", "canary"]
    assert rule["encoding"]["x"]["field"] == "lower"
    assert rule["encoding"]["x2"]["field"] == "upper"
    assert [r["label"] for r in _layer_rows(spec, text)] == ["p95"]


def test_ecdf_chart_log_axis_skips_zeros_but_counts_them():
    data = pl.DataFrame({"group": ["a"] * 4, "value": [0.0, 0.0, 1.0, 10.0]})
    spec = charts.chart_spec(charts.ecdf_chart(data, log_x=True))
    rows = _layer_rows(spec, spec["layer"][0])
    assert [(r["value"], r["ecdf"]) for r in rows] == [(1.0, 0.75), (10.0, 1.0)]


def test_ecdf_interval_frame_missing_column_is_named():
    data = pl.DataFrame({"group": ["a", "a"], "value": [1.0, 2.0]})
    with pytest.raises(ConfigError, match="intervals lacks column"):
        charts.ecdf_chart(data, intervals=pl.DataFrame({"group": ["a"], "quantile": [0.5]}))


# --------------------------------------------------------------------------- heatmaps


def test_heatmap_from_events_counts_match_numpy_histogram():
    """Reference: numpy.histogram of each 10-minute bucket's durations on the same edges."""
    rng = np.random.default_rng(2)
    n = 3000
    offsets = rng.uniform(0, 3600, n)
    durations = rng.lognormal(-2, 0.7, n)
    events = pl.DataFrame(
        {
            "timestamp": [T0 + dt.timedelta(seconds=float(s)) for s in offsets],
            "duration_s": durations,
        }
    )
    cells = charts.heatmap_from_events(events, every="10m", bins=12)
    assert cells["count"].sum() == n
    edges = np.geomspace(durations.min(), durations.max(), 13)
    for k in range(6):
        sel = durations[(offsets >= 600 * k) & (offsets < 600 * (k + 1))]
        ref, _ = np.histogram(sel, bins=edges)
        got = cells.filter(pl.col("timestamp") == T0 + dt.timedelta(minutes=10 * k))
        counts = dict(
            zip(np.round(got["lower"].to_numpy(), 12), got["count"].to_list(), strict=True)
        )
        expected = {round(edges[i], 12): int(c) for i, c in enumerate(ref) if c}
        assert counts == expected
    assert (cells["end"] - cells["timestamp"]).unique().to_list() == [dt.timedelta(minutes=10)]


def test_heatmap_from_events_rejects_bad_every():
    events = pl.DataFrame({"timestamp": _times(3), "duration_s": [0.1, 0.2, 0.3]})
    with pytest.raises(ConfigError, match="every='ten minutes'"):
        charts.heatmap_from_events(events, every="ten minutes")


def test_heatmap_from_buckets_inverts_cumulative_counters_with_reset():
    """Reference: the per-interval bucket counts the cumulative series were built from.

    Prometheus semantics: a series' increase over a scrape interval is its difference,
    and after a counter reset (a decrease) the new value itself.
    """
    rng = np.random.default_rng(9)
    les = ["0.1", "0.5", "1", "+Inf"]
    steps = 6
    rows = []
    truth = np.zeros((steps - 1, len(les)))
    for inst in ("a", "b"):
        per_interval = rng.integers(0, 20, size=(steps, len(les)))  # non-cumulative bins
        cum_le = per_interval.cumsum(axis=1)
        if inst == "b":  # counter reset at step 3: the series restarts from that interval
            cum_t = np.vstack([cum_le[:3].cumsum(axis=0), cum_le[3:].cumsum(axis=0)])
        else:
            cum_t = cum_le.cumsum(axis=0)
        truth += per_interval[1:]
        for s in range(steps):
            for j, le in enumerate(les):
                rows.append(
                    {
                        "timestamp": T0 + dt.timedelta(seconds=15 * s),
                        "metric": "lat_bucket",
                        "value": float(cum_t[s, j]),
                        "le": le,
                        "instance": inst,
                        "source": "x",
                    }
                )
    samples = pl.DataFrame(rows)
    cells = charts.heatmap_from_buckets(samples, metric="lat_bucket")
    assert cells.height == (steps - 1) * len(les)
    got = cells.sort("timestamp", "lower")["count"].to_numpy().reshape(steps - 1, len(les))
    np.testing.assert_array_equal(got, truth)
    first = cells.filter(pl.col("timestamp") == T0).sort("lower")
    assert first["lower"].to_list() == [0.0, 0.1, 0.5, 1.0]
    assert first["upper"].to_list() == [0.1, 0.5, 1.0, 2.0]  # +Inf drawn to 2x the last bound
    spec = charts.chart_spec(charts.latency_heatmap(cells))
    assert spec["mark"]["type"] == "rect"
    assert spec["encoding"]["y"]["scale"]["type"] == "log"
    assert min(r["lower"] for r in _datasets(spec)[spec["data"]["name"]]) == 0.05


def test_heatmap_from_buckets_unknown_metric():
    samples = pl.DataFrame(
        {"timestamp": _times(1), "metric": ["x_bucket"], "value": [1.0], "le": ["+Inf"]}
    )
    with pytest.raises(ConfigError, match="no samples of metric 'y_bucket'"):
        charts.heatmap_from_buckets(samples, metric="y_bucket")


# --------------------------------------------------------------------------- SLO


def test_burn_down_chart_panels_and_open_alert_end(sli):
    t = _times(60)
    budget = pl.DataFrame(
        {"timestamp": t, "remaining": np.linspace(1, -0.1, 60), "burn_rate": np.full(60, 2.0)}
    )
    alerts = pl.DataFrame(
        {"start": [t[10], t[40]], "end": [t[20], None], "name": ["1h/5m", "6h/30m"]},
        schema_overrides={"end": pl.Datetime("us", "UTC")},
    )
    spec = charts.chart_spec(charts.burn_down_chart(budget, alerts=alerts, slo_label="99.9 %"))
    assert len(spec["vconcat"]) == 3
    assert spec["title"] == {"text": "Error budget", "subtitle": "99.9 %"}
    assert spec["resolve"]["scale"]["x"] == "shared"
    bars = spec["vconcat"][2]
    rows = _layer_rows(spec, bars)
    assert rows[1]["end"].startswith("2026-01-01T00:59")  # still firing: drawn to the last point
    assert {r["severity"] for r in rows} == {"page"}


# --------------------------------------------------------------------------- trade-off


def _dominated_bruteforce(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    le = (x[None, :] <= x[:, None]) & (y[None, :] <= y[:, None])
    lt = (x[None, :] < x[:, None]) | (y[None, :] < y[:, None])
    return (le & lt).any(axis=1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), min_size=1, max_size=30),
    st.booleans(),
    st.booleans(),
)
def test_pareto_mask_matches_bruteforce_dominance(points, min_x, min_y):
    """Reference: the O(n²) definition of Pareto dominance (ties and duplicates included)."""
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    got = charts.pareto_mask(x, y, minimize=(min_x, min_y))
    ref = ~_dominated_bruteforce(x if min_x else -x, y if min_y else -y)
    np.testing.assert_array_equal(got, ref)


def test_tradeoff_chart_marks_frontier_points():
    df = pl.DataFrame(
        {"cost": [1.0, 2.0, 3.0, 2.0], "p99": [3.0, 1.0, 2.0, 2.0], "ttl": [10, 20, 30, 40]}
    )
    spec = charts.chart_spec(
        charts.tradeoff_chart(df, x="cost", y="p99", label="ttl", x_unit="$/h", y_unit="s")
    )
    assert _marks(spec) == ["line", "point", "text"]
    frontier = _layer_rows(spec, spec["layer"][0])
    assert [r["ttl"] for r in frontier] == [10, 20]
    assert spec["layer"][1]["encoding"]["x"]["title"] == "cost ($/h)"


def test_tradeoff_chart_unknown_column():
    with pytest.raises(ConfigError, match="lacks column"):
        charts.tradeoff_chart(pl.DataFrame({"a": [1.0]}), x="a", y="b")


# --------------------------------------------------------------------------- capacity


def test_capacity_chart_two_panels_step_line(annotations):
    t = _times(60)
    df = pl.DataFrame(
        {
            "timestamp": t * 2,
            "replicas": [2] * 60 + [3] * 60,
            "queue_length": list(range(120)),
            "scenario": ["A"] * 60 + ["B"] * 60,
        }
    )
    spec = charts.chart_spec(charts.capacity_chart(df, annotations=annotations))
    top, bottom = spec["vconcat"]
    assert top["layer"][0]["mark"]["interpolate"] == "step-after"
    assert top["layer"][0]["encoding"]["color"]["field"] == "scenario"
    assert top["resolve"]["scale"]["color"] == "independent"
    assert bottom["layer"][0]["encoding"]["y"]["title"] == "queue length (requests)"


# --------------------------------------------------------------------------- export


def test_save_chart_png_svg_html_json(tmp_path, sli, annotations):
    chart = charts.sli_chart(sli, annotations=annotations, unit="s")
    png = charts.save_chart(chart, tmp_path / "a" / "sli.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png.read_bytes()[16:20], "big")
    assert width > 600  # the theme's 640 px width at scale 2 (plus axes)
    svg = charts.save_chart(chart, tmp_path / "sli.svg")
    root = ET.fromstring(svg.read_text())
    assert root.tag.endswith("svg")
    assert "deploy v2" in svg.read_text()  # the annotation label was drawn
    html = charts.save_chart(chart, tmp_path / "sli.html").read_text()
    assert "<html" in html
    assert not re.findall(r"<(?:script|link)[^>]+(?:src|href)\s*=\s*['\"]?https?://", html)
    assert "vega-lite" in html.lower()
    spec = json.loads(charts.save_chart(chart, tmp_path / "sli.json").read_text())
    assert spec["layer"][0]["mark"]["type"] == "area"
    assert not list(tmp_path.glob("**/.*.tmp"))


def test_save_chart_rejects_unknown_suffix(tmp_path, sli):
    with pytest.raises(ConfigError, match="suffix must be one of"):
        charts.save_chart(charts.sli_chart(sli), tmp_path / "x.pdf")


# --------------------------------------------------------------------------- rendering


def _builders(sli, annotations) -> dict[str, object]:
    t = sli["timestamp"]
    rng = np.random.default_rng(8)
    events = pl.DataFrame(
        {
            "timestamp": [T0 + dt.timedelta(seconds=float(s)) for s in rng.uniform(0, 1800, 400)],
            "duration_s": rng.lognormal(-2, 0.6, 400),
        }
    )
    return {
        "sli": charts.sli_chart(sli, annotations=annotations, unit="s"),
        "change_points": charts.change_points_chart(sli, pl.DataFrame({"timestamp": [t[40]]})),
        "drilldown": charts.drilldown_chart(
            pl.DataFrame({"value": ["/a", "/b"], "contribution": [0.9, 0.1], "traffic": [0.3, 0.7]})
        ),
        "ecdf": charts.ecdf_chart(
            pl.DataFrame({"group": ["baseline", "canary"] * 100, "value": rng.exponential(1, 200)}),
            intervals=pl.DataFrame(
                {
                    "group": ["canary"],
                    "quantile": [0.9],
                    "estimate": [2.0],
                    "lower": [1.5],
                    "upper": [2.5],
                }
            ),
        ),
        "burn_down": charts.burn_down_chart(
            pl.DataFrame({"timestamp": t, "remaining": np.linspace(1, 0, 60), "burn_rate": 1.5}),
            alerts=pl.DataFrame({"start": [t[5]], "end": [t[9]], "name": ["1h/5m"]}),
        ),
        "heatmap": charts.latency_heatmap(charts.heatmap_from_events(events, every="5m", bins=8)),
        "tradeoff": charts.tradeoff_chart(
            pl.DataFrame({"cost": [1.0, 2.0, 3.0], "p99": [3.0, 1.0, 2.0], "ttl": ["a", "b", "c"]}),
            x="cost",
            y="p99",
            label="ttl",
        ),
        "capacity": charts.capacity_chart(
            pl.DataFrame(
                {
                    "timestamp": list(t) * 2,
                    "replicas": [2] * 60 + [3] * 60,
                    "queue_length": rng.poisson(4, 120),
                    "scenario": ["A"] * 60 + ["B"] * 60,
                }
            ),
            annotations=annotations,
        ),
    }


_NO_PAINT = (None, "none", "transparent")


@pytest.mark.parametrize(
    "name",
    ["sli", "change_points", "drilldown", "ecdf", "burn_down", "heatmap", "tradeoff", "capacity"],
)
def test_every_builder_renders_and_every_mark_is_painted(name, sli, annotations):
    """Rendered by Vega itself (vl-convert): each drawn mark has a fill or stroke colour.

    Catches specs that are valid but draw invisibly, e.g. two layers sharing one colour
    scale so that one layer's values fall outside the other's domain.
    """
    spec = charts.chart_spec(_builders(sli, annotations)[name])
    svg = vl_convert.vegalite_to_svg(spec)
    marks = re.findall(r"<(?:path|line|rect|text)\b[^>]*role=\"graphics-symbol\"[^>]*>", svg)
    assert len(marks) >= 3
    unpainted = []
    for m in marks:
        attrs = dict(re.findall(r'(\w[\w-]*)="([^"]*)"', m))
        if attrs.get("stroke") in _NO_PAINT and attrs.get("fill") in _NO_PAINT:
            unpainted.append(m[:120])
    assert not unpainted, unpainted
