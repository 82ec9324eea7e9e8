"""Every ``Examples`` section of pipbench.sim runs (numpydoc examples are executed tests),
and the package's ``__all__`` names exist."""

from __future__ import annotations

import doctest
import importlib

import pytest

import pipbench.sim

MODULES = [
    "analytic", "cache", "distributions", "hpa", "output", "scaling", "scenario",
    "serverless", "service", "sweep", "workload",
]  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str) -> None:
    mod = importlib.import_module(f"pipbench.sim.{name}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0


def test_public_names_exist() -> None:
    assert all(hasattr(pipbench.sim, n) for n in pipbench.sim.__all__)
    assert doctest.testmod(pipbench.sim).failed == 0
