"""One engine on the session's local Ray runtime (``ray_runtime``, ``tests/conftest.py``);
the comparisons run the same flows on the session's local-pool ``engine``."""

from __future__ import annotations

import pytest

import oocana_local

ray = pytest.importorskip("ray", reason="the Ray tests need the [ray] extra")


@pytest.fixture(scope="session")
def ray_engine(ray_runtime):
    with oocana_local.Engine(executor="ray") as engine:
        yield engine
