"""histogram_quantile against Prometheus's documented behaviour.

References: ``promql/quantile.go`` (BucketQuantile, ensureMonotonicAndIgnoreSmallDeltas,
HistogramQuantile) and the expected values in ``promql/promqltest/testdata/histograms.test``
(Prometheus 3.x); hand derivations are written out where the test data has none.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipbench.sli import (
    REASONS,
    histogram_quantile,
    histogram_quantile_details,
    histogram_quantiles,
    native_histogram_quantile,
    parse_le,
)

# testhistogram3 at 50m (histograms.test): counts are 10× the per-step increments.
POS3 = (["0", "0.1", ".2", "1e0", "+Inf"], [0, 50, 70, 110, 110])
NEG3 = (["-.25", "-.2", "-0.1", "0.3", "+Inf"], [0, 10, 20, 20, 20])
# testhistogram at 50m
POS = (["0.1", ".2", "1e0", "+Inf"], [50, 70, 110, 120])
NEG = (["-.2", "-0.1", "0.3", "+Inf"], [10, 20, 20, 30])


@pytest.mark.parametrize(
    ("q", "pos", "neg"),
    [(0, 0, -0.25), (0.25, 0.055, -0.225), (0.5, 0.125, -0.2), (0.75, 0.45, -0.15), (1, 1, -0.1)],
)
def test_testhistogram3_matches_prometheus_testdata(q: float, pos: float, neg: float) -> None:
    """histograms.test: histogram_quantile(q, testhistogram3_bucket) at 50m."""
    assert histogram_quantile(q, *POS3) == pytest.approx(pos, rel=1e-12)
    assert histogram_quantile(q, *NEG3) == pytest.approx(neg, rel=1e-12)


@pytest.mark.parametrize(
    ("q", "pos", "neg"),
    [(0, 0, -0.2), (0.2, 0.048, -0.2), (0.5, 0.15, -0.15), (0.8, 0.72, 0.3), (1, 1, 0.3)],
)
def test_testhistogram_matches_prometheus_testdata(q: float, pos: float, neg: float) -> None:
    """histograms.test: lowest bucket ≤ 0 returns its bound; +Inf returns the highest finite bound."""
    assert histogram_quantile(q, *POS) == pytest.approx(pos, rel=1e-12)
    assert histogram_quantile(q, *NEG) == pytest.approx(neg, rel=1e-12)


@pytest.mark.parametrize(("q", "want"), [(1 / 6, 1.0), (0.5, 3.0), (5 / 6, 5.0)])
def test_quantile_in_the_middle_of_a_bucket(q: float, want: float) -> None:
    """histograms.test testhistogram2 at 7m: q(1/6), q(1/2), q(5/6) are bucket midpoints."""
    assert histogram_quantile(q, ["0", "2", "4", "6", "+Inf"], [0, 1, 2, 3, 3]) == pytest.approx(
        want
    )


def test_out_of_range_and_nan_q() -> None:
    """BucketQuantile: q<0 → −Inf, q>1 → +Inf, q NaN → NaN, before looking at buckets."""
    assert histogram_quantile(-0.1, *POS) == -math.inf
    assert histogram_quantile(1.01, *POS) == math.inf
    assert math.isnan(histogram_quantile(math.nan, *POS))
    assert histogram_quantile(-1, [], []) == -math.inf


def test_first_bucket_lower_bound_is_zero_when_positive() -> None:
    """Hand: le=10 holds 10 of 20, q=0.25 → rank 5 → 0 + 10·5/10 = 5."""
    assert histogram_quantile(0.25, ["10", "+Inf"], [10, 20]) == 5.0


def test_inf_bucket_returns_highest_finite_bound() -> None:
    """Hand: rank 19.8 of 20 lies above le=1 (10 obs) → the answer is 1, not extrapolated."""
    assert histogram_quantile(0.99, ["0.5", "1", "+Inf"], [5, 10, 20]) == 1.0


def test_unsorted_and_duplicate_le_are_sorted_and_merged() -> None:
    """histograms.test ``mixed_bucket``: 0.2, 2e-1 and 2.0e-1 are one bucket whose counts add.

    ins1 at 50m: le 0.1=10, 0.2=10+10+10=30, +Inf=40; q=0.5: rank 20 in (0.1, 0.2] with
    10 of 20 → 0.15 (hand).
    """
    le = ["+Inf", "2.0e-1", "0.1", "2e-1", "0.2"]
    counts = [40, 10, 10, 10, 10]
    assert histogram_quantile(0.5, le, counts) == pytest.approx(0.15)
    # ins2: "+inf" and "+Inf" merge into one bucket → fewer than two buckets → NaN.
    r = histogram_quantile_details(0.5, ["+inf", "+Inf"], [0, 0])
    assert math.isnan(r.value)
    assert r.reason == "fewer than 2 buckets"


def test_monotonicity_is_forced_like_prometheus() -> None:
    """ensureMonotonic: a dip is raised to the previous count and ``prev`` stays put.

    Counts [3, 2, 4] become [3, 3, 4]; q=0.5 → rank 2 ≤ 3 → first bucket: 0 + 1·2/3.
    """
    r = histogram_quantile_details(0.5, ["1", "2", "+Inf"], [3, 2, 4])
    assert r.value == 2 / 3
    assert r.forced_monotonic
    assert not r.fixed_precision


def test_small_deltas_are_ignored_not_forced() -> None:
    """ensureMonotonicAndIgnoreSmallDeltas: |Δ|/sum < 1e-12 is a precision fix.

    [100, 100 − 1e-11, 200]: the dip is relative 5e-14 → set to 100, flagged fixed, not
    forced. q=0.75 → rank 150 in (2, +Inf]? no: rank 150 > 100 → bucket le=+Inf → 2.
    """
    r = histogram_quantile_details(0.75, ["1", "2", "+Inf"], [100, 100 - 1e-11, 200])
    assert r.fixed_precision
    assert not r.forced_monotonic
    assert r.value == 2.0
    # a relative increase of 1e-13 is ignored too, and ``prev`` does not move
    r2 = histogram_quantile_details(0.5, ["1", "2", "+Inf"], [1e6, 1e6 * (1 + 1e-13), 2e6])
    assert r2.fixed_precision
    assert r2.value == 1.0


def test_nan_for_no_observations_no_inf_and_few_buckets() -> None:
    """BucketQuantile returns NaN for these; pipbench says why."""
    cases = {
        "no observations": (["1", "+Inf"], [0, 0]),
        "no +Inf bucket": (["1", "2"], [1, 2]),
        "fewer than 2 buckets": (["+Inf"], [5]),
        "no buckets": ([], []),
        "nan count": (["1", "+Inf"], [math.nan, 3]),
    }
    for reason, (le, counts) in cases.items():
        r = histogram_quantile_details(0.5, le, counts)
        assert math.isnan(r.value), reason
        assert r.reason == reason


def test_unparsable_le_is_skipped() -> None:
    """Prometheus ignores a bucket whose le does not parse (bad bucket label warning)."""
    assert histogram_quantile(0.5, ["1", "oops", "+Inf"], [2, 3, 4]) == 1.0
    assert math.isnan(parse_le("oops"))


def test_q_zero_with_empty_first_bucket_is_nan_like_go() -> None:
    """Go: rank 0, b=0, count 0 → 0·(0/0) = NaN (IEEE), which Prometheus returns."""
    assert math.isnan(histogram_quantile(0, ["1", "2", "+Inf"], [0, 5, 5]))


# ------------------------------------------------------------------------ vectorised
def test_vectorised_on_prometheus_cases() -> None:
    """The vectorised kernel gives the same answers on the test-data histograms."""
    le = np.array([[parse_le(x) for x in POS3[0]], [parse_le(x) for x in NEG3[0]]])
    counts = np.array([POS3[1], NEG3[1]], dtype=float)
    for q in (0, 0.25, 0.5, 0.75, 1):
        v, r = histogram_quantiles(q, le, counts)
        assert v.tolist() == [histogram_quantile(q, *POS3), histogram_quantile(q, *NEG3)]
        assert r.tolist() == [0, 0]


def test_vectorised_reasons_do_not_raise() -> None:
    """NaN counts and empty rows give NaN with a reason, never an exception."""
    counts = np.array([[1, np.nan, 3], [0, 0, 0], [1, 2, 3]], dtype=float)
    v, r = histogram_quantiles(0.5, ["1", "2", "+Inf"], counts)
    assert [REASONS[i] for i in r] == ["nan count", "no observations", ""]
    assert math.isnan(v[0])
    assert math.isnan(v[1])
    assert v[2] == 1.5  # hand: rank 1.5 in (1, 2] holding 1 of 1 → 1 + 0.5


LES = [-1.0, -0.5, 0.0, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, math.inf]


@st.composite
def histograms(draw: st.DrawFn) -> tuple[list[float], list[float]]:
    k = draw(st.integers(0, 8))
    le = draw(st.lists(st.sampled_from(LES), min_size=k, max_size=k))
    counts = draw(
        st.lists(
            st.one_of(
                st.floats(0, 1e6, allow_nan=False),
                st.sampled_from([0.0, 1.0, 1e12, 1e12 + 0.5, -1.0, math.inf, -math.inf, 5e-324]),
            ),
            min_size=k,
            max_size=k,
        )
    )
    monotone = draw(st.booleans())
    if monotone:
        order = np.argsort(le, kind="stable")
        cs = np.maximum.accumulate(np.asarray(counts, dtype=float)[order]) if k else np.array([])
        counts = [0.0] * k
        for i, j in enumerate(order):
            counts[j] = float(cs[i])
    return le, counts


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=200, deadline=None)
@given(
    q=st.one_of(st.floats(0, 1), st.sampled_from([0.0, 0.5, 0.99, 1.0, -0.5, 1.5, math.nan])),
    hs=st.lists(histograms(), min_size=1, max_size=12),
)
def test_vectorised_agrees_with_one_histogram(
    q: float, hs: list[tuple[list[float], list[float]]]
) -> None:
    """Property: the (n, k) kernel with NaN padding equals the Go transcription, bit for bit,
    on random bucket sets with duplicates, disorder, dips, tiny deltas and +Inf anywhere."""
    k = max(len(le) for le, _ in hs) or 1
    le2 = np.full((len(hs), k), np.nan)
    c2 = np.zeros((len(hs), k))
    for i, (le, c) in enumerate(hs):
        le2[i, : len(le)] = le
        c2[i, : len(c)] = c
    v, r = histogram_quantiles(q, le2, c2, chunk_rows=5)
    for i, (le, c) in enumerate(hs):
        ref = histogram_quantile_details(q, le, c)
        assert _same(v[i], ref.value), (le, c, v[i], ref)
        assert REASONS[r[i]] == ref.reason


@settings(max_examples=100, deadline=None)
@given(q=st.floats(0, 1), data=st.data())
def test_shared_le_fast_path_agrees(q: float, data: st.DataObject) -> None:
    """Property: a shared ``(k,)`` le gives the same as repeating it per row."""
    le = data.draw(st.lists(st.sampled_from(LES), min_size=1, max_size=6))
    rows = data.draw(
        st.lists(
            st.lists(st.floats(0, 1e3), min_size=len(le), max_size=len(le)), min_size=1, max_size=6
        )
    )
    c = np.array(rows)
    v1, r1 = histogram_quantiles(q, np.array(le), c)
    v2, r2 = histogram_quantiles(q, np.tile(np.array(le), (len(rows), 1)), c)
    assert all(_same(a, b) for a, b in zip(v1, v2, strict=True))
    assert r1.tolist() == r2.tolist()


# --------------------------------------------------------------------------- native
@pytest.mark.parametrize(("q", "want"), [(0.25, 0.055), (0.5, 0.125), (0.75, 0.45), (1, 1.0)])
def test_native_custom_buckets_match_classic(q: float, want: float) -> None:
    """histograms.test loads testhistogram3 as NHCB too and expects the same quantiles."""
    lower = [-math.inf, 0, 0.1, 0.2, 1]
    upper = [0, 0.1, 0.2, 1, math.inf]
    counts = [0, 50, 20, 40, 0]
    got = native_histogram_quantile(q, lower, upper, counts, schema="custom")
    assert got == pytest.approx(want, rel=1e-12)


def test_native_exponential_interpolation() -> None:
    """quantile.go comment: the middle of the (1, 2] bucket is 2**0.5 = 1.4142…"""
    got = native_histogram_quantile(0.5, [1.0], [2.0], [4.0])
    assert got == pytest.approx(math.sqrt(2), rel=1e-15)


def test_native_edge_cases() -> None:
    """HistogramQuantile: q<0 → −Inf, q>1 → +Inf, zero count → NaN; the zero bucket with
    only positive buckets has lower bound 0 and linear interpolation."""
    assert native_histogram_quantile(-1, [1], [2], [1]) == -math.inf
    assert native_histogram_quantile(2, [1], [2], [1]) == math.inf
    assert math.isnan(native_histogram_quantile(0.5, [1], [2], [0]))
    # zero bucket [-0.001, 0.001] with 2 obs, positive (1, 2] with 2: q=0.25 → rank 1 of
    # 2 in the zero bucket, lower bound taken as 0 → 0.0005
    got = native_histogram_quantile(0.25, [-0.001, 1.0], [0.001, 2.0], [2.0, 2.0])
    assert got == pytest.approx(0.0005)
