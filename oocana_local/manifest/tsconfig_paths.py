"""The module mapping of a Node.js block's nearest ``tsconfig.json``: ``compilerOptions.paths``
and ``baseUrl`` (following ``extends``), so that ``check`` does not take a mapped import
(``@lib/x``) for a missing npm package. The Node worker resolves these imports the same
way when the block runs (``nodejs/tsconfig.mjs``), as esbuild does when OOMOL bundles it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = ["is_mapped"]

_EXTENSIONS = ("", ".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs", "/index.ts", "/index.tsx",
               "/index.js", "/index.mjs")
_cache: dict[tuple[str, float], dict[str, Any]] = {}


def _parse_jsonc(text: str) -> Any:
    """JSON with comments and trailing commas, as tsconfig.json allows."""
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            j = i + 1
            while j < len(text) and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            i = j + 1
        elif text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
        else:
            out.append(c)
            i += 1
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", "".join(out)))


def _nearest(folder: Path) -> Path | None:
    for parent in (folder, *folder.parents):
        if (parent / "tsconfig.json").is_file():
            return parent / "tsconfig.json"
    return None


def _extends_file(name: str, folder: Path) -> Path | None:
    if name.startswith(".") or Path(name).is_absolute():
        bases = [folder / name]
    else:
        bases = [parent / "node_modules" / name for parent in (folder, *folder.parents)]
    for base in bases:
        for candidate in (base, base.with_name(base.name + ".json"), base / "tsconfig.json"):
            if candidate.is_file():
                return candidate
    return None


def _read(file: Path, seen: set[Path]) -> dict[str, Any]:
    """``{"baseUrl": Path, "paths": {...}, "paths_dir": Path}`` of one tsconfig file."""
    if file in seen:
        return {}
    seen.add(file)
    try:
        data = _parse_jsonc(file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # esbuild warns and goes on without it; so does the worker
    if not isinstance(data, dict):
        return {}
    merged: dict[str, Any] = {}
    bases = data.get("extends") or []
    for base in [bases] if isinstance(bases, str) else bases:
        found = _extends_file(str(base), file.parent)
        if found is not None:
            merged.update(_read(found, seen))
    options = data.get("compilerOptions")
    if isinstance(options, dict):
        if isinstance(options.get("baseUrl"), str):
            merged["baseUrl"] = (file.parent / options["baseUrl"]).resolve()
        if isinstance(options.get("paths"), dict):
            merged["paths"] = options["paths"]
            merged["paths_dir"] = file.parent
    return merged


def _mapping(folder: Path) -> dict[str, Any]:
    found = _nearest(folder)
    if found is None:
        return {}
    key = (str(found), found.stat().st_mtime)
    if key not in _cache:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = _read(found, set())
    return _cache[key]


def _matches(spec: str, pattern: str) -> bool:
    if "*" not in pattern:
        return spec == pattern
    prefix, _, suffix = pattern.partition("*")
    return len(spec) >= len(prefix) + len(suffix) and spec.startswith(prefix) and \
        spec.endswith(suffix)


def is_mapped(spec: str, folder: Path) -> bool:
    """Whether the import ``spec`` from a file in ``folder`` is one of the package's own
    modules by its tsconfig: a ``paths`` pattern matches it, or it is a file under
    ``baseUrl``."""
    mapping = _mapping(folder)
    if any(_matches(spec, str(pattern)) for pattern in mapping.get("paths") or {}):
        return True
    base = mapping.get("baseUrl")
    return base is not None and any(Path(f"{base / spec}{ext}").is_file() for ext in _EXTENSIONS)
