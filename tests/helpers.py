"""Small readers over a ``RunResult``'s events, shared by the tests.

A *node* argument names a node by its path from the root flow: ``"c"`` for a node of the
root flow, ``"outer/inner/emit_two"`` for a node inside subflow nodes. Block events carry
that path in their ``stacks`` (one ``{flow_job_id, flow, node_id}`` level per flow).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
FLOWS = TESTS / "flows"

Event = dict[str, Any]


# -- events -----------------------------------------------------------------------------

def node_path(event: Event) -> str:
    """``"outer/inner/emit_two"`` for an event raised three flows deep; ``""`` at the root."""
    return "/".join(level["node_id"] for level in event.get("stacks") or ())


def events(result, type_: str, node: str | None = None) -> list[Event]:
    """Every event of one type, in order, optionally only those of one node."""
    return [e for e in result.events
            if e["type"] == type_ and (node is None or node_path(e) == node)]


def started(result, node: str) -> list[Event]:
    return events(result, "BlockStarted", node)


def finished(result, node: str) -> list[Event]:
    return events(result, "BlockFinished", node)


def runs(result, node: str) -> int:
    """How many jobs of a task or condition node started."""
    return len(started(result, node))


def inputs_of(result, node: str) -> list[dict[str, Any]]:
    """The inputs of each run of the node, in the order the runs started."""
    return [e["inputs"] for e in started(result, node)]


def results_of(result, node: str) -> list[dict[str, Any] | None]:
    """The ``result`` of each finished run of the node (None when it returned nothing)."""
    return [e.get("result") for e in finished(result, node)]


def logs_of(result, node: str) -> list[Event]:
    return events(result, "BlockLog", node)


def log_lines(result, node: str) -> list[str]:
    """The text of each BlockLog of the node, without a trailing newline."""
    return [e["log"].rstrip("\n") for e in logs_of(result, node)]


def warnings_of(result, node: str) -> list[str]:
    return [e["warning"] for e in events(result, "BlockWarning", node)]


def progress_of(result, node: str) -> list[float]:
    return [e["progress"] for e in events(result, "BlockProgress", node)]


def flow_outputs(result, handle: str) -> list[Any]:
    """Every value the root flow sent on one of its outputs, in order."""
    return [e["output"] for e in result.events
            if e["type"] == "FlowOutput" and e["handle"] == handle]


def subflow_outputs(result, node: str, handle: str) -> list[Any]:
    """Every value a subflow node sent to its parent on one handle, in order."""
    return [e["output"] for e in events(result, "SubflowBlockOutput", node)
            if e["handle"] == handle]


def nodes_started(result) -> set[str]:
    """The root-flow nodes that started at least one block job."""
    return {node_path(e) for e in result.events
            if e["type"] == "BlockStarted" and len(e.get("stacks") or ()) == 1}


# -- time -------------------------------------------------------------------------------

def intervals(result, node: str) -> list[tuple[int, int]]:
    """``(create_at, finish_at)`` in ms of each job of the node, matched by job id."""
    starts = {e["job_id"]: e["create_at"] for e in started(result, node)}
    return sorted((starts[e["job_id"]], e["finish_at"]) for e in finished(result, node)
                  if e["job_id"] in starts)


def max_overlap(spans: Iterable[tuple[int, int]]) -> int:
    """The largest number of spans running at one instant (a span ending when another
    starts does not overlap it)."""
    edges = sorted([(end, -1) for _, end in spans] + [(start, +1) for start, _ in spans])
    running = peak = 0
    for _, step in edges:  # at equal times -1 sorts first: ends before starts
        running += step
        peak = max(peak, running)
    return peak


# -- flows written for one test ---------------------------------------------------------

def write_flow(dest: Path, flow: dict[str, Any]) -> Path:
    """Write ``flow`` as ``dest/flow.oo.yaml`` and return ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "flow.oo.yaml").write_text(yaml.safe_dump(flow, sort_keys=False))
    return dest


def flow_variant(scenario: str, dest: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of ``tests/flows/<scenario>`` changed by ``edit``, written under ``dest``.

    Relative ``task:`` / ``subflow:`` references are made absolute so that the copy
    finds the same blocks. Inline tasks keep their relative ``entry`` and so must not
    be used in a variant.
    """
    source = FLOWS / scenario
    flow = yaml.safe_load((source / "flow.oo.yaml").read_text())
    for node in flow.get("nodes", []):
        for key in ("task", "subflow"):
            ref = node.get(key)
            if isinstance(ref, str) and ref.startswith(("./", "../")):
                node[key] = str((source / ref).resolve())
    edit(flow)
    return write_flow(dest, flow)


def node(flow: dict[str, Any], node_id: str) -> dict[str, Any]:
    """The manifest entry of one node of a loaded flow."""
    return next(n for n in flow["nodes"] if n["node_id"] == node_id)


# -- processes --------------------------------------------------------------------------

def cli_env() -> dict[str, str]:
    """The environment for ``python -m oocana_local``: the repo importable, no colours."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env["NO_COLOR"] = "1"
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "oocana_local", *args]


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (children, grandchildren, ...)."""
    try:
        import psutil
    except ImportError:
        psutil = None
    if psutil is not None:
        try:
            return {p.pid for p in psutil.Process(pid).children(recursive=True)}
        except psutil.NoSuchProcess:
            return set()
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def is_alive(pid: int) -> bool:
    """True for a running process; False when it is gone or only a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")
