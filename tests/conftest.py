"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def tmp_dataset(tmp_path: Path) -> Path:
    """A path for a dataset that does not exist yet."""
    return tmp_path / "ds"
