"""Hypotheses: ranked, plain language, with the evidence attached."""

from __future__ import annotations

import polars as pl

from pipbench.detect import ChangePoint, attribute, hypotheses

T = 1_767_268_800.0


def test_hypotheses_rank_the_best_attributed_change_first_and_carry_evidence():
    big = ChangePoint(100, T, 0.20, 0.30, 0.5, 0.001, "e-divisive")
    small = ChangePoint(300, T + 36000, 0.30, 0.31, 0.033, 0.04, "e-divisive")
    ann = pl.DataFrame(
        {
            "timestamp": [T - 180, T - 3000, T + 36000 - 3500],
            "kind": ["deploy", "flag", "config"],
            "text": ["checkout 2.4.0", "new-cart", "pool size"],
        }
    )
    sus = attribute([big, small], ann, window=3600)
    hs = hypotheses([big, small], series="p99 latency of checkout", unit="s", suspects=sus)
    assert [h.rank for h in hs] == list(range(1, len(hs) + 1))
    assert hs[0].title.startswith("deploy 'checkout 2.4.0' 3 min before the change")
    assert "rose 50 %" in hs[0].title
    assert hs[0].evidence["suspect"]["text"] == "checkout 2.4.0"
    assert hs[0].evidence["change"]["p_value"] == 0.001
    confs = [h.confidence for h in hs]
    assert confs == sorted(confs, reverse=True)


def test_unexplained_change_is_still_a_hypothesis():
    cp = ChangePoint(10, T, 10.0, 5.0, -0.5, 0.01, "pelt")
    (h,) = hypotheses([cp], series="traffic")
    assert "fell 50 %" in h.title
    assert "no annotation explains it" in h.title


def test_no_change_points_no_hypotheses():
    assert hypotheses([]) == []


def test_end_to_end_change_suspect_and_segment_in_one_sentence():
    """Series -> e_divisive -> attribute -> drilldown -> hypotheses, on a seeded scenario."""
    import numpy as np

    from pipbench.detect import drilldown, e_divisive

    rng = np.random.default_rng(0)
    n = 30000
    t = np.sort(rng.uniform(T - 7200, T + 7200, n))
    ep = rng.choice(["/api/cart", "/api/checkout"], n)
    slow = (t >= T) & (ep == "/api/checkout")
    dur = rng.lognormal(-3, 0.3, n) * np.where(slow, 2.5, 1.0)
    events = pl.DataFrame({"timestamp": t, "duration_s": dur, "endpoint": ep})
    # the SLI series: p99 per minute
    per_min = (
        events.with_columns((pl.col("timestamp") // 60 * 60).alias("m"))
        .group_by("m")
        .agg(pl.col("duration_s").quantile(0.99))
        .sort("m")
    )
    cps = e_divisive(per_min["duration_s"].to_numpy(), per_min["m"].to_numpy(), seed=0)
    assert len(cps) == 1
    assert abs(cps[0].time - T) <= 120
    ann = pl.DataFrame({"timestamp": [T - 240.0], "kind": ["deploy"], "text": ["checkout 2.4.0"]})
    sus = attribute(cps, ann)
    drill = drilldown(events, at=cps[0].time, statistic="p99")
    (h,) = hypotheses(cps, series="p99 latency", unit="s", suspects=sus, drill=drill)
    assert "deploy 'checkout 2.4.0'" in h.title
    assert "endpoint=/api/checkout" in h.title
    assert "% of traffic" in h.title
    assert h.evidence["drilldown"][0]["segment"] == "endpoint=/api/checkout"
