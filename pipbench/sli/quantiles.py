"""``histogram_quantile`` with Prometheus's exact semantics, for one histogram or millions.

Classic histograms (cumulative counts per ``le`` upper bound) follow
``promql/quantile.go`` ``BucketQuantile`` (Prometheus 3.x):

1. ``q`` NaN → NaN; ``q < 0`` → −Inf; ``q > 1`` → +Inf.
2. Buckets are sorted by upper bound; the highest must be ``+Inf`` or the answer is NaN.
3. Buckets with the same upper bound are merged (their counts added), so ``"0.2"``,
   ``"2e-1"`` and ``"0.20"`` are one bucket.
4. ``ensureMonotonicAndIgnoreSmallDeltas``: a count that differs from the previous kept
   count by a relative ``1e-12`` or less (``util/almost.Equal``) is set to it (precision
   fix); a count below it is raised to it (monotonicity fix). ``prev`` only moves on a
   real increase.
5. Fewer than two buckets, or zero observations → NaN.
6. ``rank = q · count(+Inf)``; the bucket is the first whose count ≥ rank (binary search
   over all but the +Inf bucket). In the +Inf bucket → the highest finite upper bound; in
   the first bucket with upper bound ≤ 0 → that upper bound; otherwise linear
   interpolation inside the bucket, the first bucket's lower bound being 0.

pipbench adds one rule of its own: a NaN count gives NaN with the reason ``"nan count"``
(Prometheus would interpolate garbage). Every NaN carries a reason; nothing raises.

Examples
--------
>>> histogram_quantile(0.5, ["0", "2", "4", "6", "+Inf"], [0, 10, 20, 30, 30])
3.0
>>> histogram_quantile(0.99, [0.1, float("inf")], [5, 10])   # lands in +Inf
0.1
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

__all__ = [
    "REASONS",
    "SMALL_DELTA_TOLERANCE",
    "QuantileResult",
    "histogram_quantile",
    "histogram_quantile_details",
    "histogram_quantiles",
    "native_histogram_quantile",
    "parse_le",
]

#: Relative tolerance below which adjacent bucket counts are treated as equal (Prometheus).
SMALL_DELTA_TOLERANCE = 1e-12
_MIN_NORMAL = np.finfo(np.float64).tiny  # math.Float64frombits(0x0010000000000000)
_MAX_FLOAT = np.finfo(np.float64).max

#: Reason codes of :func:`histogram_quantiles` (index → text; 0 is a real answer).
REASONS: tuple[str, ...] = (
    "",
    "q is NaN",
    "q < 0",
    "q > 1",
    "no buckets",
    "nan count",
    "no +Inf bucket",
    "fewer than 2 buckets",
    "no observations",
)
_OK, _Q_NAN, _Q_LOW, _Q_HIGH, _NO_BUCKETS, _NAN_COUNT, _NO_INF, _FEW, _EMPTY = range(9)


@dataclass(frozen=True)
class QuantileResult:
    """One quantile with the reason it is NaN (empty when it is not) and Prometheus's flags."""

    value: float
    reason: str = ""
    forced_monotonic: bool = False
    fixed_precision: bool = False


def parse_le(le: object) -> float:
    """An ``le`` label (``"0.25"``, ``"+Inf"``, ``"2e-1"``) as a float; NaN when unparsable.

    Accepts what Go's ``strconv.ParseFloat`` accepts for bucket bounds (``+Inf``, ``inf``,
    exponents). Prometheus skips buckets whose ``le`` does not parse; so do we.

    Examples
    --------
    >>> parse_le("+Inf"), parse_le(".2"), parse_le("x")
    (inf, 0.2, nan)
    """
    if isinstance(le, int | float):
        return float(le)
    try:
        return float(str(le).strip())
    except ValueError:
        return math.nan


def _almost_equal(a: float, b: float, eps: float) -> bool:
    """Prometheus ``util/almost.Equal``."""
    if math.isnan(a) and math.isnan(b):
        return True
    if a == b:
        return True
    abs_sum = abs(a) + abs(b)
    diff = abs(a - b)
    if a == 0 or b == 0 or abs_sum < _MIN_NORMAL:
        return bool(diff < eps * _MIN_NORMAL)
    return diff / min(abs_sum, _MAX_FLOAT) < eps


