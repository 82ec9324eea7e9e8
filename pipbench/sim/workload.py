"""Arrival processes: Poisson, diurnal, bursty (MMPP), steps and spikes, replay of a real series.

Every workload draws its arrival times up front, vectorised, from a ``numpy`` generator:
``workload.arrivals(rng, n=...)`` gives the first ``n`` arrivals, ``duration=...`` every
arrival in ``[0, duration)``. Piecewise-constant rates (steps, MMPP paths, replays) are
sampled exactly by mapping a unit-rate Poisson process through the inverse cumulative
intensity (Çinlar's method); the diurnal sine by thinning (Lewis & Shedler 1979).

Examples
--------
>>> import numpy as np
>>> t = Poisson(10.0).arrivals(np.random.default_rng(1), n=1000)
>>> t.size, bool(np.all(np.diff(t) >= 0))
(1000, True)
>>> s = Steps([0, 60], [1.0, 5.0]).arrivals(np.random.default_rng(1), duration=120)
>>> bool((s < 120).all())
True
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import polars as pl

from pipbench.errors import ConfigError, InputError

__all__ = [
    "MMPP",
    "Diurnal",
    "Poisson",
    "Replay",
    "Steps",
    "Workload",
    "read_series",
    "spike",
]


class Workload(Protocol):
    """Anything that can draw arrival times."""

    def arrivals(
        self, rng: np.random.Generator, *, n: int | None = None, duration: float | None = None
    ) -> np.ndarray:
        """Sorted arrival times in seconds from 0 (exactly one of ``n``, ``duration``)."""
        ...

    @property
    def mean_rate(self) -> float:
        """Long-run mean arrival rate (requests per second)."""
        ...


def _rate(name: str, value: float, *, zero_ok: bool = False) -> float:
    ok = math.isfinite(value) and (value >= 0 if zero_ok else value > 0)
    if not ok:
        bound = "≥ 0" if zero_ok else "> 0"
        msg = f"{name} must be {bound} requests per second, got {value!r}"
        raise ConfigError(msg)
    return float(value)


def _horizon(n: int | None, duration: float | None) -> None:
    if (n is None) == (duration is None):
        msg = "give exactly one of requests (n) and duration"
        raise ConfigError(msg)
    if n is not None and (int(n) != n or n < 1):
        msg = f"requests must be a positive integer, got {n!r}"
        raise ConfigError(msg)
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        msg = f"duration must be > 0 seconds, got {duration!r}"
        raise ConfigError(msg)


def _unit_points(rng: np.random.Generator, n: int | None, total: float | None) -> np.ndarray:
    """First ``n`` points of a unit-rate Poisson process, or all points below ``total``."""
    if n is not None:
        return np.cumsum(rng.exponential(1.0, int(n)))
    assert total is not None
    k = rng.poisson(total)
    return np.sort(rng.uniform(0.0, total, k))


def _piecewise(
    rng: np.random.Generator,
    edges: np.ndarray,
    rates: np.ndarray,
    n: int | None,
    duration: float | None,
) -> np.ndarray:
    """Arrivals for rate ``rates[i]`` on ``[edges[i], edges[i+1])``; the last rate continues."""
    lengths = np.diff(np.append(edges, np.inf))
    if duration is not None:
        lengths = np.clip(np.minimum(edges + lengths, duration) - edges, 0.0, None)
    cum = np.concatenate([[0.0], np.cumsum(rates[:-1] * lengths[:-1])])
    total = None
    if duration is not None:
        total = float(cum[-1] + rates[-1] * lengths[-1])
    elif rates[-1] <= 0:
        msg = "the last rate of a finite series must be > 0 to draw a number of requests; use duration"
        raise ConfigError(msg)
    u = _unit_points(rng, n, total)
    seg = np.clip(np.searchsorted(cum, u, side="right") - 1, 0, len(rates) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = edges[seg] + (u - cum[seg]) / rates[seg]
    t = t[np.isfinite(t)]
    if duration is not None:
        t = t[t < duration]
    return t


@dataclass(frozen=True)
class Poisson:
    """Homogeneous Poisson arrivals at ``rate`` per second.

    Examples
    --------
    >>> Poisson(2.0).mean_rate
    2.0
    """

    rate: float

    def __post_init__(self) -> None:
        _rate("arrival rate", self.rate)

    @property
    def mean_rate(self) -> float:
        return self.rate

    def arrivals(
        self, rng: np.random.Generator, *, n: int | None = None, duration: float | None = None
    ) -> np.ndarray:
        _horizon(n, duration)
        return _unit_points(rng, n, None if duration is None else duration * self.rate) / self.rate


@dataclass(frozen=True)
class Steps:
    """Piecewise-constant rate: ``rates[i]`` from ``times[i]`` on; the last rate continues.

    Examples
    --------
    >>> Steps([0, 10], [1.0, 3.0]).rate_at(np.array([5.0, 15.0])).tolist()
    [1.0, 3.0]
    """

    times: Sequence[float]
    rates: Sequence[float]

    def __post_init__(self) -> None:
        t = np.asarray(self.times, dtype=float)
        r = np.asarray(self.rates, dtype=float)
        if t.size == 0 or t.size != r.size:
            msg = f"steps need as many times as rates (got {t.size} and {r.size})"
            raise ConfigError(msg)
        if t[0] != 0 or (np.diff(t) <= 0).any() or not np.isfinite(t).all():
            msg = f"step times must start at 0 and increase strictly, got {t.tolist()}"
            raise ConfigError(msg)
        bad = ~np.isfinite(r) | (r < 0)
        if bad.any():
            msg = f"step rates must be ≥ 0, got {r[bad][0]!r}"
            raise ConfigError(msg)
        if not (r > 0).any():
            msg = "at least one step rate must be > 0"
            raise ConfigError(msg)

    def rate_at(self, t: np.ndarray) -> np.ndarray:
        """The rate in force at times ``t``."""
        i = np.searchsorted(np.asarray(self.times, float), t, side="right") - 1
        return np.asarray(self.rates, float)[i]

    @property
    def mean_rate(self) -> float:
        return float(np.asarray(self.rates, float).mean())

    def arrivals(
        self, rng: np.random.Generator, *, n: int | None = None, duration: float | None = None
    ) -> np.ndarray:
        _horizon(n, duration)
        return _piecewise(
            rng, np.asarray(self.times, float), np.asarray(self.rates, float), n, duration
        )


def spike(base: float, peak: float, at: float, width: float) -> Steps:
    """A constant ``base`` rate with a rectangular spike to ``peak`` on ``[at, at+width)``.

    Examples
    --------
    >>> spike(1.0, 10.0, at=30, width=5).rates
    [1.0, 10.0, 1.0]
    """
    if at <= 0 or width <= 0:
        msg = f"spike at={at!r} and width={width!r} must be > 0"
        raise ConfigError(msg)
    return Steps([0.0, float(at), float(at + width)], [base, peak, base])


@dataclass(frozen=True)
class Diurnal:
    """Non-homogeneous Poisson with ``rate(t) = mean·(1 + amplitude·sin(2πt/period + phase))``.

    Examples
    --------
    >>> Diurnal(10.0, 0.5, period=100.0).rate_at(np.array([25.0])).round(3).tolist()
    [15.0]
    """

    mean: float
    amplitude: float = 0.5
    period: float = 86_400.0
    phase: float = 0.0

    def __post_init__(self) -> None:
        _rate("diurnal mean rate", self.mean)
        if not 0 <= self.amplitude <= 1:
            msg = f"diurnal amplitude must be in [0, 1], got {self.amplitude!r}"
            raise ConfigError(msg)
        if not self.period > 0:
            msg = f"diurnal period must be > 0 seconds, got {self.period!r}"
            raise ConfigError(msg)

    @property
    def mean_rate(self) -> float:
        return self.mean

    def rate_at(self, t: np.ndarray) -> np.ndarray:
        """The rate at times ``t``."""
        return self.mean * (1.0 + self.amplitude * np.sin(2 * np.pi * t / self.period + self.phase))

    def arrivals(
        self, rng: np.random.Generator, *, n: int | None = None, duration: float | None = None
    ) -> np.ndarray:
        _horizon(n, duration)
        top = self.mean * (1.0 + self.amplitude)
        if duration is not None:
            cand = np.sort(rng.uniform(0.0, duration, rng.poisson(top * duration)))
            return cand[rng.uniform(0.0, top, cand.size) < self.rate_at(cand)]
        assert n is not None
        out: list[np.ndarray] = []
        start, got = 0.0, 0
        while got < n:
            chunk = max(1024, int(1.2 * (n - got) * top / self.mean))
            cand = start + np.cumsum(rng.exponential(1.0 / top, chunk))
            keep = cand[rng.uniform(0.0, top, chunk) < self.rate_at(cand)]
            out.append(keep)
            got += keep.size
            start = float(cand[-1])
        return np.concatenate(out)[:n]


@dataclass(frozen=True)
class MMPP:
    """Markov-modulated Poisson process: bursts as a hidden state with its own rate.

    The state ``i`` lasts an exponential time of mean ``sojourn[i]`` seconds, then moves to
    another state chosen uniformly (two states: they alternate). Starts in state 0.

    Examples
    --------
    >>> round(MMPP([1.0, 9.0], [9.0, 1.0]).mean_rate, 3)
    1.8
    """

    rates: Sequence[float]
    sojourn: Sequence[float]

    def __post_init__(self) -> None:
        if len(self.rates) < 2 or len(self.rates) != len(self.sojourn):
            msg = "MMPP needs ≥ 2 states and one sojourn time per rate"
            raise ConfigError(msg)
        for r in self.rates:
            _rate("MMPP state rate", r, zero_ok=True)
        for s in self.sojourn:
            if not (math.isfinite(s) and s > 0):
                msg = f"MMPP sojourn must be > 0 seconds, got {s!r}"
                raise ConfigError(msg)

    @property
    def mean_rate(self) -> float:
        s = np.asarray(self.sojourn, float)  # symmetric jumps: stationary ∝ sojourn
        return float(np.dot(self.rates, s) / s.sum())

    def arrivals(
        self, rng: np.random.Generator, *, n: int | None = None, duration: float | None = None
    ) -> np.ndarray:
        _horizon(n, duration)
        k = len(self.rates)
        rates = np.asarray(self.rates, float)
        soj = np.asarray(self.sojourn, float)
        target = duration if duration is not None else 2.0 * n / self.mean_rate  # type: ignore[operator]
        states: list[int] = [0]
        edges: list[float] = [0.0]
        while True:
            while edges[-1] < target:
                s = states[-1]
                edges.append(edges[-1] + rng.exponential(soj[s]))
                nxt = (s + 1 + rng.integers(k - 1)) % k if k > 2 else 1 - s
                states.append(int(nxt))
            e = np.asarray(edges[:-1])
            r = rates[np.asarray(states[:-1])]
            if duration is not None:
                return _piecewise(rng, e, r, None, duration)
            t = _piecewise(rng, e, r, None, float(edges[-1]))
            if t.size >= n:  # type: ignore[operator]
                return t[:n]
            target *= 2.0


@dataclass(frozen=True)
class Replay:
    """Replay a real series: requests per second in each interval → Poisson arrivals.

    Parameters
    ----------
    times
        Start of each interval, seconds from 0, strictly increasing.
    rates
        Mean rate in each interval (the last one continues to ``end``).
    end
        End of the series; arrivals stop there. Default: one more interval.

    Examples
    --------
    >>> r = Replay([0, 60, 120], [2.0, 4.0, 1.0])
    >>> r.end
    180.0
    """

    times: Sequence[float]
    rates: Sequence[float]
    end: float | None = None
    _steps: Steps = field(init=False, repr=False)

    def __post_init__(self) -> None:
        t = np.asarray(self.times, float)
        if t.size and (t < 0).any():
            msg = f"replay times must be ≥ 0, got {float(t[t < 0][0])!r}"
            raise ConfigError(msg)
        if t.size > 1 and (np.diff(t) <= 0).any():
            i = int(np.argmax(np.diff(t) <= 0)) + 1
            msg = f"replay times must increase strictly; time {t[i]!r} follows {t[i - 1]!r}"
            raise ConfigError(msg)
        shifted = (t - t[0]).tolist() if t.size else []
        object.__setattr__(self, "_steps", Steps(shifted, list(self.rates)))
        if self.end is None:
            step = float(np.diff(t).mean()) if t.size > 1 else 60.0
            object.__setattr__(self, "end", float(t[-1] - t[0] + step))
        elif t.size and not self.end > t[-1] - t[0]:
            msg = f"replay end ({self.end!r}) must be after the last interval start ({t[-1] - t[0]!r})"
            raise ConfigError(msg)

    @property
    def mean_rate(self) -> float:
        t = np.append(np.asarray(self._steps.times, float), float(self.end or 0.0))
        return float(np.dot(np.diff(t), self._steps.rates) / (t[-1] - t[0]))

    def arrivals(
        self, rng: np.random.Generator, *, n: int | None = None, duration: float | None = None
    ) -> np.ndarray:
        """Arrivals of the replayed series; ``duration`` (default: the series' end) caps it."""
        if n is None and duration is None:
            duration = self.end
        return self._steps.arrivals(rng, n=n, duration=duration)

    @classmethod
    def from_frame(
        cls,
        frame: pl.DataFrame,
        *,
        time: str = "timestamp",
        value: str = "value",
        counter: bool = False,
    ) -> Replay:
        """Build from a frame of ``time, value`` (a dataset's ``samples`` of one series).

        With ``counter=True`` the values are a cumulative count (Prometheus counter; resets
        handled) and the rate is the increase per interval divided by its length.
        """
        for c in (time, value):
            if c not in frame.columns:
                msg = f"replay frame has no column {c!r}; columns: {frame.columns}"
                raise InputError(msg, field=c)
        f = frame.select(time, value).drop_nulls().sort(time)
        ts = f[time]
        secs = (
            ts.dt.epoch("us").to_numpy() / 1e6
            if ts.dtype.is_temporal()
            else ts.cast(pl.Float64).to_numpy()
        )
        vals = f[value].cast(pl.Float64).to_numpy()
        if counter:
            inc = np.diff(vals)
            inc = np.where(inc < 0, vals[1:], inc)  # reset: the counter restarted from 0
            dt = np.diff(secs)
            return cls(
                (secs[:-1] - secs[0]).tolist(), (inc / dt).tolist(), float(secs[-1] - secs[0])
            )
        return cls((secs - secs[0]).tolist(), vals.tolist())

    @classmethod
    def from_dataset(
        cls,
        dataset: Any,
        metric: str,
        *,
        counter: bool = True,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        **labels: str,
    ) -> Replay:
        """Replay one series of a dataset's ``samples`` ("last Tuesday's traffic").

        Parameters
        ----------
        dataset
            A :class:`pipbench.dataset.Dataset`.
        metric
            The metric name, e.g. ``http_requests_total`` (a counter) or a rate gauge.
        counter
            Whether the values are a cumulative count (default) or already a rate.
        start, end
            The window to replay (inclusive; default: everything).
        **labels
            Label filters selecting one series; matching series are summed per timestamp.
        """
        frame = dataset.samples().filter(pl.col("metric") == metric)
        for k, v in labels.items():
            frame = frame.filter(pl.col(k) == v)
        if start is not None:
            frame = frame.filter(pl.col("timestamp") >= start)
        if end is not None:
            frame = frame.filter(pl.col("timestamp") <= end)
        f = frame.group_by("timestamp").agg(pl.col("value").sum()).sort("timestamp").collect()
        if f.height < 2:
            msg = f"the dataset has {f.height} point(s) of {metric} {labels or ''} in the window"
            raise InputError(msg, field="metric", expected="at least two points to replay")
        return cls.from_frame(f, counter=counter)

    @classmethod
    def from_csv(cls, path: str) -> Replay:
        """Read ``t_seconds,rate`` rows (header optional)."""
        times, rates = read_series(path, "rate")
        return cls(times.tolist(), rates.tolist())


def read_series(path: str, what: str = "value") -> tuple[np.ndarray, np.ndarray]:
    """Read a two-column ``t_seconds,VALUE`` CSV (header optional).

    Times must be non-negative and strictly increasing, values non-negative; a violation
    raises :class:`~pipbench.errors.InputError` naming the file, line and field.
    """
    from pathlib import Path

    p = Path(path)
    if not p.exists():
        msg = "no such file"
        raise InputError(msg, file=p, expected=f"a CSV of t_seconds,{what}")
    times: list[float] = []
    vals: list[float] = []
    for i, line in enumerate(p.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        cells = [c.strip() for c in line.split(",")]
        if len(cells) != 2:
            msg = f"expected 2 columns, got {len(cells)}"
            raise InputError(msg, file=p, line=i, expected=f"t_seconds,{what}")
        try:
            t, v = float(cells[0]), float(cells[1])
        except ValueError:
            if i == 1 and not times:
                continue  # header
            msg = f"not a number in {line!r}"
            raise InputError(msg, file=p, line=i, expected=f"t_seconds,{what}") from None
        if not (math.isfinite(t) and t >= 0):
            msg = f"negative or invalid time {cells[0]!r}"
            raise InputError(msg, file=p, line=i, field="t_seconds", expected="a time ≥ 0")
        if times and t <= times[-1]:
            msg = f"times are not sorted: {t:g} follows {times[-1]:g}"
            raise InputError(msg, file=p, line=i, field="t_seconds", expected="increasing times")
        if not (math.isfinite(v) and v >= 0):
            msg = f"negative or invalid {what} {cells[1]!r}"
            raise InputError(msg, file=p, line=i, field=what, expected="a value ≥ 0")
        times.append(t)
        vals.append(v)
    if not times:
        msg = "no data rows"
        raise InputError(msg, file=p, expected=f"t_seconds,{what} rows")
    return np.asarray(times), np.asarray(vals)
