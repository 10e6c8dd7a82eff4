"""The layers of docs/architecture.md ("Who may import whom"), checked on the code.

Every module of the package is parsed (``ast``) and every import counts: at the top,
inside functions, under ``if TYPE_CHECKING:``. Each module belongs to a component (its
subpackage, or the top-level module itself); ``LAYERS`` says which components each one
may import besides itself and the leaves. What front ends import besides the engine today
is listed, with the reason, in ``FRONT_END_IMPORTS``; the docs page has the same table
(checked below), and an entry nothing uses any more fails too, so both stay exact.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

PACKAGE = Path(__file__).resolve().parent.parent / "oocana_local"
DOCS = PACKAGE.parent / "docs" / "architecture.md"

LEAVES = {"states", "paths", "errors", "wire", "redact", "mime", "_dataclass", "secrets",
          "node_tools", "bootstrap", "install_hints", "inputs_file", "debug_settings"}
"""Anyone may import them; they import only each other."""

FRONT_ENDS = {"cli", "cli_errors", "cli_paths", "cli_options", "cli_debug", "__main__",
              "scaffold", "scaffold_vscode", "serve", "testing", "devmode"}
"""They go through the engine (and may use each other: the CLI starts the server, the
dev loop, the scaffolder)."""

ENGINE_SIDE = {"engine", "__init__", "runtime", "graph", "manifest", "executor", "mainframe"}
WORKER_SIDE = {"worker", "context", "_shim"}

LAYERS: dict[str, set[str]] = {
    **{front: {"engine", "__init__", "mainframe"} | FRONT_ENDS for front in FRONT_ENDS},
    # ``engine.py`` and the package's public names (``oocana_local/__init__.py``).
    "engine": {"runtime", "graph", "manifest", "executor", "mainframe"},
    "__init__": {"engine", "runtime", "graph", "manifest", "executor", "mainframe"},
    "runtime": {"graph", "manifest", "executor", "mainframe"},
    "graph": {"manifest"},
    "manifest": set(),
    "executor": set(),
    "mainframe": set(),
    # The worker side imports nothing of the engine side.
    "worker": {"context"},
    "context": set(),
    "_shim": {"context"},  # and nothing imports `_shim.oocana` but `_shim` itself
}

# (importer, imported) -> why; names are module paths inside the package. An importer
# names a module or a package (then every module in it); an imported name, one module.
FRONT_END_IMPORTS: dict[tuple[str, str], str] = {
    ("cli", "manifest"): "`check` validates manifests without an engine",
    ("cli", "runtime.options"): "builds the `RunOptions` it passes to `Engine.run`",
    ("cli", "runtime.cache"): "the `cache` command and `--cache-dir` open the node cache",
    ("cli", "runtime.session_folders"): "`--keep-session` marks the session folder kept",
    ("cli_options", "executor.choice"): "`--executor` is checked before an engine exists",
    ("cli", "executor.prelaunch"): "the first worker starts before the engine is imported",
    ("devmode", "manifest.problems"): "`Problem`, what a reload's check reports",
    ("devmode", "manifest.resolved"): "`Flow` / `TaskBlock`, what `Engine.load` returns",
    ("devmode", "runtime.cache"): "the dev loop keeps one node cache across runs",
    ("devmode", "runtime.run"): "`RunResult`, what `Engine.run` returns",
    ("serve.mcp_command", "runtime.options"): "builds the `RunOptions` it passes to "
                                              "`Engine.run`",
    ("serve.catalog", "manifest.files"): "lists a folder's manifests without loading them",
    ("serve.catalog", "manifest.packages"): "finds the packages of a workspace",
    ("serve.catalog", "manifest.problems"): "a package it cannot read is refused before the "
                                            "server starts",
    ("serve", "manifest.resolved"): "`Flow`, `TaskBlock`, `HandleDef`: what `Engine.load` "
                                     "returns, shown as pages and client schemas",
    ("serve.runs", "runtime.options"): "builds the `RunOptions` it passes to `Engine.run`",
    ("serve.runs", "runtime.run"): "`root_inputs` / `block_as_flow` check a request's inputs "
                                   "before the run is queued",
    ("serve.store", "runtime.session"): "`data_root` (it is `paths.data_root`)",
    ("serve.web", "context.preview_plotly"): "serves the plotly.js file previews load",
    ("testing", "manifest.loader"): "`resolve_block` loads a block for an in-process call",
    ("testing", "manifest.resolved"): "`Flow` / `TaskBlock`, what `Engine.load` returns",
    ("testing", "runtime.run"): "`RunResult`; `make_context` fills inputs as a run does",
    ("testing", "context"): "`make_context` / `call_block` run a block's `main` in the "
                            "test's process with the real `Context`",
    ("testing", "context.call"): "the same",
    ("testing", "context.log_lines"): "the same",
    ("testing", "context.sink"): "the same",
    ("testing", "_shim"): "`from oocana import Context` in the test's process",
}

# Other edges a rule above does not allow, on purpose; the imported side names a package
# or a module.
OTHER_IMPORTS: dict[tuple[str, str], str] = {
    ("executor.ray_executor", "worker.ray_actor"): "the class its Ray actors are made of "
                                                   "(the worker side, run in an actor)",
    ("executor.pool", "worker.blobs"): "the shared-memory segments values cross workers in",
    ("executor.prelaunch", "worker.blobs"): "the shared-memory namespace of a worker's env",
    ("executor.services", "worker.blobs"): "the shared-memory namespace of its workers, "
                                           "removed when it closes",
    ("errors", "manifest.problems"): "a type annotation only: `ManifestError.problems`",
}

ONE_WAY = ("runtime", "testing", "executor", "worker", "context", "manifest", "graph",
           "mainframe", "serve", "wire", "_shim")
"""Subpackages whose modules import one way (no file imports itself through others)."""


class Edge(NamedTuple):
    importer: str  # module path inside the package: "runtime.run", "cli", "" (the package)
    imported: str
    where: str  # file:line


def module_names(package: Path) -> dict[str, Path]:
    names = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = path
    return names


def import_edges(package: Path) -> list[Edge]:
    """Every import of a module of ``package`` by another, wherever it is written."""
    modules = module_names(package)
    root = package.name
    edges = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        parts = [root, *name.split(".")] if name else [root]
        here = parts if path.name == "__init__.py" else parts[:-1]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[:len(here) - node.level + 1]
                    prefix = ".".join(base + ([node.module] if node.module else []))
                else:
                    prefix = node.module or ""
                targets = [f"{prefix}.{alias.name}" for alias in node.names]
                targets += [prefix]  # `from pkg import name`: name may be no module
            else:
                continue
            seen = set()
            for target in targets:
                if target != root and not target.startswith(root + "."):
                    continue
                inner = target[len(root) + 1:]
                while inner and inner not in modules:
                    inner = inner.rpartition(".")[0]
                if inner not in modules or inner == name or inner in seen:
                    continue
                seen.add(inner)
                where = f"{path.relative_to(package.parent)}:{node.lineno}"
                edges.append(Edge(name, inner, where))
    # ``from pkg import module`` also names ``pkg``: keep the module only.
    by_line: dict[tuple[str, str], list[Edge]] = {}
    for edge in edges:
        by_line.setdefault((edge.importer, edge.where), []).append(edge)
    kept = []
    for group in by_line.values():
        for edge in group:
            deeper = any(o.imported.startswith(edge.imported + ".") if edge.imported
                         else o.imported for o in group if o is not edge)
            if not deeper:
                kept.append(edge)
    return kept


def component(module: str) -> str:
    return module.split(".")[0] if module else "__init__"


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _listed(edge: Edge, table: Iterable[tuple[str, str]], *, whole: bool
            ) -> tuple[str, str] | None:
    """The entry of ``table`` that allows ``edge`` (``whole``: an entry's imported side
    names a package, every module in it)."""
    for importer, imported in table:
        if _within(edge.importer, importer) and (
                _within(edge.imported, imported) if whole else edge.imported == imported):
            return importer, imported
    return None


def check(edges: list[Edge]) -> tuple[list[str], set[tuple[str, str]]]:
    """The broken rules, one line each, and the allow-list entries that were used."""
    problems, used = [], set()
    for edge in edges:
        src, dst = component(edge.importer), component(edge.imported)
        for side in (src, dst):
            if side not in LAYERS and side not in LEAVES:
                problems.append(f"{edge.where}: {side!r} is in no layer: add it to LAYERS "
                                "(or LEAVES) in tests/test_architecture.py and to \"Who may "
                                "import whom\" in docs/architecture.md")
        if _within(edge.imported, "_shim.oocana") and src != "_shim":
            problems.append(f"{edge.where}: {edge.importer} imports {edge.imported}: the "
                            "`oocana` package blocks import is never imported by its "
                            "oocana_local name (a second copy of its classes); import "
                            "what it re-exports from context/ instead")
            continue
        if src == dst or src not in LAYERS and src not in LEAVES:
            continue
        if src in LEAVES:
            ok = dst in LEAVES
        else:
            ok = dst in LEAVES or dst in LAYERS[src]
        entry = (_listed(edge, FRONT_END_IMPORTS, whole=False)
                 or _listed(edge, OTHER_IMPORTS, whole=True))
        if entry is not None:
            used.add(entry)
            continue
        if not ok:
            problems.append(f"{edge.where}: {edge.importer or root_name()} imports "
                            f"{edge.imported} ({src} -> {dst} breaks the layers of "
                            "docs/architecture.md)")
    return problems, used


def root_name() -> str:
    return PACKAGE.name


def cycles_within(edges: list[Edge], package: str) -> list[list[str]]:
    """Groups of modules of ``package`` that import each other (through others too)."""
    graph: dict[str, set[str]] = {}
    for edge in edges:
        if _within(edge.importer, package) and _within(edge.imported, package):
            graph.setdefault(edge.importer, set()).add(edge.imported)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                item = stack.pop()
                group.append(item)
                if item == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in list(graph):
        if node not in index:
            visit(node)
    return found


def documented_front_end_imports() -> set[tuple[str, str]]:
    """The rows of the docs' table "What front ends import besides the engine"."""
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("### What front ends import besides the engine", 1)[1]
    section = section.split("\n#", 1)[0]
    rows = re.findall(r"^\| `([\w.]+)` \| `([\w.]+)` \|", section, flags=re.MULTILINE)
    return set(rows)


