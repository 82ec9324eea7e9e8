"""Sequential canary checks: repeated looks keep the false-alarm rate ≤ alpha."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import stats

from pipbench.errors import ConfigError
from pipbench.verify import SequentialCanary, compare_samples
from pipbench.verify.sequential import msprt_pvalue, obrien_fleming_spend


def test_msprt_closed_form() -> None:
    """Reference: Λ = √(V/(V+τ²))·exp(θ²τ²/(2V(V+τ²))) (Johari et al. 2017, eq. for normal data)."""
    theta, se, tau = 0.3, 0.1, 0.2
    v, t2 = se**2, tau**2
    lam = math.sqrt(v / (v + t2)) * math.exp(theta**2 * t2 / (2 * v * (v + t2)))
    assert msprt_pvalue(theta, se, tau) == pytest.approx(1 / lam)
    assert msprt_pvalue(0.0, se, tau) == 1.0


def test_obrien_fleming_spending() -> None:
    """Reference: α(1) = alpha and α(t) = 2 − 2Φ(z_{α/2}/√t)."""
    assert obrien_fleming_spend(1.0, 0.05) == pytest.approx(0.05)
    assert obrien_fleming_spend(0.25, 0.05) == pytest.approx(
        2 - 2 * stats.norm.cdf(stats.norm.isf(0.025) / 0.5)
    )
    assert obrien_fleming_spend(0.0, 0.05) == 0.0


@pytest.mark.parametrize("schedule", ["msprt", "obrien-fleming"])
def test_repeated_looks_keep_false_alarms_below_alpha(schedule: str) -> None:
    """A/A, 10 looks every 30 points: naive repeated testing alarms far above alpha; the
    sequential schedules stay ≤ alpha (Monte Carlo, 150 canaries)."""
    rng = np.random.default_rng(0)
    reps = 150
    seq_alarms = naive_alarms = 0
    for _ in range(reps):
        b, c = rng.lognormal(0, 0.5, 300), rng.lognormal(0, 0.5, 300)
        seq = SequentialCanary(schedule=schedule, max_n=300)  # type: ignore[arg-type]
        fired = naive = False
        for n in range(30, 301, 30):
            look = seq.update(b[:n], c[:n], autocorrelation="ignore")
            fired |= look.verdict == "fail"
            naive |= look.comparison.verdict == "fail"
        seq_alarms += fired
        naive_alarms += naive
    assert naive_alarms / reps > 0.1
    assert stats.binomtest(seq_alarms, reps, 0.05, alternative="greater").pvalue > 0.01


def test_sequential_detects_a_real_regression() -> None:
    rng = np.random.default_rng(1)
    b, c = rng.lognormal(0, 0.5, 600), rng.lognormal(np.log(1.3), 0.5, 600)
    seq = SequentialCanary()
    verdicts = [seq.update(b[:n], c[:n]).verdict for n in range(50, 601, 50)]
    assert "fail" in verdicts
    assert len(seq.looks_) == 12
    # p-values are non-increasing (running minimum: always valid)
    ps = [lk.p_value for lk in seq.looks_]
    assert all(a >= b for a, b in itertools.pairwise(ps))


def test_sequential_bad_config_and_nodata() -> None:
    with pytest.raises(ConfigError, match="max_n"):
        SequentialCanary(schedule="obrien-fleming").update([1.0] * 10, [1.0] * 10)
    look = SequentialCanary().update([], [1.0])
    assert look.verdict == "nodata"
    assert compare_samples([], [1.0]).verdict == "nodata"
