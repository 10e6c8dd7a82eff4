"""Watch mode: run a flow or block, then re-run it on every saved change, reusing what did
not change.

``DevSession`` keeps one ``Engine`` (so the workers stay warm and re-import only the
scriptlets that changed) and one ``NodeCache`` with an in-memory tier. Each run goes
through the whole flow, but a task node whose code, manifest and inputs are the same as
in an earlier run replays its recorded results instead of running (``cached: true`` on
its ``BlockStarted`` / ``BlockFinished``). So after an edit only the changed block runs,
then whatever downstream receives different values; unchanged upstream nodes are reused,
by reference for values kept in workers (a DataFrame is not recomputed nor copied).

A broken manifest or a bad inputs file is reported and the session waits for the next
save; a block with a syntax error fails its node (traceback shown) and the same. The CLI
(``oocana-local dev``) wraps this class; tests drive it from a thread with ``stop_event``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .engine import Engine
from .errors import ManifestError, UsageError
from .inputs_file import read_inputs_file
from .runtime.cache import NodeCache

if TYPE_CHECKING:
    from .manifest.problems import Problem
    from .manifest.resolved import Flow, TaskBlock
    from .runtime.run import RunResult

__all__ = ["DevSession", "DevRun", "WATCHED_SUFFIXES"]

WATCHED_SUFFIXES = (".py", ".oo.yaml", ".oo.yml", ".ts", ".tsx", ".mts", ".cts", ".js", ".mjs",
                    ".cjs")
"""Saved files that trigger a run (plus the ``inputs_file``)."""
_IGNORED_PARTS = {"__pycache__", ".git", ".venv", "venv", "node_modules", ".pytest_cache",
                  ".scriptlets"}


@dataclass
class DevRun:
    """One run of a dev session, as given to ``on_run``."""

    number: int
    """1 for the first run, then one more per batch of saved changes."""
    changed: list[str]
    """The files whose changes triggered this run (empty for the first)."""
    result: RunResult | None = None
    """None when nothing ran: see ``problems`` / ``error``."""
    problems: list[Problem] = field(default_factory=list)
    """Manifest problems found when (re)loading; errors mean nothing ran."""
    error: str | None = None
    """A bad inputs file or argument, when nothing ran."""
    duration: float = 0.0
    """Seconds from the start of this run (loading included) to its end."""

    @property
    def reused(self) -> list[str]:
        """Root nodes whose results were replayed from the cache."""
        return list(self.result.cached) if self.result is not None else []

    @property
    def reran(self) -> list[str]:
        """Root nodes that ran (at least once) this time."""
        if self.result is None:
            return []
        cached = set(self.result.cached)
        return [n for n, s in self.result.nodes.items()
                if s not in ("not_run", "skipped") and n not in cached]

    @property
    def status(self) -> str:
        if self.result is not None:
            return self.result.status
        return "invalid"

    def summary(self) -> dict[str, Any]:
        """One JSON-able line per run (``oocana-local dev --json-lines``)."""
        data: dict[str, Any] = {"run": self.number, "changed": self.changed,
                                "status": self.status, "duration": round(self.duration, 4),
                                "reused": self.reused, "reran": self.reran}
        if self.result is not None:
            summary = self.result.summary()  # secret values masked
            data.update(nodes=summary["nodes"], outputs=summary["outputs"],
                        error=summary["error"])
        else:
            data["error"] = self.error
            data["problems"] = [p.format() for p in self.problems]
        return data


class DevSession:
    """Run ``path`` now and again after every change; ``watch()`` until stopped.

    ``on_start(number, changed)`` is called before each run and may return bus
    subscribers for that run only (the CLI's view); ``on_run(run)`` after it.
    """

    def __init__(self, path: str | os.PathLike[str], *, inputs: dict[str, Any] | None = None,
                 inputs_file: str | os.PathLike[str] | None = None,
                 nodes_inputs: dict[str, dict[str, Any]] | None = None,
                 nodes: Iterable[str] | None = None, search_paths: Iterable[str] = (),
                 max_workers: int | None = None, executor: str | None = None,
                 ray_address: str | None = None, use_disk_cache: bool = False,
                 cache_dir: str | os.PathLike[str] | None = None,
                 engine: Engine | None = None,
                 on_start: Callable[[int, list[str]], Iterable[Any] | None] | None = None,
                 on_run: Callable[[DevRun], None] | None = None,
                 handle_sigint: bool = False, step_ms: int = 50, debug: Any = None):
        self.path = Path(path).resolve()
        self.inputs = dict(inputs or {})
        self.inputs_file = Path(inputs_file).resolve() if inputs_file else None
        self.nodes_inputs = nodes_inputs
        self.nodes = list(nodes) if nodes is not None else None
        self._own_engine = engine is None
        self.engine = engine if engine is not None else Engine(
            search_paths=list(search_paths), max_workers=max_workers, executor=executor,
            ray_address=ray_address, debug=debug)
        self.cache = NodeCache(cache_dir, disk=use_disk_cache, memory=True)
        self.on_start = on_start
        self.on_run = on_run
        self.handle_sigint = handle_sigint
        self.step_ms = step_ms
        self.runs: list[DevRun] = []
        self.interrupted = False
        """A run was cancelled by Ctrl-C: the session ended."""
        self.watching = threading.Event()
        """Set once files are being watched (after the first run)."""
        self._target: Flow | TaskBlock | None = None

    # -- one run ------------------------------------------------------------------------

    def run_once(self, changed: Iterable[str] = ()) -> DevRun:
        """(Re)load the manifest and the inputs file, run, report through ``on_run``."""
        started = time.perf_counter()
        run = DevRun(number=len(self.runs) + 1, changed=sorted(changed))
        subscribers = list(self.on_start(run.number, run.changed) or ()) \
            if self.on_start is not None else []
        try:
            warnings: list[Problem] = []
            self._target = self.engine.load(self.path, warnings=warnings)
            run.problems = warnings
            inputs = self._read_inputs()
            run.result = self.engine.run(
                self._target, inputs=inputs, nodes_inputs=self.nodes_inputs, nodes=self.nodes,
                subscribers=subscribers, handle_sigint=self.handle_sigint, cache=self.cache)
        except ManifestError as exc:
            run.problems = list(exc.problems)
        except UsageError as exc:
            run.error = str(exc)
        run.duration = time.perf_counter() - started
        if run.result is not None and run.result.status == "cancelled":
            self.interrupted = True
        self.runs.append(run)
        if self.on_run is not None:
            self.on_run(run)
        return run

    def _read_inputs(self) -> dict[str, Any]:
        if self.inputs_file is None:
            return dict(self.inputs)
        return read_inputs_file(self.inputs_file, self.inputs)

    # -- watching -------------------------------------------------------------------------

    def watch_paths(self) -> list[Path]:
        """What to watch: the flow's (or block's) folder, every block and subflow folder
        it uses (nested ones folded into their parent), and the inputs file itself, not
        its folder (which may be ``/tmp`` or ``/``)."""
        root = self.path if self.path.is_dir() else self.path.parent
        folders = {root}
        if self._target is not None:
            folders.update(_folders_of(self._target, set()))
        kept: list[Path] = []
        for folder in sorted(folders, key=lambda p: len(p.parts)):
            if folder.is_dir() and not any(folder.is_relative_to(k) for k in kept):
                kept.append(folder)
        file = self.inputs_file
        if file is not None and not any(file.is_relative_to(k) for k in kept):
            if file.is_file():
                kept.append(file)
            elif file.parent.is_dir() and file.parent != Path(file.anchor):
                kept.append(file.parent)  # to see it appear
        return kept

    def _relevant(self, change: Any, path: str) -> bool:
        p = Path(path)
        if self.inputs_file is not None and p == self.inputs_file:
            return True
        if _IGNORED_PARTS.intersection(p.parts):
            return False
        return p.name.endswith(WATCHED_SUFFIXES)

    def watch(self, stop_event: threading.Event | None = None, *, first_run: bool = True
              ) -> None:
        """Run once (``first_run``), then re-run on every batch of relevant saves until
        ``stop_event`` is set or a run is interrupted. Ctrl-C raises KeyboardInterrupt
        (when not handled by ``handle_sigint`` during a run)."""
        import watchfiles

        stop = stop_event if stop_event is not None else threading.Event()
        pending: set[str] = set()
        needs_run = first_run
        if self._target is None:
            try:
                self._target = self.engine.load(self.path)
            except (ManifestError, OSError):
                pass  # the first run reports it
        while not stop.is_set() and not self.interrupted:
            paths = self.watch_paths()
            changes = watchfiles.watch(
                *paths, watch_filter=self._relevant, step=self.step_ms, stop_event=stop,
                rust_timeout=300, yield_on_timeout=True)
            try:
                next(changes, None)  # the watcher is live once it first yields
                while not stop.is_set() and not self.interrupted:
                    if needs_run or pending:
                        # An editor may replace the inputs file: watch the new one.
                        rewatch = self.inputs_file in paths and str(self.inputs_file) in pending
                        if rewatch:
                            self.watching.clear()  # set again once the new watch is live
                        self.run_once(pending)
                        needs_run, pending = False, set()
                        if rewatch or self.watch_paths() != paths:
                            break  # the flow now uses other folders: watch those
                    self.watching.set()
                    batch = next(changes, None)
                    if batch is None:
                        break
                    pending.update(path for _, path in batch)
            finally:
                changes.close()

    def close(self) -> None:
        if self._own_engine:
            self.engine.close()

    def __enter__(self) -> DevSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _folders_of(block: Flow | TaskBlock, seen: set[Path]) -> set[Path]:
    from .manifest.resolved import Flow

    folders: set[Path] = set()
    if isinstance(block, Flow):
        if block.path in seen:
            return folders
        seen.add(block.path)
        folders.add(block.path.parent)
        for node in block.nodes:
            inner = getattr(node, "block", None) or getattr(node, "flow", None)
            if inner is not None:
                folders |= _folders_of(inner, seen)
    else:
        folders.add(block.dir)
    return folders


def dev_command(args: Any) -> int:
    """``oocana-local dev``: the CLI around ``DevSession``; ends with Ctrl-C (exit 130)."""
    import sys

    from rich.console import Console

    from .cli_debug import debug_settings
    from .mainframe.jsonable import dumps
    from .mainframe.view import LiveView

    path = Path(args.path)
    if not path.exists():
        from .cli_paths import missing_path_message

        print(f"oocana-local: {missing_path_message(path)}", file=sys.stderr)
        return 2
    from .paths import own_tmp_root

    own_tmp_root()  # not its user's alone: one line and exit 2 now, not an error per run
    console = Console()
    views: list[LiveView] = []

    def on_start(number: int, changed: list[str]) -> list[Any]:
        if args.json_lines:
            return []
        if number > 1:
            console.rule(f"run {number}: {', '.join(_short(c) for c in changed)} changed",
                         style="dim")
        view = LiveView(console)
        view.start()
        views.append(view)
        return [view]

    def on_run(run: DevRun) -> None:
        while views:
            views.pop().stop()
        if args.json_lines:
            print(dumps(run.summary()), flush=True)
            return
        for problem in run.problems:
            print(problem.format(), file=sys.stderr)
        if run.error:
            print(f"oocana-local: {run.error}", file=sys.stderr)
        if run.result is None:
            head = "not run: fix the problems above and save"
        else:
            head = (f"run {run.number}: {len(run.reran)} ran, {len(run.reused)} reused, "
                    f"{run.status} in {run.duration:.2f} s")
        if not session.interrupted:
            console.print(f"[bold]{head}[/bold] [dim]· watching for changes, Ctrl-C to "
                          f"stop[/dim]", highlight=False, soft_wrap=True)

    try:
        session = DevSession(
            path, inputs=args.inputs, inputs_file=args.inputs_file,
            nodes_inputs=args.nodes_inputs, nodes=args.nodes, search_paths=args.search_paths,
            max_workers=args.max_workers, executor=args.executor,
            ray_address=args.ray_address, use_disk_cache=args.use_cache,
            cache_dir=args.cache_dir, on_start=on_start, on_run=on_run, handle_sigint=True,
            debug=debug_settings(args))
    except UsageError as exc:
        print(f"oocana-local: {exc}", file=sys.stderr)
        return 2
    try:
        session.watch()
    except KeyboardInterrupt:
        pass
    finally:
        while views:
            views.pop().stop()
        session.close()
    return 130


def _short(path: str) -> str:
    try:
        return str(Path(path).relative_to(Path.cwd()))
    except ValueError:
        return path
