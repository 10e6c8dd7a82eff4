from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from server import Server  # noqa: E402


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """One server for the protocol tests; tests that restart servers start their own."""
    secrets = Path(__file__).parent / "pkg" / "secrets.json"
    with Server(tmp_path_factory.mktemp("serve-home"),
                extra=("--secrets", str(secrets))) as running:
        yield running


@pytest.fixture
def gate(tmp_path):
    """A file path the gate block waits for; the test opens the gate by creating it."""
    path = tmp_path / "gate"
    yield path
    path.touch()  # never leave a block waiting
