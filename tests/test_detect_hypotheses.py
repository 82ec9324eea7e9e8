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
