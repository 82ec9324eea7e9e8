"""The closed forms against independent references: textbook special cases (M/M/1, M/M/1/K),
the direct Erlang sums, numerical integration of the response-time convolution (scipy), and
exact LRU under uniform popularity."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from pipbench.errors import ConfigError
from pipbench.sim import analytic as an


def _erlang_b_direct(c: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def _erlang_c_direct(c: int, a: float) -> float:
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


@pytest.mark.parametrize("c", [1, 2, 3, 5, 8, 16])
@pytest.mark.parametrize("rho", [0.1, 0.5, 0.9, 0.99])
def test_erlang_b_and_c_match_the_direct_sums(c: int, rho: float) -> None:
    a = rho * c
    assert an.erlang_b(c, a) == pytest.approx(_erlang_b_direct(c, a), rel=1e-10)
    assert an.erlang_c(c, a) == pytest.approx(_erlang_c_direct(c, a), rel=1e-10)


def test_mm1_special_cases() -> None:
    """M/M/1: P(wait) = ρ, E[W] = ρ/(μ−λ), T ~ Exp(μ−λ)."""
    lam, mu = 0.7, 1.0
    assert an.erlang_c(1, lam) == pytest.approx(lam)
    assert an.mmc_wait_mean(lam, mu, 1) == pytest.approx(lam / (mu - lam))
    for q in (0.5, 0.9, 0.99):
        assert an.mmc_response_quantile(q, lam, mu, 1) == pytest.approx(
            -math.log(1 - q) / (mu - lam)
        )


@pytest.mark.parametrize(("c", "lam"), [(2, 1.0), (4, 3.5), (8, 6.0), (3, 1.0)])
def test_response_tail_is_the_convolution(c: int, lam: float) -> None:
    """P(T > t) against numerical integration of P(W + S > t) (W mixed, S ~ Exp(μ))."""
    mu = 1.0
    pc = an.erlang_c(c, lam)
    theta = c * mu - lam
    for t in (0.1, 1.0, 3.0):
        conv = integrate.quad(
            lambda w, t=t: theta * math.exp(-theta * w) * math.exp(-mu * max(t - w, 0)), 0, np.inf
        )[0]
        ref = (1 - pc) * math.exp(-mu * t) + pc * conv
        assert float(an.mmc_response_tail(t, lam, mu, c)) == pytest.approx(ref, rel=1e-7)


def test_theta_equal_mu_branch_is_continuous() -> None:
    """c = 2, λ = 1, μ = 1 gives θ = cμ − λ = μ: the limit (1 + μt)e^{−μt} branch."""
    a = float(an.mmc_response_tail(1.3, 1.0, 1.0, 2))
    b = float(an.mmc_response_tail(1.3, 1.0 - 1e-7, 1.0, 2))
    assert a == pytest.approx(b, rel=1e-5)


@pytest.mark.parametrize("K", [1, 2, 5, 20])
@pytest.mark.parametrize("rho", [0.5, 0.9, 1.5])
def test_mm1k_closed_form(K: int, rho: float) -> None:
    """M/M/1/K: p_K = ρ^K(1−ρ)/(1−ρ^{K+1}) (Gross & Harris)."""
    ref = rho**K * (1 - rho) / (1 - rho ** (K + 1))
    assert an.mmck(rho, 1.0, 1, K).p_block == pytest.approx(ref, rel=1e-10)


def test_mmck_tends_to_mmc_and_erlang_b() -> None:
    """K = c is Erlang B; K → ∞ gives Erlang C's P(wait) and mean wait."""
    assert an.mmck(3.0, 1.0, 4, 4).p_block == pytest.approx(an.erlang_b(4, 3.0))
    big = an.mmck(3.0, 1.0, 4, 2000)
    assert big.p_wait == pytest.approx(an.erlang_c(4, 3.0), rel=1e-9)
    assert big.wait_mean == pytest.approx(an.mmc_wait_mean(3.0, 1.0, 4), rel=1e-9)


