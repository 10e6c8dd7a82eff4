"""The home page (packages, flows, blocks, recent runs, search) and the page of one
flow or block (its graph beside the run form)."""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from ...manifest.resolved import Flow, TaskBlock
from ..catalog import Entry
from ..runs import BadRequest, NotFound, RunManager
from .graph import block_graph, flow_graph
from .pages import duration, graph_html, shell, shown_path, status_badge, when
from .schema_form import form_fields, has_files

__all__ = ["home_page", "target_page"]

_RECENT = 30


def _matches(query: str, *texts: Any) -> bool:
    query = query.strip().lower()
    return not query or any(query in str(t or "").lower() for t in texts)


def _entry_item(entry: Entry, target: Flow | TaskBlock) -> str:
    href = f"/{entry.kind}s/{entry.name}"
    inputs = ", ".join(target.inputs_def) or "no inputs"
    description = escape(target.description or "")
    return (f'<li class="entry"><a href="{escape(href)}">{escape(entry.name)}</a>'
            f'<span class="muted"> {entry.kind}</span>'
            f'<p>{description}</p><p class="muted">inputs: {escape(inputs)}</p></li>')


def home_page(runs: RunManager, query: str, recorded: list[tuple[int, Path]]) -> str:
    packages: dict[str, dict[str, list[str]]] = {}
    for entry in runs.catalog.flows() + runs.catalog.blocks():
        try:
            _, target = runs.resolve(entry.name)
        except (NotFound, BadRequest):
            continue
        if not _matches(query, entry.name, target.description, *target.inputs_def):
            continue
        group = packages.setdefault(entry.package, {"flow": [], "block": []})
        group[entry.kind].append(_entry_item(entry, target))
    sections = []
    versions = runs.catalog.packages()
    for package in sorted(packages):
        version = versions.get(package, (None, None))[0]
        lists = "".join(
            f'<h3>{title}</h3><ul class="entries">{"".join(items)}</ul>'
            for title, items in (("Flows", packages[package]["flow"]),
                                 ("Blocks", packages[package]["block"])) if items)
        sections.append(f'<section class="package"><h2>{escape(package)}'
                        f'<span class="muted"> {escape(version or "")}</span></h2>'
                        f'{lists}</section>')
    if not sections:
        sections.append('<p class="muted">Nothing served here matches.</p>')
    records = [r for r in runs.store.recent(limit=200)
               if _matches(query, r.target, r.id, r.status)][:_RECENT]
    rows = "".join(
        f'<tr><td><a href="/runs/{escape(r.id)}">{escape(r.target)}</a></td>'
        f'<td>{status_badge(r.status)}</td><td>{escape(when(r.created_at))}</td>'
        f'<td>{escape(duration(r.started_at, r.finished_at))}</td>'
        f'<td>{escape(r.protocol)}</td></tr>' for r in records)
    runs_table = ('<div class="scroll-x"><table class="runs"><caption class="sr-only">Recent runs</caption><thead>'
                  '<tr><th scope="col">Target</th><th scope="col">Status</th>'
                  '<th scope="col">Started</th><th scope="col">Duration</th>'
                  f'<th scope="col">From</th></tr></thead><tbody>{rows}</tbody></table></div>'
                  if rows else '<p class="muted">No runs yet.</p>')
    recorded_items = "".join(
        f'<li><a href="/recorded/{i}">{escape(path.name)}</a> '
        f'<span class="muted">{escape(str(path.parent))}</span></li>'
        for i, path in recorded if _matches(query, path.name))
    recorded_html = (f'<section><h2>Recorded runs</h2><ul>{recorded_items}</ul></section>'
                     if recorded_items else "")
    body = (f'<h1 class="sr-only">oocana-local</h1><div class="home">'
            f'<div class="catalog">{"".join(sections)}</div>'
            f'<div class="recent"><section><h2>Recent runs</h2>{runs_table}</section>'
            f'{recorded_html}</div></div>')
    return shell("Home", body, search=query)


def target_page(entry: Entry, target: Flow | TaskBlock, values: dict[str, Any] | None,
                error: str) -> str:
    graph = flow_graph(target) if isinstance(target, Flow) else block_graph(target,
                                                                            entry.name)
    fields = form_fields(target.inputs_def, values) or '<p class="muted">No inputs.</p>'
    enctype = ' enctype="multipart/form-data"' if has_files(target.inputs_def) else ""
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    description = escape(target.description or "")
    path = escape(shown_path(getattr(target, "path", None)))
    body = f"""
<h1>{escape(entry.name)} <span class="muted">{entry.kind}</span></h1>
<p>{description}</p><p class="muted"><code class="path">{path}</code></p>
<div class="target">
  <section class="run-form" aria-labelledby="form-title">
    <h2 id="form-title">Run</h2>{alert}
    <form method="post" action="/{entry.kind}s/{escape(entry.name)}/run" id="run-form"{enctype}>
      {fields}
      <button type="submit">Run</button>
    </form>
  </section>
  <section class="graph-section" aria-labelledby="graph-title">
    <h2 id="graph-title">Graph <span class="muted">({len(graph.nodes)} nodes)</span></h2>
    <div class="graph-scroll">{graph_html(graph, with_state=False)}</div>
  </section>
</div>"""
    return shell(entry.name, body, scripts=("graph.js",))
