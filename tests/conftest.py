from __future__ import annotations

import pytest
from helpers import FLOWS, REPO  # noqa: F401  (FLOWS and REPO are shared with the tests)

import oocana_local


@pytest.fixture(scope="session")
def engine():
    """One engine for the whole test session, so its worker pool stays warm."""
    with oocana_local.Engine() as engine:
        yield engine