def test_ttl_single_key_formulas() -> None:
    """One key at λ: λT/(1+λT) set on miss, 1 − e^{−λT} reset on hit; the aggregate weighs keys
    by popularity."""
    assert an.ttl_hit_ratio([1.0], 2.0, ttl=3.0) == pytest.approx(6 / 7)
    assert an.ttl_hit_ratio([1.0], 2.0, ttl=3.0, mode="reset-on-hit") == pytest.approx(
        1 - math.exp(-6)
    )
    p = [0.75, 0.25]
    ref = 0.75 * (0.75 / 1.75) + 0.25 * (0.25 / 1.25)
    assert an.ttl_hit_ratio(p, 1.0, ttl=1.0) == pytest.approx(ref)


def test_stale_given_hit_matches_monte_carlo_integral() -> None:
    """Set-on-miss staleness: hits uniform on (0, T], stale iff an update in (0, age]:
    1 − (1 − e^{−uT})/(uT) for one key (the λ's cancel)."""
    u, T = 0.3, 4.0
    ref = 1 - (1 - math.exp(-u * T)) / (u * T)
    assert an.ttl_stale_given_hit([1.0], 5.0, ttl=T, update_rate=u) == pytest.approx(ref)
    # reset-on-hit → tends to set-on-miss's value when λT is small (hits rarely renew)
    small = an.ttl_stale_given_hit([1.0], 1e-4, ttl=T, update_rate=u, mode="reset-on-hit")
    assert small == pytest.approx(ref, rel=1e-3)


def test_che_is_exact_for_uniform_popularity() -> None:
    """Uniform popularity: LRU holds C of N equally likely keys, hit ratio C/N exactly; Che
    gives the same."""
    p = an.zipf_popularity(50, 0.0)
    for cap in (1, 10, 49):
        assert an.che_hit_ratio(p, cap) == pytest.approx(cap / 50, rel=1e-9)
    assert an.che_hit_ratio(p, 50) == 1.0


def test_cold_start_and_idle_closed_forms() -> None:
    assert an.cold_start_fraction(2.0, 0.0) == 1.0
    assert an.cold_start_fraction(2.0, 1.5) == pytest.approx(math.exp(-3))
    # E[min(X, K)] for X ~ Exp(λ), by scipy's expect
    ref = stats.expon(scale=0.5).expect(lambda x: min(x, 1.5))
    assert an.keep_alive_idle_per_invocation(2.0, 1.5) == pytest.approx(ref, rel=1e-6)


@given(st.integers(1, 40), st.floats(0.01, 0.99))
def test_erlang_c_at_least_erlang_b(c: int, rho: float) -> None:
    """Queueing waits at least as often as the loss system blocks, both in [0, 1]."""
    b, cc = an.erlang_b(c, rho * c), an.erlang_c(c, rho * c)
    assert 0 <= b <= cc <= 1


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        (lambda: an.erlang_c(2, 2.5), "below the number of servers"),
        (lambda: an.erlang_b(0, 1.0), "servers c"),
        (lambda: an.erlang_b(2, -1.0), "offered load"),
        (lambda: an.ttl_hit_ratio([1.0], 1.0, ttl=-1.0), "ttl"),
        (lambda: an.ttl_hit_ratio([1.0], 1.0, ttl=1.0, mode="lazy"), "ttl mode"),  # type: ignore[arg-type]
        (lambda: an.cold_start_fraction(0.0, 1.0), "arrival rate"),
        (lambda: an.zipf_popularity(10, -1.0), "zipf alpha"),
    ],
)
def test_bad_parameters_are_named(call: object, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        call()  # type: ignore[operator]


@pytest.mark.parametrize(("lam", "target"), [(8.0, 0.2), (0.5, 0.9), (50.0, 0.05)])
def test_servers_for_is_the_smallest_meeting_the_target(lam: float, target: float) -> None:
    """The answer meets the target and one server fewer does not (direct Erlang C sums)."""
    c = an.servers_for(lam, 1.0, max_p_wait=target)
    assert _erlang_c_direct(c, lam) <= target
    assert c - 1 <= lam or _erlang_c_direct(c - 1, lam) > target


def test_servers_for_response_quantile() -> None:
    c = an.servers_for(8.0, 1.0, response_quantile=(0.99, 5.0))
    assert (
        an.mmc_response_quantile(0.99, 8.0, 1.0, c)
        <= 5.0
        < an.mmc_response_quantile(0.99, 8.0, 1.0, c - 1)
    )
    with pytest.raises(ConfigError, match="below the service time"):
        an.servers_for(8.0, 1.0, response_quantile=(0.99, 1.0))  # Exp(1) alone has p99 4.6 s
