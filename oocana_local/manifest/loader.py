"""The one way manifests are read: files -> raw models -> resolved blocks and flows.

``Loader`` keeps parsed task blocks across calls (re-read when the file changes) and
resolves every reference; ``load`` and ``check`` run the same resolution and the same
``validate_flow``, so ``run`` reports what ``check`` would, before anything starts.
``check`` also compiles the python blocks (a run meets those mistakes when the node runs).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ManifestError
from . import build, services, slots
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
from .finder import Finder, Kind, Lookup, not_found, not_found_anywhere
from .packages import Packages
from .problems import Problem
from .pycheck import check_python_blocks, python_blocks
from .resolved import (
    Block,
    Flow,
    Location,
    Node,
    PackageInfo,
    SubflowNode,
    TaskBlock,
    TaskNode,
)
from .schema import validate_model
from .tscheck import check_typescript_blocks
from .validate import executor_warning, validate_flow, validate_task
from .yamlload import KeyPath, YamlDoc, gc_paused, read_yaml

if TYPE_CHECKING:
    from .raw import RawFlow, RawTaskNode

__all__ = ["Loader", "load", "check", "MANIFEST_NAMES"]

MAX_DEPTH = 50  # the engine's MAX_RECURSION_DEPTH for nested subflows


@dataclass
class _Session:
    """State of one public call: flows built so far and the subflow chain being built."""

    flows: dict[Path, tuple[Flow | None, list[Problem]]] = field(default_factory=dict)
    stack: list[Path] = field(default_factory=list)


@dataclass
class _TaskFile:
    signature: tuple[int, int] | None
    block: TaskBlock | None
    problems: list[Problem]
    executor_warning: Problem | None


class Loader:
    """Reads and resolves manifests. Reuse one Loader to keep parsed blocks cached."""

    def __init__(self, search_paths: Iterable[str | os.PathLike[str]] = ()):
        self.search_paths = tuple(abspath(p) for p in search_paths)
        self._packages = Packages()
        self._finder = Finder(self.search_paths, self._packages)
        self._tasks: dict[Path, _TaskFile] = {}
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
            session = self._begin()
            file, kind, problems = locate(abspath(path))
            block: Block | None = None
            if file is not None:
                block, found = self._read_file(file, kind, session, root=True)
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
        with gc_paused():
            session = self._begin()
            root = abspath(path)
            if not root.exists():
                return [no_such_path(root)]
            files = [root] if root.is_file() else list(walk_manifests(root))
            problems: list[Problem] = []
            blocks: list[Block | None] = []
            for file in files:
                block, found = self._read_file(file, file_kind(file), session, root=True)
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

    def _begin(self) -> _Session:
        # Folders and package manifests may have changed since the last call.
        self._finder.reset()
        self._packages.reset()
        self._fresh.clear()
        return _Session()

    def _read_file(
        self, file: Path, kind: FileKind, session: _Session, *, root: bool
    ) -> tuple[Block | None, list[Problem]]:
        if kind == "other":
            kind = sniff(file)
        if kind == "task":
            entry = self._task_file(file)
            extra = [entry.executor_warning] if root and entry.executor_warning else []
            return entry.block, entry.problems + extra
        if kind in ("flow", "subflow", "slotflow"):
            return self._flow_file(file, kind, session)
        if kind == "package":
            return None, list(self._packages.info(file.parent)[1])
        if kind == "service":
            return None, services.read_service(file, self._packages.owner(file.parent)[0])[1]
        doc, problems = read_yaml(file)
        return None, problems

    def _task_file(self, path: Path) -> _TaskFile:
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
        entry = _TaskFile(stamp, block, problems, warning)
        self._tasks[path] = entry
        return entry

    def _flow_file(
        self, path: Path, kind: FileKind, session: _Session
    ) -> tuple[Flow | None, list[Problem]]:
        done = session.flows.get(path)
        if done is not None:
            return done
        doc, problems = read_yaml(path)
        flow = None
        if doc is not None:
            raw, errors = validate_model("RawFlow", doc, kind)
            problems += errors
            if raw is not None:
                flow = self._build_flow(raw, doc, kind, session, problems)
        session.flows[path] = (flow, problems)
        return flow, problems

    # --- flows ----------------------------------------------------------------------

    def _build_flow(
        self, raw: RawFlow, doc: YamlDoc, kind: FileKind, session: _Session, problems: list[Problem]
    ) -> Flow:
        package, package_problems = self._packages.owner(doc.path.parent)
        problems += package_problems
        flow = Flow(
            path=doc.path,
            kind="flow" if kind == "flow" else "subflow",
            inputs_def=build.handle_map(raw.inputs_def, doc, ("inputs_def",), problems),
            outputs_def=build.handle_map(raw.outputs_def, doc, ("outputs_def",), problems),
            nodes=[],
            outputs_from=build.outputs_from(raw.outputs_from, doc),
            forward_previews=list(raw.forward_previews or ()),
            description=build.text_or_none(raw.description),
            package=package,
        )
        session.stack.append(doc.path)
        try:
            for index, raw_node in enumerate(raw.nodes or ()):
                flow.nodes.append(
                    self._node(raw_node, ("nodes", index), flow, doc, session, problems)
                )
        finally:
            session.stack.pop()
        if kind != "slotflow":  # a slotflow's inputs_def is replaced by its slot's at run time
            validate_flow(flow, problems)
        return flow

    def _node(
        self,
        raw: Any,
        path: KeyPath,
        flow: Flow,
        doc: YamlDoc,
        session: _Session,
        problems: list[Problem],
    ) -> Node:
        kind = raw.KIND
        if kind == "task":
            return self._task_node(raw, path, flow, doc, problems)
        if kind == "subflow":
            at = doc.location((*path, "subflow"))
            sub = self._subflow_ref(
                raw.subflow, flow, at, raw.node_id, raw.ignore, session, problems
            )
            node = SubflowNode(
                **build.node_fields(raw, doc, path),
                flow=sub,
                ref=raw.subflow,
                slots=list(raw.slots or ()),
            )
            if node.slots:
                at = doc.location((*path, "slots"))

                def resolve(kind: str, ref: str) -> Block | None:
                    if kind == "task":
                        return self._task_ref(ref, flow, at, raw.node_id, raw.ignore, problems)
                    if kind == "subflow":
                        return self._subflow_ref(
                            ref, flow, at, raw.node_id, raw.ignore, session, problems)
                    return self._slotflow_ref(ref, flow, at, raw.node_id, raw.ignore,
                                              session, problems)

                node.providers = slots.providers(raw.node_id, node.slots, at, resolve, problems)
            slots.check_providers(node, problems)
            return node
        if kind == "slot":
            return slots.slot_node(build.node_fields(raw, doc, path), raw.slot)
        if kind == "service":
            at = doc.location((*path, "service"))
            block = self._service_ref(raw.service, flow, at, raw.node_id, raw.ignore, problems)
            fields = build.node_fields(raw, doc, path)
            fields["timeout"] = None  # as in oocana: a timeout applies to task nodes only
            return TaskNode(**fields, block=block, ref=raw.service)
        if kind == "conditions":
            return build.condition_node(raw, doc, path, problems)
        assert kind == "values"
        return build.value_node(raw, doc, path, problems)

    def _task_node(
        self, raw: RawTaskNode, path: KeyPath, flow: Flow, doc: YamlDoc, problems: list[Problem]
    ) -> TaskNode:
        at = (*path, "task")
        if isinstance(raw.task, str):
            ref: str | None = raw.task
            block = self._task_ref(
                raw.task, flow, doc.location(at), raw.node_id, raw.ignore, problems
            )
        else:
            ref = None
            block = build.task_block(
                raw.task, doc, at, problems, block_dir=flow.dir, manifest=None, package=flow.package
            )
            validate_task(block, problems, doc.location((*at, "executor", "options", "entry")))
        return TaskNode(
            **build.node_fields(raw, doc, path),
            block=block,
            ref=ref,
            inputs_def=build.handle_defs(
                raw.inputs_def, doc, (*path, "inputs_def"), problems, additional=True
            ),
            outputs_def=build.handle_defs(
                raw.outputs_def, doc, (*path, "outputs_def"), problems, additional=True
            ),
        )

    def _find(self, ref: str, kind: Kind, flow: Flow, at: Location, node_id: str,
              ignored: bool, problems: list[Problem]) -> Path | None:
        """The manifest ``ref`` names, or None with a problem listing what was searched
        (and noting when ``ref`` names a block of the other kind)."""
        lookup = self._finder.find(ref, kind, flow.dir, flow.package)
        if lookup.path is None:
            other_kind: Kind = "subflow" if kind == "task" else "task"
            other = self._finder.find(ref, other_kind, flow.dir, flow.package)
            problems.append(not_found(lookup, at, node_id, ignored, other))
        return lookup.path

    def _task_ref(
        self,
        ref: str,
        flow: Flow,
        at: Location,
        node_id: str,
        ignored: bool,
        problems: list[Problem],
    ) -> TaskBlock | None:
        found = self._find(ref, "task", flow, at, node_id, ignored, problems)
        if found is None:
            return None
        entry = self._task_file(found)
        problems += entry.problems
        return entry.block

    def _service_ref(self, ref: str, flow: Flow | Path, at: Location | None, node_id: str,
                     ignored: bool, problems: list[Problem]) -> TaskBlock | None:
        """The block ``<pkg>::<service>::<block>`` names, as a task block run by its service."""
        base_dir, package = (flow.dir, flow.package) if isinstance(flow, Flow) \
            else (flow, self._packages.owner(flow)[0])
        return services.find_block(self._finder, self._packages, ref, base_dir, package,
                                   at or Location(base_dir), node_id, ignored, problems)

    def _slotflow_ref(self, ref: str, flow: Flow, at: Location, node_id: str, ignored: bool,
                      session: _Session, problems: list[Problem]) -> Flow | None:
        found = self._finder.find(ref, "slotflow", flow.dir, flow.package)
        if found.path is None:
            problems.append(not_found(found, at, node_id, ignored, found))
            return None
        sub, sub_problems = self._flow_file(found.path, "slotflow", session)
        problems += sub_problems
        return sub

    def _subflow_ref(
        self,
        ref: str,
        flow: Flow,
        at: Location,
        node_id: str,
        ignored: bool,
        session: _Session,
        problems: list[Problem],
    ) -> Flow | None:
        found = self._find(ref, "subflow", flow, at, node_id, ignored, problems)
        if found is None:
            return None
        if found in session.stack:
            chain = session.stack[session.stack.index(found) :] + [found]
            problems.append(
                Problem(
                    "error",
                    f"node {node_id!r}: subflow {ref!r} contains itself: "
                    + " -> ".join(_short(p) for p in chain),
                    at,
                    "a subflow cannot include itself, directly or through other subflows",
                )
            )
            return None
        if len(session.stack) >= MAX_DEPTH:
            problems.append(
                Problem(
                    "error",
                    f"node {node_id!r}: subflows are nested more than {MAX_DEPTH} deep",
                    at,
                    "flatten the nesting",
                )
            )
            return None
        sub, sub_problems = self._flow_file(found, "subflow", session)
        problems += sub_problems
        return sub

    # --- resolving for run_block ----------------------------------------------------

    def _resolve(self, ref: str, base: Any, kinds: tuple[Kind, ...]) -> Block:
        # No gc_paused here: this runs during runs (context.run_block), where moving the
        # whole heap to the old generation on every call would do more harm than good.
        session = self._begin()
        base_dir, package = self._base(base)
        parts = services.split_service_ref(ref)
        if parts is not None and self._finder.find(parts[0], "service", base_dir,
                                                   package).path is not None:
            # A service's block; else, as oocana does for tasks, the third part is ignored.
            problems: list[Problem] = []
            service_block = self._service_ref(ref, base_dir, None, f"run_block::{ref}", False,
                                              problems)
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
                entry = self._task_file(lookup.path)
                block, problems = entry.block, entry.problems
            else:  # a flow may run_block itself: that is recursion at run time, not a cycle
                block, problems = self._flow_file(lookup.path, "subflow", session)
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


def _short(path: Path) -> str:
    return str(Path(*path.parts[-3:]))


def _finish(problems: list[Problem]) -> list[Problem]:
    """Drop repeats (a block used by many nodes reports once) and sort by file and line."""
    unique = list(dict.fromkeys(problems))
    unique.sort(key=lambda p: (str(p.location.file), p.location.line) if p.location else ("", 0))
    return unique
