"""What a server may run: the flows and blocks found under its paths, by public name.

A block is ``<package name>::<block folder>``, a flow is its folder name. Requests name a
target only through this table, so nothing outside the served folders (an absolute path,
``../x``, another package) can ever be loaded.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..manifest.files import abspath, file_kind, walk_manifests
from ..manifest.packages import Packages
from ..manifest.problems import Problem

__all__ = ["Catalog", "Entry", "TEST_FOLDERS"]

TEST_FOLDERS = frozenset({"tests"})
"""Folders a server skips below its paths unless asked (``serve --include-tests``): a
package's test fixtures are not its flows."""


@dataclass(frozen=True)
class Entry:
    name: str
    kind: Literal["flow", "block"]
    manifest: Path
    package: str
    version: str | None


class Catalog:
    """Flows and blocks under ``roots``; rescanned on a miss, at most every
    ``rescan_after`` seconds (so files added while serving are found)."""

    def __init__(self, roots: Sequence[str | Path], rescan_after: float = 1.0, *,
                 include_tests: bool = False):
        self.roots = [abspath(r) for r in roots]
        self.rescan_after = rescan_after
        self.skip = frozenset() if include_tests else TEST_FOLDERS
        self.problems: list[Problem] = []
        """Errors in the package manifests found (unreadable, not YAML, invalid)."""
        self._entries: dict[str, Entry] = {}
        self._packages: dict[str, tuple[str | None, Path]] = {}
        self._scanned = 0.0
        self.duplicates: list[tuple[str, Path, Path]] = []
        """``(name, manifest, served manifest)``: not served, an earlier one has the name."""
        self.scan()

    def scan(self) -> None:
        packages = Packages()
        entries: dict[str, Entry] = {}
        duplicates: list[tuple[str, Path, Path]] = []
        found_packages: dict[str, tuple[str | None, Path]] = {}
        problems: list[Problem] = []
        for root in self.roots:
            files = [root] if root.is_file() else walk_manifests(root, self.skip)
            for file in files:
                kind = file_kind(file)
                if kind == "package":
                    info, found = packages.info(file.parent)
                    problems += [p for p in found if p.severity == "error"]
                    if info is not None:
                        found_packages.setdefault(info.name, (info.version, file.parent))
                    continue
                if kind not in ("flow", "task"):
                    continue
                info, _ = packages.owner(file.parent)
                if kind == "flow":
                    name = file.parent.name
                else:
                    name = f"{info.name}::{file.parent.name}"
                if name in entries:
                    duplicates.append((name, file, entries[name].manifest))
                    continue
                entries[name] = Entry(name=name, kind="flow" if kind == "flow" else "block",
                                      manifest=file, package=info.name, version=info.version)
        self._entries = entries
        self.duplicates = duplicates
        self.problems = problems
        self._packages = found_packages
        self._scanned = time.monotonic()

    def get(self, name: str) -> Entry | None:
        """The entry called exactly ``name``; a three-part applet name uses its first two."""
        if name.count("::") == 2:
            name = "::".join(name.split("::")[:2])
        entry = self._entries.get(name)
        if entry is None and time.monotonic() - self._scanned >= self.rescan_after:
            self.scan()
            entry = self._entries.get(name)
        return entry

    def flows(self) -> list[Entry]:
        return [e for e in self._entries.values() if e.kind == "flow"]

    def blocks(self) -> list[Entry]:
        return [e for e in self._entries.values() if e.kind == "block"]

    def packages(self) -> dict[str, tuple[str | None, Path]]:
        return dict(self._packages)
