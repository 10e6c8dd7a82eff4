"""One local Ray runtime for every Ray test (``ray.init(num_cpus=2)``), and one engine
on it; the comparisons run the same flows on the session's local-pool ``engine``."""

from __future__ import annotations

import pytest

import oocana_local

ray = pytest.importorskip("ray", reason="the Ray tests need the [ray] extra")


@pytest.fixture(scope="session")
def ray_runtime():
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR",
                 log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()


@pytest.fixture(scope="session")
def ray_engine(ray_runtime):
    with oocana_local.Engine(executor="ray") as engine:
        yield engine