def histogram_quantile_details(
    q: float, le: Sequence[object] | np.ndarray, counts: Sequence[float] | np.ndarray
) -> QuantileResult:
    """:func:`histogram_quantile` with the reason for a NaN and the repair flags.

    This is the one-histogram reference: a line-by-line transcription of Prometheus's
    ``BucketQuantile``. :func:`histogram_quantiles` is the vectorised equivalent.

    Examples
    --------
    >>> r = histogram_quantile_details(0.5, ["1", "2", "+Inf"], [3, 2, 4])
    >>> r.value, r.forced_monotonic
    (0.6666666666666666, True)
    >>> histogram_quantile_details(0.5, ["1", "+Inf"], [0, 0]).reason
    'no observations'
    """
    if math.isnan(q):
        return QuantileResult(math.nan, REASONS[_Q_NAN])
    if q < 0:
        return QuantileResult(-math.inf, REASONS[_Q_LOW])
    if q > 1:
        return QuantileResult(math.inf, REASONS[_Q_HIGH])
    bounds = [parse_le(x) for x in le]
    cs = [float(c) for c in counts]
    if len(bounds) != len(cs):
        msg = f"le has {len(bounds)} entries but counts has {len(cs)}"
        raise ValueError(msg)
    buckets = [(u, c) for u, c in zip(bounds, cs, strict=True) if not math.isnan(u)]
    if not buckets:
        return QuantileResult(math.nan, REASONS[_NO_BUCKETS])
    if any(math.isnan(c) for _, c in buckets):
        return QuantileResult(math.nan, REASONS[_NAN_COUNT])
    buckets.sort(key=lambda b: b[0])
    if buckets[-1][0] != math.inf:
        return QuantileResult(math.nan, REASONS[_NO_INF])
    # coalesceBuckets
    merged: list[list[float]] = [list(buckets[0])]
    for u, c in buckets[1:]:
        if u == merged[-1][0]:
            merged[-1][1] += c
        else:
            merged.append([u, c])
    # -Inf and +Inf counts merged under one bound make NaN: no count to interpolate.
    if any(math.isnan(c) for _, c in merged):
        return QuantileResult(math.nan, REASONS[_NAN_COUNT])
    # ensureMonotonicAndIgnoreSmallDeltas
    forced = fixed = False
    prev = merged[0][1]
    for bucket in merged[1:]:
        curr = bucket[1]
        if curr == prev:
            continue
        if _almost_equal(prev, curr, SMALL_DELTA_TOLERANCE):
            bucket[1] = prev
            fixed = True
            continue
        if curr < prev:
            bucket[1] = prev
            forced = True
            continue
        prev = curr
    if len(merged) < 2:
        return QuantileResult(math.nan, REASONS[_FEW])
    observations = merged[-1][1]
    if observations == 0:
        return QuantileResult(math.nan, REASONS[_EMPTY])
    rank = q * observations
    # sort.Search(len-1, count >= rank): binary search, as Go does.
    lo, hi = 0, len(merged) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if not merged[mid][1] >= rank:
            lo = mid + 1
        else:
            hi = mid
    b = lo
    if b == len(merged) - 1:
        return QuantileResult(merged[-2][0], "", forced, fixed)
    if b == 0 and merged[0][0] <= 0:
        return QuantileResult(merged[0][0], "", forced, fixed)
    start = 0.0
    end = merged[b][0]
    count = merged[b][1]
    if b > 0:
        start = merged[b - 1][0]
        count -= merged[b - 1][1]
        rank -= merged[b - 1][1]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.float64(rank) / np.float64(count)  # Go: 0/0 = NaN, x/0 = ±Inf
    return QuantileResult(float(start + (end - start) * frac), "", forced, fixed)