# -- the package ------------------------------------------------------------------------------

EDGES = import_edges(PACKAGE)


def test_the_package_keeps_its_layers() -> None:
    problems, _ = check(EDGES)
    assert not problems, "imports that break docs/architecture.md:\n" + "\n".join(problems)


def test_every_allowed_exception_is_still_needed() -> None:
    _, used = check(EDGES)
    stale = sorted(set(FRONT_END_IMPORTS) - used) + sorted(set(OTHER_IMPORTS) - used)
    assert not stale, ("allow-list entries no import uses any more: remove them from "
                       f"tests/test_architecture.py and docs/architecture.md: {stale}")


def test_the_docs_list_the_same_front_end_imports() -> None:
    documented = documented_front_end_imports()
    assert documented == set(FRONT_END_IMPORTS), (
        f"only in docs/architecture.md: {sorted(documented - set(FRONT_END_IMPORTS))}; "
        f"only in the test: {sorted(set(FRONT_END_IMPORTS) - documented)}")


def test_the_modules_of_each_subpackage_import_one_way() -> None:
    for package in ONE_WAY:
        assert cycles_within(EDGES, package) == [], f"modules of {package}/ import each other"


# -- the checker catches what it should ------------------------------------------------------

def test_a_worker_importing_the_runtime_is_caught() -> None:
    fake = Edge("worker.job", "runtime.run", "oocana_local/worker/job.py:1")
    problems, _ = check([*EDGES, fake])
    assert problems == ["oocana_local/worker/job.py:1: worker.job imports runtime.run "
                        "(worker -> runtime breaks the layers of docs/architecture.md)"]


