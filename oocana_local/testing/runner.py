"""``run_block`` / ``run_flow``: run through the real engine and workers, from a test."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from .locate import caller_dir, is_ref, package_root, resolve_block, resolve_path
from .result import TestResult

__all__ = ["Engines", "Runner"]


class Engines:
    """Warm engines by search paths, each created on first use; ``close()`` stops them."""

    def __init__(self, search_paths: Sequence[str | os.PathLike[str]] = (),
                 max_workers: int | None = None):
        self.search_paths = tuple(str(p) for p in search_paths)
        self.max_workers = max_workers
        self._engines: dict[tuple[str, ...], Any] = {}

    def get(self, search_paths: Iterable[str | os.PathLike[str]] | None = None) -> Any:
        from ..engine import Engine

        key = self.search_paths + tuple(str(p) for p in search_paths or ())
        engine = self._engines.get(key)
        if engine is None:
            engine = self._engines[key] = Engine(search_paths=key,
                                                 max_workers=self.max_workers)
        return engine

    def close(self) -> None:
        engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.close()

    def __enter__(self) -> Engines:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Runner:
    """Runs blocks and flows for tests; relative paths and ``self::`` refs are seen from
    ``base`` (the test file's folder).

    >>> with Runner() as runner:
    ...     runner.run_block("blocks/square", inputs={"numbers": [2]}).outputs
    {'squares': [4]}
    """

    __test__ = False

    def __init__(self, engines: Engines | None = None, base: str | os.PathLike[str] | None = None,
                 search_paths: Sequence[str | os.PathLike[str]] = ()):
        self._own = engines is None
        self.engines = engines or Engines(search_paths)
        self.base = Path(base) if base is not None else caller_dir()

    def close(self) -> None:
        if self._own:
            self.engines.close()

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run_block(self, block: str | os.PathLike[str], inputs: dict[str, Any] | None = None,
                  *, check: bool = True, search_paths: Iterable[str] | None = None,
                  env: dict[str, str] | None = None, session_id: str | None = None
                  ) -> TestResult:
        """Run one block in a worker. ``block``: a block folder, its ``block.oo.yaml``, or
        ``self::name`` / ``pkg::name``. Inputs not given take their default ``value``.
        Raises ``BlockFailed`` (the block's traceback) if it fails, unless ``check=False``."""
        __tracebackhide__ = True
        from ..errors import UsageError

        engine = self.engines.get(search_paths)
        try:
            target = resolve_block(block, base=self.base, loader=engine.loader)
            run = engine.run(target, inputs=inputs, env=env, session_id=session_id)
        except UsageError as exc:
            raise UsageError(kit_terms(str(exc))) from None  # no engine frames in the test
        result = TestResult(run, target=_shown(block), kind="block")
        return result.raise_for_status() if check else result

    def run_flow(self, flow: str | os.PathLike[str], inputs: dict[str, Any] | None = None,
                 *, nodes_inputs: dict[str, dict[str, Any]] | None = None,
                 nodes: Iterable[str] | None = None, check: bool = True,
                 search_paths: Iterable[str] | None = None, env: dict[str, str] | None = None,
                 session_id: str | None = None,
                 expect_not_run: Iterable[str] | bool = ()) -> TestResult:
        """Run a flow (folder, ``flow.oo.yaml`` or ``subflow.oo.yaml``; or ``self::name`` for
        a subflow of the package). Raises ``BlockFailed`` if it fails, or if a node did not
        run (an input had no value) that ``expect_not_run`` does not name (True: any may
        skip), unless ``check=False``."""
        __tracebackhide__ = True
        from ..errors import UsageError
        from ..manifest.resolved import Flow

        engine = self.engines.get(search_paths)
        try:
            if is_ref(flow):
                target = engine.loader.resolve_subflow(str(flow),
                                                       package_root(self.base) or self.base)
            else:
                target = engine.load(resolve_path(flow, self.base))
            if not isinstance(target, Flow):
                raise UsageError(f"{flow} is a block, not a flow; use run_block")
            run = engine.run(target, inputs=inputs, nodes_inputs=nodes_inputs, nodes=nodes,
                             env=env, session_id=session_id)
        except UsageError as exc:
            raise UsageError(kit_terms(str(exc))) from None
        result = TestResult(run, target=_shown(flow), kind="flow")
        if not check:
            return result
        result.raise_for_status()
        expected = expect_not_run if isinstance(expect_not_run, bool) else set(expect_not_run)
        if expected is not True:
            result.raise_for_not_run(expected or set())
        return result


_FLAGS = ((re.compile(r"--inputs '(\{.*?\})'"), r"inputs=\1"),
          (re.compile(r"--nodes-inputs\b"), "nodes_inputs="),
          (re.compile(r"--inputs\b"), "inputs="),
          (re.compile(r"--nodes\b"), "nodes="),
          (re.compile(r"--secrets FILE\b"), "an OOCANA_SECRETS_FILE"))


def kit_terms(message: str) -> str:
    """An engine message with the command line's flags said as the kit's arguments."""
    for pattern, replacement in _FLAGS:
        message = pattern.sub(replacement, message)
    return message


def _shown(target: Any) -> str:
    if isinstance(target, str) and is_ref(target):
        return target
    path = Path(target)
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)
