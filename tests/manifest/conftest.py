"""Fixtures for the manifest tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from manifest_helpers import write_tree


@pytest.fixture
def tree(tmp_path: Path) -> Callable[[dict[str, str]], Path]:
    """``tree({"pkg/flows/f/flow.oo.yaml": "..."})`` writes files under tmp_path."""
    return lambda files: write_tree(tmp_path, files)
