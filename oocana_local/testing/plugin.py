"""The pytest plugin (entry point ``pytest11: oocana_local``): fixtures ``run_block``,
``run_flow``, ``make_context``, ``call_block``, ``oocana_runner`` and the session-wide
``oocana_engine``.

All runs of a pytest session share warm engines (one per set of search paths), created
at the first run and closed at the end of the session. Search paths come from
``--oocana-search-paths a,b``, the ini option ``oocana_search_paths``,
``$OOCANA_SEARCH_PATHS`` and the ``search_paths=`` argument of a run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import pytest

from .._shim import ensure_oocana_importable

ensure_oocana_importable()  # so test modules can import blocks that do `from oocana import`


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("oocana-local")
    group.addoption("--oocana-search-paths", default="", metavar="A,B",
                    help="package search paths for pkg::block references in run_block/run_flow")
    parser.addini("oocana_search_paths", type="paths", default=[],
                  help="package search paths for run_block/run_flow (relative to the ini file)")


@pytest.fixture(scope="session")
def oocana_engines(pytestconfig: pytest.Config) -> Iterator[Any]:
    """Warm engines shared by the whole session, created lazily."""
    from .runner import Engines

    paths = [str(p) for p in pytestconfig.getini("oocana_search_paths")]
    option = pytestconfig.getoption("--oocana-search-paths") or ""
    paths += [p.strip() for p in option.split(",") if p.strip()]
    engines = Engines(paths)
    yield engines
    engines.close()


@pytest.fixture(scope="session")
def oocana_engine(oocana_engines: Any) -> Any:
    """The session's ``oocana_local.Engine`` (default search paths)."""
    return oocana_engines.get()


@pytest.fixture
def oocana_runner(oocana_engines: Any, request: pytest.FixtureRequest) -> Any:
    """A ``Runner`` resolving paths and ``self::`` refs from the test file's folder."""
    from .runner import Runner

    return Runner(oocana_engines, base=request.path.parent)


@pytest.fixture
def run_block(oocana_runner: Any) -> Any:
    """``run_block(block, inputs=None, *, check=True, search_paths=None, env=None)``:
    run one block in a real worker; returns a ``TestResult``."""
    return oocana_runner.run_block


@pytest.fixture
def run_flow(oocana_runner: Any) -> Any:
    """``run_flow(flow, inputs=None, *, nodes_inputs=None, nodes=None, check=True,
    expect_not_run=(), ...)``: run a flow with the real engine; returns a ``TestResult``.
    Fails when a node did not run unless ``expect_not_run`` names it (or is True)."""
    return oocana_runner.run_flow


@pytest.fixture
def make_context(tmp_path: Any) -> Any:
    """``make_context(inputs=None, *, outputs_def=None, inputs_def=None, node_id=None,
    block=None)``: a recording ``Context`` (session and tmp dirs under ``tmp_path``)."""
    from .context import make_context as make

    def factory(inputs: dict[str, Any] | None = None, **options: Any) -> Any:
        options.setdefault("session_dir", tmp_path / "session")
        options.setdefault("tmp_dir", tmp_path / "tmp")
        return make(inputs, **options)

    return factory


@pytest.fixture
def call_block(request: pytest.FixtureRequest, tmp_path: Any) -> Any:
    """``call_block(block, inputs=None)``: call a block's main in this process; returns
    the recording context."""
    from .blocks import call_block as call

    return functools.partial(call, base=request.path.parent,
                             session_dir=tmp_path / "session", tmp_dir=tmp_path / "tmp")
