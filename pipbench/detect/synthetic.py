"""Seeded generator of labelled metric series: the ground truth for tests and benchmarks.

Each series is a sum of a level, a daily (and optionally weekly) seasonal shape, noise
(Gaussian with AR(1) memory) and injected anomalies at known times: spikes, level
shifts, variance changes and drifts. The labels say where each anomaly starts and ends,
so a detector can be scored for precision, recall and detection delay.

Examples
--------
>>> from pipbench.detect.synthetic import make_series
>>> s = make_series(n=2016, kinds=("spike", "level_shift"), seed=1)
>>> s.values.shape, [a.kind for a in s.anomalies]
((2016,), ['spike', 'level_shift'])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from pipbench.errors import ConfigError

__all__ = ["KINDS", "InjectedAnomaly", "LabelledSeries", "make_batch", "make_corpus", "make_series"]

KINDS = ("spike", "level_shift", "variance", "drift")
"""The kinds of anomaly :func:`make_series` can inject."""


@dataclass(frozen=True)
class InjectedAnomaly:
    """One injected anomaly: ``kind`` from index ``start`` to ``end`` (exclusive)."""

    kind: str
    start: int
    end: int
    magnitude: float


@dataclass(frozen=True)
class LabelledSeries:
    """A generated series with its timestamps (epoch seconds) and its labels."""

    timestamps: np.ndarray
    values: np.ndarray
    anomalies: tuple[InjectedAnomaly, ...]
    period: int
    noise_sd: float
    labels: np.ndarray = field(repr=False)
    """Boolean mask, True on every point inside an injected anomaly."""


def _ar1(eps: np.ndarray, ar: float) -> np.ndarray:
    """AR(1) noise with the marginal s.d. of ``eps`` (stationary start), along the last axis."""
    from scipy.signal import lfilter

    scale = np.sqrt(1 - ar * ar)
    first = eps[..., :1]
    zi = ar * first  # start in the stationary distribution: x0 = eps0
    rest = lfilter([scale], [1.0, -ar], eps[..., 1:], axis=-1, zi=zi)[0]
    return np.concatenate([first, rest], axis=-1)


def make_batch(
    n_series: int, n: int = 2016, *, seed: int = 0, step_s: float = 300.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A large unlabelled-by-kind batch (series x time) for speed benchmarks, vectorised.

    Each row: random level, daily shape, AR(1) noise, and one spike and one level shift at
    random times after the first 20 %. Returns ``(timestamps, Y, onsets)`` with ``onsets``
    of shape ``(n_series, 2)`` (spike index, shift index).

    Examples
    --------
    >>> ts, Y, on = make_batch(3, 500, seed=1)
    >>> Y.shape, on.shape
    ((3, 500), (3, 2))
    """
    rng = np.random.default_rng(seed)
    ts = 1_700_006_400.0 + step_s * np.arange(n)
    period = max(round(86400.0 / step_s), 1)
    level = rng.uniform(10, 1000, (n_series, 1))
    sd = level * rng.uniform(0.005, 0.05, (n_series, 1))
    amp = sd * rng.uniform(0, 8, (n_series, 1))
    shape = np.sin(2 * np.pi * np.arange(n) / period - np.pi / 2)[None, :]
    ar = rng.uniform(0.0, 0.6)
    Y = level + amp * shape + sd * _ar1(rng.normal(0, 1, (n_series, n)), ar)
    lo = int(0.2 * n)
    spike = rng.integers(lo, n, n_series)
    shift = rng.integers(lo, n, n_series)
    rows = np.arange(n_series)
    mag = rng.uniform(5, 10, n_series) * rng.choice([-1.0, 1.0], n_series)
    Y[rows, spike] += mag * sd[:, 0]
    Y += np.where(np.arange(n)[None, :] >= shift[:, None], 0.75 * mag[:, None] * sd, 0.0)
    return ts, Y, np.stack([spike, shift], axis=1)


