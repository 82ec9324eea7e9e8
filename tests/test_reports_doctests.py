"""The Examples sections of the reporting modules run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "pipbench.charts",
    "pipbench.charts.theme",
    "pipbench.charts.timeseries",
    "pipbench.charts.distributions",
    "pipbench.charts.drilldown",
    "pipbench.charts.slo",
    "pipbench.charts.tradeoff",
    "pipbench.charts.export",
    "pipbench.plan",
    "pipbench.plan.model",
    "pipbench.plan.checklists",
    "pipbench.plan.markdown",
    "pipbench.notebooks.params",
    "pipbench.notebooks.emit",
    "pipbench.notebooks.index",
    "pipbench.notebooks.run",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name, monkeypatch):
    monkeypatch.delenv("PIPBENCH_OUT", raising=False)
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{name} has no examples"
    assert result.failed == 0