def histogram_quantile(
    q: float, le: Sequence[object] | np.ndarray, counts: Sequence[float] | np.ndarray
) -> float:
    """The ``q``-quantile of one classic histogram, exactly as Prometheus computes it.

    Parameters
    ----------
    q
        The quantile, 0 ≤ q ≤ 1 (outside: −Inf/+Inf; NaN: NaN).
    le
        Upper bounds, as floats or ``le`` label strings (``"+Inf"``), in any order;
        duplicates are merged.
    counts
        Cumulative counts (or rates of them), one per upper bound.

    Returns
    -------
    float
        The quantile; NaN when there is no answer (see :func:`histogram_quantile_details`
        for the reason).

    Examples
    --------
    >>> histogram_quantile(0.5, ["0.1", "0.2", "1", "+Inf"], [5, 7, 11, 11])
    0.125
    >>> histogram_quantile(1.5, ["1", "+Inf"], [1, 1])
    inf
    """
    return histogram_quantile_details(q, le, counts).value


# ---------------------------------------------------------------------------- vectorised
def _almost_equal_vec(a: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    with np.errstate(invalid="ignore", over="ignore"):
        abs_sum = np.abs(a) + np.abs(b)
        diff = np.abs(a - b)
        tiny = (a == 0) | (b == 0) | (abs_sum < _MIN_NORMAL)
        rel = diff / np.minimum(abs_sum, _MAX_FLOAT) < eps
        res = np.where(tiny, diff < eps * _MIN_NORMAL, rel)
    return res | (a == b) | (np.isnan(a) & np.isnan(b))


def _kernel(
    q: float, le: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows of (n, k) ``counts`` with per-row (n, k) or shared (k,) ``le``; NaN ``le`` = absent."""
    n, k = counts.shape
    out = np.full(n, np.nan)
    reason = np.zeros(n, dtype=np.int8)
    forced = np.zeros(n, dtype=bool)
    fixed = np.zeros(n, dtype=bool)
    if n == 0:
        return out, reason, forced, fixed
    if math.isnan(q):
        reason[:] = _Q_NAN
        return out, reason, forced, fixed
    if q < 0 or q > 1:
        out[:] = -np.inf if q < 0 else np.inf
        reason[:] = _Q_LOW if q < 0 else _Q_HIGH
        return out, reason, forced, fixed
    rows = np.arange(n)
    if le.ndim == 1:
        order = np.argsort(le, kind="stable")  # NaN sorts last
        le2 = np.broadcast_to(le[order], (n, k))
        c = counts[:, order]
    else:
        with np.errstate(invalid="ignore"):
            ordered = bool(((le[:, 1:] >= le[:, :-1]) | np.isnan(le[:, 1:])).all())
        if ordered:  # already ascending with NaN padding last (the frame path sorts)
            le2, c = le, counts
        else:
            order = np.argsort(le, axis=1, kind="stable")
            le2 = np.take_along_axis(le, order, axis=1)
            c = np.take_along_axis(counts, order, axis=1)
    valid = ~np.isnan(le2)
    m = valid.sum(axis=1)
    nan_count = (np.isnan(c) & valid).any(axis=1)  # on the input, before merging
    # coalesce equal upper bounds: sequential sums along each run, keep the run's last
    dup = np.zeros((n, k), dtype=bool)
    if k > 1:
        dup[:, 1:] = valid[:, 1:] & (le2[:, 1:] == le2[:, :-1])
    if dup.any():
        c = c.copy()
        for j in range(1, k):
            d = dup[:, j]
            if d.any():
                c[d, j] = c[d, j - 1] + c[d, j]
        keep = valid.copy()
        keep[:, :-1] &= ~dup[:, 1:]
        pos = np.argsort(~keep, axis=1, kind="stable")
        le2 = np.where(
            np.take_along_axis(keep, pos, axis=1), np.take_along_axis(le2, pos, 1), np.nan
        )
        c = np.take_along_axis(c, pos, axis=1)
        valid = ~np.isnan(le2)
        m = valid.sum(axis=1)
    has = m > 0
    last_idx = np.maximum(m - 1, 0)
    no_inf = le2[rows, last_idx] != np.inf
    reason[~has] = _NO_BUCKETS
    reason[has & nan_count] = _NAN_COUNT
    reason[has & ~nan_count & no_inf] = _NO_INF
    # ensureMonotonicAndIgnoreSmallDeltas. A cheap superset test finds the rows where some
    # adjacent pair dips or is within the tolerance; only those run the exact loop (when
    # no pair needs a fix, ``prev`` always equals the previous count, so this is exact).
    if k > 1:
        a, bb = c[:, :-1], c[:, 1:]
        with np.errstate(invalid="ignore", over="ignore"):
            d = bb - a
            if bool(np.isfinite(c).all()) and c.min() >= 0:
                cand = (d < (a + bb + _MIN_NORMAL) * SMALL_DELTA_TOLERANCE) & (d != 0)
            else:
                tol = SMALL_DELTA_TOLERANCE * (np.abs(a) + np.abs(bb) + _MIN_NORMAL)
                cand = (d < 0) | ((d != 0) & ((np.abs(d) < tol) | ~np.isfinite(d)))
        cand &= valid[:, 1:]
        todo = np.flatnonzero(cand.any(axis=1))
        if todo.size:
            if c is counts:
                c = c.copy()
            sub = c[todo]
            fx, fc = _repair(sub, m[todo])
            c[todo] = sub
            fixed[todo] = fx
            forced[todo] = fc
    pending = reason == _OK
    reason[pending & (m < 2)] = _FEW
    pending = reason == _OK
    obs = c[rows, last_idx]
    reason[pending & (obs == 0)] = _EMPTY
    ok = reason == _OK
    with np.errstate(invalid="ignore", over="ignore"):
        rank = q * obs  # 0 · inf is NaN, as in Go
    uniform = bool((m == m[0]).all())
    with np.errstate(invalid="ignore"):
        if uniform:
            ge = c[:, : max(int(m[0]) - 1, 0)] >= rank[:, None]
        else:
            ge = (c >= rank[:, None]) & (np.arange(k)[None, :] < (m - 1)[:, None])
    any_ge = ge.any(axis=1) if ge.shape[1] else np.zeros(n, dtype=bool)
    b = np.where(any_ge, ge.argmax(axis=1) if ge.shape[1] else 0, m - 1)
    bi = np.clip(b, 0, k - 1)
    bm1 = np.clip(b - 1, 0, k - 1)
    if le.ndim == 1 and not dup.any():  # shared bounds: 1-D lookups
        bounds = le2[0]
        le_b, le_prev, le_m2 = bounds[bi], bounds[bm1], bounds[np.clip(m - 2, 0, k - 1)]
    else:
        le_b, le_prev, le_m2 = le2[rows, bi], le2[rows, bm1], le2[rows, np.clip(m - 2, 0, k - 1)]
    in_inf = b == m - 1
    first_nonpos = (b == 0) & (le_b <= 0)
    has_prev = b > 0
    start = np.where(has_prev, le_prev, 0.0)
    c_b = c[rows, bi]
    c_prev = c[rows, bm1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        cnt = np.where(has_prev, c_b - c_prev, c_b)
        rk = np.where(has_prev, rank - c_prev, rank)
        interp = start + (le_b - start) * (rk / cnt)
    val = np.where(in_inf, le_m2, np.where(first_nonpos, le_b, interp))
    out = np.where(ok, val, np.nan)
    forced &= ok
    fixed &= ok
    return out, reason, forced, fixed


def _kernel_shared(
    q: float, le: np.ndarray, counts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_kernel` when every row has the same bounds ``le`` (k,): sort and merge once."""
    n = counts.shape[0]
    out = np.full(n, np.nan)
    reason = np.zeros(n, dtype=np.int8)
    forced = np.zeros(n, dtype=bool)
    fixed = np.zeros(n, dtype=bool)
    order = np.argsort(le, kind="stable")
    order = order[~np.isnan(le[order])]
    if order.size == 0:
        reason[:] = _NO_BUCKETS
        return out, reason, forced, fixed
    les = le[order]
    identity = order.size == le.size and bool((order == np.arange(le.size)).all())
    c = counts if identity else counts[:, order]  # never written in place below
    # NaN counts are judged on the input, before merging (as the one-histogram version)
    raw_nan = np.isnan(c).any(axis=1) if not bool(np.isfinite(c).all()) else None
    new_run = np.ones(les.size, dtype=bool)
    new_run[1:] = les[1:] != les[:-1]
    if not new_run.all():  # coalesce equal bounds with sequential sums, as Go does
        starts = np.flatnonzero(new_run)
        ends = np.append(starts[1:], les.size)
        cols = []
        for s0, e0 in zip(starts, ends, strict=True):
            acc = c[:, s0].copy()
            with np.errstate(invalid="ignore"):  # -Inf + Inf is NaN, handled below
                for j in range(s0 + 1, e0):
                    acc += c[:, j]
            cols.append(acc)
        c = np.stack(cols, axis=1)
        les = les[starts]
    m = les.size
    finite = bool(np.isfinite(c).all())
    nan_count = np.zeros(n, dtype=bool) if raw_nan is None else raw_nan
    reason[nan_count] = _NAN_COUNT
    if les[-1] != np.inf:
        reason[~nan_count] = _NO_INF
        return out, reason, forced, fixed
    if not finite:  # -Inf and +Inf merged under one bound make NaN, as in the scalar version
        nan_count = nan_count | np.isnan(c).any(axis=1)
        reason[nan_count] = _NAN_COUNT
    if m > 1:
        a, bb = c[:, :-1], c[:, 1:]
        with np.errstate(invalid="ignore", over="ignore"):
            d = bb - a
            if finite and c.min() >= 0:  # the usual case: fewer passes, same superset
                cand = (d < (a + bb + _MIN_NORMAL) * SMALL_DELTA_TOLERANCE) & (d != 0)
            else:
                tol = SMALL_DELTA_TOLERANCE * (np.abs(a) + np.abs(bb) + _MIN_NORMAL)
                cand = (d < 0) | ((d != 0) & ((np.abs(d) < tol) | ~np.isfinite(d)))
        todo = np.flatnonzero(cand.any(axis=1))
        if todo.size:
            if c is counts:
                c = c.copy()
            sub = c[todo]
            fx, fc = _repair(sub, np.full(todo.size, m))
            c[todo] = sub
            fixed[todo] = fx
            forced[todo] = fc
    else:
        reason[reason == _OK] = _FEW
    obs = c[:, -1]
    reason[(reason == _OK) & (obs == 0)] = _EMPTY
    ok = reason == _OK
    if m < 2:
        return out, reason, forced & ok, fixed & ok
    with np.errstate(invalid="ignore", over="ignore"):
        rank = q * obs  # 0 · inf is NaN, as in Go
    with np.errstate(invalid="ignore"):
        ge = c[:, : m - 1] >= rank[:, None]
    b = np.where(ge.any(axis=1), ge.argmax(axis=1), m - 1)
    bm1 = np.maximum(b - 1, 0)
    rows = np.arange(n)
    le_b = les[b]
    has_prev = b > 0
    start = np.where(has_prev, les[bm1], 0.0)
    c_b = c[rows, b]
    c_prev = c[rows, bm1]
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        cnt = np.where(has_prev, c_b - c_prev, c_b)
        rk = np.where(has_prev, rank - c_prev, rank)
        interp = start + (le_b - start) * (rk / cnt)
    val = np.where(b == m - 1, les[m - 2], np.where((b == 0) & (le_b <= 0), le_b, interp))
    out = np.where(ok, val, np.nan)
    return out, reason, forced & ok, fixed & ok


def _repair(c: np.ndarray, m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ensureMonotonicAndIgnoreSmallDeltas on rows of ``c`` in place; returns (fixed, forced)."""
    n, k = c.shape
    fixed = np.zeros(n, dtype=bool)
    forced = np.zeros(n, dtype=bool)
    prev = c[:, 0].copy()
    for j in range(1, k):
        act = j < m
        if not act.any():
            break
        curr = c[:, j]
        eq = curr == prev
        alm = ~eq & _almost_equal_vec(prev, curr, SMALL_DELTA_TOLERANCE)
        with np.errstate(invalid="ignore"):
            dec = ~eq & ~alm & (curr < prev)
        fix = act & (alm | dec)
        c[:, j] = np.where(fix, prev, curr)
        fixed |= act & alm
        forced |= act & dec
        prev = np.where(act & ~eq & ~alm & ~dec, curr, prev)
    return fixed, forced


def _by_layout(q: float, le: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row bounds: run the shared-layout kernel once per distinct layout (a metric has
    few); many distinct layouts go to the general kernel."""
    # group rows by a 64-bit hash of their bounds' bits, then verify the grouping exactly
    bits = np.ascontiguousarray(le).view(np.uint64)
    mult = np.array(
        [0x9E3779B97F4A7C15 * (2 * j + 1) % 2**64 for j in range(le.shape[1])], dtype=np.uint64
    )
    with np.errstate(over="ignore"):
        h = (bits * mult).sum(axis=1, dtype=np.uint64)
    layouts, first_row, inverse = np.unique(h, return_index=True, return_inverse=True)
    if layouts.size > max(8, le.shape[0] // 64) or not bool(
        (bits == bits[first_row][inverse]).all()
    ):
        v, r, _, _ = _kernel(q, le, counts)
        return v, r
    if layouts.size == 1:
        v, r, _, _ = _kernel_shared(q, le[0], counts)
        return v, r
    values = np.empty(le.shape[0])
    reasons = np.empty(le.shape[0], dtype=np.int8)
    for u in range(layouts.size):
        idx = np.flatnonzero(inverse == u)
        v, r, _, _ = _kernel_shared(q, le[idx[0]], counts[idx])
        values[idx] = v
        reasons[idx] = r
    return values, reasons


def histogram_quantiles(
    q: float,
    le: Sequence[object] | np.ndarray,
    counts: np.ndarray,
    *,
    chunk_rows: int = 250_000,
) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`histogram_quantile` over many histograms at once.

    Parameters
    ----------
    q
        The quantile.
    le
        Upper bounds: shape ``(k,)`` shared by every histogram (fast path), or ``(n, k)``
        per histogram. Floats or ``le`` strings; NaN marks an absent bucket (padding).
    counts
        Cumulative counts, shape ``(n, k)``.
    chunk_rows
        Histograms per block (bounds peak memory).

    Returns
    -------
    values, reasons
        ``values`` (n,) float64; ``reasons`` (n,) int8 indexes into :data:`REASONS`
        (0 where the value is a real answer).

    Examples
    --------
    >>> import numpy as np
    >>> v, r = histogram_quantiles(0.5, ["1", "2", "+Inf"], np.array([[1, 2, 2], [0, 0, 0]]))
    >>> v.tolist(), [REASONS[i] for i in r]
    ([1.0, nan], ['', 'no observations'])
    """
    c = np.asarray(counts, dtype=np.float64)
    if c.ndim == 1:
        c = c[None, :]
    if isinstance(le, np.ndarray) and le.dtype.kind == "f":
        bounds = le.astype(np.float64, copy=False)
    else:
        arr = np.asarray(le, dtype=object)
        bounds = np.vectorize(parse_le, otypes=[np.float64])(arr) if arr.size else arr.astype(float)
    if bounds.shape[-1] != c.shape[1] or (bounds.ndim == 2 and bounds.shape[0] != c.shape[0]):
        msg = f"le has shape {bounds.shape} but counts has shape {c.shape}"
        raise ValueError(msg)
    n = c.shape[0]
    values = np.empty(n)
    reasons = np.empty(n, dtype=np.int8)
    for s in range(0, max(n, 1), chunk_rows):
        e = min(s + chunk_rows, n)
        if bounds.ndim == 1 and not (math.isnan(q) or q < 0 or q > 1):
            v, r, _, _ = _kernel_shared(float(q), bounds, c[s:e])
        elif bounds.ndim == 2 and not (math.isnan(q) or q < 0 or q > 1):
            v, r = _by_layout(float(q), bounds[s:e], c[s:e])
        else:
            blk = bounds if bounds.ndim == 1 else bounds[s:e]
            v, r, _, _ = _kernel(float(q), blk, c[s:e])
        values[s:e] = v
        reasons[s:e] = r
    return values, reasons


# ------------------------------------------------------------------------------- native
def native_histogram_quantile(
    q: float,
    lower: Sequence[float] | np.ndarray,
    upper: Sequence[float] | np.ndarray,
    counts: Sequence[float] | np.ndarray,
    *,
    total: float | None = None,
    sum_is_nan: bool = False,
    schema: Literal["exponential", "custom"] = "exponential",
) -> float:
    """The ``q``-quantile of a native histogram given as per-bucket ``[lower, upper]`` counts.

    Follows Prometheus's ``HistogramQuantile``: buckets are walked from the low end for
    ``q < 0.5`` (and whenever the sum is NaN) and from the high end otherwise; empty
    buckets are skipped; inside a bucket the interpolation is exponential for
    exponential schemas (linear in the zero bucket) and linear for custom buckets (NHCB),
    where the first bucket's lower bound is 0 when its upper bound is positive and a
    quantile in the ``+Inf`` bucket returns that bucket's lower bound.

    Parameters
    ----------
    q
        The quantile.
    lower, upper, counts
        One entry per bucket, non-cumulative counts, ordered by value (negative buckets,
        the zero bucket, positive buckets).
    total
        The histogram's observation count (``Count``); defaults to ``sum(counts)``.
        Larger than ``sum(counts)`` when NaN observations were counted.
    sum_is_nan
        Whether the histogram's ``Sum`` is NaN (it holds NaN observations).
    schema
        ``"exponential"`` (standard native histograms) or ``"custom"`` (NHCB).

    Examples
    --------
    >>> native_histogram_quantile(0.5, [0, 2, 4], [2, 4, 6], [1, 1, 1], schema="custom")
    3.0
    """
    lo = np.asarray(lower, dtype=np.float64)
    hi = np.asarray(upper, dtype=np.float64)
    cs = np.asarray(counts, dtype=np.float64)
    if q < 0:
        return -math.inf
    if q > 1:
        return math.inf
    count_all = float(cs.sum()) if total is None else float(total)
    if count_all == 0 or math.isnan(q) or lo.size == 0:
        return math.nan
    custom = schema == "custom"
    zero = (lo < 0) & (hi > 0)
    has_neg = bool(((hi <= 0) & ~zero).any())
    has_pos = bool(((lo >= 0) & ~zero).any())
    forward = sum_is_nan or q < 0.5
    idx = range(lo.size) if forward else range(lo.size - 1, -1, -1)
    rank = q * count_all if forward else (1 - q) * count_all
    count = 0.0
    i = -1
    for i in idx:
        if cs[i] == 0:
            continue
        count += cs[i]
        if count >= rank:
            break
    b_lo, b_hi, b_cnt = float(lo[i]), float(hi[i]), float(cs[i])
    count = float(count)
    if not custom and b_lo < 0 and b_hi > 0:
        if not has_neg and has_pos:
            b_lo = 0.0
        elif not has_pos and has_neg:
            b_hi = 0.0
    elif custom:
        if b_lo == -math.inf:
            if b_hi <= 0:
                return b_hi
            b_lo = 0.0
        elif b_hi == math.inf:
            return b_lo
    count = min(count, count_all)
    if count < rank:
        return b_hi
    rank = rank - (count - b_cnt) if forward else count - rank
    fraction = rank / b_cnt
    if custom or (b_lo <= 0 and b_hi >= 0):
        return b_lo + (b_hi - b_lo) * fraction
    log_lo = math.log2(abs(b_lo))
    log_hi = math.log2(abs(b_hi))
    if b_lo > 0:
        return 2 ** (log_lo + (log_hi - log_lo) * fraction)
    return -(2 ** (log_hi + (log_lo - log_hi) * (1 - fraction)))
