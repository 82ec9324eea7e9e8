"""The scikit-learn parameter contract shared by baselines and detectors."""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from pipbench.errors import ConfigError

__all__ = ["ParamsMixin", "clone"]

T = TypeVar("T", bound="ParamsMixin")


class ParamsMixin:
    """``get_params``/``set_params``/``repr`` from the ``__init__`` signature."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as stored."""
        return {k: getattr(self, k) for k in self._param_names()}

    def set_params(self: T, **params: Any) -> T:
        """Set constructor parameters; unknown names are a :class:`ConfigError`."""
        valid = self._param_names()
        for k, v in params.items():
            if k not in valid:
                msg = f"{type(self).__name__} has no parameter {k!r}; valid: {sorted(valid)}"
                raise ConfigError(msg)
            setattr(self, k, v)
        return self

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"


def clone(estimator: T) -> T:
    """A new, unfitted estimator with the same parameters (scikit-learn's ``clone``).

    Examples
    --------
    >>> from pipbench.detect import ProfileBaseline
    >>> b = clone(ProfileBaseline(season="week"))
    >>> b.season, hasattr(b, "profile_")
    ('week', False)
    """
    return type(estimator)(**estimator.get_params())
