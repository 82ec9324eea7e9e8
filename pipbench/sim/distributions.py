"""Service-time distributions, parsed from the command line's ``KIND:ARGS`` strings.

``exp:MEAN``, ``lognormal:MEAN:SIGMA`` (MEAN of the distribution itself, SIGMA of its
logarithm), ``const:X``, ``gamma:MEAN:CV`` and ``empirical:FILE`` (one number per line, or a
CSV/Parquet column ``duration_s`` such as a dataset's events). Times are in seconds.

Examples
--------
>>> import numpy as np
>>> d = parse_distribution("const:0.25")
>>> d.sample(np.random.default_rng(0), 3).tolist()
[0.25, 0.25, 0.25]
>>> parse_distribution("gamma:2:0.5").mean
2.0
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from pipbench.errors import ConfigError, InputError

__all__ = ["Distribution", "parse_distribution"]

_KINDS = ("exp", "lognormal", "const", "gamma", "empirical")


@dataclass(frozen=True)
class Distribution:
    """A non-negative random duration.

    Parameters
    ----------
    kind
        One of ``exp``, ``lognormal``, ``const``, ``gamma``, ``empirical``.
    mean
        The distribution's mean in seconds.
    shape
        ``sigma`` of the logarithm for ``lognormal``, the coefficient of variation for ``gamma``.
    values
        The sample for ``empirical`` (resampled with replacement).
    """

    kind: str
    mean: float
    shape: float = 0.0
    values: tuple[float, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            msg = f"unknown distribution {self.kind!r}; expected one of {', '.join(_KINDS)}"
            raise ConfigError(msg)
        if not (math.isfinite(self.mean) and self.mean >= 0):
            msg = f"distribution {self.kind}: mean must be ≥ 0 seconds, got {self.mean!r}"
            raise ConfigError(msg)
        if self.kind in ("lognormal", "gamma") and not (
            math.isfinite(self.shape) and self.shape > 0
        ):
            what = "sigma" if self.kind == "lognormal" else "cv"
            msg = f"distribution {self.kind}: {what} must be > 0, got {self.shape!r}"
            raise ConfigError(msg)
        if self.kind == "empirical" and not self.values:
            msg = "distribution empirical: the sample is empty"
            raise ConfigError(msg)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` values (float64 seconds)."""
        if self.kind == "const" or self.mean == 0:
            return np.full(n, self.mean)
        if self.kind == "exp":
            return rng.exponential(self.mean, n)
        if self.kind == "lognormal":
            mu = math.log(self.mean) - self.shape**2 / 2.0
            return rng.lognormal(mu, self.shape, n)
        if self.kind == "gamma":
            k = 1.0 / self.shape**2
            return rng.gamma(k, self.mean / k, n)
        return rng.choice(np.asarray(self.values), n, replace=True)

    @property
    def scv(self) -> float:
        """Squared coefficient of variation (1 for exponential)."""
        if self.kind == "exp":
            return 1.0
        if self.kind == "const" or self.mean == 0:
            return 0.0
        if self.kind == "lognormal":
            return math.expm1(self.shape**2)
        if self.kind == "gamma":
            return self.shape**2
        v = np.asarray(self.values)
        return float(v.var() / v.mean() ** 2) if v.mean() > 0 else 0.0

    @classmethod
    def empirical(cls, values: np.ndarray | list[float]) -> Distribution:
        """An empirical distribution from a sample, e.g. a dataset's ``events.duration_s``."""
        v = np.asarray(values, dtype=float)
        v = v[np.isfinite(v)]
        if v.size == 0 or (v < 0).any():
            msg = "empirical sample must hold non-negative finite durations"
            raise ConfigError(msg)
        return cls("empirical", float(v.mean()), 0.0, tuple(v.tolist()))


def _number(text: str, spec: str, what: str) -> float:
    try:
        return float(text)
    except ValueError:
        msg = f"distribution {spec!r}: {what} {text!r} is not a number"
        raise ConfigError(msg) from None


def _read_sample(path: Path) -> np.ndarray:
    if not path.exists():
        msg = "no such file"
        raise InputError(msg, file=path, expected="durations, one per line, or a duration_s column")
    if path.suffix == ".parquet" or path.is_dir():
        import polars as pl

        from pipbench.dataset import open_dataset

        frame = (
            open_dataset(path, create=False).events().collect()
            if path.is_dir()
            else pl.read_parquet(path)
        )
        if "duration_s" not in frame.columns:
            msg = "no duration_s column"
            raise InputError(msg, file=path, expected="an events table")
        return frame["duration_s"].drop_nulls().to_numpy()
    lines = path.read_text().splitlines()
    values = []
    for i, line in enumerate(lines, 1):
        cell = line.split(",")[-1].strip()
        if not cell or cell.startswith("#"):
            continue
        try:
            values.append(float(cell))
        except ValueError:
            if i == 1:  # a header
                continue
            msg = f"not a number: {cell!r}"
            raise InputError(msg, file=path, line=i, expected="a duration in seconds") from None
    return np.asarray(values)


def parse_distribution(spec: str) -> Distribution:
    """Parse ``exp:MEAN``, ``lognormal:MEAN:SIGMA``, ``const:X``, ``gamma:MEAN:CV``, ``empirical:FILE``.

    Examples
    --------
    >>> parse_distribution("exp:0.1")
    Distribution(kind='exp', mean=0.1, shape=0.0)
    """
    kind, _, rest = spec.partition(":")
    kind = kind.strip().lower()
    if kind not in _KINDS:
        msg = f"unknown distribution {spec!r}; expected one of exp:MEAN, lognormal:MEAN:SIGMA, const:X, gamma:MEAN:CV, empirical:FILE"
        raise ConfigError(msg)
    if kind == "empirical":
        try:
            return Distribution.empirical(_read_sample(Path(rest)))
        except ConfigError as err:
            msg = f"distribution {spec!r}: {err}"
            raise ConfigError(msg) from None
    args = rest.split(":") if rest else []
    want = 2 if kind in ("lognormal", "gamma") else 1
    if len(args) != want:
        msg = f"distribution {spec!r}: {kind} takes {want} number(s) after the colon"
        raise ConfigError(msg)
    mean = _number(args[0], spec, "mean")
    shape = _number(args[1], spec, "shape") if want == 2 else 0.0
    return Distribution(kind, mean, shape)
