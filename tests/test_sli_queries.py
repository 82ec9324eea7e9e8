"""latency_quantiles and error_ratio end to end on frames.

References: ``promql/promqltest/testdata/histograms.test`` (aggregated
``histogram_quantile(q, sum(rate(request_duration_seconds_bucket[10m])) by (le, …))``
expectations) and hand computation for the error ratio of constant-rate counters.
"""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench.sli import (
    error_ratio,
    histogram_quantile,
    histogram_quantile_frame,
    latency_quantiles,
)
from tests.promload import at, load

REQ = load("""
load 5m
    request_duration_seconds_bucket{job="job1", instance="ins1", le="0.1"} 0+1x10
    request_duration_seconds_bucket{job="job1", instance="ins1", le="0.2"} 0+3x10
    request_duration_seconds_bucket{job="job1", instance="ins1", le="+Inf"} 0+4x10
    request_duration_seconds_bucket{job="job1", instance="ins2", le="0.1"} 0+2x10
    request_duration_seconds_bucket{job="job1", instance="ins2", le="0.2"} 0+5x10
    request_duration_seconds_bucket{job="job1", instance="ins2", le="+Inf"} 0+6x10
    request_duration_seconds_bucket{job="job2", instance="ins1", le="0.1"} 0+3x10
    request_duration_seconds_bucket{job="job2", instance="ins1", le="0.2"} 0+4x10
    request_duration_seconds_bucket{job="job2", instance="ins1", le="+Inf"} 0+6x10
    request_duration_seconds_bucket{job="job2", instance="ins2", le="0.1"} 0+4x10
    request_duration_seconds_bucket{job="job2", instance="ins2", le="0.2"} 0+7x10
    request_duration_seconds_bucket{job="job2", instance="ins2", le="+Inf"} 0+9x10
""")


def _q(q: float, by: list[str]) -> dict:
    out = latency_quantiles(
        REQ, "request_duration_seconds", q=q, by=by, window="10m", start=at(50), end=at(50)
    )
    keys = out.select(by).rows() if by else [()] * out.height
    return dict(zip(keys, out["value"], strict=True))


def test_everything_in_one() -> None:
    """histograms.test: sum by (le) → q0.3 = 0.075, q0.5 = 0.1277777777777778."""
    assert _q(0.3, []) == pytest.approx({(): 0.075})
    assert _q(0.5, []) == pytest.approx({(): 0.1277777777777778})


def test_by_job_and_instance() -> None:
    """histograms.test: by (le, job) and by (le, job, instance) expectations."""
    assert _q(0.3, ["job"]) == pytest.approx({("job1",): 0.1, ("job2",): 0.0642857142857143})
    assert _q(0.5, ["job"]) == pytest.approx({("job1",): 0.14, ("job2",): 0.1125})
    assert _q(0.5, ["job", "instance"]) == pytest.approx(
        {
            ("job1", "ins1"): 0.15,
            ("job1", "ins2"): 0.13333333333333333,
            ("job2", "ins1"): 0.1,
            ("job2", "ins2"): 0.11666666666666667,
        }
    )


def test_frame_reasons_and_bad_le() -> None:
    """A histogram without observations is NaN with its reason; an unparsable le is skipped."""
    f = pl.DataFrame(
        {
            "h": ["a", "a", "a", "b", "b"],
            "le": ["1", "x", "+Inf", "1", "+Inf"],
            "value": [1.0, 7.0, 2.0, 0.0, 0.0],
        }
    )
    out = histogram_quantile_frame(0.5, f, reasons=True).sort("h")
    assert out["value"][0] == 1.0  # hand: rank 1 of 2 at le=1 → 1
    assert math.isnan(out["value"][1])
    assert out["reason"].to_list() == ["", "no observations"]


def test_error_ratio_constant_rates() -> None:
    """Hand: 2 errors/min out of 100 requests/min → 0.02 at every step, by endpoint too."""
    f = load("""
load 1m
    http_requests_total{endpoint="/a", code="200"} 0+98x30
    http_requests_total{endpoint="/a", code="500"} 0+2x30
    http_requests_total{endpoint="/b", code="200"} 0+50x30
""")
    out = error_ratio(f, window="5m", step="1m", start=at(10), end=at(20))
    assert out.height == 11
    assert out["value"].to_list() == pytest.approx([2 / 150] * 11)
    by = error_ratio(f, window="5m", by=["endpoint"], start=at(15), end=at(15))
    assert dict(zip(by["endpoint"], by["value"], strict=True)) == pytest.approx(
        {"/a": 0.02, "/b": 0.0}
    )


def test_by_a_label_no_series_has() -> None:
    """Prometheus: grouping by an absent label keeps one group with that label empty."""
    out = latency_quantiles(
        REQ,
        "request_duration_seconds",
        q=0.3,
        by=["region"],
        window="10m",
        start=at(50),
        end=at(50),
    )
    assert out.columns == ["timestamp", "region", "value"]
    assert out["region"].to_list() == [None]
    assert out["value"].to_list() == pytest.approx([0.075])


@settings(max_examples=40, deadline=None)
@given(
    q=st.floats(0, 1),
    data=st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.sampled_from(["0.1", "1e-1", "0.5", "1", "+Inf", "+inf", "bad"]),
            st.floats(0, 100),
        ),
        min_size=1,
        max_size=30,
    ),
)
def test_frame_path_agrees_with_one_histogram(q: float, data: list) -> None:
    """Property: the long-frame path equals the one-histogram function group by group
    (label spellings of one bound, bad labels and missing +Inf included)."""
    f = pl.DataFrame(
        data, schema={"job": pl.String, "le": pl.String, "value": pl.Float64}, orient="row"
    )
    out = histogram_quantile_frame(q, f)
    for job, value in zip(out["job"], out["value"], strict=True):
        g = f.filter(pl.col("job") == job)
        ref = histogram_quantile(q, g["le"].to_list(), g["value"].to_list())
        assert (math.isnan(ref) and math.isnan(value)) or ref == value
