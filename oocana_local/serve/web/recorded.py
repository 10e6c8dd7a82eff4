"""Runs known only by their messages: an ``--events`` file, or a CLI run writing its
``--report``. Builds the same run page as a live run, with the events (and, for one
self-contained file, every asset and plotly.js) inside it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...wire import names
from .events import for_page
from .graph import Graph, block_graph, flow_graph, nodes_graph
from .pages import Assets
from .run_page import RunInfo, run_page

__all__ = ["summarize", "graph_for", "block_files", "report_html", "write_report"]


def _root(message: dict[str, Any]) -> bool:
    return not message.get("stacks")


def summarize(events: list[dict[str, Any]], run_id: str, target: str | None = None
              ) -> RunInfo:
    """The run's target, status and times, read from its messages."""
    info = RunInfo(id=run_id, target=target or "", status="running")
    for message in events:
        type_ = message.get("type")
        if type_ == names.SESSION_STARTED:
            info.created_at = info.started_at = message.get("create_at")
            if not target:
                info.target = Path(str(message.get("path", ""))).parent.name or "run"
        elif type_ == names.SESSION_FINISHED:
            info.finished_at = message.get("finish_at")
            if info.status == "running":
                info.status = "failed" if message.get("error") else "completed"
        elif type_ == names.FLOW_FINISHED and _root(message):
            info.status = "failed" if message.get("error") else "completed"
            info.error = message.get("error")
        elif type_ == names.BLOCK_FINISHED and _root(message) and "status" in message:
            status = str(message["status"])
            info.status = {"done": "completed", "cancelled": "stopped"}.get(status, status)
            info.error = message.get("error")
    return info


def graph_for(target: Any, events: list[dict[str, Any]], name: str = "") -> Graph:
    from ...manifest.resolved import Flow, TaskBlock

    if isinstance(target, Flow):
        return flow_graph(target)
    if isinstance(target, TaskBlock):
        return block_graph(target, name or "block")
    for message in events:
        if message.get("type") == names.FLOW_STARTED and _root(message):
            return nodes_graph([str(n) for n in message.get("nodes") or []])
    nodes = sorted({str(m["stacks"][0]["node_id"]) for m in events if m.get("stacks")})
    return nodes_graph(nodes)


def load_target(events: list[dict[str, Any]], load: Callable[[Path], Any]) -> Any:
    """The flow or block the messages name, when its manifest is still there."""
    for message in events:
        if message.get("type") == names.SESSION_STARTED and message.get("path"):
            try:
                return load(Path(str(message["path"])))
            except Exception:  # moved, edited into invalid YAML: draw from the messages
                return None
    return None


def block_files(graph: Graph, prefix: str = "") -> dict[str, str]:
    found: dict[str, str] = {}
    for node in graph.nodes:
        if node.kind in ("task", "subflow") and node.block_path:
            found[prefix + node.id] = node.block_path
        if node.inner is not None:
            found.update(block_files(node.inner, f"{prefix}{node.id}/"))
    return found


def _plotly_source(events: list[dict[str, Any]]) -> str | None:
    """plotly.js, when a preview needs it (3.5 MB: only then)."""
    for message in events:
        payload = message.get("payload")
        if message.get("type") == names.BLOCK_PREVIEW and isinstance(payload, dict) \
                and payload.get("type") == "html" and "plotly" in str(payload.get("data")):
            from ...context.preview_plotly import plotly_js_file

            try:
                return Path(plotly_js_file()).read_text("utf-8")
            except (OSError, ImportError):
                return None
    return None


def report_html(events: list[dict[str, Any]], *, target: Any = None, name: str = "",
                run_id: str = "") -> str:
    """One HTML file that shows the run with no server and no network."""
    session = next((m.get("session_id") for m in events if m.get("session_id")), "run")
    info = summarize(events, run_id or str(session), name or None)
    graph = graph_for(target, events, name)
    info.block_files = block_files(graph)
    return run_page(info, graph, events=[for_page(m) for m in events], live=False,
                    assets=Assets(inline=True), plotly_js=_plotly_source(events) or "")


def write_report(path: str | os.PathLike[str], events: list[dict[str, Any]], *,
                 target: Any = None, name: str = "") -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(report_html(events, target=target, name=name), encoding="utf-8")
    os.replace(temporary, out)
    return out
