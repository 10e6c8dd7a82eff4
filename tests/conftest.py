from __future__ import annotations

import isolation  # noqa: I001  (first: the session's HOME is set before anything runs)

SESSION = isolation.isolate()

import pytest  # noqa: E402
from helpers import FLOWS, REPO  # noqa: E402, F401  (FLOWS and REPO are shared with the tests)

import oocana_local  # noqa: E402


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    found = isolation.finish(SESSION)
    if found:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = (f"the test session's HOME ({SESSION.home}) holds {', '.join(found)}, which "
                f"tests/isolation.py does not document (ALLOWED): a test wrote there")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_line(f"ERROR: {text}", red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


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
    from inprocess_executor import InProcessExecutor

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
