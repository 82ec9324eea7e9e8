"""compare_samples / compare_windows: statistics against scipy/statsmodels, calibration, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from pipbench.errors import ConfigError, InputError
from pipbench.verify import compare_samples, compare_windows
from pipbench.verify._stats import ar1_tau, pairwise_diff_quantiles


def ar1(n: int, rho: float, rng: np.random.Generator) -> np.ndarray:
    """Stationary AR(1) with unit variance (burn-in from the stationary law)."""
    e = rng.normal(size=n)
    x = np.empty(n)
    x[0] = e[0]
    s = math.sqrt(1 - rho * rho)
    for i in range(1, n):
        x[i] = rho * x[i - 1] + s * e[i]
    return x


def false_fail_ok(fails: int, reps: int, alpha: float = 0.05) -> bool:
    """Not significantly above alpha (exact binomial test at the 1 % level)."""
    return stats.binomtest(fails, reps, alpha, alternative="greater").pvalue > 0.01


# ----------------------------------------------------------------------------- Mann-Whitney
def test_mannwhitney_p_value_is_scipys() -> None:
    """Reference: scipy.stats.mannwhitneyu on the same (log-shifted) data."""
    rng = np.random.default_rng(1)
    b, c = rng.lognormal(0, 0.5, 40), rng.lognormal(0.2, 0.5, 35)
    r = compare_samples(b, c, autocorrelation="ignore")
    ref = stats.mannwhitneyu(np.log(c), np.log(b), alternative="greater")
    assert r.method == "mannwhitney"
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert r.statistic == pytest.approx(ref.statistic)
    # tolerance is a multiplicative shift of the baseline's scale
    r = compare_samples(b, c, tolerance=0.1, autocorrelation="ignore")
    ref = stats.mannwhitneyu(np.log(c) - math.log(1.1), np.log(b), alternative="greater")
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    r = compare_samples(b, c, direction="decrease", autocorrelation="ignore")
    ref = stats.mannwhitneyu(np.log(c), np.log(b), alternative="less")
    assert r.p_value == pytest.approx(ref.pvalue, rel=1e-12)


def test_effect_is_hodges_lehmann_ratio() -> None:
    """Reference: median of all pairwise log differences (brute force), exponentiated."""
    rng = np.random.default_rng(2)
    b, c = rng.lognormal(0, 0.4, 60), rng.lognormal(0.1, 0.4, 50)
    r = compare_samples(b, c, autocorrelation="ignore")
    hl = np.median(np.subtract.outer(np.log(c), np.log(b)))
    assert r.effect == pytest.approx(math.expm1(hl), rel=1e-12)
    assert r.ci[0] < r.effect < r.ci[1]


def test_ci_inverts_the_rank_test() -> None:
    """Reference: scipy's asymptotic Mann-Whitney: shifts just inside the interval are not
    rejected at the one-sided level, shifts just outside are."""
    rng = np.random.default_rng(3)
    b, c = rng.normal(10, 1, 300), rng.normal(10.3, 1, 300)
    r = compare_samples(b, c, autocorrelation="ignore", reference=10.0)
    lo = r.ci[0] * 10.0
    eps = 1e-3

    def p(shift: float) -> float:
        return stats.mannwhitneyu(
            c - shift, b, alternative="greater", method="asymptotic", use_continuity=False
        ).pvalue

    assert p(lo - eps) <= 0.05 + 2e-3
    assert p(lo + eps) >= 0.05 - 2e-3


def test_ci_coverage_monte_carlo() -> None:
    """Reference: the true ratio 1.1 is inside the 90 % interval ~90 % of the time."""
    rng = np.random.default_rng(4)
    hits = 0
    reps = 200
    for _ in range(reps):
        b, c = rng.lognormal(0, 0.5, 40), rng.lognormal(math.log(1.1), 0.5, 40)
        lo, hi = compare_samples(b, c, autocorrelation="ignore").ci
        hits += lo <= 0.1 <= hi
    assert 0.84 <= hits / reps <= 0.96


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(-20, 20), min_size=1, max_size=40),
    st.lists(st.integers(-20, 20), min_size=1, max_size=40),
    st.data(),
)
def test_pairwise_quantiles_match_brute_force_small(xs, ys, data) -> None:
    """Reference: sorting the full matrix of differences (ties included)."""
    x, y = np.array(xs, float), np.array(ys, float)
    d = np.sort(np.subtract.outer(x, y).ravel())
    ks = data.draw(st.lists(st.integers(1, d.size), min_size=1, max_size=4))
    assert np.array_equal(pairwise_diff_quantiles(x, y, ks), d[np.array(ks) - 1])


@pytest.mark.parametrize("kind", ["continuous", "ties", "heavy-ties"])
def test_pairwise_quantiles_large_path(kind: str) -> None:
    """Reference: brute force at 1.44 M pairs (above the materialise threshold)."""
    rng = np.random.default_rng(5)
    n = 1200
    if kind == "continuous":
        x, y = rng.lognormal(size=n), rng.lognormal(size=n)
    elif kind == "ties":
        x, y = rng.poisson(300, n) * 1.0, rng.poisson(302, n) * 1.0
    else:
        x, y = rng.poisson(2, n) * 1.0, rng.poisson(2, n) * 1.0
    N = n * n
    ks = [1, 7, N // 2 - 20_000, N // 2, N // 2 + 1, N // 2 + 20_000, N]
    d = np.sort(np.subtract.outer(x, y).ravel())
    assert np.array_equal(pairwise_diff_quantiles(x, y, ks), d[np.array(ks) - 1])


def test_ar1_tau_recovers_rho() -> None:
    """Reference: AR(1) closed form τ = (1+ρ)/(1−ρ) for a long simulated series."""
    rng = np.random.default_rng(6)
    rho, tau = ar1_tau([ar1(20_000, 0.6, rng)])
    assert rho == pytest.approx(0.6, abs=0.02)
    assert tau == pytest.approx(1.6 / 0.4, rel=0.1)


# ----------------------------------------------------------------------------- calibration
@pytest.mark.parametrize(("rho", "n"), [(0.0, 20), (0.0, 200), (0.6, 30), (0.8, 60)])
def test_aa_false_fail_at_most_alpha(rho: float, n: int) -> None:
    """A/A (same process): false-fail ≤ alpha (binomial test on 300 Monte-Carlo reps)."""
    rng = np.random.default_rng(100 + n + int(rho * 10))
    reps = 300
    fails = 0
    for _ in range(reps):
        b = np.exp(0.5 * ar1(n, rho, rng))
        c = np.exp(0.5 * ar1(n, rho, rng))
        fails += compare_samples(b, c).verdict == "fail"
    assert false_fail_ok(fails, reps), fails / reps


def test_plain_test_is_not_calibrated_on_autocorrelated_data() -> None:
    """Why the correction exists: ignoring ρ=0.8 fails healthy canaries far above alpha."""
    rng = np.random.default_rng(7)
    reps = 200
    fails = sum(
        compare_samples(ar1(100, 0.8, rng), ar1(100, 0.8, rng), autocorrelation="ignore").verdict
        == "fail"
        for _ in range(reps)
    )
    assert fails / reps > 0.15


def test_power_close_to_t_test_on_logs() -> None:
    """10 % lognormal shift at n=500: caught nearly always, like the t-test on logs
    (the best valid test for log-normal data; reference scipy.stats.ttest_ind)."""
    rng = np.random.default_rng(8)
    reps = 150
    ours = ref = 0
    for _ in range(reps):
        b = rng.lognormal(0, 0.4, 500)
        c = rng.lognormal(math.log(1.1), 0.4, 500)
        ours += compare_samples(b, c).verdict == "fail"
        ref += stats.ttest_ind(np.log(c), np.log(b), alternative="greater").pvalue <= 0.05
    assert ours / reps >= 0.9
    assert ours / reps >= ref / reps - 0.08


# ----------------------------------------------------------------------------- counts
def test_poisson_is_conditional_binomial() -> None:
    """Reference: scipy.stats.binomtest of canary errors given the total (closed form)."""
    b, c = [0, 1, 0, 0, 2], [1, 2, 3, 0, 2]
    r = compare_samples(b, c, baseline_exposure=5000, canary_exposure=4000, method="poisson")
    assert r.method == "poisson"
    pi0 = 4000 / 9000
    ref = stats.binomtest(8, 11, pi0, alternative="greater")
    assert r.p_value == pytest.approx(ref.pvalue)
    assert r.effect == pytest.approx((8 / 4000) / (3 / 5000) - 1)
    ci = stats.binomtest(8, 11, 0.5).proportion_ci(0.9, method="exact")
    assert r.ci[0] == pytest.approx(ci.low / (1 - ci.low) * 5000 / 4000 - 1)


def test_poisson_tolerance_and_no_errors() -> None:
    """Tolerance moves the null rate ratio; zero errors on both sides is a pass, p=1."""
    r = compare_samples(
        [3], [5], baseline_exposure=1000, canary_exposure=1000, tolerance=0.5, method="poisson"
    )
    ref = stats.binomtest(5, 8, 1.5 / 2.5, alternative="greater").pvalue
    assert r.p_value == pytest.approx(ref)
    z = compare_samples([0, 0], [0, 0], baseline_exposure=[10, 10], canary_exposure=[10, 10])
    assert (z.verdict, z.p_value) == ("pass", 1.0)
    assert "no errors" in " ".join(z.notes)


def test_binomial_matches_statsmodels_score_test() -> None:
    """Reference: statsmodels test_proportions_2indep(compare='ratio', method='score')."""
    from statsmodels.stats.proportion import test_proportions_2indep

    r = compare_samples([150], [190], baseline_exposure=1000, canary_exposure=1000)
    assert r.method == "binomial"
    ref = test_proportions_2indep(
        190, 1000, 150, 1000, compare="ratio", alternative="larger", method="score"
    )
    assert r.p_value == pytest.approx(ref.pvalue)


def test_overdispersed_counts_use_quasi_poisson_and_stay_calibrated() -> None:
    """Negative-binomial per-minute errors (A/A): the exact Poisson test over-rejects;
    auto switches to quasi-Poisson and keeps false-fail ≤ alpha."""
    rng = np.random.default_rng(9)
    reps = 200
    fails_auto = fails_exact = 0
    for _ in range(reps):
        b = rng.negative_binomial(2, 2 / 12, 30)  # mean 10, variance 60
        c = rng.negative_binomial(2, 2 / 12, 30)
        e = np.full(30, 1000.0)
        fails_auto += (
            compare_samples(b, c, baseline_exposure=e, canary_exposure=e).verdict == "fail"
        )
        fails_exact += (
            compare_samples(b, c, baseline_exposure=e, canary_exposure=e, method="poisson").verdict
            == "fail"
        )
    assert false_fail_ok(fails_auto, reps)
    assert fails_exact / reps > 0.15


# ----------------------------------------------------------------------------- quantiles
def test_quantile_bootstrap_calibrated_and_detects_tail() -> None:
    """A/A p95 at n=400: false-fail ≤ alpha; a heavier tail (+30 % p95) is caught."""
    rng = np.random.default_rng(10)
    reps = 150
    fails = sum(
        compare_samples(
            rng.lognormal(0, 0.5, 400),
            rng.lognormal(0, 0.5, 400),
            quantile=0.95,
            n_boot=1000,
            seed=i,
        ).verdict
        == "fail"
        for i in range(reps)
    )
    assert false_fail_ok(fails, reps)
    b = rng.lognormal(0, 0.5, 2000)
    c = rng.lognormal(0, 0.5 * 1.35, 2000)  # p95 ratio = exp(1.645·0.5·0.35) ≈ 1.33
    r = compare_samples(b, c, quantile=0.95)
    assert r.method == "quantile"
    assert r.verdict == "fail"
    truth = math.exp(1.645 * 0.5 * 0.35) - 1
    assert r.ci[0] < truth < r.ci[1]


def test_quantile_needs_enough_points() -> None:
    """p99 from 100 points is not estimable: nodata, with the reason."""
    rng = np.random.default_rng(11)
    r = compare_samples(rng.random(100), rng.random(100), quantile=0.99)
    assert r.verdict == "nodata"
    assert "500" in r.explanation


# ----------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("b", "c", "why"),
    [
        ([], [1.0, 2.0, 3.0, 4.0, 5.0], "no usable points"),
        ([math.nan] * 10, [1.0] * 10, "all NaN"),
        ([1.0, 2.0], [1.0, 2.0, 3.0], "fewer than"),
    ],
)
def test_no_data_is_nodata_never_pass(b, c, why) -> None:
    r = compare_samples(b, c)
    assert (r.verdict, r.classification) == ("nodata", "nodata")
    assert why in r.explanation
    assert math.isnan(r.p_value)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(InputError, match="negative latencies"):
        compare_samples([0.1, -0.2] * 5, [0.1] * 10, kind="latency")
    with pytest.raises(InputError, match="cannot be compared"):
        compare_samples([1.0] * 10, [2.0] * 10, unit=("s", "bytes"))
    with pytest.raises(InputError, match="one-dimensional"):
        compare_samples(np.ones((3, 3)), [1.0] * 10)
    with pytest.raises(InputError, match="numbers"):
        compare_samples(["a", "b"], [1.0] * 10)
    with pytest.raises(InputError, match="infinite"):
        compare_samples([1.0, math.inf] * 5, [1.0] * 10)
    with pytest.raises(InputError, match="non-negative integers"):
        compare_samples([1.5, 2], [1, 2], baseline_exposure=10, canary_exposure=10)
    with pytest.raises(ConfigError, match="direction"):
        compare_samples([1.0] * 10, [1.0] * 10, direction="up")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="tolerance"):
        compare_samples([1.0] * 10, [1.0] * 10, tolerance=-0.1)
    with pytest.raises(ConfigError, match="alpha"):
        compare_samples([1.0] * 10, [1.0] * 10, alpha=0.7)


def test_time_units_are_converted() -> None:
    """The same latencies in s and ms compare as identical after conversion."""
    rng = np.random.default_rng(12)
    b = rng.lognormal(-2, 0.3, 200)
    r = compare_samples(b, b * 1000.0, unit=("s", "ms"), autocorrelation="ignore")
    assert r.effect == pytest.approx(0.0, abs=1e-12)
    assert r.verdict == "pass"
    assert any("converted from ms to s" in n for n in r.notes)
    assert r.notes[0].startswith("auto picked mannwhitney")


def test_constant_data_pass_and_explanation_is_one_sentence() -> None:
    r = compare_samples([5.0] * 10, [5.0] * 10)
    assert r.verdict == "pass"
    assert r.explanation.count(". ") == 0
    assert r.explanation.endswith(".")
    d = r.as_dict()
    assert d["verdict"] == "pass"


# ----------------------------------------------------------------------------- windows
def test_before_after_detects_step_and_respects_tolerance() -> None:
    rng = np.random.default_rng(13)
    y = np.r_[rng.normal(100, 5, 120), rng.normal(90, 5, 120)]
    r = compare_windows(y, before=slice(0, 120), after=slice(120, 240), direction="decrease")
    assert r.verdict == "fail"
    assert r.effect == pytest.approx(-0.1, abs=0.03)
    r = compare_windows(
        y, before=slice(0, 120), after=slice(120, 240), direction="decrease", tolerance=0.2
    )
    assert r.verdict == "pass"


class _Seasonal:
    """A tiny fit/predict estimator: least-squares daily sine + level."""

    def fit(self, t, y):
        X = np.c_[
            np.ones_like(t, float), np.sin(2 * np.pi * t / 1440), np.cos(2 * np.pi * t / 1440)
        ]
        self.coef_ = np.linalg.lstsq(X, y, rcond=None)[0]
        return self

    def predict(self, t):
        X = np.c_[
            np.ones_like(t, float), np.sin(2 * np.pi * t / 1440), np.cos(2 * np.pi * t / 1440)
        ]
        return X @ self.coef_


def test_before_after_seasonal_adjustment() -> None:
    """Morning vs evening of an unchanged daily cycle: raw comparison fails, the seasonally
    adjusted one passes; a real +10 % step on top is still found."""
    rng = np.random.default_rng(14)
    t = np.arange(2 * 1440, dtype=float)
    y = 100 + 30 * np.sin(2 * np.pi * t / 1440) + rng.normal(0, 3, t.size)
    before, after = (0.0, 1440.0), (1440.0 + 200, 1440.0 + 500)
    raw = compare_windows(y, timestamps=t, before=before, after=after)
    adj = compare_windows(y, timestamps=t, before=before, after=after, seasonal=_Seasonal())
    assert raw.verdict == "fail"
    assert adj.verdict == "pass"
    assert adj.method.endswith("+seasonal")
    y2 = y.copy()
    y2[t >= 1440] *= 1.1
    hit = compare_windows(y2, timestamps=t, before=before, after=after, seasonal=_Seasonal())
    assert hit.verdict == "fail"
    # a callable works too
    f = compare_windows(
        y,
        timestamps=t,
        before=before,
        after=after,
        seasonal=lambda tt: 100 + 30 * np.sin(2 * np.pi * tt / 1440),
    )
    assert f.verdict == "pass"


def test_before_after_bad_windows() -> None:
    with pytest.raises(ConfigError, match="overlap"):
        compare_windows(np.ones(20), before=slice(0, 12), after=slice(10, 20))
    with pytest.raises(ConfigError, match="no timestamps"):
        compare_windows(np.ones(20), before=(0, 10), after=(10, 20))


def test_rank_sum_variance_under_ar1_matches_inflation() -> None:
    """Reference: Monte-Carlo variance of U for two independent AR(1) series (ρ=0.8)
    against the closed form nx·ny·(n+1)/12 · τ, τ = 1 + 2Σ(6/π)asin(ρᵏ/2)."""
    from scipy import signal

    from pipbench.verify._stats import average_ranks
    from pipbench.verify.ranktest import _rank_tau

    rng = np.random.default_rng(15)
    n, rho, reps = 400, 0.8, 600
    us, taus = [], []
    for _ in range(reps):
        e = rng.normal(size=(2, n)) * math.sqrt(1 - rho * rho)
        e[:, 0] = rng.normal(size=2)
        x, y = signal.lfilter([1.0], [1.0, -rho], e, axis=1)
        ranks, _ = average_ranks(np.concatenate([x, y]))
        us.append(ranks[:n].sum() - n * (n + 1) / 2)
        taus.append(_rank_tau(x, ranks)[1])
    k = np.arange(1, 400)
    tau_true = 1 + 2 * np.sum(6 / np.pi * np.arcsin(rho**k / 2))
    var_iid = n * n * (2 * n + 1) / 12
    assert np.var(us) / var_iid == pytest.approx(tau_true, rel=0.15)
    assert np.median(taus) == pytest.approx(tau_true, rel=0.15)


_values = st.lists(
    st.one_of(
        st.floats(-1e6, 1e6, allow_nan=False),
        st.just(math.nan),
        st.just(0.0),
        st.integers(0, 5).map(float),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(
    _values,
    _values,
    st.sampled_from(["auto", "mannwhitney", "mannwhitney-hac", "quantile", "poisson"]),
    st.sampled_from(["increase", "decrease", "either"]),
    st.sampled_from([0.0, 0.1]),
)
def test_never_crashes_never_silently_passes(b, c, method, direction, tolerance) -> None:
    """Any input gives a Comparison or a pipbench error; no data is never a pass."""
    from pipbench.errors import PipbenchError

    try:
        r = compare_samples(
            b,
            c,
            method=method,
            direction=direction,
            tolerance=tolerance,
            quantile=None,
            n_boot=200,
        )
    except PipbenchError:
        return
    assert r.verdict in ("pass", "fail", "nodata")
    finite_b = sum(1 for v in b if math.isfinite(v))
    finite_c = sum(1 for v in c if math.isfinite(v))
    if finite_b == 0 or finite_c == 0:
        assert r.verdict == "nodata"
    if r.verdict != "nodata":
        assert 0.0 <= r.p_value <= 1.0
        assert (r.verdict == "fail") == (r.classification in ("high", "low"))


def test_bivariate_normal_via_owens_t() -> None:
    """Reference: scipy.stats.multivariate_normal.cdf for Φ₂(h, h; r) used by the quantile
    correction (Φ(h) − 2·T(h, √((1−r)/(1+r))))."""
    from scipy import special

    for h, r in [(1.645, 0.3), (2.326, 0.8), (0.0, 0.5)]:
        ref = stats.multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf([h, h])
        got = stats.norm.cdf(h) - 2 * special.owens_t(h, math.sqrt((1 - r) / (1 + r)))
        assert got == pytest.approx(ref, abs=1e-6)


def test_copula_taus_match_long_simulation() -> None:
    """Reference: integrated autocorrelation (Σ of empirical acf) of ranks and of the p95
    indicator of a long Gaussian AR(1) (ρ=0.7, 400k points)."""
    from scipy import signal

    from pipbench.verify._stats import copula_tau_indicator, copula_tau_ranks

    rng = np.random.default_rng(16)
    rho, n = 0.7, 400_000
    x = signal.lfilter([1.0], [1.0, -rho], rng.normal(0, math.sqrt(1 - rho * rho), n))

    def iat(s: np.ndarray, lags: int = 60) -> float:
        c = s - s.mean()
        v = np.dot(c, c)
        return 1 + 2 * sum(np.dot(c[k:], c[:-k]) / v for k in range(1, lags))

    ranks = stats.rankdata(x)
    assert copula_tau_ranks(rho) == pytest.approx(iat(ranks), rel=0.08)
    ind = (x <= np.quantile(x, 0.95)).astype(float)
    assert copula_tau_indicator(rho, 0.95) == pytest.approx(iat(ind), rel=0.1)


def test_arma11_tau_for_bursty_counts() -> None:
    """Reference: Monte-Carlo variance of the total of Poisson counts whose log-rate is an
    AR(1) (a Cox process), against n·Var(count)·τ."""
    from scipy import signal

    from pipbench.verify._stats import arma11_tau

    rng = np.random.default_rng(17)
    n, reps, rho = 120, 3000, 0.8
    e = rng.normal(0, 0.5 * math.sqrt(1 - rho * rho), (reps, n))
    e[:, 0] = rng.normal(0, 0.5, reps)
    lam = 2 * np.exp(signal.lfilter([1.0], [1.0, -rho], e, axis=1))
    k = rng.poisson(lam)
    tau_mc = k.sum(axis=1).var() / (n * k.var())
    est = np.median([arma11_tau([row], margin=0)[1] for row in k[:300]])
    assert est == pytest.approx(tau_mc, rel=0.3)


def test_quasi_poisson_reduces_to_exact_test_without_inflation() -> None:
    """Reference: scipy.stats.binomtest; the deflated conditional test with τ = 1 is exactly
    the exact Poisson test (continuous incomplete-beta form at integer counts)."""
    from scipy import special

    pi0 = 4000 / 9000
    assert special.betainc(8, 11 - 8 + 1, pi0) == pytest.approx(
        stats.binomtest(8, 11, pi0, alternative="greater").pvalue
    )


def test_bursty_error_counts_stay_calibrated() -> None:
    """A/A error counts whose log-rate is an AR(1) (ρ=0.7, bursty errors): auto keeps the
    false-fail ≤ alpha where the exact Poisson test does not (Monte Carlo, 300 reps)."""
    from scipy import signal

    rng = np.random.default_rng(18)
    reps, n, rho = 300, 60, 0.7
    auto = exact = 0
    e = np.full(n, 1000.0)
    for _ in range(reps):
        z = rng.normal(0, 0.5 * math.sqrt(1 - rho * rho), (2, n))
        z[:, 0] = rng.normal(0, 0.5, 2)
        lam = 2 * np.exp(signal.lfilter([1.0], [1.0, -rho], z, axis=1))
        b, c = rng.poisson(lam)
        auto += compare_samples(b, c, baseline_exposure=e, canary_exposure=e).verdict == "fail"
        exact += (
            compare_samples(b, c, baseline_exposure=e, canary_exposure=e, method="poisson").verdict
            == "fail"
        )
    assert false_fail_ok(auto, reps)
    assert exact / reps > 0.12
