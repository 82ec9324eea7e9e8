"""Attribution: suspects ranked by time, kind and labels."""

from __future__ import annotations

import math

import polars as pl
import pytest

from pipbench.detect import ChangePoint, attribute
from pipbench.errors import InputError

T = 1_767_268_800.0


def _cp(t: float = T) -> ChangePoint:
    return ChangePoint(100, t, 0.2, 0.3, 0.5, 0.01, "e-divisive")


def test_ranking_by_time_kind_and_labels():
    ann = pl.DataFrame(
        {
            "timestamp": [T - 300, T - 1200, T + 120, T - 60, T - 7200],
            "kind": ["deploy", "flag", "incident", "deploy", "deploy"],
            "text": ["checkout 2.4.0", "new-cart", "pager: p99 high", "search 1.2", "old deploy"],
            "service": ["checkout", None, None, "search", "checkout"],
        }
    )
    s = attribute([_cp()], ann, window=3600, labels={"service": "checkout"})
    assert s["text"].to_list() == ["checkout 2.4.0", "new-cart", "search 1.2", "pager: p99 high"]
    assert s["rank"].to_list() == [1, 2, 3, 4]
    # score = exp(-lag/window) * kind weight * label weight (published in the module doc)
    assert s["score"][0] == pytest.approx(math.exp(-300 / 3600) * 1.0 * 1.0)
    assert s["score"][1] == pytest.approx(math.exp(-1200 / 3600) * 0.9 * 0.7)
    assert s["lag_s"][3] == pytest.approx(-120)


def test_interval_annotation_containing_the_change_has_lag_zero():
    ann = pl.DataFrame(
        {"timestamp": [T - 5000.0], "end": [T + 100.0], "kind": ["flag"], "text": ["canary 10%"]}
    )
    s = attribute([_cp()], ann, window=600)
    assert s["lag_s"].to_list() == [0.0]


def test_datetime_timestamps_and_missing_columns():
    from datetime import UTC, datetime

    ann = pl.DataFrame(
        {"timestamp": [datetime.fromtimestamp(T - 60, tz=UTC)], "kind": ["deploy"], "text": ["x"]}
    )
    assert attribute([_cp()], ann)["lag_s"][0] == pytest.approx(60)
    with pytest.raises(InputError, match="kind"):
        attribute([_cp()], pl.DataFrame({"timestamp": [T]}))


def test_no_suspects_gives_an_empty_frame_with_columns():
    ann = pl.DataFrame({"timestamp": [T - 99999.0], "kind": ["deploy"], "text": ["old"]})
    s = attribute([_cp()], ann, window=600)
    assert s.height == 0
    assert "score" in s.columns
