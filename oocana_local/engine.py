"""The engine: loads manifests, keeps warm workers, runs sessions. The sync facade.

``Engine`` owns one asyncio event loop and one worker pool, so consecutive runs (a test
session, watch mode) reuse warm workers. ``run()`` at module level is the one-shot form.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .mainframe.bus import Bus, Subscriber

if TYPE_CHECKING:
    from .debug_settings import DebugSettings
    from .executor.base import Executor
    from .manifest.problems import Problem
    from .manifest.resolved import Flow, TaskBlock
    from .runtime.cache import NodeCache
    from .runtime.options import RunOptions
    from .runtime.run import RunResult

__all__ = ["Engine", "run", "search_paths_from_env"]


def search_paths_from_env() -> list[str]:
    """``OOCANA_SEARCH_PATHS``: entries separated by ``,`` or ``:``."""
    raw = os.environ.get("OOCANA_SEARCH_PATHS", "")
    return [p for p in raw.replace(",", os.pathsep).replace(":", os.pathsep).split(os.pathsep)
            if p]


class Engine:
    """Runs flows and blocks; reuse one for many runs, close it when done.

    >>> with Engine() as engine:
    ...     result = engine.run("flows/quickstart")
    """

    def __init__(self, *, search_paths: Sequence[str | os.PathLike[str]] = (),
                 max_workers: int | None = None, env: dict[str, str] | None = None,
                 executor: Executor | str | None = None, ray_address: str | None = None,
                 secrets_file: str | os.PathLike[str] | None = None,
                 debug: DebugSettings | None = None):
        """``executor``: an ``Executor``, or ``"local"`` (warm worker processes) or
        ``"ray"`` (Ray actors; ``ray_address`` None starts a local Ray runtime, ``"auto"``
        or ``"ray://host:port"`` joins a cluster); default ``$OOCANA_LOCAL_EXECUTOR``.
        ``debug``: blocks run under a debugger (``executor/debug.py``, local workers only)."""
        self.search_paths = [str(p) for p in search_paths] + search_paths_from_env()
        self.env = dict(env or {})
        self.secrets_file = None if secrets_file is None else str(secrets_file)
        """Where secrets in block inputs are looked up (else ``$OOCANA_SECRETS_FILE``)."""
        self.bus = Bus()
        self._loop = asyncio.new_event_loop()
        self._executor = None if executor is None or isinstance(executor, str) else executor
        from .executor.choice import choose

        self.executor_name, self.ray_address = (
            ("custom", None) if self._executor is not None else choose(
                executor if isinstance(executor, str) else None, ray_address))
        self._max_workers = max_workers
        self.debug = debug
        if debug is not None:
            from .debug_settings import check_debug_settings
            from .errors import UsageError

            if self.executor_name != "local":
                raise UsageError("--debug runs blocks in local workers; leave out "
                                 "--executor ray (and $OOCANA_LOCAL_EXECUTOR=ray)")
            check_debug_settings(debug)
        self._loader: Any = None
        self._closed = False

    # -- lifecycle ----------------------------------------------------------------

    @property
    def executor(self) -> Executor:
        if self._executor is None and self.debug is not None:
            from .executor.debug import DebugExecutor

            self._executor = DebugExecutor(self.debug)
        if self._executor is None:
            from .executor.choice import make_executor

            self._executor = make_executor(self.executor_name, self.ray_address,
                                           self._max_workers)
        return self._executor

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._executor is not None:
            self._loop.run_until_complete(self._executor.close())
        self._loop.close()
        _collect_coverage()

    async def aclose(self) -> None:
        """``close()`` for an engine whose runs were awaited on another, running loop."""
        if self._closed:
            return
        self._closed = True
        if self._executor is not None:
            await self._executor.close()
        self._loop.close()
        _collect_coverage()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- manifests ------------------------------------------------------------------

    @property
    def loader(self) -> Any:
        if self._loader is None:
            from .manifest.loader import Loader

            self._loader = Loader(search_paths=self.search_paths)
        return self._loader

    def load(self, path: str | os.PathLike[str], *, warnings: list[Problem] | None = None
             ) -> Flow | TaskBlock:
        """Read and resolve a flow or block; raises ``ManifestError`` listing every problem.

        Problems that do not stop a run (a node that can never get its inputs, ...) are
        appended to ``warnings`` when given.
        """
        return self.loader.load(Path(path), warnings=warnings)

    # -- runs -----------------------------------------------------------------------

    def run(self, path: str | os.PathLike[str] | Flow | TaskBlock,
            options: RunOptions | None = None, *, subscribers: Iterable[Subscriber] = (),
            handle_sigint: bool = False, inputs: dict[str, Any] | None = None,
            nodes_inputs: dict[str, dict[str, Any]] | None = None,
            nodes: Iterable[str] | None = None, session_id: str | None = None,
            env: dict[str, str] | None = None, cache: NodeCache | bool | None = None,
            secrets_file: str | os.PathLike[str] | None = None,
            session_dir: str | os.PathLike[str] | None = None) -> RunResult:
        """Run a flow or block to its end and return what it produced.

        Give the run's options as a ``RunOptions`` or as keywords (keywords win).
        ``handle_sigint`` makes Ctrl-C cancel the run cleanly (status ``"cancelled"``);
        the CLI uses it. ``cache=True`` (or a ``NodeCache``) reuses task results whose
        code, manifest and inputs did not change; ``result.cached`` names those nodes.
        Manifest problems raise ``ManifestError``, bad arguments ``UsageError``, before
        anything runs.
        """
        if self._closed:
            raise RuntimeError("this Engine is closed; create a new one")
        from .runtime.options import RunOptions

        options = (options or RunOptions()).merged(
            inputs=inputs, nodes_inputs=nodes_inputs,
            nodes=list(nodes) if nodes is not None else None, session_id=session_id,
            env=env, cache=cache, secrets_file=secrets_file, session_dir=session_dir)
        target = path if not isinstance(path, (str, os.PathLike)) else self.load(path)
        task = self._loop.create_task(self.arun(target, options, subscribers=subscribers))
        sigint = handle_sigint and threading.current_thread() is threading.main_thread()
        if sigint:
            self._loop.add_signal_handler(signal.SIGINT, task.cancel)
        try:
            return self._loop.run_until_complete(task)
        finally:
            if sigint:
                self._loop.remove_signal_handler(signal.SIGINT)

    async def arun(self, target: Flow | TaskBlock, options: RunOptions | None = None, *,
                   subscribers: Iterable[Subscriber] = ()) -> RunResult:
        """``run`` for a caller with its own event loop (the engine's executor then lives
        on that loop)."""
        from .runtime.options import RunOptions
        from .runtime.run import run_session

        options = options or RunOptions()
        # The engine's own environment and secrets file, unless the run says otherwise.
        options = options.merged(env={**self.env, **options.env},
                                 secrets_file=options.secrets_file or self.secrets_file)
        executor = self.executor
        await executor.start()
        unsubscribes = [self.bus.subscribe(s) for s in subscribers]
        try:
            return await run_session(target, options, executor=executor, bus=self.bus,
                                     loader=self.loader)
        finally:
            for unsubscribe in unsubscribes:
                unsubscribe()
            _collect_coverage()


def _collect_coverage() -> None:
    """Block lines measured in workers join this process's coverage data, if measured."""
    from .executor.coverage_bridge import collect

    collect()


def run(path: str | os.PathLike[str], options: RunOptions | None = None, *,
        search_paths: Sequence[str] = (), subscribers: Iterable[Subscriber] = (),
        inputs: dict[str, Any] | None = None,
        nodes_inputs: dict[str, dict[str, Any]] | None = None,
        nodes: Iterable[str] | None = None, session_id: str | None = None,
        env: dict[str, str] | None = None,
        secrets_file: str | os.PathLike[str] | None = None) -> RunResult:
    """Run one flow or block with a fresh engine (workers stopped afterwards)."""
    with Engine(search_paths=search_paths) as engine:
        return engine.run(path, options, subscribers=subscribers, inputs=inputs,
                          nodes_inputs=nodes_inputs, nodes=nodes, session_id=session_id,
                          env=env, secrets_file=secrets_file)
