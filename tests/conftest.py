"""Shared fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI replays the same examples every run (a red CI must mean a regression, not bad luck);
# local runs keep exploring new ones.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture
def tmp_dataset(tmp_path: Path) -> Path:
    """A path for a dataset that does not exist yet."""
    return tmp_path / "ds"


@pytest.fixture(scope="session")
def demo_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped demo exports ingested once per test session (read-only for tests)."""
    from pipbench.demo.pipeline import demo_files
    from pipbench.ingest import ingest

    path = tmp_path_factory.mktemp("demo") / "dataset"
    ingest(demo_files(), path)
    return path
