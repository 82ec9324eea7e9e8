"""The serverless model against the keep-alive closed forms (cold fraction e^{−λK}, idle
instance-seconds (1 − e^{−λK})/λ) and Erlang B for provisioned concurrency (the provisioned
pool is a loss system whose overflow spills to on-demand instances). 99.9 % replication CIs."""

from __future__ import annotations

import pytest

from pipbench.errors import ConfigError
from pipbench.sim import analytic as an
from pipbench.sim.distributions import Distribution
from pipbench.sim.serverless import HistogramKeepAlive, Serverless, simulate_serverless
from pipbench.sim.workload import MMPP, Poisson
from tests._simstats import check, replications

ZERO = Distribution("const", 0.0)


def _rows(fn: Serverless, rate: float, n: int = 3000, r: int = 10, seed: int = 1) -> list:
    return replications(
        lambda s: simulate_serverless(fn, Poisson(rate), requests=n, seed=s, warmup=0.1).summary(),
        r,
        seed,
    )


@pytest.mark.parametrize(
    ("rate", "keep"), [(1.0, 0.5), (1.0, 2.0), (0.2, 5.0), (5.0, 0.1), (0.05, 30.0)]
)
def test_cold_fraction_is_exp_minus_lambda_k(rate: float, keep: float) -> None:
    fn = Serverless(keep_alive=keep, execution_time=ZERO, init_time=ZERO)
    rows = _rows(fn, rate, seed=int(rate * 100 + keep))
    check(rows, "cold_fraction", an.cold_start_fraction(rate, keep))
    check(rows, "idle_warm_s_per_invocation", an.keep_alive_idle_per_invocation(rate, keep))


def test_zero_keep_alive_and_zero_execution_are_valid() -> None:
    fn = Serverless(keep_alive=0.0, execution_time=ZERO, init_time=ZERO)
    s = simulate_serverless(fn, Poisson(3.0), requests=500, seed=1).summary()
    assert s["cold_fraction"] == 1.0
    assert s["idle_warm_s_per_invocation"] == 0.0


@pytest.mark.parametrize(
    ("p", "conc", "load"), [(1, 1, 0.5), (3, 1, 2.0), (8, 1, 6.0), (2, 3, 4.0)]
)
def test_provisioned_spillover_is_erlang_b(p: int, conc: int, load: float) -> None:
    """With P provisioned instances of concurrency k always tried first, an invocation spills
    to on-demand exactly when all P·k slots are busy: spillover = Erlang B(P·k, λ·E[S])."""
    fn = Serverless(
        keep_alive=60.0,
        execution_time=Distribution("exp", 1.0),
        provisioned=p,
        concurrency=conc,
        init_time=ZERO,
    )
    rows = _rows(fn, load, n=4000, seed=10 + p)
    check(rows, "spillover_fraction", an.erlang_b(p * conc, load))


def test_cost_components() -> None:
    """Cost = requests × price + on-demand GB-s (execution + init) + provisioned GB-s over the
    window + provisioned execution GB-s, at the published AWS Lambda prices."""
    fn = Serverless(
        keep_alive=1e9,
        execution_time=Distribution("const", 0.5),
        init_time=Distribution("const", 1.0),
        memory_mb=2048,
    )
    run = simulate_serverless(fn, Poisson(0.01), requests=10, seed=1)
    s = run.summary()
    n_cold = int(run.cold.sum())
    gb = 2.0
    expected = 10 * 0.2e-6 + (10 * 0.5 + n_cold * 1.0) * gb * 0.0000166667
    assert s["cost_usd"] == pytest.approx(expected)


def test_histogram_policy_trades_warm_time_for_cold_starts() -> None:
    """On bursty traffic with long idle gaps the hybrid-histogram policy keeps instances warm
    for less time than a 10-minute fixed keep-alive."""
    wl = MMPP([0.0, 2.0], [300.0, 60.0])
    fixed = Serverless(keep_alive=600.0, execution_time=Distribution("const", 0.1), init_time=ZERO)
    hist = Serverless(
        keep_alive=600.0,
        execution_time=Distribution("const", 0.1),
        init_time=ZERO,
        policy=HistogramKeepAlive(bin_s=10.0, range_s=3600.0),
    )
    a = simulate_serverless(fixed, wl, duration=20000, seed=5).summary()
    b = simulate_serverless(hist, wl, duration=20000, seed=5).summary()
    assert b["idle_warm_s_per_invocation"] < a["idle_warm_s_per_invocation"]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"keep_alive": -1.0}, "keep-alive"),
        ({"memory_mb": 10}, "memory"),
        ({"provisioned": -1}, "provisioned"),
        ({"concurrency": 0}, "concurrency"),
    ],
)
def test_bad_parameters(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        Serverless(**kwargs)


def test_on_demand_concurrency_shares_instances() -> None:
    """With keep-alive long enough to hold every instance, concurrency k per instance means the
    pool needs about 1/k as many instances, so cold starts fall; with k = 1 every cold start
    adds one instance, and their number is at least the peak number in flight."""
    ex = Distribution("exp", 1.0)
    one = simulate_serverless(
        Serverless(keep_alive=1e6, execution_time=ex, init_time=ZERO),
        Poisson(8.0),
        requests=5000,
        seed=3,
    )
    four = simulate_serverless(
        Serverless(keep_alive=1e6, execution_time=ex, init_time=ZERO, concurrency=4),
        Poisson(8.0),
        requests=5000,
        seed=3,
    )
    assert four.cold.sum() * 2 < one.cold.sum()
    assert one.cold.sum() >= one.states["busy"].max()
    assert four.cold.sum() * 4 >= four.states["busy"].max()


@pytest.mark.parametrize(("rate", "pre", "keep"), [(1.0, 0.3, 1.0), (0.2, 2.0, 5.0)])
def test_fixed_prewarm_window(rate: float, pre: float, keep: float) -> None:
    """Fixed pre-warm P and keep-alive K (zero execution and init): an invocation is warm iff
    the gap since the previous one falls in [P, P + K), so the cold fraction is
    1 − e^{−λP} + e^{−λ(P+K)}, and the pre-warmed instance idles
    E[(min(g, P+K) − P)⁺] = e^{−λP}(1 − e^{−λK})/λ per invocation."""
    import math

    from pipbench.sim.serverless import FixedKeepAlive

    fn = Serverless(execution_time=ZERO, init_time=ZERO, policy=FixedKeepAlive(keep, pre))
    rows = _rows(fn, rate, seed=int(pre * 10))
    check(rows, "cold_fraction", 1 - math.exp(-rate * pre) + math.exp(-rate * (pre + keep)))
    idle = math.exp(-rate * pre) * -math.expm1(-rate * keep) / rate
    check(rows, "idle_warm_s_per_invocation", idle)
