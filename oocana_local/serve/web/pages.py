"""The HTML of the pages, rendered on the server from plain strings.

Every value that reaches a page goes through ``html.escape``; data for the scripts travels
in one ``<script type="application/json">`` block (with ``</`` escaped). A page is either
served (assets linked from ``/web/static``) or self-contained (assets inlined, for
``run --report`` and ``view``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from importlib import resources
from typing import Any

from .graph import NODE_H, NODE_W, Graph

__all__ = ["Assets", "shell", "graph_html", "data_block", "login_page", "when",
           "duration", "STATIC", "status_badge", "shown_path"]

STATIC = "/web/static"
_GLYPH = {"waiting": "○", "running": "◔", "done": "✓", "failed": "✗", "cached": "↺",
          "skipped": "–", "not_run": "∅", "timeout": "⌛", "crashed": "✗",
          "cancelled": "■", "queued": "○", "completed": "✓", "stopped": "■"}


def _static(name: str) -> str:
    return resources.files(__package__).joinpath("static").joinpath(name).read_text("utf-8")


@dataclass
class Assets:
    """Linked from the server, or inlined into one file."""

    inline: bool = False

    def css(self) -> str:
        if self.inline:
            return f"<style>{_static('web.css')}</style>"
        return f'<link rel="stylesheet" href="{STATIC}/web.css">'

    def script(self, name: str) -> str:
        if self.inline:
            code = _static(name).replace("</script", "<\\/script")
            return f"<script>{code}</script>"
        return f'<script src="{STATIC}/{name}" defer></script>'


def shell(title: str, body: str, *, assets: Assets | None = None,
          scripts: Iterable[str] = (), search: str = "", nav: bool = True) -> str:
    assets = assets or Assets()
    header = ""
    if nav:
        search_form = "" if assets.inline else (
            '<form role="search" action="/" method="get" class="search">'
            '<label for="search" class="sr-only">Search flows, blocks and runs</label>'
            f'<input id="search" name="q" type="search" value="{escape(search)}" '
            'placeholder="Search flows, blocks, runs">'
            '<button type="submit">Search</button></form>')
        home = '<span class="brand">oocana-local</span>' if assets.inline \
            else '<a class="brand" href="/">oocana-local</a>'
        header = f"<header>{home}{search_form}</header>"
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<link rel=\"icon\" href=\"data:,\">"
            f"<title>{escape(title)} · oocana-local</title>{assets.css()}</head>"
            f"<body>{header}<main id=\"main\">{body}</main>"
            + "".join(assets.script(s) for s in scripts) + "</body></html>")


def data_block(element_id: str, data: Any) -> str:
    from ...mainframe.jsonable import dumps

    # "<" only occurs inside JSON strings, where \u003c means the same: no markup
    # ("</script>", "<!--") can end or confuse the block.
    text = dumps(data).replace("<", "\\u003c")
    return f'<script type="application/json" id="{element_id}">{text}</script>'


def status_badge(status: str) -> str:
    word = status.replace("_", " ")
    return (f'<span class="badge state-{escape(status)}">'
            f'<span aria-hidden="true">{_GLYPH.get(status, "•")}</span> {escape(word)}</span>')


def _node_html(node: Any, prefix: str, with_state: bool) -> str:
    key = prefix + node.id
    kind_word = {"value": "value node", "condition": "condition node", "subflow": "subflow",
                 "input": "flow inputs", "output": "flow outputs"}.get(node.kind, "")
    state = ""
    if with_state and node.kind not in ("input", "output", "value"):
        state = ('<span class="state" aria-live="off"><span class="glyph" aria-hidden="true">'
                 '○</span> <span class="word">waiting</span></span>')
    expand = ""
    if node.inner is not None:
        expand = (f'<button type="button" class="expand" aria-expanded="false" '
                  f'aria-controls="sub-{escape(key)}" data-sub="{escape(key)}">'
                  'expand</button>')
    title = escape(node.id if node.kind not in ("input", "output") else kind_word)
    label = escape(node.label if node.kind not in ("value", "condition") else
                   f"{kind_word}{': ' if node.description else ''}{node.description or ''}")
    progress = '<progress max="100" value="0" hidden></progress>' if with_state else ""
    return (f'<div class="node kind-{node.kind}" data-node="{escape(key)}" tabindex="0" '
            f'style="left:{node.x}px;top:{node.y}px;width:{NODE_W}px;height:{NODE_H}px" '
            f'title="{escape(shown_path(node.block_path) or node.label)}">'
            f'<div class="node-head"><span class="node-id">{title}</span>{state}</div>'
            f'<div class="node-label">{label}</div>{progress}{expand}</div>')


def graph_html(graph: Graph, *, with_state: bool, prefix: str = "",
               caption: str = "Flow graph") -> str:
    """The graph as positioned boxes over an SVG of its edges, then its subflows'
    graphs, hidden until expanded."""
    where = {n.id: n for n in graph.nodes}
    paths = []
    for a, b in graph.edges:
        if a not in where or b not in where:
            continue
        x1, y1 = where[a].x + NODE_W, where[a].y + NODE_H // 2
        x2, y2 = where[b].x, where[b].y + NODE_H // 2
        bend = max(30, (x2 - x1) // 2)
        paths.append(f'<path d="M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2 - 6},{y2}" '
                     'marker-end="url(#arrow)"/>')
    svg = (f'<svg class="edges" width="{graph.width}" height="{graph.height}" '
           'aria-hidden="true"><defs><marker id="arrow" viewBox="0 0 8 8" refX="6" refY="4" '
           'markerWidth="8" markerHeight="8" orient="auto"><path d="M0,0 L8,4 L0,8 z"/>'
           f'</marker></defs>{"".join(paths)}</svg>')
    nodes = "".join(_node_html(n, prefix, with_state) for n in graph.nodes)
    subs = "".join(
        f'<section class="subflow" id="sub-{escape(prefix + n.id)}" hidden>'
        f'<h3>Subflow <code>{escape(prefix + n.id)}</code> ({escape(n.label)})</h3>'
        + graph_html(n.inner, with_state=with_state, prefix=f"{prefix}{n.id}/",
                     caption=f"Subflow {prefix}{n.id}") + "</section>"
        for n in graph.nodes if n.inner is not None)
    return (f'<figure class="graph-wrap"><figcaption class="sr-only">{escape(caption)}'
            f'</figcaption><div class="graph" style="width:{graph.width}px;'
            f'height:{graph.height}px">{svg}{nodes}</div></figure>{subs}')


def login_page(message: str = "") -> str:
    note = f'<p class="error" role="alert">{escape(message)}</p>' if message else ""
    body = ('<section class="login"><h1>Log in</h1>'
            '<p>Open the address <code>oocana-local serve</code> printed (it ends with '
            '<code>?token=…</code>), or paste its token here.</p>'
            f'{note}<form method="post" action="/login">'
            '<label for="token">Token</label>'
            '<input id="token" name="token" type="password" autocomplete="current-password" '
            'required autofocus><button type="submit">Log in</button></form></section>')
    return shell("Log in", body, nav=False)


def when(ms: int | None) -> str:
    if not ms:
        return ""
    return datetime.fromtimestamp(ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def duration(start: int | None, end: int | None) -> str:
    if not start or not end:
        return ""
    seconds = (end - start) / 1000
    return f"{seconds:.1f} s" if seconds < 60 else f"{int(seconds // 60)} min {seconds % 60:.0f} s"


def shown_path(path: str | os.PathLike[str] | None) -> str:
    """A file path as the user reads it: relative to the folder the server (or the CLI)
    started in when it lies below it."""
    if not path:
        return ""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") \
            else str(path)
    except ValueError:  # another drive
        return str(path)


def json_attr(value: Any) -> str:
    return escape(json.dumps(value))
