"""``service.oo.yaml``: a long-lived program whose blocks flow nodes call (reference §1.8).

Its options sit directly under ``executor:`` (``name``, ``entry``, ``function``,
``start_at``, ``stop_at``, ``keep_alive``); ``blocks:`` lists its blocks with their own
handles. Each block becomes a ``TaskBlock`` whose ``service`` field says which service
runs it, so a service node is scheduled, reported and cached as a task node; the
executor side (``executor/services.py``) keeps one worker per service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..wire.job import ServiceSpec
from . import build
from .finder import Finder, not_found
from .packages import Packages
from .problems import Problem
from .resolved import Location, PackageInfo, TaskBlock
from .schema import validate_model
from .yamlload import read_yaml

__all__ = ["read_service", "find_block", "split_service_ref", "STOP_AT", "START_AT",
           "GLOBAL_STOPS"]

STOP_AT = ("block_end", "session_end", "app_end", "never")
START_AT = ("block_start", "session_start", "app_start")
LANGUAGES = ("python", "nodejs")
# oocana-node needs an entry; its examples name it index.ts.
DEFAULT_ENTRY = {"python": "main.py", "nodejs": "index.ts"}
GLOBAL_STOPS = ("app_end", "never")
DEFAULT_KEEP_ALIVE = 10.0


def split_service_ref(ref: str) -> tuple[str, str] | None:
    """``pkg::service::block`` -> (``pkg::service``, ``block``); None for other refs."""
    head, sep, block = ref.rpartition("::")
    if not sep or "::" not in head or not block:
        return None
    return head, block


def read_service(path: Path, package: PackageInfo | None
                 ) -> tuple[dict[str, TaskBlock] | None, list[Problem]]:
    """The blocks of the service in ``path``, by name, with the problems found."""
    import hashlib

    doc, problems = read_yaml(path)
    if doc is None:
        return None, problems
    raw, errors = validate_model("RawService", doc, "service")
    problems += errors
    if raw is None:
        return None, problems
    executor: dict[str, Any] = raw.executor
    name = executor.get("name")
    at = doc.location(("executor",))
    if name not in LANGUAGES:
        problems.append(Problem(
            "error", f"service {path.parent.name!r}: executor {name!r} is not run; "
            "oocana-local runs python and nodejs services", at,
            "write `executor: {name: python, ...}` or `executor: {name: nodejs, ...}`"))
        name = "python"
    stop_at = executor.get("stop_at") or "session_end"
    if stop_at not in STOP_AT:
        problems.append(Problem(
            "error", f"service {path.parent.name!r}: stop_at {stop_at!r} is unknown", at,
            f"one of {', '.join(STOP_AT)}"))
        stop_at = "session_end"
    start_at = executor.get("start_at") or "block_start"
    if start_at not in START_AT:
        problems.append(Problem(
            "error", f"service {path.parent.name!r}: start_at {start_at!r} is unknown", at,
            f"one of {', '.join(START_AT)}"))
        start_at = "block_start"
    keep_alive = executor.get("keep_alive")
    if not isinstance(keep_alive, (int, float)) or isinstance(keep_alive, bool):
        keep_alive = DEFAULT_KEEP_ALIVE
    entry = executor.get("entry") or DEFAULT_ENTRY[name]
    entry_found = (path.parent / entry).is_file()
    if not entry_found:
        problems.append(Problem(
            "error", f"service {path.parent.name!r}: entry file {entry!r} not found in "
            f"{path.parent}", at, "write `entry:` with the service's program, relative to "
            "its folder"))
    # Node.js: the named export, else the default export, else `main` (as oocana-node).
    function = executor.get("function") or ("main" if name == "python" else "")
    service_dir = path.parent
    key = hashlib.sha256(str(service_dir).encode()).hexdigest()[:16]
    blocks: dict[str, TaskBlock] = {}
    for index, item in enumerate(raw.blocks or ()):
        here = ("blocks", index)
        blocks[item.name] = TaskBlock(
            executor=name, dir=service_dir,
            inputs_def=build.handle_map(item.inputs_def, doc, (*here, "inputs_def"), problems),
            outputs_def=build.handle_map(item.outputs_def, doc, (*here, "outputs_def"),
                                         problems),
            path=path, entry=entry, function=function, package=package,
            location=doc.location(here),
            service=ServiceSpec(key=key, name=service_dir.name, dir=str(service_dir),
                                entry=entry, function=function, block=item.name,
                                stop_at=stop_at, keep_alive=float(keep_alive),
                                start_at=start_at))
    if name == "nodejs" and entry_found and blocks:  # syntax, function, npm packages
        from .node_blocks import validate_node_block

        validate_node_block(next(iter(blocks.values())), problems,
                            doc.location(("executor", "entry")) or at)
    return blocks, problems


def find_block(finder: Finder, packages: Packages, ref: str, base_dir: Path,
               package: PackageInfo | None, at: Location, node_id: str, ignored: bool,
               problems: list[Problem]) -> TaskBlock | None:
    """The block ``<pkg>::<service>::<block>`` names (seen from a flow in ``base_dir``), or
    None with a problem: a ref of another form, no such service, no such block in it."""
    parts = split_service_ref(ref)
    if parts is None:
        problems.append(Problem(
            "error", f"node {node_id!r}: service {ref!r} must be written "
            "<package>::<service>::<block>", at, "name the package, the service and the block"))
        return None
    service_ref, block_name = parts
    lookup = finder.find(service_ref, "service", base_dir, package)
    if lookup.path is None:
        problems.append(not_found(lookup, at, node_id, ignored, lookup))
        return None
    blocks, found = read_service(lookup.path, packages.owner(lookup.path.parent)[0])
    problems += found
    if blocks is None:
        return None
    block = blocks.get(block_name)
    if block is None:
        problems.append(Problem(
            "warning" if ignored else "error",
            f"node {node_id!r}: service {service_ref!r} has no block {block_name!r}",
            at, f"its blocks: {', '.join(blocks) or 'none'} ({lookup.path})"))
    return block
