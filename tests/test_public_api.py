"""The public API is small and declared: every name in __all__ exists and is documented."""

from __future__ import annotations

import importlib
import inspect

import pytest

MODULES = [
    "pipbench",
    "pipbench.dataset",
    "pipbench.errors",
    "pipbench.ingest",
    "pipbench.sli",
    "pipbench.slo",
    "pipbench.detect",
    "pipbench.verify",
    "pipbench.sim",
    "pipbench.charts",
    "pipbench.plan",
    "pipbench.notebooks",
]


@pytest.mark.parametrize("name", MODULES)
def test_all_names_exist_and_have_docstrings(name: str) -> None:
    mod = importlib.import_module(name)
    assert mod.__doc__, f"{name} has no module docstring"
    exported = mod.__all__
    assert len(exported) == len(set(exported)), "duplicates in __all__"
    for attr in exported:
        obj = getattr(mod, attr)  # raises if missing
        if inspect.isfunction(obj) or inspect.isclass(obj):
            assert getattr(obj, "__doc__", None), f"{name}.{attr} has no docstring"
