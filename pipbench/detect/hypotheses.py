"""Turn change points, suspects and drill-downs into ranked, plain-language PIP hypotheses.

Each :class:`Hypothesis` says what changed, when, by how much and how sure we are, names the
suspect (an annotation) and the segment that carries it, and keeps the numbers it was built
from in ``evidence``. Confidence is a product of the significance of the change
(``1 - p``), the suspect's attribution score and the share of the change the segment
explains; a change with no suspect still yields an "unexplained change" hypothesis.

Examples
--------
>>> from pipbench.detect.changepoint import ChangePoint
>>> cp = ChangePoint(10, 1_767_268_800.0, 0.20, 0.30, 0.5, 0.002, "e-divisive")
>>> [h.title for h in hypotheses([cp], series="p99 latency of checkout", unit="s")]
['p99 latency of checkout rose 50 % (0.2 s -> 0.3 s) at 2026-01-01 12:00 UTC; no annotation explains it']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl

from pipbench.detect.changepoint import ChangePoint
from pipbench.detect.drilldown import Drilldown

__all__ = ["Hypothesis", "hypotheses"]


@dataclass(frozen=True)
class Hypothesis:
    """One ranked hypothesis for a PIP."""

    rank: int
    title: str
    confidence: float
    evidence: dict[str, object] = field(default_factory=dict)

    def as_markdown(self) -> str:
        """A list item for the PIP record."""
        return f"{self.rank}. {self.title} (confidence {self.confidence:.2f})"


def _when(t: float | None) -> str:
    if t is None:
        return "at an unknown time"
    return "at " + datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


def _ago(lag_s: float) -> str:
    m = abs(lag_s) / 60
    span = f"{m:.0f} min" if m < 120 else f"{m / 60:.1f} h"
    return f"{span} before" if lag_s >= 0 else f"{span} after"


def hypotheses(
    change_points: Sequence[ChangePoint],
    *,
    series: str = "the series",
    unit: str = "",
    suspects: pl.DataFrame | None = None,
    drill: Drilldown | None = None,
    max_suspects: int = 3,
) -> list[Hypothesis]:
    """Ranked hypotheses, most likely first.

    Parameters
    ----------
    change_points
        From :func:`~pipbench.detect.changepoint.e_divisive` (or PELT/Binseg).
    series
        What the series is, in words ("p99 latency of checkout").
    unit
        Unit for the before/after values.
    suspects
        From :func:`~pipbench.detect.attribution.attribute`.
    drill
        A :class:`~pipbench.detect.drilldown.Drilldown` of the main change (attached to
        the most significant change point).
    max_suspects
        Suspects per change point turned into hypotheses.
    """
    u = f" {unit}" if unit else ""
    out: list[tuple[float, str, dict[str, object]]] = []
    main = min(change_points, key=lambda c: (c.p_value, -abs(c.rel_change)), default=None)
    for cp in change_points:
        word = "rose" if cp.abs_change > 0 else "fell"
        rel = (
            f"{100 * abs(cp.rel_change):.0f} %" if abs(cp.rel_change) != float("inf") else "from 0"
        )
        what = f"{series} {word} {rel} ({cp.mean_before:.4g}{u} -> {cp.mean_after:.4g}{u}) {_when(cp.time)}"
        sure = max(0.0, 1.0 - cp.p_value)
        evidence: dict[str, object] = {"series": series, "change": cp.as_dict()}
        where = ""
        share = 1.0
        if drill is not None and cp is main and drill.table.height:
            top = drill.table.row(0, named=True)
            share = max(0.0, min(1.0, float(top["explained"])))
            seg = top["segment"].replace(", ", " on ")
            where = (
                f"; {100 * share:.0f} % of the {drill.statistic} change is {seg} "
                f"({100 * top['share_after']:.0f} % of traffic)"
            )
            evidence["drilldown"] = drill.table.head(5).to_dicts()
        rows = []
        if suspects is not None and suspects.height:
            rows = (
                suspects.filter(pl.col("change_index") == cp.index)
                .sort("rank")
                .head(max_suspects)
                .to_dicts()
            )
        if rows:
            for r in rows:
                title = f"{r['kind']} '{r['text']}' {_ago(r['lag_s'])} the change: {what}{where}"
                conf = sure * float(r["score"]) * (0.5 + 0.5 * share)
                out.append((conf, title, {**evidence, "suspect": r}))
        else:
            title = f"{what}{where}; no annotation explains it"
            out.append((0.5 * sure * (0.5 + 0.5 * share), title, evidence))
    out.sort(key=lambda x: -x[0])
    return [Hypothesis(i, t, round(c, 4), e) for i, (c, t, e) in enumerate(out, start=1)]
