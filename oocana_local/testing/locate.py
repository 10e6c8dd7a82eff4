"""Find a block or flow from a test: a folder, a manifest file, or ``self::name`` /
``pkg::name``, seen from the test's folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from types import FrameType
from typing import Any

from ..errors import UsageError

__all__ = ["caller_dir", "package_root", "resolve_path", "is_ref", "resolve_block"]

_HERE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_dir() -> Path:
    """The folder of the first calling file outside this package (the test file)."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_HERE):
        frame = frame.f_back
    if frame is None or frame.f_code.co_filename.startswith("<"):
        return Path.cwd()
    return Path(frame.f_code.co_filename).resolve().parent


def package_root(start: str | os.PathLike[str]) -> Path | None:
    """The nearest folder holding a ``package.oo.yaml``, from ``start`` upward."""
    folder = Path(start).resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        if (candidate / "package.oo.yaml").is_file() or (candidate / "package.oo.yml").is_file():
            return candidate
    return None


def resolve_path(path: str | os.PathLike[str], base: Path | None = None) -> Path:
    """A relative path is tried against the test's folder, its package root, then the
    current directory."""
    path = Path(path)
    if path.is_absolute():
        return path
    base = base or caller_dir()
    candidates = [base / path]
    root = package_root(base)
    if root is not None:
        candidates.append(root / path)
    candidates.append(Path.cwd() / path)
    for candidate in candidates:
        if candidate.exists():
            return candidate.resolve()
    tried = "\n  ".join(str(c) for c in dict.fromkeys(candidates))
    raise UsageError(f"{path} does not exist; tried:\n  {tried}")


def is_ref(target: Any) -> bool:
    return isinstance(target, str) and "::" in target


def resolve_block(target: Any, *, base: Path | None = None, loader: Any = None) -> Any:
    """The ``TaskBlock`` for a block folder, a ``block.oo.yaml``, or ``self::name`` /
    ``pkg::name`` (seen from the package holding ``base``, the test's folder by default)."""
    from ..manifest.loader import Loader
    from ..manifest.resolved import TaskBlock

    base = base or caller_dir()
    loader = loader or Loader()
    if is_ref(target):
        root = package_root(base) or base
        return loader.resolve_task(target, root)
    block = loader.load(resolve_path(target, base))
    if not isinstance(block, TaskBlock):
        raise UsageError(f"{target} is a flow, not a block; use run_flow")
    return block
