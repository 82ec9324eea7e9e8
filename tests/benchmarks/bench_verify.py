"""Verification benchmark: calibration (A/A false-fail), power, and judgement speed.

- A/A false-fail rate of ``compare_samples`` (auto) for n = 20 … 10,000 per side, i.i.d.
  and AR(1)-autocorrelated (ρ = 0.6, like per-minute aggregates), with Monte-Carlo
  standard errors; Kayenta's per-metric false High/Low rate on the same data for contrast.
- Power for a 10 % log-normal latency shift against the t-test on logs (the best valid
  test for log-normal data) at the same n.
- A/A for p95 (bootstrap) and sparse error counts (exact Poisson).
- A 50-metric judgement with 10,000 points per side: seconds, and the ratio against 50
  bare ``scipy.stats.mannwhitneyu`` calls measured in the same run.
"""

from __future__ import annotations

import math
import time

import numpy as np
from scipy import signal, stats

from pipbench.verify import MetricSpec, compare_samples, judge_canary
from pipbench.verify.kayenta import KayentaMetric, kayenta_classify
from tests.benchmarks._common import Result, timeit


def _ar1(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    e = rng.normal(size=n) * math.sqrt(1 - rho * rho)
    e[0] = rng.normal()
    return signal.lfilter([1.0], [1.0, -rho], e)


def _rate(hits: int, reps: int) -> tuple[float, float]:
    p = hits / reps
    return p, math.sqrt(max(p * (1 - p), 1e-12) / reps)


def _aa(quick: bool) -> list[Result]:
    out = []
    ns = [20, 100, 1000] if quick else [20, 100, 1000, 10_000]
    reps_for = {20: 1000, 100: 1000, 1000: 400, 10_000: 100}
    rng = np.random.default_rng(2026)
    for rho in (0.0, 0.6):
        for n in ns:
            reps = reps_for[n] // (4 if quick else 1)
            fails = kay = kay_reps = 0
            for i in range(reps):
                b = np.exp(0.5 * _ar1(rng, n, rho))
                c = np.exp(0.5 * _ar1(rng, n, rho))
                fails += compare_samples(b, c).verdict == "fail"
                if n <= 1000 and i < 200:
                    kay_reps += 1
                    kay += (
                        kayenta_classify(
                            KayentaMetric("m", direction="increase"), b, c
                        ).classification
                        == "High"
                    )
            p, se = _rate(fails, reps)
            kind = "iid" if rho == 0 else f"AR(1) rho={rho}"
            detail = f"±{se:.3f} MC s.e., {reps} reps"
            if kay_reps:
                kp, kse = _rate(kay, kay_reps)
                detail += f"; Kayenta false High {kp:.3f}±{kse:.3f} (nominal 0.01)"
            out.append(Result(f"verify A/A false-fail {kind} n={n}", p, "rate", "<= 0.05", detail))
    return out


def _power(quick: bool) -> list[Result]:
    out = []
    rng = np.random.default_rng(7)
    for n in (100, 500, 2000):
        reps = 100 if quick else 400
        ours = ref = 0
        for _ in range(reps):
            b = rng.lognormal(0, 0.5, n)
            c = rng.lognormal(math.log(1.1), 0.5, n)
            ours += compare_samples(b, c).verdict == "fail"
            ref += stats.ttest_ind(np.log(c), np.log(b), alternative="greater").pvalue <= 0.05
        p, se = _rate(ours, reps)
        rp, rse = _rate(ref, reps)
        out.append(
            Result(
                f"verify power +10% lognormal(σ=0.5) n={n}",
                p,
                "rate",
                "~ t-test on logs" + (" (≥0.9 at n=500)" if n == 500 else ""),
                f"±{se:.3f}; t-test on logs {rp:.3f}±{rse:.3f}, {reps} reps",
            )
        )
    # autocorrelated power: same shift on AR(1) per-minute aggregates
    reps = 100 if quick else 300
    hits = 0
    for _ in range(reps):
        b = np.exp(0.5 * _ar1(rng, 500, 0.6))
        c = np.exp(0.5 * _ar1(rng, 500, 0.6)) * 1.1
        hits += compare_samples(b, c).verdict == "fail"
    p, se = _rate(hits, reps)
    # oracle: t-test on logs with the true τ = (1+ρ)/(1−ρ) known (not available in practice)
    z = math.log(1.1) / (0.5 * math.sqrt(4.0 * 2 / 500))
    oracle = float(stats.norm.sf(stats.norm.isf(0.05) - z))
    out.append(
        Result(
            "verify power +10% AR(1) rho=0.6 n=500",
            p,
            "rate",
            "",
            f"±{se:.3f}, {reps} reps; oracle with known τ {oracle:.2f}",
        )
    )
    return out


def _other_aa(quick: bool) -> list[Result]:
    rng = np.random.default_rng(11)
    reps = 100 if quick else 300
    fails = sum(
        compare_samples(
            rng.lognormal(0, 0.5, 1000),
            rng.lognormal(0, 0.5, 1000),
            quantile=0.95,
            n_boot=2000,
            seed=i,
        ).verdict
        == "fail"
        for i in range(reps)
    )
    p, se = _rate(fails, reps)
    res = [
        Result(
            "verify A/A false-fail p95 bootstrap n=1000",
            p,
            "rate",
            "<= 0.05",
            f"±{se:.3f}, {reps} reps",
        )
    ]
    fails = 0
    for i in range(reps):
        b = np.exp(0.5 * _ar1(rng, 400, 0.8))
        c = np.exp(0.5 * _ar1(rng, 400, 0.8))
        fails += compare_samples(b, c, quantile=0.95, n_boot=2000, seed=i).verdict == "fail"
    p, se = _rate(fails, reps)
    res.append(
        Result(
            "verify A/A false-fail p95 AR(1) rho=0.8 n=400",
            p,
            "rate",
            "<= 0.05",
            f"±{se:.3f}, {reps} reps; m-out-of-n exact bootstrap",
        )
    )
    e = np.full(60, 1000.0)
    fails = 0
    reps2 = 500 if quick else 2000
    for _ in range(reps2):
        b, c = rng.poisson(0.5, 60), rng.poisson(0.5, 60)  # 0.05 % errors, sparse
        fails += compare_samples(b, c, baseline_exposure=e, canary_exposure=e).verdict == "fail"
    p, se = _rate(fails, reps2)
    res.append(
        Result(
            "verify A/A false-fail sparse errors (poisson)",
            p,
            "rate",
            "<= 0.05",
            f"±{se:.3f}, {reps2} reps; exact test is conservative",
        )
    )
    # bursty errors: the per-minute log-rate is an AR(1) (a Cox process)
    for rho, n in ((0.7, 60), (0.9, 120)):
        reps3 = 200 if quick else 600
        fails = exact = 0
        e = np.full(n, 1000.0)
        for _ in range(reps3):
            lam = 2 * np.exp(0.5 * np.vstack([_ar1(rng, n, rho), _ar1(rng, n, rho)]))
            b, c = rng.poisson(lam)
            kw = {"baseline_exposure": e, "canary_exposure": e}
            fails += compare_samples(b, c, **kw).verdict == "fail"
            exact += compare_samples(b, c, method="poisson", **kw).verdict == "fail"
        p, se = _rate(fails, reps3)
        pe, _ = _rate(exact, reps3)
        res.append(
            Result(
                f"verify A/A false-fail bursty errors AR(1) rho={rho} n={n}",
                p,
                "rate",
                "<= 0.05",
                f"±{se:.3f}, {reps3} reps; exact Poisson alone {pe:.3f}",
            )
        )
    return res


def _speed(quick: bool) -> list[Result]:
    rng = np.random.default_rng(3)
    n = 10_000
    data = {f"m{i}": (rng.lognormal(0, 0.5, n), rng.lognormal(0, 0.5, n)) for i in range(50)}
    specs = [MetricSpec(k) for k in data]
    judge_canary(data, specs)  # warm-up (imports, caches)
    t_judge = timeit(lambda: judge_canary(data, specs), repeat=3)
    t_floor = timeit(
        lambda: [stats.mannwhitneyu(b, c, alternative="greater") for b, c in data.values()],
        repeat=3,
    )
    small = [(rng.lognormal(0, 0.5, 100), rng.lognormal(0, 0.5, 100)) for _ in range(500)]
    t0 = time.perf_counter()
    for b, c in small:
        compare_samples(b, c)
    per_s = len(small) / (time.perf_counter() - t0)

    def cpu(fn: object) -> float:
        best = math.inf
        for _ in range(3):
            t = time.process_time()
            fn()  # type: ignore[operator]
            best = min(best, time.process_time() - t)
        return best

    c_judge = cpu(lambda: judge_canary(data, specs))
    c_floor = cpu(lambda: [stats.mannwhitneyu(b, c) for b, c in data.values()])
    return [
        Result(
            "verify judge 50 metrics × 10k points/side (wall)",
            t_judge,
            "s",
            "well under 1 s",
            f"{t_judge / t_floor:.1f}× the time of 50 bare scipy mannwhitneyu ({t_floor:.3f} s)",
        ),
        Result(
            "verify judge 50 metrics × 10k points/side (CPU)",
            c_judge,
            "s",
            "well under 1 s",
            f"process time, robust to a loaded machine; {c_judge / c_floor:.1f}× the floor "
            f"({c_floor:.3f} s): HL intervals, autocorrelation, explanations included",
        ),
        Result(
            "verify compare_samples throughput n=100", per_s, "calls/s", "", "Monte-Carlo speed"
        ),
    ]


def run(quick: bool) -> list[Result]:
    return [*_speed(quick), *_aa(quick), *_power(quick), *_other_aa(quick)]
