"""Checks of a Node.js block before anything runs: its entry file exists, has no syntax
error (esbuild parses it: file:line:column), shows the function the engine will call, and
imports no npm package that is missing from ``node_modules`` (an import that the package's
tsconfig ``paths`` or ``baseUrl`` maps to its own files is no npm package).

The function check reads the source only: it reports nothing when the module's exports
are built dynamically (``module.exports = ...``, ``exports.x = ...``, ``export = ...``).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ..install_hints import npm_fix
from ..node_tools import esbuild_binary
from .problems import Problem
from .resolved import Location, TaskBlock
from .tsconfig_paths import is_mapped

__all__ = ["validate_node_block", "is_npm_installed"]

_BUILTINS = set(
    "assert async_hooks buffer child_process cluster console constants crypto dgram "
    "diagnostics_channel dns domain events fs http http2 https inspector module net os path "
    "perf_hooks process punycode querystring readline repl stream string_decoder sys timers "
    "tls trace_events tty url util v8 vm wasi worker_threads zlib".split())
_IMPORT = re.compile(
    r"""(?:^|[^\w.$])(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+?\s+from\s+)?["']([^"']+)["']"""
    r"""|(?:require|import)\s*\(\s*["']([^"']+)["']\s*\)""", re.MULTILINE)
_ERROR = re.compile(r"\[ERROR\] (?P<message>.*)\n\s*\n\s*(?P<file>[^\n]*?):(?P<line>\d+):(?P<col>\d+):")
_TS = (".ts", ".mts", ".tsx", ".cts")


def validate_node_block(block: TaskBlock, problems: list[Problem],
                        entry_at: Location | None = None) -> None:
    """A service's program is checked the same way (``services.py``): its function is
    ``service.function`` and takes ``(service)``."""
    at = entry_at or block.location
    if block.source is not None:
        _syntax(None, block.source, problems, at)
        return
    if block.entry is None:
        problems.append(Problem("error", "a nodejs block needs executor.options.entry "
                                "(or source)", at, "e.g. entry: main.ts"))
        return
    entry = block.dir / block.entry
    if not entry.is_file():
        where = "the flow's folder" if block.path is None else "the block's folder"
        problems.append(Problem(
            "error", f"nodejs entry file {block.entry!r} does not exist (looked for {entry})",
            at, f"create it, or fix executor.options.entry (relative to {where})"))
        return
    try:
        source = entry.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        problems.append(Problem("error", f"cannot read {entry}: {exc}", at))
        return
    if not _syntax(entry, source, problems, at):
        return
    _function(block, entry, source, problems, at)
    _packages(entry, source, problems)


_parsed: dict[tuple[str, str], list[Problem]] = {}
"""(file or "", source) -> its syntax problems: each version is parsed once per process."""


def _syntax(entry: Path | None, source: str, problems: list[Problem], at: Location | None
            ) -> bool:
    """False when esbuild found a syntax error (reported with the file's own line)."""
    key = (str(entry or ""), source)
    if key not in _parsed:
        if len(_parsed) > 512:
            _parsed.clear()
        found: list[Problem] = []
        _parse(entry, source, found, at)
        _parsed[key] = found
    problems.extend(_parsed[key])
    return not _parsed[key]


def _parse(entry: Path | None, source: str, problems: list[Problem], at: Location | None
           ) -> bool:
    binary = esbuild_binary()
    if binary is None:
        return True  # TypeScript tools not installed: `run` installs them and reports
    name = entry.name if entry is not None else "source.ts"
    loader = "tsx" if name.endswith(".tsx") else "ts" if name.endswith(_TS) or entry is None \
        else "js"
    try:
        done = subprocess.run([str(binary), f"--loader={loader}", "--log-level=error",
                               "--color=false", f"--sourcefile={entry or 'source'}"],
                              input=source, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return True
    if done.returncode == 0:
        return True
    found = _ERROR.search(done.stderr)
    if found is None:
        problems.append(Problem("error", f"syntax error: {done.stderr.strip()[:500]}",
                                at))
        return False
    line = int(found["line"])
    where = Location(entry, line) if entry is not None else at
    extra = f" (line {line} of the inline source)" if entry is None else \
        f" (column {found['col']})"
    problems.append(Problem("error", f"syntax error: {found['message']}{extra}", where,
                            "fix the code; nothing ran"))
    return False


def _function(block: TaskBlock, entry: Path, source: str, problems: list[Problem],
              at: Location | None) -> None:
    if re.search(r"\bmodule\.exports\b|\bexports\.\w+\s*=|^\s*export\s*=(?!=)", source,
                 re.MULTILINE):
        return  # CommonJS (TypeScript's `export =` too): its exports are known when it runs
    service = block.service is not None
    wanted = block.service.function if block.service else block.options.get("function")
    field = "executor.function" if service else "executor.options.function"
    params = "service" if service else "params, context"
    names = set(re.findall(
        r"export\s+(?:async\s+)?(?:function\s*\*?\s*|const\s+|let\s+|var\s+|class\s+)(\w+)",
        source))
    for group in re.findall(r"export\s*\{([^}]*)\}", source):
        for item in group.split(","):
            names.add(item.split(" as ")[-1].strip())
    if re.search(r"export\s+default\b", source):
        names.add("default")
    if wanted:
        if wanted not in names:
            problems.append(Problem(
                "error", f"{entry.name} exports no function {wanted!r} ({field})", at,
                f"export it (`export function {wanted}({params})`), or fix {field}"))
    elif not names & {"default", "main"}:
        problems.append(Problem(
            "error", f"{entry.name} has no default export and no `main`", at,
            f"add `export default async function ({params}) {{ ... }}`"))


def _packages(entry: Path, source: str, problems: list[Problem]) -> None:
    for number, text in enumerate(source.splitlines(), 1):
        for match in _IMPORT.finditer(text):
            spec = match.group(1) or match.group(2)
            name = _package_name(spec)
            if name is None or _installed(entry.parent, name) or is_mapped(spec, entry.parent):
                continue
            if re.search(r"import\s+type\b", text):
                continue  # types only: erased before it runs
            problems.append(Problem(
                "error", f"npm package {name!r} is not installed (imported by {entry.name})",
                Location(entry, number),
                npm_fix(name, _package_root(entry.parent))))


def _package_name(spec: str) -> str | None:
    if spec.startswith((".", "/", "~/", "node:", "data:", "file:")) or \
            spec == "@oomol/types" or spec.startswith("@oomol/types/"):
        return None
    parts = spec.split("/")
    name = "/".join(parts[:2]) if spec.startswith("@") else parts[0]
    return None if name in _BUILTINS else name


def _installed(folder: Path, name: str) -> bool:
    for parent in (folder, *folder.parents):
        if (parent / "node_modules" / name).exists():
            return True
    return False


def is_npm_installed(folder: Path, name: str) -> bool:
    """Whether ``name`` is in a ``node_modules`` of ``folder`` or of a folder above it."""
    return _installed(folder, name)


def _package_root(folder: Path) -> Path:
    for parent in (folder, *folder.parents):
        if (parent / "package.json").is_file() or (parent / "package.oo.yaml").is_file():
            return parent
    return folder