def test_a_front_end_reaching_past_the_engine_is_caught() -> None:
    for fake in (Edge("cli", "runtime.flow_job", "oocana_local/cli.py:9"),
                 Edge("serve.runs", "executor.pool", "oocana_local/serve/runs.py:9"),
                 Edge("testing.runner", "graph.compile", "oocana_local/testing/runner.py:9")):
        problems, _ = check([*EDGES, fake])
        assert len(problems) == 1 and fake.where in problems[0], problems


def test_a_lower_layer_importing_upward_is_caught() -> None:
    for fake in (Edge("executor.pool", "runtime.session", "x.py:1"),
                 Edge("manifest.loader", "graph.model", "x.py:2"),
                 Edge("states", "manifest.resolved", "x.py:3"),
                 Edge("runtime.run", "engine", "x.py:4"),
                 Edge("executor.pool", "worker.job", "x.py:5")):
        problems, _ = check([fake])
        assert len(problems) == 1 and fake.where in problems[0], (fake, problems)


def test_importing_the_shim_oocana_package_by_its_inner_name_is_caught() -> None:
    fake = Edge("worker.job", "_shim.oocana", "oocana_local/worker/job.py:1")
    problems, _ = check([fake])
    assert len(problems) == 1 and "never imported by its oocana_local name" in problems[0]


def test_a_module_in_no_layer_is_caught() -> None:
    problems, _ = check([Edge("newthing", "states", "oocana_local/newthing.py:1")])
    assert problems and "'newthing' is in no layer" in problems[0]


def test_a_cycle_between_files_is_caught() -> None:
    fake = Edge("runtime.queries", "runtime.run", "x.py:1")
    assert cycles_within([*EDGES, fake], "runtime")


def test_imports_are_found_wherever_they_are_written(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "leaf.py").write_text("X = 1\n")
    (package / "sub" / "__init__.py").write_text("from .. import leaf\n")
    (package / "sub" / "deep.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from ..leaf import X\n"
        "def f():\n"
        "    import pkg.other\n"
        "    from . import sibling\n"
        "    return X\n")
    (package / "sub" / "sibling.py").write_text("")
    (package / "other.py").write_text("import os\nimport pkg\n")
    found = {(e.importer, e.imported) for e in import_edges(package)}
    assert found == {("sub", "leaf"), ("sub.deep", "leaf"), ("sub.deep", "other"),
                     ("sub.deep", "sub.sibling"), ("other", "")}
