"""Package folders: reading ``package.oo.yaml``, and finding ``<pkg>`` / ``<pkg>-<version>``
folders in a search path (engine reference §1.2)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from .problems import Problem
from .resolved import PackageInfo
from .schema import validate_model
from .yamlload import read_yaml

__all__ = ["Packages", "split_versioned", "version_key", "PACKAGE_FILES"]

PACKAGE_FILES = ("package.oo.yaml", "package.oo.yml")

_VERSIONED = re.compile(r"(?P<name>.+?)-(?P<version>\d+(?:\.\d+)*(?:[-+][0-9A-Za-z.+-]*)?)")
_NUMERIC = re.compile(r"(\d+(?:\.\d+)*)(.*)")


def split_versioned(dirname: str) -> tuple[str, str | None]:
    """``merge-two-0.0.1`` -> (``merge-two``, ``0.0.1``); ``merge`` -> (``merge``, None)."""
    match = _VERSIONED.fullmatch(dirname)
    if match:
        return match["name"], match["version"]
    return dirname, None


def version_key(version: str) -> tuple[tuple[int, ...], int, str]:
    """Sort key: numeric parts compared as numbers; a pre-release sorts before its release."""
    match = _NUMERIC.match(version)
    if not match:
        return ((), 0, version)
    numbers = [int(part) for part in match[1].split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:  # 1.0 == 1.0.0
        numbers.pop()
    rest = match[2]
    return (tuple(numbers), 0 if rest else 1, rest)


class Packages:
    """Cached knowledge about package folders; ``reset()`` when files may have changed."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._info: dict[Path, tuple[PackageInfo | None, list[Problem]]] = {}
        self._nearest: dict[Path, Path | None] = {}
        self._index: dict[Path, dict[str, list[tuple[str | None, Path]]]] = {}
        self._by_manifest_name: dict[Path, dict[str, list[tuple[str | None, Path]]]] = {}

    def manifest_file(self, pkg_dir: Path) -> Path | None:
        for name in PACKAGE_FILES:
            candidate = pkg_dir / name
            if candidate.is_file():
                return candidate
        return None

    def info(self, pkg_dir: Path) -> tuple[PackageInfo | None, list[Problem]]:
        """The package whose root is ``pkg_dir`` (None if it has no package.oo.yaml)."""
        cached = self._info.get(pkg_dir)
        if cached is not None:
            return cached
        file = self.manifest_file(pkg_dir)
        result: tuple[PackageInfo | None, list[Problem]]
        if file is None:
            result = (None, [])
        else:
            dir_name, dir_version = split_versioned(pkg_dir.name)
            doc, problems = read_yaml(file)
            raw = None
            if doc is not None:
                raw, errors = validate_model("RawPackage", doc, "package", allow_empty=True)
                problems += errors
            info = PackageInfo(
                name=(raw.name if raw and raw.name else dir_name),
                dir=pkg_dir,
                version=(raw.version if raw and raw.version else dir_version),
                dependencies=dict(raw.dependencies or {}) if raw else {},
            )
            result = (info, problems)
        self._info[pkg_dir] = result
        return result

    def nearest_root(self, start: Path) -> Path | None:
        """The closest folder at or above ``start`` that holds a package.oo.yaml."""
        seen: list[Path] = []
        here: Path | None = start
        found: Path | None = None
        while here is not None:
            if here in self._nearest:
                found = self._nearest[here]
                break
            seen.append(here)
            if self.manifest_file(here) is not None:
                found = here
                break
            parent = here.parent
            here = None if parent == here else parent
        for path in seen:
            self._nearest[path] = found
        return found

    def owner(self, manifest_dir: Path) -> tuple[PackageInfo, list[Problem]]:
        """The package a manifest belongs to; else its workspace (the folder's grandparent)."""
        root = self.nearest_root(manifest_dir)
        if root is not None:
            info, problems = self.info(root)
            if info is not None:
                return info, problems
        return PackageInfo(name="workspace", dir=manifest_dir.parent.parent), []

    def package_dirs(self, root: Path, name: str, pin: str | None) -> list[Path]:
        """Folders of package ``name`` in ``root``, best first: the pinned or highest version,
        then an unversioned ``<name>`` folder."""
        entries = self._entries(root).get(name)
        if not entries:
            entries = self._entries_by_manifest_name(root).get(name, [])
        if pin is not None:
            chosen = [d for v, d in entries if v is not None and version_key(v) == version_key(pin)]
        else:
            versioned = [(v, d) for v, d in entries if v is not None]
            chosen = [max(versioned, key=lambda e: version_key(e[0]))[1]] if versioned else []
        return chosen + [d for v, d in entries if v is None]

    def versions(self, root: Path, name: str) -> list[str]:
        return sorted(
            (v for v, _ in self._entries(root).get(name, []) if v is not None), key=version_key
        )

    def names(self, root: Path) -> list[str]:
        return sorted(self._entries(root))

    def _entries(self, root: Path) -> dict[str, list[tuple[str | None, Path]]]:
        index = self._index.get(root)
        if index is None:
            index = {}
            for dirname in _subdirs(root):
                name, version = split_versioned(dirname)
                index.setdefault(name, []).append((version, root / dirname))
                if version is not None:  # `lib-2` may also be a package literally named so
                    index.setdefault(dirname, []).append((None, root / dirname))
            self._index[root] = index
        return index

    def _entries_by_manifest_name(self, root: Path) -> dict[str, list[tuple[str | None, Path]]]:
        # A folder may be named unlike its package (a git checkout): read the manifests.
        index = self._by_manifest_name.get(root)
        if index is None:
            index = {}
            for dirname in _subdirs(root):
                info, _ = self.info(root / dirname)
                if info is not None and info.name:
                    index.setdefault(info.name, []).append((info.version, root / dirname))
            self._by_manifest_name[root] = index
        return index


def _subdirs(root: Path) -> list[str]:
    try:
        with os.scandir(root) as entries:
            return sorted(e.name for e in entries if e.is_dir() and not e.name.startswith("."))
    except OSError:
        return []
