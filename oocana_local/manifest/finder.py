"""Turn a block reference into a manifest file (engine reference §1.7).

Forms, tried as the engine does:

* ``self::name``   the flow's own package: the flow folder's grandparent
                   (``<pkg>/flows/x/flow.oo.yaml`` -> ``<pkg>``); the nearest folder with a
                   package.oo.yaml is tried too when it differs.
* ``/abs/path``    that folder or file.
* ``./x``, ``../x`` relative to the flow folder; a folder or a file.
* ``pkg::name``    ``<search path>/<pkg>[-<version>]/...`` for each search path, then the
                   same under the flow folder; the version is the one pinned in the flow's
                   package ``dependencies``, else the highest present.
* anything else    "direct": each search path first, then the flow folder; a folder or a file.

A task is ``blocks/<name>/block.oo.yaml`` then ``tasks/<name>/task.oo.yaml``; a subflow is
``subflows/<name>/subflow.oo.yaml``; a slotflow ``slotflows/<name>/slotflow.oo.yaml``; a
service ``services/<name>/service.oo.yaml`` then ``blocks/<name>/service.oo.yaml``;
``.oo.yaml`` is tried before ``.oo.yml``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .packages import Packages, split_versioned
from .problems import Problem
from .resolved import Location, PackageInfo

__all__ = [
    "Finder",
    "Lookup",
    "Kind",
    "MANIFEST_SUFFIXES",
    "LAYOUTS",
    "not_found",
    "not_found_anywhere",
]

Kind = Literal["task", "subflow", "slotflow", "service"]

MANIFEST_SUFFIXES = (".oo.yaml", ".oo.yml")
LAYOUTS: dict[str, tuple[tuple[str, str], ...]] = {
    # kind -> ((folder in a package, manifest file prefix), ...) in the order tried
    "task": (("blocks", "block"), ("tasks", "task")),
    "subflow": (("subflows", "subflow"),),
    "slotflow": (("slotflows", "slotflow"),),
    "service": (("services", "service"), ("blocks", "service")),
}


@dataclass
class Lookup:
    """The outcome of resolving one reference."""

    ref: str
    kind: Kind
    path: Path | None
    searched: list[Path] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    """Close matches among references that do exist (filled only when not found)."""

    @property
    def found(self) -> bool:
        return self.path is not None

    @property
    def what(self) -> str:
        return "task block" if self.kind == "task" else self.kind


class Finder:
    """Resolves references against the search paths; results are memoized until ``reset()``."""

    def __init__(self, search_paths: Sequence[Path], packages: Packages):
        self.search_paths = tuple(search_paths)
        self.packages = packages
        self._memo: dict[tuple[str, str, Path, Path | None], Lookup] = {}

    def reset(self) -> None:
        self._memo.clear()

    def find(
        self, ref: str, kind: Kind, base_dir: Path, package: PackageInfo | None = None
    ) -> Lookup:
        """Find ``ref`` (a task or subflow) for a flow in ``base_dir`` owned by ``package``."""
        key = (ref, kind, base_dir, package.dir if package else None)
        lookup = self._memo.get(key)
        if lookup is None:
            lookup = self._find(ref, kind, base_dir, package)
            self._memo[key] = lookup
        return lookup

    def _find(self, ref: str, kind: Kind, base_dir: Path, package: PackageInfo | None) -> Lookup:
        candidates = self._candidates(ref, kind, base_dir, package)
        searched = list(dict.fromkeys(candidates))  # in order, each once
        for candidate in searched:
            if candidate.is_file():
                return Lookup(ref, kind, candidate, searched)
        return Lookup(ref, kind, None, searched, self._suggest(ref, kind, base_dir, package))

    def _candidates(
        self, ref: str, kind: Kind, base_dir: Path, package: PackageInfo | None
    ) -> list[Path]:
        if ref.startswith("self::"):
            name = ref[len("self::") :]
            return [
                c for r in self._self_roots(base_dir, package) for c in _in_package(r, name, kind)
            ]
        if os.path.isabs(ref):
            return _dir_or_file(Path(ref), kind)
        if ref.startswith(_RELATIVE):
            return _dir_or_file(_relative(base_dir, ref), kind)
        if _is_package_ref(ref):
            pkg, name = _split_package_ref(ref)
            pin = package.dependencies.get(pkg) if package else None
            candidates = []
            for root in (*self.search_paths, base_dir):
                dirs = self.packages.package_dirs(root, pkg, pin)
                for pkg_dir in dirs or [root / (f"{pkg}-{pin}" if pin else pkg)]:
                    candidates += _in_package(pkg_dir, name, kind)
            return candidates
        return [
            c for root in (*self.search_paths, base_dir) for c in _dir_or_file(root / ref, kind)
        ]

    def _suggest(
        self, ref: str, kind: Kind, base_dir: Path, package: PackageInfo | None
    ) -> list[str]:
        """Close matches among the references that would have worked."""
        import difflib  # only for a did-you-mean

        if ref.startswith("self::"):
            roots = self._self_roots(base_dir, package)
            names = [n for r in roots for n in _block_names(r, kind)]
            return _close("self::", ref[len("self::") :], names)
        if os.path.isabs(ref):
            return _close_siblings(Path(ref), ref)
        if ref.startswith(_RELATIVE):
            return _close_siblings(_relative(base_dir, ref), ref)
        roots = [*self.search_paths, base_dir]
        if _is_package_ref(ref):
            pkg, name = _split_package_ref(ref)
            pin = package.dependencies.get(pkg) if package else None
            pkg_dirs = [d for root in roots for d in self.packages.package_dirs(root, pkg, pin)]
            if pkg_dirs:  # the package is there, the block is not
                names = [n for d in pkg_dirs for n in _block_names(d, kind)]
                return _close(f"{pkg}::", name, names)
            known = {split_versioned(n)[0] for root in roots for n in self.packages.names(root)}
            return [f"{p}::{name}" for p in difflib.get_close_matches(pkg, sorted(known), n=3)]
        matches = [m for root in roots for m in _close_siblings(root / ref, ref)]
        return list(dict.fromkeys(matches))[:3]

    def _self_roots(self, base_dir: Path, package: PackageInfo | None) -> list[Path]:
        roots = [base_dir.parent.parent]
        if package is not None and package.dir not in roots and package.name != "workspace":
            roots.append(package.dir)
        return roots


_RELATIVE = ("./", "../", ".\\", "..\\")


def _split_package_ref(ref: str) -> tuple[str, str]:
    pkg, _, rest = ref.partition("::")
    return pkg, rest.split("::", 1)[0]  # a third part names a service's block


def _is_package_ref(ref: str) -> bool:
    pkg, sep, rest = ref.partition("::")
    return bool(sep and pkg and rest.split("::", 1)[0])


def _in_package(root: Path, name: str, kind: Kind) -> list[Path]:
    return [
        root / folder / name / f"{prefix}{suffix}"
        for folder, prefix in LAYOUTS[kind]
        for suffix in MANIFEST_SUFFIXES
    ]


def _dir_or_file(path: Path, kind: Kind) -> list[Path]:
    if path.name.endswith(MANIFEST_SUFFIXES):
        return [path]
    return [
        path / f"{prefix}{suffix}" for _, prefix in LAYOUTS[kind] for suffix in MANIFEST_SUFFIXES
    ]


def _block_names(pkg_root: Path, kind: Kind) -> list[str]:
    names: list[str] = []
    for folder, _ in LAYOUTS[kind]:
        names += _subdirs(pkg_root / folder)
    return names


def _subdirs(folder: Path) -> list[str]:
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.is_dir() and not e.name.startswith(".")]
    except OSError:
        return []


def _relative(base_dir: Path, ref: str) -> Path:
    """``base_dir/ref`` with ``..`` resolved as the file system does: through a symlinked
    folder, ``..`` is the parent of the folder the link points to."""
    parts = Path(ref).parts
    if ".." not in parts:
        return Path(os.path.normpath(base_dir / ref))
    last = len(parts) - parts[::-1].index("..")
    head = os.path.realpath(base_dir.joinpath(*parts[:last]))
    return Path(os.path.normpath(Path(head).joinpath(*parts[last:])))


def _close_siblings(path: Path, ref: str) -> list[str]:
    """Folders beside ``path`` whose names are close to it (what a typo could have meant)."""
    import difflib  # only for a did-you-mean

    matches = difflib.get_close_matches(path.name, _subdirs(path.parent), n=3)
    prefix = ref[: len(ref) - len(path.name)] if ref.endswith(path.name) else ""
    return [prefix + m for m in matches]


def _close(prefix: str, name: str, names: list[str]) -> list[str]:
    import difflib  # only for a did-you-mean

    return [prefix + m for m in difflib.get_close_matches(name, sorted(set(names)), n=3)]


def not_found(lookup: Lookup, at: Location, node_id: str, ignored: bool, other: Lookup) -> Problem:
    """A node's reference that resolves to nothing (``other``: the same ref as the other kind)."""
    hint = ""
    if other.path is not None:
        hint += (
            f"{lookup.ref!r} is a {other.what} ({other.path}): write `{other.kind}: {lookup.ref}`. "
        )
    hint += _did_you_mean(lookup.suggestions) + _searched(lookup.searched)
    return Problem(
        "warning" if ignored else "error",
        f"node {node_id!r}: cannot find {lookup.what} {lookup.ref!r}"
        + (" (the node is ignored)" if ignored else ""),
        at,
        hint,
    )


def not_found_anywhere(ref: str, lookups: list[Lookup]) -> Problem:
    """A ``run_block`` reference that is none of the kinds tried."""
    suggestions = list(dict.fromkeys(s for lookup in lookups for s in lookup.suggestions))
    return Problem(
        "error",
        f"cannot find {' or '.join(lk.what for lk in lookups)} {ref!r}",
        None,
        _did_you_mean(suggestions) + _searched([p for lk in lookups for p in lk.searched]),
    )


def _did_you_mean(suggestions: list[str]) -> str:
    return "did you mean " + " or ".join(map(repr, suggestions)) + "? " if suggestions else ""


def _searched(paths: list[Path]) -> str:
    return "searched:\n      " + "\n      ".join(map(str, paths))