def make_series(
    n: int = 2016,
    *,
    kinds: Sequence[str] = ("spike", "level_shift"),
    step_s: float = 300.0,
    level: float = 100.0,
    seasonal_amplitude: float = 20.0,
    noise_sd: float = 3.0,
    ar: float = 0.3,
    magnitude: float = 8.0,
    seed: int | np.random.Generator = 0,
    start: float = 1_700_000_000.0,
) -> LabelledSeries:
    """Generate one labelled series.

    Parameters
    ----------
    n
        Number of points.
    kinds
        Anomalies to inject, in time order, spread over the last 80 % of the series
        (the first 20 % is clean history). Each kind in :data:`KINDS`; repeats allowed.
    step_s
        Sampling interval in seconds (300 s gives a daily period of 288 points).
    level, seasonal_amplitude, noise_sd, ar
        Mean level, amplitude of the daily shape, noise standard deviation and the
        AR(1) coefficient of the noise.
    magnitude
        Anomaly size in units of ``noise_sd`` (spikes and shifts), the factor of a
        variance change is ``1 + magnitude / 4``, a drift ramps to ``magnitude`` noise
        s.d. over its length.
    seed
        Seed or generator; the same seed gives the same series.

    Returns
    -------
    LabelledSeries
    """
    if n < 50:
        msg = f"n={n} is too short to inject anomalies; use n >= 50"
        raise ConfigError(msg)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        msg = f"unknown anomaly kind(s) {bad}; expected some of {list(KINDS)}"
        raise ConfigError(msg)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    ts = start + step_s * np.arange(n)
    period = max(round(86400.0 / step_s), 1)
    phase = 2 * np.pi * np.arange(n) / period
    shape = np.sin(phase - np.pi / 2) + 0.35 * np.sin(2 * phase + rng.uniform(0, 2 * np.pi))
    base = level + seasonal_amplitude * shape
    eps = rng.normal(0.0, noise_sd, n)
    noise = _ar1(eps, ar)
    values = base + noise
    labels = np.zeros(n, dtype=bool)
    anomalies: list[InjectedAnomaly] = []
    k = len(kinds)
    if k:
        lo = int(0.2 * n)
        slot = (n - lo) // k
        for i, kind in enumerate(kinds):
            s0 = lo + i * slot + int(rng.integers(slot // 8, max(slot // 3, slot // 8 + 1)))
            sign = rng.choice([-1.0, 1.0])
            if kind == "spike":
                width = int(rng.integers(1, 4))
                e = min(s0 + width, n)
                values[s0:e] += sign * magnitude * noise_sd
                anomalies.append(InjectedAnomaly(kind, s0, e, sign * magnitude * noise_sd))
            elif kind == "level_shift":
                e = min(s0 + 12, n)  # the onset is the anomaly; the new level is the new normal
                values[s0:] += sign * magnitude * noise_sd * 0.75
                anomalies.append(InjectedAnomaly(kind, s0, e, sign * magnitude * noise_sd * 0.75))
            elif kind == "variance":
                e = min(s0 + slot // 2, n)
                f = 1 + magnitude / 4
                values[s0:e] = base[s0:e] + f * noise[s0:e]
                anomalies.append(InjectedAnomaly(kind, s0, e, f))
            else:  # drift
                e = min(s0 + slot // 2, n)
                ramp = np.linspace(0.0, sign * magnitude * noise_sd, e - s0)
                values[s0:e] += ramp
                values[e:] += ramp[-1]
                anomalies.append(InjectedAnomaly(kind, s0, e, float(ramp[-1])))
            labels[anomalies[-1].start : anomalies[-1].end] = True
    return LabelledSeries(ts, values, tuple(anomalies), period, noise_sd, labels)


def make_corpus(
    n_series: int = 40,
    n: int = 2016,
    *,
    seed: int = 0,
    step_s: float = 300.0,
) -> list[LabelledSeries]:
    """A mixed corpus: every kind alone and in pairs, random levels, noise and seasonality.

    Parameters
    ----------
    n_series
        Number of series.
    n
        Points per series.
    seed
        Master seed; series ``i`` uses a generator spawned from it.

    Examples
    --------
    >>> corpus = make_corpus(4, 600, seed=3)
    >>> len(corpus), corpus[0].values.shape
    (4, (600,))
    """
    rng = np.random.default_rng(seed)
    menu: list[tuple[str, ...]] = [
        ("spike",),
        ("level_shift",),
        ("variance",),
        ("drift",),
        ("spike", "level_shift"),
        ("drift", "spike"),
        ("variance", "spike"),
        ("level_shift", "spike"),
        (),
    ]
    out = []
    for i, child in enumerate(rng.spawn(n_series)):
        kinds = menu[i % len(menu)]
        lvl = float(child.uniform(10, 1000))
        sd = lvl * float(child.uniform(0.005, 0.05))
        out.append(
            make_series(
                n,
                kinds=kinds,
                step_s=step_s,
                level=lvl,
                seasonal_amplitude=sd * float(child.uniform(0.0, 8.0)),
                noise_sd=sd,
                ar=float(child.uniform(0.0, 0.6)),
                magnitude=float(child.uniform(5.0, 10.0)),
                seed=child,
            )
        )
    return out
