"""The verify package's public API is declared, documented, and its examples run."""

from __future__ import annotations

import doctest
import importlib
import inspect

import pytest

import pipbench.verify as verify

MODULES = [
    "compare",
    "ranktest",
    "quantile",
    "counts",
    "result",
    "judge",
    "kayenta",
    "sequential",
    "power",
    "budget",
    "config",
    "_stats",
]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name: str) -> None:
    """Every Examples section is an executed test (doctest)."""
    mod = importlib.import_module(f"pipbench.verify.{name}")
    failures, tried = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert tried > 0
    assert failures == 0


def test_public_api_is_declared_and_documented() -> None:
    assert sorted(verify.__all__) == verify.__all__
    for name in verify.__all__:
        obj = getattr(verify, name)
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert obj.__doc__, name
    for fn in (
        "compare_samples",
        "compare_windows",
        "judge_canary",
        "kayenta_judge",
        "budget_impact",
        "minimum_detectable_effect",
        "canary_duration",
    ):
        assert "Examples" in getattr(verify, fn).__doc__, fn
