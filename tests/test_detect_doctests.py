"""The ``Examples`` sections of pipbench.detect are executed: docs cannot drift from the code."""

from __future__ import annotations

import doctest
import importlib

import pytest

import pipbench.detect as detect

MODULES = [
    "pipbench.detect",
    "pipbench.detect._base",
    "pipbench.detect.anomaly",
    "pipbench.detect.attribution",
    "pipbench.detect.baseline",
    "pipbench.detect.changepoint",
    "pipbench.detect.drilldown",
    "pipbench.detect.evaluate",
    "pipbench.detect.hypotheses",
    "pipbench.detect.series",
    "pipbench.detect.synthetic",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    mod = importlib.import_module(name)
    result = doctest.testmod(mod, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0


def test_public_names_exist_and_are_documented():
    for name in detect.__all__:
        obj = getattr(detect, name)
        assert obj.__doc__, name
