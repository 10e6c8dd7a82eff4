"""The references a flow's nodes make, resolved: ``task: self::x``, ``subflow: pkg::y``,
slot providers (tasks, subflows, slotflows) and ``service: pkg::svc::block``.

Every reference is resolved at a ``RefSite``: the flow that writes it, where, for which
node, whether that node is ignored (its problems are then warnings), and the list its
problems go to. ``NodeRefs`` reads the manifests a reference names through
``ManifestFiles`` (the loader, which caches them), and keeps the chain of subflows being
built in ``CallState`` to refuse a subflow that contains itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import services
from .files import FileKind
from .finder import Finder, Kind, not_found
from .packages import Packages
from .problems import Problem
from .resolved import Flow, Location, TaskBlock

__all__ = ["CallState", "ManifestFiles", "NodeRefs", "RefSite", "TaskFile", "MAX_DEPTH"]

MAX_DEPTH = 50  # the engine's MAX_RECURSION_DEPTH for nested subflows


@dataclass
class CallState:
    """State of one public call of the loader: flows built so far and the chain of
    subflows being built."""

    flows: dict[Path, tuple[Flow | None, list[Problem]]] = field(default_factory=dict)
    stack: list[Path] = field(default_factory=list)


@dataclass
class TaskFile:
    """A task block file as read (cached by the loader until the file changes)."""

    signature: tuple[int, int] | None
    block: TaskBlock | None
    problems: list[Problem]
    executor_warning: Problem | None


@dataclass
class RefSite:
    """Where a reference is written, and where its problems go."""

    flow: Flow
    at: Location
    node_id: str
    ignored: bool
    problems: list[Problem]


class ManifestFiles(Protocol):
    """How references read the files they name (the loader)."""

    def task_file(self, path: Path) -> TaskFile: ...

    def flow_file(self, path: Path, kind: FileKind,
                  state: CallState) -> tuple[Flow | None, list[Problem]]: ...


class NodeRefs:
    """Resolves the references of the nodes built in one call of the loader."""

    def __init__(self, files: ManifestFiles, finder: Finder, packages: Packages,
                 state: CallState):
        self.files = files
        self.finder = finder
        self.packages = packages
        self.state = state

    def task(self, ref: str, site: RefSite) -> TaskBlock | None:
        found = self._find(ref, "task", site)
        if found is None:
            return None
        entry = self.files.task_file(found)
        site.problems += entry.problems
        return entry.block

    def service(self, ref: str, site: RefSite) -> TaskBlock | None:
        """The block ``<pkg>::<service>::<block>`` names, as a task block run by its service."""
        return services.find_block(self.finder, self.packages, ref, site.flow.dir,
                                   site.flow.package, site.at, site.node_id, site.ignored,
                                   site.problems)

    def slotflow(self, ref: str, site: RefSite) -> Flow | None:
        found = self.finder.find(ref, "slotflow", site.flow.dir, site.flow.package)
        if found.path is None:
            site.problems.append(not_found(found, site.at, site.node_id, site.ignored, found))
            return None
        sub, sub_problems = self.files.flow_file(found.path, "slotflow", self.state)
        site.problems += sub_problems
        return sub

    def subflow(self, ref: str, site: RefSite) -> Flow | None:
        found = self._find(ref, "subflow", site)
        if found is None:
            return None
        stack = self.state.stack
        if found in stack:
            chain = stack[stack.index(found):] + [found]
            site.problems.append(Problem(
                "error",
                f"node {site.node_id!r}: subflow {ref!r} contains itself: "
                + " -> ".join(_short(p) for p in chain),
                site.at,
                "a subflow cannot include itself, directly or through other subflows"))
            return None
        if len(stack) >= MAX_DEPTH:
            site.problems.append(Problem(
                "error", f"node {site.node_id!r}: subflows are nested more than {MAX_DEPTH} deep",
                site.at, "flatten the nesting"))
            return None
        sub, sub_problems = self.files.flow_file(found, "subflow", self.state)
        site.problems += sub_problems
        return sub

    def _find(self, ref: str, kind: Kind, site: RefSite) -> Path | None:
        """The manifest ``ref`` names, or None with a problem listing what was searched
        (and noting when ``ref`` names a block of the other kind)."""
        flow = site.flow
        lookup = self.finder.find(ref, kind, flow.dir, flow.package)
        if lookup.path is None:
            other_kind: Kind = "subflow" if kind == "task" else "task"
            other = self.finder.find(ref, other_kind, flow.dir, flow.package)
            site.problems.append(not_found(lookup, site.at, site.node_id, site.ignored, other))
        return lookup.path


def _short(path: Path) -> str:
    return str(Path(*path.parts[-3:]))
