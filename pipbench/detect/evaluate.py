"""Score detectors against labelled anomalies: event precision/recall/delay and a NAB-style score.

Examples
--------
>>> import numpy as np
>>> flags = np.zeros(100, dtype=bool); flags[[12, 60]] = True
>>> m = event_metrics([flags], [[(10, 20)]], tolerance=5)
>>> (m.tp, m.fp, m.fn, m.mean_delay)
(1, 1, 0, 2.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["EventMetrics", "event_metrics", "nab_score"]


@dataclass(frozen=True)
class EventMetrics:
    """Event-level counts: an anomaly is found when a flag falls in its window."""

    tp: int
    fp: int
    fn: int
    mean_delay: float
    """Mean points from anomaly start to its first flag (found anomalies only)."""

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def event_metrics(
    flags: Sequence[np.ndarray],
    windows: Sequence[Sequence[tuple[int, int]]],
    *,
    tolerance: int = 24,
    ignore_first: int = 0,
) -> EventMetrics:
    """Count found anomalies, false flags and delays over a corpus.

    Parameters
    ----------
    flags
        One boolean array per series.
    windows
        Per series, ``(start, end)`` index pairs of the labelled anomalies; a flag in
        ``[start, end + tolerance)`` finds it (several flags count once).
    tolerance
        Points after the end of an anomaly still counted as on time.
    ignore_first
        Flags before this index are not counted (a warm-up or probation period).
    """
    tp = fp = fn = 0
    delays: list[int] = []
    for f, wins in zip(flags, windows, strict=True):
        idx = np.flatnonzero(np.asarray(f, dtype=bool))
        idx = idx[idx >= ignore_first]
        used = np.zeros(idx.size, dtype=bool)
        for start, end in wins:
            hi = end + tolerance
            inside = (idx >= start) & (idx < hi)
            if inside.any():
                tp += 1
                delays.append(int(idx[inside][0] - start))
            else:
                fn += 1
            used |= inside
        fp += int((~used).sum())
    return EventMetrics(tp, fp, fn, float(np.mean(delays)) if delays else float("nan"))


def _sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 2.0 / (1.0 + np.exp(5.0 * np.asarray(x))) - 1.0


def nab_score(
    flags: Sequence[np.ndarray],
    starts: Sequence[Sequence[int]],
    *,
    a_tp: float = 1.0,
    a_fp: float = 0.11,
    a_fn: float = 1.0,
    probation: float = 0.15,
) -> float:
    """A normalised NAB-style score (0 = no detections, 100 = perfect), standard profile.

    Follows the published NAB rules in outline: windows of total width 10 % of the series
    are centred on each labelled start; the earliest flag in a window earns a scaled sigmoid
    of its position, a window without a flag costs ``a_fn``, a flag outside windows costs up
    to ``a_fp`` (less right after a window), flags in the first ``probation`` fraction are
    ignored.
    """
    raw = 0.0
    worst = 0.0
    best = 0.0
    for f, st in zip(flags, starts, strict=True):
        f = np.asarray(f, dtype=bool)
        n = f.size
        if not len(st):
            wins: list[tuple[int, int]] = []
        else:
            width = max(int(0.1 * n / len(st)), 1)
            wins = [(max(s - width // 2, 0), min(s + width // 2, n - 1)) for s in st]
        idx = np.flatnonzero(f)
        idx = idx[idx >= int(probation * n)]
        covered = np.zeros(idx.size, dtype=bool)
        for lo, hi in wins:
            length = hi - lo + 1
            inside = (idx >= lo) & (idx <= hi)
            covered |= inside
            if inside.any():
                i = idx[inside][0]
                pos = -(hi - i + 1) / length
                raw += a_tp * float(_sigmoid(pos))
            else:
                raw -= a_fn
        for i in idx[~covered]:
            prev = [w for w in wins if w[1] < i]
            if prev:
                lo, hi = prev[-1]
                pos = (i - hi) / (hi - lo + 1)
                raw += a_fp * float(_sigmoid(pos))
            else:
                raw -= a_fp
        worst -= a_fn * len(wins)
        best += a_tp * len(wins) * float(_sigmoid(-1.0))
    if best == worst:
        return 100.0 if raw >= 0 else 0.0
    return 100.0 * (raw - worst) / (best - worst)
