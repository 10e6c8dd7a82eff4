"""The one way manifests are read: files -> raw models -> resolved blocks and flows.

``Loader`` keeps parsed task blocks across calls (re-read when the file changes) and
resolves every reference; ``load`` and ``check`` run the same resolution and the same
``validate_flow``, so ``run`` reports what ``check`` would, before anything starts.
``check`` also compiles the python blocks (a run meets those mistakes when the node runs).

The loader reads files and caches task blocks; a flow's nodes are built by
``flow_nodes.py``, and the references they make resolved by ``node_refs.py``, which
reads the files it names back through the loader (``ManifestFiles``).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import ManifestError
from . import build, services
from .files import (
    MANIFEST_NAMES,
    FileKind,
    abspath,
    file_kind,
    locate,
    no_such_path,
    not_loadable,
    signature,
    sniff,
    walk_manifests,
)
from .finder import Finder, Kind, Lookup, not_found_anywhere
from .flow_nodes import build_flow
from .node_refs import CallState, NodeRefs, TaskFile
from .packages import Packages
from .problems import Problem
from .resolved import Block, Flow, Location, PackageInfo, TaskBlock
from .schema import validate_model
from .validate import executor_warning, validate_task
from .yamlload import gc_paused, read_yaml

__all__ = ["Loader", "load", "check", "MANIFEST_NAMES"]

class Loader:
    """Reads and resolves manifests. Reuse one Loader to keep parsed blocks cached."""

    def __init__(self, search_paths: Iterable[str | os.PathLike[str]] = ()):
        self.search_paths = tuple(abspath(p) for p in search_paths)
        self._packages = Packages()
        self._finder = Finder(self.search_paths, self._packages)
        self._tasks: dict[Path, TaskFile] = {}
        self._fresh: set[Path] = set()  # task files already stat-checked in this call

    def clear(self) -> None:
        """Forget every cached file."""
        self._tasks.clear()
        self._begin()

    # --- public API -----------------------------------------------------------------

    def read(self, path: str | os.PathLike[str]) -> tuple[Block | None, list[Problem]]:
        """Load ``path`` and return it with every problem found; never raises ManifestError.

        The block is None when it could not be built at all (bad YAML, schema errors).
        """
        with gc_paused():
            state = self._begin()
            file, kind, problems = locate(abspath(path))
            block: Block | None = None
            if file is not None:
                block, found = self._read_file(file, kind, state, root=True)
                problems += found
                if block is None and not found:
                    problems.append(not_loadable(file))
            return block, _finish(problems)

    def load(self, path: str | os.PathLike[str], *, warnings: list[Problem] | None = None) -> Block:
        """Load and resolve a flow or block; raise ManifestError if any problem is an error.

        ``path`` is a folder holding flow.oo.yaml, subflow.oo.yaml, block.oo.yaml or
        task.oo.yaml (in that order), or one of those files. Warnings are appended to
        ``warnings`` when given.
        """
        block, problems = self.read(path)
        if block is None or any(p.severity == "error" for p in problems):
            raise ManifestError(problems)
        if warnings is not None:
            warnings.extend(problems)
        return block

    def check(self, path: str | os.PathLike[str], *, types: bool = True) -> list[Problem]:
        """Validate every manifest under ``path`` (a folder, walked, or one file), compile
        every python block they use (``pycheck.py``) and, unless ``types`` is false,
        type-check their TypeScript blocks (``tscheck.py``)."""
        from .pycheck import check_python_blocks, python_blocks  # not needed by a run
        from .tscheck import check_typescript_blocks

        with gc_paused():
            state = self._begin()
            root = abspath(path)
            if not root.exists():
                return [no_such_path(root)]
            files = [root] if root.is_file() else list(walk_manifests(root))
            problems: list[Problem] = []
            blocks: list[Block | None] = []
            for file in files:
                block, found = self._read_file(file, file_kind(file), state, root=True)
                blocks.append(block)
                problems += found
            problems += check_python_blocks(python_blocks(blocks))
            if types:
                problems += check_typescript_blocks(python_blocks(blocks, "nodejs"), problems,
                                                    within=root)
            return _finish(problems)

    def resolve_task(self, ref: str, base: Flow | TaskBlock | str | os.PathLike[str]) -> TaskBlock:
        """The task block ``ref`` names, seen from ``base`` (a flow, or a flow file/folder);
        ``<pkg>::<service>::<block>`` names a block of a service."""
        block = self._resolve(ref, base, ("task",))
        assert isinstance(block, TaskBlock)
        return block

    def resolve_subflow(self, ref: str, base: Flow | TaskBlock | str | os.PathLike[str]) -> Flow:
        """The subflow ``ref`` names, seen from ``base``."""
        flow = self._resolve(ref, base, ("subflow",))
        assert isinstance(flow, Flow)
        return flow

    def resolve_block(self, ref: str, base: Flow | TaskBlock | str | os.PathLike[str]) -> Block:
        """A task block, else a subflow, named ``ref`` (for ``context.run_block``)."""
        return self._resolve(ref, base, ("task", "subflow"))

    # --- files ----------------------------------------------------------------------

    def _begin(self) -> CallState:
        # Folders and package manifests may have changed since the last call.
        self._finder.reset()
        self._packages.reset()
        self._fresh.clear()
        return CallState()

    def _read_file(
        self, file: Path, kind: FileKind, state: CallState, *, root: bool
    ) -> tuple[Block | None, list[Problem]]:
        if kind == "other":
            kind = sniff(file)
        if kind == "task":
            entry = self.task_file(file)
            extra = [entry.executor_warning] if root and entry.executor_warning else []
            return entry.block, entry.problems + extra
        if kind in ("flow", "subflow", "slotflow"):
            return self.flow_file(file, kind, state)
        if kind == "package":
            return None, list(self._packages.info(file.parent)[1])
        if kind == "service":
            return None, services.read_service(file, self._packages.owner(file.parent)[0])[1]
        doc, problems = read_yaml(file)
        return None, problems

    def task_file(self, path: Path) -> TaskFile:
        cached = self._tasks.get(path)
        if cached is not None and path in self._fresh:
            return cached
        self._fresh.add(path)
        stamp = signature(path)
        if cached is not None and cached.signature == stamp:
            return cached
        block, warning = None, None
        doc, problems = read_yaml(path)
        if doc is not None:
            raw, errors = validate_model("RawTaskBlock", doc, "block")
            problems += errors
            if raw is not None:
                package, package_problems = self._packages.owner(path.parent)
                problems += package_problems
                block = build.task_block(
                    raw, doc, (), problems, block_dir=path.parent, manifest=path, package=package
                )
                validate_task(block, problems, doc.location(("executor", "options", "entry")))
                warning = executor_warning(
                    block, doc.location(("executor", "name")), f"block {path.parent.name!r}"
                )
        entry = TaskFile(stamp, block, problems, warning)
        self._tasks[path] = entry
        return entry

    def flow_file(
        self, path: Path, kind: FileKind, state: CallState
    ) -> tuple[Flow | None, list[Problem]]:
        done = state.flows.get(path)
        if done is not None:
            return done
        doc, problems = read_yaml(path)
        flow = None
        if doc is not None:
            raw, errors = validate_model("RawFlow", doc, kind)
            problems += errors
            if raw is not None:
                flow = build_flow(raw, doc, kind, self._refs(state), self._packages, problems)
        state.flows[path] = (flow, problems)
        return flow, problems

    def _refs(self, state: CallState) -> NodeRefs:
        return NodeRefs(self, self._finder, self._packages, state)

    # --- resolving for run_block ----------------------------------------------------

    def _resolve(self, ref: str, base: Any, kinds: tuple[Kind, ...]) -> Block:
        # No gc_paused here: this runs during runs (context.run_block), where moving the
        # whole heap to the old generation on every call would do more harm than good.
        state = self._begin()
        base_dir, package = self._base(base)
        parts = services.split_service_ref(ref)
        if parts is not None and self._finder.find(parts[0], "service", base_dir,
                                                   package).path is not None:
            # A service's block; else, as oocana does for tasks, the third part is ignored.
            problems: list[Problem] = []
            service_block = services.find_block(self._finder, self._packages, ref, base_dir,
                                                package, Location(base_dir),
                                                f"run_block::{ref}", False, problems)
            problems = _finish(problems)
            if service_block is None or any(p.severity == "error" for p in problems):
                raise ManifestError(problems)
            return service_block
        lookups: list[Lookup] = []
        for kind in kinds:
            lookup = self._finder.find(ref, kind, base_dir, package)
            lookups.append(lookup)
            if lookup.path is None:
                continue
            block: Block | None
            if kind == "task":
                entry = self.task_file(lookup.path)
                block, problems = entry.block, entry.problems
            else:  # a flow may run_block itself: that is recursion at run time, not a cycle
                block, problems = self.flow_file(lookup.path, "subflow", state)
            problems = _finish(problems)
            if block is None or any(p.severity == "error" for p in problems):
                raise ManifestError(problems)
            return block
        raise ManifestError([not_found_anywhere(ref, lookups)])

    def _base(self, base: Any) -> tuple[Path, PackageInfo | None]:
        if isinstance(base, Flow):
            return base.dir, base.package or self._packages.owner(base.dir)[0]
        if isinstance(base, TaskBlock):
            return base.dir, base.package or self._packages.owner(base.dir)[0]
        path = abspath(base)
        folder = path if path.is_dir() else path.parent
        return folder, self._packages.owner(folder)[0]


def load(
    path: str | os.PathLike[str],
    *,
    search_paths: Iterable[str | os.PathLike[str]] = (),
    warnings: list[Problem] | None = None,
    loader: Loader | None = None,
) -> Block:
    """Load a flow or block (see ``Loader.load``); raise ManifestError on any error.

    Pass a long-lived ``loader`` to reuse its cache (its own search paths are used then).
    """
    return (loader or Loader(search_paths)).load(path, warnings=warnings)


def check(
    path: str | os.PathLike[str],
    *,
    search_paths: Iterable[str | os.PathLike[str]] = (),
    loader: Loader | None = None,
    types: bool = True,
) -> list[Problem]:
    """Every problem in the manifests under ``path``, sorted by file and line; ``types``:
    type-check TypeScript blocks too (``tsc``, fetched into the tools cache once)."""
    return (loader or Loader(search_paths)).check(path, types=types)


def _finish(problems: list[Problem]) -> list[Problem]:
    """Drop repeats (a block used by many nodes reports once) and sort by file and line."""
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (str(p.location.file), p.location.line) if p.location else ("", 0))
    return unique
