"""Detection: quality on the injected corpus, speed against a per-series statsmodels STL loop.

Quality (precision, recall, F1, mean delay, NAB-style score) of the default online detector
and of a per-series STL residual detector (statsmodels STL, R-style jumps, robust z of the
residual; offline, so it even sees the future) on the same seeded corpus, both sparsified
the same way (one flag per episode). Speed: the online detector over a batch of series x
2,016 points against the STL loop timed on a sample of series and extrapolated to the same
number of series; points per second of the online detector (batch and one series).
"""

from __future__ import annotations

import time

import numpy as np

from pipbench.detect import OnlineDetector, RobustZDetector, SeasonalESDDetector, e_divisive
from pipbench.detect._series import tail_score
from pipbench.detect.baseline import r_stl_jumps
from pipbench.detect.evaluate import event_metrics, nab_score
from pipbench.detect.synthetic import make_batch, make_corpus
from tests.benchmarks._common import Result, timeit

N_POINTS = 2016
FULL_SERIES = 10_000


def _stl_scores(y: np.ndarray, period: int = 288) -> np.ndarray:
    from statsmodels.tsa.seasonal import STL

    res = STL(y, period=period, seasonal=7, **r_stl_jumps(period)).fit()
    r = res.resid
    s = 1.4826 * np.median(np.abs(r - np.median(r)))
    return tail_score((r - np.median(r)) / max(s, 1e-12))


def _sparsify(scores: np.ndarray, threshold: float, cooldown: int = 64) -> np.ndarray:
    out = np.zeros(scores.size, dtype=bool)
    last = -(10**9)
    for i in np.flatnonzero(scores >= threshold):  # a few flags per series
        if i - last > cooldown:
            out[i] = True
            last = i
    return out


def _quality(name: str, flags: list[np.ndarray], corpus) -> list[Result]:
    wins = [[(a.start, a.end) for a in c.anomalies] for c in corpus]
    m = event_metrics(flags, wins, tolerance=24, ignore_first=int(0.15 * N_POINTS))
    nab = nab_score(flags, [[a.start for a in c.anomalies] for c in corpus])
    kinds: dict[str, list[bool]] = {}
    for c, f in zip(corpus, flags, strict=True):
        for a in c.anomalies:
            kinds.setdefault(a.kind, []).append(bool(f[a.start : a.end + 24].any()))
    per_kind = ", ".join(f"{k} {100 * np.mean(v):.0f}%" for k, v in sorted(kinds.items()))
    return [
        Result(
            f"{name}: F1 on injected corpus",
            m.f1,
            "",
            "",
            f"P {m.precision:.2f} R {m.recall:.2f}, fp {m.fp}; recall {per_kind}",
        ),
        Result(f"{name}: mean detection delay", m.mean_delay, "points"),
        Result(f"{name}: NAB-style score (standard profile)", nab, "/100"),
    ]


def run(quick: bool) -> list[Result]:
    out: list[Result] = []
    corpus = make_corpus(60 if quick else 180, N_POINTS, seed=2026)
    ts = corpus[0].timestamps
    Y = np.stack([c.values for c in corpus])
    det = OnlineDetector()
    s_online, f_online = det.score_batch(Y, ts)
    out += _quality("online (default)", list(f_online), corpus)
    # NAB optimises one score threshold over the corpus: the score must rank well on its own
    starts = [[a.start for a in c.anomalies] for c in corpus]
    sweep = {thr: nab_score(list(s_online >= thr), starts) for thr in np.arange(0.2, 0.81, 0.05)}
    best = max(sweep, key=sweep.__getitem__)
    out.append(
        Result(
            "online: NAB-style score at the best score threshold",
            sweep[best],
            "/100",
            "",
            f"best threshold {best:.2f}; default threshold {det.threshold}",
        )
    )
    stl_flags = [_sparsify(_stl_scores(c.values), det.threshold) for c in corpus]
    out += _quality("STL residual (statsmodels, offline)", stl_flags, corpus)
    sub = corpus[: 30 if quick else 60]
    esd = [SeasonalESDDetector().fit(c.values, c.timestamps).is_anomaly_ for c in sub]
    out += _quality(
        "seasonal hybrid ESD (offline)", [_sparsify(f.astype(float), 0.5) for f in esd], sub
    )[:1]
    rz = [RobustZDetector().fit(c.values, c.timestamps).scores_ for c in sub]
    out += _quality("robust-z on profile baseline (offline)", [_sparsify(s, 0.5) for s in rz], sub)[
        :1
    ]

    # speed: batch online detector vs per-series STL loop (sampled, extrapolated)
    n_series = 1000 if quick else FULL_SERIES
    bts, BY, _ = make_batch(n_series, N_POINTS, seed=7)
    t_online = timeit(lambda: det.score_batch(BY, bts), repeat=1 if not quick else 2)
    sample = 10 if quick else 25
    t0 = time.perf_counter()
    for i in range(sample):
        _stl_scores(BY[i])
    t_stl = (time.perf_counter() - t0) / sample * n_series
    pts = n_series * N_POINTS
    out.append(
        Result(
            f"online batch vs STL loop ({n_series:,} x {N_POINTS:,})",
            t_stl / t_online,
            "x faster",
            ">= 10",
            f"online {t_online:.2f} s, STL loop {t_stl:.0f} s extrapolated from {sample} series",
        )
    )
    out.append(Result("online detector throughput, batch", pts / t_online / 1e6, "M pts/s"))
    one = BY[0]
    t_one = timeit(lambda: OnlineDetector().fit(one, bts), repeat=3)
    out.append(
        Result(
            "online detector throughput, one series",
            N_POINTS / t_one / 1e3,
            "k pts/s",
            "",
            "plain-float kernel, same numbers as the batch",
        )
    )
    y = BY[1]
    t_ed = timeit(lambda: e_divisive(y, bts, seed=0), repeat=1)
    out.append(
        Result(
            "e-divisive on one 2,016-point series", t_ed, "s", "", "99 permutations per candidate"
        )
    )
    return out
