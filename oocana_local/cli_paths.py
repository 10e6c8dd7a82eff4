"""What a user may name on the command line besides a flow or block folder.

* a path that does not exist: the error suggests the closest sibling
  (``blocks/gret`` -> ``blocks/greet``);
* a block's Python file (``blocks/x/main.py``): the block whose entry that file is runs;
  any other Python file is refused with a pointer to the block folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .errors import UsageError

__all__ = ["missing_path_message", "block_of_entry"]

_MANIFESTS = ("block.oo.yaml", "block.oo.yml", "task.oo.yaml", "task.oo.yml")


def missing_path_message(path: Path) -> str:
    """``blocks/gret does not exist; did you mean blocks/greet?``"""
    text = f"{path} does not exist"
    parent = path.parent if str(path.parent) else Path(".")
    try:
        names = [e.name for e in os.scandir(parent) if not e.name.startswith(".")]
    except OSError:
        return text
    import difflib  # only on this error path

    close = difflib.get_close_matches(path.name, names, n=3, cutoff=0.6)
    if close:
        shown = [str(parent / name) if str(path.parent) not in ("", ".") else name
                 for name in close]
        text += f"; did you mean {' or '.join(shown)}?"
    return text


def block_of_entry(path: Path, load: Callable[[Path], Any]) -> Path:
    """The block folder whose python entry is ``path`` (a ``.py`` file)."""
    folder = path.resolve().parent
    for candidate in (folder, folder.parent):
        if not any((candidate / m).is_file() for m in _MANIFESTS):
            continue
        block = load(candidate)
        entry = getattr(block, "entry", None)
        if entry and (Path(block.dir) / entry).resolve() == path.resolve():
            return candidate
    raise UsageError(f"{path} is a Python file, not a block or flow; run the block whose "
                     "entry it is by its folder (the one with block.oo.yaml), e.g. "
                     f"oocana-local run {path.parent}")
