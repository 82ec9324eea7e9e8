"""The labelled generator and the evaluation metrics used by the benchmark."""

from __future__ import annotations

import numpy as np
import pytest

from pipbench.detect import event_metrics, nab_score
from pipbench.detect.synthetic import make_corpus, make_series
from pipbench.errors import ConfigError


def test_same_seed_same_series_and_labels_where_injected():
    a = make_series(1000, kinds=("spike", "level_shift", "drift"), seed=3)
    b = make_series(1000, kinds=("spike", "level_shift", "drift"), seed=3)
    assert np.array_equal(a.values, b.values)
    assert a.anomalies == b.anomalies
    clean = make_series(1000, kinds=(), seed=3)
    for an in a.anomalies:
        assert a.labels[an.start : an.end].all()
        assert an.start >= 200
    sp = a.anomalies[0]
    assert a.values[sp.start] - clean.values[sp.start] == pytest.approx(sp.magnitude)


def test_corpus_is_seeded_and_varied():
    c1 = make_corpus(9, 400, seed=1)
    c2 = make_corpus(9, 400, seed=1)
    assert all(np.array_equal(x.values, y.values) for x, y in zip(c1, c2, strict=True))
    assert {an.kind for s in c1 for an in s.anomalies} == {
        "spike",
        "level_shift",
        "variance",
        "drift",
    }


def test_bad_kinds_are_named():
    with pytest.raises(ConfigError, match="wobble"):
        make_series(500, kinds=("wobble",))


def test_event_metrics_count_by_hand():
    f = np.zeros(200, bool)
    f[[12, 15, 100, 190]] = True
    m = event_metrics([f], [[(10, 11), (50, 60)]], tolerance=5)
    # 12 and 15 find the first window (one TP), 100 and 190 are false, (50,60) is missed
    assert (m.tp, m.fp, m.fn) == (1, 2, 1)
    assert m.mean_delay == 2.0
    assert m.precision == pytest.approx(1 / 3)
    assert m.recall == pytest.approx(0.5)


def test_nab_score_extremes():
    """Perfect early detection scores 100; no detection scores 0 (NAB normalisation)."""
    n = 1000
    perfect = np.zeros(n, bool)
    perfect[500 - 50] = True  # the first point of the window centred at 500
    assert nab_score([perfect], [[500]]) == pytest.approx(100.0, abs=0.5)
    assert nab_score([np.zeros(n, bool)], [[500]]) == pytest.approx(0.0)
    late = np.zeros(n, bool)
    late[549] = True
    assert 40 < nab_score([late], [[500]]) < 60
