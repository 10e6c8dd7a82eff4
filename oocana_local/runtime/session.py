"""One run of a flow or block: its id, folders, bus reporter and executor."""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..mainframe.bus import Bus
from ..mainframe.messages import SessionReporter

if TYPE_CHECKING:
    from ..executor.base import Executor
    from ..graph.model import RunGraph
    from ..manifest.loader import Loader
    from ..manifest.resolved import Flow, PackageInfo
    from .cache import NodeCache
    from .refs import ValueRefs

__all__ = ["Session", "data_root"]


def data_root() -> Path:
    """Where oocana-local keeps data that outlives a run (package data dirs, cache)."""
    env = os.environ.get("OOCANA_LOCAL_HOME")
    return Path(env) if env else Path.home() / ".oocana-local"


@dataclass
class Session:
    bus: Bus
    executor: Executor
    session_id: str
    loader: Loader
    path: str
    partial: bool = False
    cache: bool = False
    session_dir: Path | None = None
    tmp_root: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    node_cache: NodeCache | None = None
    """Reuse task results whose code, manifest and inputs did not change (``cache.py``)."""
    secrets_file: str | None = None
    """Resolves secrets in block inputs, inside the worker (``oocana_local/secrets.py``)."""
    reporter: SessionReporter = field(init=False)
    values: ValueRefs = field(init=False)
    """Holds of the var values in flight; frees the unreachable ones (``refs.py``)."""
    _ids: itertools.count = field(init=False, default_factory=itertools.count)
    _graphs: dict[Path, RunGraph] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        from .refs import ValueRefs

        self.values = ValueRefs(self.executor)
        if self.node_cache is not None:
            self.values.keep = self.node_cache.pins
        self.reporter = SessionReporter(self.bus, self.session_id, self.path,
                                        partial=self.partial, cache=self.cache)
        if self.session_dir is None:
            self.session_dir = Path(tempfile.gettempdir()) / "oocana-local" / self.session_id
        if self.tmp_root is None:
            self.tmp_root = Path(os.environ.get("OOCANA_TEMP_ROOT") or tempfile.gettempdir())

    def new_job_id(self) -> str:
        # Unique within the session and readable in logs; uuid4 per job costs more.
        return f"{self.session_id[:8]}-{next(self._ids)}"

    def graph(self, flow: Flow) -> RunGraph:
        """The compiled graph of a flow, compiled once per session."""
        from ..graph.compile import compile_flow

        graph = self._graphs.get(flow.path)
        if graph is None:
            graph = self._graphs[flow.path] = compile_flow(flow)
        return graph

    def tmp_dir(self, flow: Flow) -> Path:
        """Per-flow scratch folder, as oocana names it: ``<root>/<flow dir>-<hash8>``."""
        digest = hashlib.sha256(str(flow.path.parent).encode()).hexdigest()[:8]
        return self.tmp_root / f"{flow.path.parent.name}-{digest}"

    def pkg_data_dir(self, package: PackageInfo | None) -> Path:
        name = package.name if package else "workspace"
        return data_root() / "pkg-data" / name
