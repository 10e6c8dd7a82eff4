"""One run of a flow or block: its id, folders, bus reporter and executor."""

from __future__ import annotations

import itertools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import UnsafeFolderError, UsageError
from ..mainframe.bus import Bus
from ..mainframe.messages import SessionReporter
from ..paths import data_root, own_tmp_root, session_root, user_folder
from . import session_folders
from .options import RunOptions
from .refs import ValueRefs
from .tmp_dirs import TmpDirs

if TYPE_CHECKING:
    from ..executor.base import Executor
    from ..graph.model import RunGraph
    from ..manifest.loader import Loader
    from ..manifest.resolved import Flow, PackageInfo, SlotProvider
    from ..wire.job import JobSpec, SessionFields
    from .cache import NodeCache

__all__ = ["Session", "CompiledFlow"]


class CompiledFlow:
    """A flow's compiled graph, and the job specs of its task nodes by node id, each built
    on the node's first run: every run of the graph (a slotflow's items, another session)
    shares them; a job takes its session's part apart (``wire/job.py``)."""

    __slots__ = ("graph", "specs")

    def __init__(self, graph: RunGraph, specs: dict[str, JobSpec]):
        self.graph = graph
        self.specs = specs


_SHARED: dict[tuple[int, int], tuple[RunGraph, dict[str, JobSpec]]] = {}
"""Compiled graphs and job specs by (flow, slot providers): a flow run again (a loaded
flow, the server's runs) is not compiled again. The graph holds both objects
(``RunGraph.sources``), so their ids stay theirs while they are cached here."""
_SHARED_MAX = 32


def _compiled(flow: Flow, providers: dict[str, SlotProvider] | None
              ) -> tuple[RunGraph, dict[str, JobSpec]]:
    from ..graph.compile import compile_flow

    key = (id(flow), id(providers) if providers else 0)
    shared = _SHARED.get(key)
    if shared is None:
        if len(_SHARED) >= _SHARED_MAX:  # forget them all: a new set of flows is running
            _SHARED.clear()
        graph = compile_flow(flow, providers)
        graph.sources = (flow, providers)
        shared = _SHARED[key] = (graph, {})
    return shared


class Session:
    """The state of one run. ``options`` must be resolved (``RunOptions.resolve``)."""

    def __init__(self, *, bus: Bus, executor: Executor, loader: Loader, options: RunOptions,
                 path: str, node_cache: NodeCache | None = None):
        assert options.session_id is not None and options.session_dir is not None
        self.bus = bus
        self.loader = loader
        self.path = path
        self.session_id: str = options.session_id
        self.session_dir = Path(options.session_dir)
        self.secrets_file = None if options.secrets_file is None else str(options.secrets_file)
        """Resolves secrets in block inputs, inside the worker (``oocana_local/secrets.py``)."""
        self.env = dict(options.env)
        self.node_cache = node_cache
        if node_cache is not None:
            from .caching import CachingExecutor

            executor = CachingExecutor(executor, node_cache)
        self.executor: Executor = executor
        """The engine's executor, behind the node cache when the run uses one."""
        self.values = ValueRefs(executor)
        """Holds of the var values in flight; frees the unreachable ones (``refs.py``)."""
        if node_cache is not None:
            self.values.keep = node_cache.pins
        self.reporter = SessionReporter(bus, self.session_id, path,
                                        partial=bool(options.nodes),
                                        cache=node_cache is not None)
        named = os.environ.get("OOCANA_TEMP_ROOT")
        self.tmp_root = user_folder(named, "OOCANA_TEMP_ROOT") if named else Path(_tmp())
        self.tmp_dirs = TmpDirs(self.tmp_root)
        self.spawned: set[str] = set()
        """Spawn keys whose node has run in this session: a node that injects into one
        of them may run (``task_job.py``)."""
        # Job ids are unique across engines too: two runs may share a session id.
        self._job_prefix = f"{self.session_id[:8]}-{os.urandom(3).hex()}"
        self._ids = itertools.count()
        self._graphs: dict[tuple[Path, int, int], CompiledFlow] = {}
        self._pkg_dirs: dict[str, Path] = {}
        self.job_fields: dict[tuple[Path, str], SessionFields] = {}
        """What jobs take from the session, by flow file and package
        (``task_job.session_fields``): the same for every node of a flow."""
        self._lock: Any = None

    def new_job_id(self) -> str:
        # Unique and readable in logs; uuid4 per job costs more. What comes before the
        # last "-" names this run: a worker makes the run's folders once by it.
        return f"{self._job_prefix}-{next(self._ids)}"

    def graph(self, flow: Flow, providers: dict[str, SlotProvider] | None = None
              ) -> CompiledFlow:
        """The compiled graph of a flow with the slot ``providers`` of the node running it
        (``_compiled``: shared with other sessions running the same objects), with this
        session's job specs. The key holds object ids: the graphs cached here keep every
        flow and provider map they were compiled from alive. A slot's node has another
        block under another provider map: its graph, and so its job spec, is another
        one."""
        key = (flow.path, id(flow), id(providers) if providers else 0)
        compiled = self._graphs.get(key)
        if compiled is None:
            compiled = self._graphs[key] = CompiledFlow(*_compiled(flow, providers))
        return compiled

    def masks(self) -> list[str] | None:
        """Secrets that blocks of the run received, for the next job: a value passed on
        is masked in its records too."""
        values = self.bus.redactor.values
        return sorted(values) if values else None

    def tmp_dir(self, flow: Flow) -> Path:
        """Per-flow scratch folder, as oocana names it: ``<root>/<flow dir>-<hash8>``;
        removed when the run completes (``tmp_dirs.py``)."""
        return self.tmp_dirs.folder(flow.path)

    def pkg_data_dir(self, package: PackageInfo | None) -> Path:
        name = package.name if package else "workspace"
        folder = self._pkg_dirs.get(name)
        if folder is None:  # data_root() asks the OS for the home folder: once a session
            folder = self._pkg_dirs[name] = data_root() / "pkg-data" / name
        return folder

    # -- the session folder belongs to one run at a time ----------------------------------------

    def claim(self) -> None:
        """Lock the session folder; a second run with the same folder is refused, so no
        file of one run (previews, ``oomol/bin`` values) is read or written by another."""
        import fcntl

        try:
            if self.session_dir.is_relative_to(session_root(check=False)):  # checked already
                self.session_dir.mkdir(parents=True, exist_ok=True)
            else:  # a folder the caller named
                user_folder(self.session_dir, "session folder")
            lock = open(self.session_dir / session_folders.LOCK, "a+")  # noqa: SIM115
        except UnsafeFolderError:
            raise
        except OSError as exc:
            raise UsageError(f"cannot use session folder {self.session_dir}: {exc}") from None
        try:
            fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise UsageError(
                f"session {self.session_id!r} is in use by another run (its folder "
                f"{self.session_dir} is locked); give this run another --session id, or "
                "none for a new one") from None
        self._lock = lock

    def release(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing drops the lock
            self._lock = None


def _tmp() -> str:
    """Per-flow tmp folders go in this user's own temporary folder, not straight into the
    machine's shared one, where anyone could create (and read) a flow's folder first."""
    return str(own_tmp_root() / "tmp")
