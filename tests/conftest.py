from __future__ import annotations

import pytest
from helpers import FLOWS, REPO  # noqa: F401  (FLOWS and REPO are shared with the tests)

import oocana_local


@pytest.fixture(scope="session")
def engine():
    """One engine for the whole test session, so its worker pool stays warm."""
    with oocana_local.Engine() as engine:
        yield engine


@pytest.fixture(scope="session")
def scheduler_engine():
    """An engine whose jobs run on threads of this process (``InProcessExecutor``): for
    tests of scheduling rules, which then take milliseconds. End-to-end tests use
    ``engine`` and its real worker processes."""
    from oocana_local.executor.inprocess import InProcessExecutor

    with oocana_local.Engine(executor=InProcessExecutor()) as engine:
        yield engine


@pytest.fixture(scope="session")
def ray_runtime():
    """One local Ray runtime for every Ray test (``ray.init(num_cpus=2)``)."""
    ray = pytest.importorskip("ray", reason="the Ray tests need the [ray] extra")
    started = not ray.is_initialized()
    if started:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR",
                 log_to_driver=False)
    yield ray
    if started:
        ray.shutdown()
