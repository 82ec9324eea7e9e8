"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


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
