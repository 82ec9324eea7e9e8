"""Shared helpers for the benchmarks: timing, results, printing.

A benchmark module ``bench_<area>.py`` defines ``run(quick: bool) -> list[Result]``.
Absolute times on shared machines are noise: every result that matters is a ratio
against a baseline measured in the same run (``ratio = baseline_s / subject_s`` for
speed, so > 1 means faster than the baseline), or a quality figure.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One line of ``make bench`` output."""

    name: str
    value: float
    unit: str
    target: str = ""
    detail: str = ""

    def line(self) -> str:
        tgt = f"  [target {self.target}]" if self.target else ""
        det = f"  ({self.detail})" if self.detail else ""
        return f"{self.name:58} {self.value:12.4g} {self.unit:10}{tgt}{det}"


def timeit(fn: Callable[[], object], *, repeat: int = 3, warmup: int = 0) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs, in seconds."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)
