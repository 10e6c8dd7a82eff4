"""The run page: the graph with each node's state, progress, logs, outputs, the error
and every preview. One builder serves the live page (events over SSE), a recorded run
(events in the page) and the self-contained report (events and assets in the page).

The page's script (``static/run.js``) folds the bus messages into the view; the server
only hands it messages, in order, each once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from .graph import Graph
from .pages import (
    Assets,
    data_block,
    duration,
    graph_html,
    shell,
    shown_path,
    status_badge,
    when,
)

__all__ = ["RunInfo", "run_page"]


@dataclass
class RunInfo:
    id: str
    target: str
    status: str
    inputs: dict[str, Any] = field(default_factory=dict)
    created_at: int | None = None
    started_at: int | None = None
    finished_at: int | None = None
    error: str | None = None
    block_files: dict[str, str] = field(default_factory=dict)
    """Node path -> the file its block is written in."""


def run_page(run: RunInfo, graph: Graph, *, events: list[dict[str, Any]] | None,
             live: bool, assets: Assets | None = None, target_href: str | None = None,
             plotly_js: str | None = None) -> str:
    """``events`` are put in the page (a recorded run, a report); with ``live`` the page
    streams them from ``/runs/<id>/events`` instead. ``plotly_js`` inlines plotly.js for
    a self-contained page."""
    assets = assets or Assets()
    target = (f'<a href="{escape(target_href)}">{escape(run.target)}</a>' if target_href
              else escape(run.target))
    actions = ""
    if live or target_href:
        stop = ("" if not live or run.status not in ("queued", "running") else
                f'<form method="post" action="/runs/{escape(run.id)}/stop" class="inline">'
                '<button type="submit" id="stop">Stop</button></form>')
        actions = (f'<div class="actions">{stop}'
                   f'<form method="post" action="/runs/{escape(run.id)}/rerun" class="inline">'
                   '<button type="submit" id="rerun">Re-run with the same inputs</button>'
                   '</form></div>')
    inputs = "".join(f"<dt>{escape(k)}</dt><dd><code>{escape(_short(v))}</code></dd>"
                     for k, v in run.inputs.items()) or "<dd>none</dd>"
    nodes_rows = "".join(
        f'<tr data-node-row="{escape(node)}"><th scope="row"><code>{escape(node)}</code></th>'
        f'<td class="row-state">{status_badge("waiting")}</td>'
        f'<td><code class="path">{escape(shown_path(path))}</code></td><td>'
        + ("" if not live and not target_href else
           f'<form method="post" action="/runs/{escape(run.id)}/open" class="inline">'
           f'<input type="hidden" name="node" value="{escape(node)}">'
           f'<button type="submit" aria-label="Open the block file of {escape(node)}">'
           'Open file</button></form>')
        + "</td></tr>" for node, path in run.block_files.items())
    plotly = ""
    if plotly_js is not None:
        plotly = ('<script type="text/plain" id="plotly-source">'
                  + plotly_js.replace("</", "<\\/") + "</script>")
    data = {"id": run.id, "live": live, "status": run.status, "events": events,
            "plotly": None if plotly_js is not None else "/web/static/plotly.min.js"}
    body = f"""
<section class="run-head" aria-labelledby="run-title">
  <h1 id="run-title">Run of {target}</h1>
  <p class="run-status">Status: <span id="run-status">{status_badge(run.status)}</span>
  <span class="muted">id <code>{escape(run.id)}</code> · started {escape(when(run.started_at
  or run.created_at))}<span id="run-duration">{(' · took ' + duration(run.started_at,
  run.finished_at)) if run.finished_at else ''}</span></span></p>
  {actions}
  <details><summary>Inputs</summary><dl class="inputs">{inputs}</dl></details>
</section>
<section aria-labelledby="graph-title"><h2 id="graph-title">Graph</h2>
  <div class="graph-scroll">{graph_html(graph, with_state=True)}</div>
</section>
<section id="error-section" aria-labelledby="error-title" hidden>
  <h2 id="error-title">Error</h2><div id="errors" role="alert"></div>
</section>
<section aria-labelledby="outputs-title"><h2 id="outputs-title">Outputs</h2>
  <div id="outputs"><p class="muted">None yet.</p></div></section>
<section aria-labelledby="previews-title"><h2 id="previews-title">Previews</h2>
  <div id="previews"><p class="muted">None yet.</p></div></section>
<section aria-labelledby="logs-title"><h2 id="logs-title">Logs</h2>
  <label for="log-filter">Show the logs of</label>
  <select id="log-filter"><option value="">every node</option></select>
  <pre id="logs" tabindex="0" aria-label="Logs"></pre></section>
<section aria-labelledby="nodes-title"><h2 id="nodes-title">Nodes</h2>
  <table class="nodes"><thead><tr><th scope="col">Node</th><th scope="col">State</th>
  <th scope="col">Block file</th><th scope="col"><span class="sr-only">Actions</span></th>
  </tr></thead><tbody>{nodes_rows}</tbody></table></section>
{plotly}{data_block("run-data", data)}"""
    return shell(f"Run {run.target}", body, assets=assets,
                 scripts=("graph.js", "previews.js", "run.js"))


def _short(value: Any) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 200 else text[:200] + "…"
