"""Offline change points: "when did it regress", with magnitude and significance.

* :func:`e_divisive`: E-divisive means (Matteson & James, 2014), the method MongoDB's
  signal processing and Apache Otava use for performance CI: hierarchical bisection on the
  energy statistic, each new change point kept only if a permutation test finds it
  significant.
* :func:`pelt` and :func:`binseg`: penalised segmentation via ``ruptures`` (L2 cost);
  their p-value is Welch's t-test between the two neighbouring segments.

Every change point carries its index and time, the means before and after (within its
neighbouring segments), the relative change and a p-value.

Examples
--------
>>> import numpy as np
>>> y = np.r_[np.full(60, 10.0), np.full(60, 13.0)] + np.random.default_rng(0).normal(0, 1, 120)
>>> [(c.index, round(c.rel_change, 2)) for c in e_divisive(y, seed=1)]
[(60, 0.3)]
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from scipy import stats

from pipbench.detect._series import prepare
from pipbench.errors import ConfigError

__all__ = ["ChangePoint", "binseg", "e_divisive", "energy_statistic", "pelt"]


@dataclass(frozen=True)
class ChangePoint:
    """One change point: the first index (and time) of the new regime."""

    index: int
    time: float | None
    """Epoch seconds of the first point after the change (None without timestamps)."""
    mean_before: float
    mean_after: float
    rel_change: float
    """``(mean_after - mean_before) / |mean_before|`` (inf when ``mean_before`` is 0)."""
    p_value: float
    method: str

    @property
    def abs_change(self) -> float:
        return self.mean_after - self.mean_before

    def as_dict(self) -> dict[str, object]:
        return {
            "index": self.index,
            "time": self.time,
            "mean_before": self.mean_before,
            "mean_after": self.mean_after,
            "rel_change": self.rel_change,
            "p_value": self.p_value,
            "method": self.method,
        }


def _pair_cumsum(x: np.ndarray) -> np.ndarray:
    """2-D prefix sums of the distance matrix ``|x_i - x_j|`` (shape (m+1, m+1))."""
    d = np.abs(x[:, None] - x[None, :])
    c = np.zeros((x.size + 1, x.size + 1))
    c[1:, 1:] = d.cumsum(0).cumsum(1)
    return c


def energy_statistic(x: np.ndarray, min_size: int = 5) -> np.ndarray:
    """The E-divisive statistic ``Q(tau)`` for every split ``tau`` of ``x`` (NaN where undefined).

    ``Q = tau (m - tau) / m * (2 E|X - Y| - E|X - X'| - E|Y - Y'|)`` with ``X = x[:tau]``,
    ``Y = x[tau:]`` and U-statistic means over distinct pairs (exponent 1).

    Examples
    --------
    >>> import numpy as np
    >>> q = energy_statistic(np.r_[np.zeros(10), np.ones(10)], min_size=2)
    >>> int(np.nanargmax(q))
    10
    """
    x = np.asarray(x, dtype=np.float64)
    m = x.size
    c = _pair_cumsum(x)
    t = np.arange(m + 1)
    total = c[m, m]
    within_left = c[t, t] / 2.0
    cross = c[t, m] - c[t, t]
    within_right = (total - 2.0 * c[t, m] + c[t, t]) / 2.0
    q = np.full(m + 1, np.nan)
    ok = (t >= max(min_size, 2)) & (t <= m - max(min_size, 2))
    tt = t[ok].astype(np.float64)
    n1, n2 = tt, m - tt
    e = (
        2.0 * cross[ok] / (n1 * n2)
        - within_left[ok] / (n1 * (n1 - 1) / 2.0)
        - within_right[ok] / (n2 * (n2 - 1) / 2.0)
    )
    q[ok] = n1 * n2 / m * e
    return q


def _best_split(x: np.ndarray, min_size: int) -> tuple[int, float]:
    q = energy_statistic(x, min_size)
    if not np.isfinite(q).any():
        return -1, -np.inf
    k = int(np.nanargmax(q))
    return k, float(q[k])


def _stats_for(
    y: np.ndarray, bounds: list[int], ts: np.ndarray | None, method: str, pvals: dict[int, float]
) -> list[ChangePoint]:
    out = []
    edges = [0, *bounds, y.size]
    for i, b in enumerate(bounds):
        before = y[edges[i] : b]
        after = y[b : edges[i + 2]]
        mb, ma = float(np.mean(before)), float(np.mean(after))
        rel = (ma - mb) / abs(mb) if mb != 0 else (0.0 if ma == mb else float(np.inf))
        p = pvals.get(b)
        if p is None:
            p = (
                float(stats.ttest_ind(before, after, equal_var=False).pvalue)
                if min(before.size, after.size) > 1
                else 1.0
            )
            if not np.isfinite(p):
                p = 0.0 if ma != mb else 1.0
        out.append(
            ChangePoint(int(b), None if ts is None else float(ts[b]), mb, ma, rel, p, method)
        )
    return out


def _finite(
    values: object, timestamps: object | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    prep = prepare(values, timestamps)
    ok = np.isfinite(prep.values)
    ts = None if prep.timestamps is None else prep.timestamps[ok]
    return prep.values[ok], ts, prep.order[ok]


def e_divisive(
    values: object,
    timestamps: object | None = None,
    *,
    alpha: float = 0.05,
    permutations: int = 99,
    min_size: int = 10,
    max_points: int = 1000,
    seed: int = 0,
) -> list[ChangePoint]:
    """E-divisive means with a permutation significance test.

    Parameters
    ----------
    values, timestamps
        The series (any order; sorted by time; NaN dropped).
    alpha
        A candidate is kept when its permutation p-value is ``<= alpha``.
    permutations
        Permutations per candidate (p-value resolution ``1 / (permutations + 1)``).
    min_size
        Minimum points in a segment.
    max_points
        Longer series are averaged into this many consecutive bins first (the statistic
        needs ``O(m^2)`` memory); indices are mapped back to the first point of a bin.
    seed
        Seed of the permutations.

    Returns
    -------
    list of ChangePoint
        In time order. Indices refer to the time-ordered, NaN-free series.
    """
    if not (0 < alpha < 1):
        msg = f"alpha={alpha!r} must be in (0, 1)"
        raise ConfigError(msg)
    if not (isinstance(permutations, int) and permutations >= 1):
        msg = f"permutations={permutations!r} must be an int >= 1"
        raise ConfigError(msg)
    if not (isinstance(min_size, int) and min_size >= 2):
        msg = f"min_size={min_size!r} must be an int >= 2"
        raise ConfigError(msg)
    y, ts, _ = _finite(values, timestamps)
    if y.size < 2 * min_size or np.ptp(y) == 0:
        return []
    factor = max(int(np.ceil(y.size / max_points)), 1)
    if factor > 1:
        nb = y.size // factor
        z = y[: nb * factor].reshape(nb, factor).mean(axis=1)
        ms = max(min_size // factor, 2)
    else:
        z, ms = y, min_size
    rng = np.random.default_rng(seed)
    bounds: list[int] = []
    pvals: dict[int, float] = {}
    while True:
        edges = [0, *bounds, z.size]
        best = (-np.inf, -1, -1)
        for lo, hi in itertools.pairwise(edges):
            k, q = _best_split(z[lo:hi], ms)
            if k > 0 and q > best[0]:
                best = (q, lo, lo + k)
        q_obs, lo, cut = best
        if cut < 0:
            break
        hi = edges[edges.index(lo) + 1]
        seg = z[lo:hi].copy()
        exceed = 0
        give_up = alpha * (permutations + 1)  # past this many, p > alpha whatever follows
        done = 0
        for _ in range(permutations):
            rng.shuffle(seg)
            exceed += _best_split(seg, ms)[1] >= q_obs
            done += 1
            if exceed + 1 > give_up:
                break
        p = (exceed + 1) / (done + 1) if done < permutations else (exceed + 1) / (permutations + 1)
        if p > alpha:
            break
        bounds = sorted([*bounds, cut])
        pvals[cut * factor] = p
    full = [b * factor for b in bounds]
    return _stats_for(y, full, ts, "e-divisive", pvals)


def _ruptures(
    algo: str,
    values: object,
    timestamps: object | None,
    penalty: float | None,
    min_size: int,
    n_bkps: int | None,
) -> list[ChangePoint]:
    import ruptures as rpt

    y, ts, _ = _finite(values, timestamps)
    if y.size < 2 * min_size or np.ptp(y) == 0:
        return []
    sigma = 1.4826 * float(np.median(np.abs(np.diff(y)))) / np.sqrt(2) or float(np.std(y)) or 1.0
    pen = penalty if penalty is not None else 3.0 * np.log(y.size) * sigma**2
    cls = rpt.Pelt if algo == "pelt" else rpt.Binseg
    est = cls(model="l2", min_size=min_size, jump=1 if y.size <= 5000 else 5).fit(y)
    bk = (
        est.predict(n_bkps=n_bkps)
        if (algo == "binseg" and n_bkps is not None)
        else est.predict(pen=pen)
    )
    return _stats_for(y, [b for b in bk if b < y.size], ts, algo, {})


def pelt(
    values: object,
    timestamps: object | None = None,
    *,
    penalty: float | None = None,
    min_size: int = 10,
) -> list[ChangePoint]:
    """PELT (``ruptures.Pelt``, L2 cost) change points.

    The default penalty is BIC-like, ``3 log(n) sigma^2``, with ``sigma`` estimated robustly
    from first differences (so level shifts do not inflate it). p-values: Welch's t-test of
    the neighbouring segments.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.zeros(50), np.full(50, 5.0)] + np.random.default_rng(1).normal(0, 1, 100)
    >>> [c.index for c in pelt(y)]
    [50]
    """
    return _ruptures("pelt", values, timestamps, penalty, min_size, None)


def binseg(
    values: object,
    timestamps: object | None = None,
    *,
    penalty: float | None = None,
    n_bkps: int | None = None,
    min_size: int = 10,
) -> list[ChangePoint]:
    """Binary segmentation (``ruptures.Binseg``, L2 cost); ``n_bkps`` fixes the count.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.r_[np.zeros(50), np.full(50, 5.0)] + np.random.default_rng(1).normal(0, 1, 100)
    >>> [c.index for c in binseg(y, n_bkps=1)]
    [50]
    """
    return _ruptures("binseg", values, timestamps, penalty, min_size, n_bkps)
