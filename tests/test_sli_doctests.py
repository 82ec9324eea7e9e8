"""Every Examples section in the SLI/SLO modules runs (examples are executed tests)."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pipbench.sli",
    "pipbench.sli.catalogue",
    "pipbench.sli.events",
    "pipbench.sli.quantiles",
    "pipbench.sli.queries",
    "pipbench.sli.rates",
    "pipbench.sli.selectors",
    "pipbench.slo",
    "pipbench.slo.budget",
    "pipbench.slo.burnrate",
    "pipbench.slo.evaluate",
    "pipbench.slo.model",
    "pipbench.slo.promql",
    "pipbench.slo.report",
    "pipbench.slo.specs",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    """doctest.testmod finds examples and none fails."""
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
