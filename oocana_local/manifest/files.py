"""Manifest files on disk: what kind a file is, which file a folder means, walking a tree."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from .finder import MANIFEST_SUFFIXES
from .problems import Problem
from .resolved import Location
from .yamlload import read_yaml

__all__ = [
    "FileKind",
    "MANIFEST_NAMES",
    "abspath",
    "file_kind",
    "locate",
    "signature",
    "sniff",
    "walk_manifests",
]

FileKind = Literal["flow", "subflow", "slotflow", "task", "package", "service", "other"]

_BASENAMES: dict[str, FileKind] = {
    "flow": "flow",
    "subflow": "subflow",
    "slotflow": "slotflow",
    "block": "task",
    "task": "task",
    "package": "package",
    "service": "service",
}
MANIFEST_NAMES = tuple(
    f"{base}{suffix}"
    for base in ("flow", "subflow", "block", "task")
    for suffix in MANIFEST_SUFFIXES
)
"""What ``load`` looks for in a folder, in this order."""

_SKIP_DIRS = frozenset({"node_modules", ".venv", "venv", "__pycache__"})


def abspath(path: str | os.PathLike[str]) -> Path:
    # Normalized but not symlink-resolved, so messages show the paths the user wrote.
    return Path(os.path.abspath(os.path.expanduser(os.fspath(path))))


def signature(path: Path) -> tuple[int, int] | None:
    """Changes when the file does (or None if it is gone)."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


def file_kind(path: Path) -> FileKind:
    name = path.name
    for suffix in MANIFEST_SUFFIXES:
        if name.endswith(suffix):
            return _BASENAMES.get(name[: -len(suffix)], "other")
    return "other"


def sniff(path: Path) -> FileKind:
    """Kind of a manifest with an unusual file name, from its keys."""
    doc, _ = read_yaml(path)
    data = doc.data if doc is not None else None
    if isinstance(data, dict):
        if "nodes" in data:
            return "flow"
        if "blocks" in data:
            return "service"
        if "executor" in data:
            return "task"
    return "other"


def locate(path: Path) -> tuple[Path | None, FileKind, list[Problem]]:
    """The manifest ``load(path)`` means: the file itself, or the first of MANIFEST_NAMES."""
    if not path.exists():
        return None, "other", [no_such_path(path)]
    if path.is_dir():
        for name in MANIFEST_NAMES:
            if (path / name).is_file():
                return path / name, file_kind(path / name), []
        return None, "other", [_no_manifest(path)]
    kind = file_kind(path)
    if kind in ("package", "service"):
        problem = Problem(
            "error",
            f"{path.name} is a {kind} manifest, not a flow or a block",
            Location(path, 0),
            "pass a flow folder (flows/<name>) or a block folder (blocks/<name>)",
        )
        return None, kind, [problem]
    return path, kind, []


def walk_manifests(root: Path, skip: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Every ``*.oo.yaml`` / ``*.oo.yml`` below ``root``, skipping hidden and vendor folders
    and the folders named in ``skip`` (below ``root``; ``root`` itself is always read)."""
    skipped = _SKIP_DIRS | skip
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in skipped)
        for name in sorted(files):
            if name.endswith(MANIFEST_SUFFIXES):
                yield Path(folder) / name


def not_loadable(file: Path) -> Problem:
    return Problem(
        "error",
        f"{file.name} is neither a flow nor a block",
        Location(file, 1),
        "a flow has `nodes:`, a block has `executor:`",
    )


def no_such_path(path: Path) -> Problem:
    return Problem(
        "error",
        f"no such file or folder: {path}",
        None,
        "pass a flow folder (e.g. flows/<name>), a block folder, or a manifest file",
    )


def _no_manifest(folder: Path) -> Problem:
    flows = sorted(p.parent.name for p in folder.glob("flows/*/flow.oo.y*ml"))
    hint = "expected one of " + ", ".join(MANIFEST_NAMES[::2])
    if flows:
        hint += "; flows here: " + ", ".join(f"flows/{name}" for name in flows)
    return Problem("error", f"no flow or block manifest in {folder}", Location(folder, 0), hint)
