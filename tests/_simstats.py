"""Replication helpers for the simulation tests: tolerances come from confidence intervals.

A simulator agrees with theory when the closed-form value lies inside the Student-t
confidence interval of the replication means at ``LEVEL`` (99.9 %): the tolerance is the
replications' own sampling error, not a number picked to pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
from scipy import stats

LEVEL = 0.999


def ci(values: Sequence[float], level: float = LEVEL) -> tuple[float, float, float]:
    """Mean and the Student-t interval of independent replication values."""
    v = np.asarray(values, float)
    half = stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size)
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def check(
    rows: Sequence[Mapping[str, float]], key: str, theory: float, level: float = LEVEL
) -> None:
    """Assert ``theory`` is inside the CI of ``key`` over ``rows`` (one row per replication)."""
    mean, lo, hi = ci([r[key] for r in rows], level)
    assert lo <= theory <= hi, (
        f"{key}: theory {theory:.6g} outside [{lo:.6g}, {hi:.6g}] (mean {mean:.6g})"
    )


def replications(
    run: Callable[[np.random.SeedSequence], Mapping[str, float]], r: int, seed: int
) -> list[Mapping[str, float]]:
    """``r`` independent runs with spawned seeds."""
    return [run(s) for s in np.random.SeedSequence(seed).spawn(r)]
