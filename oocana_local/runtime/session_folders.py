"""Session folders do not pile up.

A run writes its files (saved previews, ``oomol/bin`` outputs, whatever blocks put in
``context.session_dir``) to ``<tmp>/oocana-local-of-<user>/sessions/<session id>/``
(``paths.session_root``, a folder of this user's alone). The rule:

* when a run ends, its folder is marked finished;
* when a run starts, finished folders beyond the ``OOCANA_KEEP_SESSIONS`` most recent
  (default 10) are deleted, except those kept with ``--keep-session``; a folder never
  marked finished (its run was killed) is deleted once it is a day old;
* plotly.js, which plotly previews load, is stored once beside it, in
  ``<tmp>/oocana-local-of-<user>/shared/``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from pathlib import Path

from ..paths import session_root

__all__ = ["session_root", "begin", "finish", "keep", "prune", "KEEP_DEFAULT", "LOCK"]

KEEP_DEFAULT = 10
_FINISHED = ".finished"  # <root>/.finished/<session id>: one empty file per finished run
_KEPT = ".keep"  # inside a kept session folder
LOCK = ".oocana-local.lock"  # inside a session folder a run uses (``Session.claim``)
_SWEPT = ".swept"  # <root>/.swept: when leftovers of killed runs were last looked for
_STALE = 24 * 3600.0  # seconds after which an unfinished folder is a leftover


def _kept_count() -> int:
    try:
        return max(0, int(os.environ.get("OOCANA_KEEP_SESSIONS", KEEP_DEFAULT)))
    except ValueError:
        return KEEP_DEFAULT


def begin(folder: Path) -> None:
    """A run starts in ``folder``: it is not finished (a reused session id), and older
    folders beyond the rule go. Cheap: it reads only the index of finished runs (and,
    once a day, the whole root for leftovers)."""
    root = folder.parent
    if root != session_root(check=False):
        return
    with contextlib.suppress(OSError):
        (root / _FINISHED / folder.name).unlink()
    prune(root)


def finish(folder: Path) -> None:
    """The run of ``folder`` ended; a run that wrote nothing has no folder to mark."""
    if folder.parent == session_root(check=False) and folder.is_dir():
        mark = folder.parent / _FINISHED / folder.name
        with contextlib.suppress(OSError):
            try:
                _touch(mark)
            except FileNotFoundError:  # the first mark of the index
                mark.parent.mkdir(exist_ok=True)
                _touch(mark)


def _touch(path: Path) -> None:
    """``path`` exists, modified now (its time orders the index), in two calls."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600))


def keep(folder: Path) -> None:
    """Never delete ``folder`` (``--keep-session``)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _KEPT).touch()


def prune(root: Path | None = None, *, now: float | None = None) -> list[Path]:
    """Delete the session folders the rule gives up; returns them."""
    root = root or session_root()
    now = time.time() if now is None else now
    index = root / _FINISHED
    finished: list[tuple[float, str]] = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(index):
            with contextlib.suppress(OSError):
                finished.append((entry.stat().st_mtime, entry.name))
    finished.sort(reverse=True)
    removed = []
    for _, name in finished[_kept_count():]:
        folder = root / name
        if _remove(folder):
            removed.append(folder)
        with contextlib.suppress(OSError):
            (index / name).unlink()
    return removed + _sweep(root, now, {name for _, name in finished})


def _remove(folder: Path) -> bool:
    """Delete a session folder unless it is kept. Most hold only their lock file: two
    calls remove them (the file operations of ``rmtree`` count at every run start)."""
    with contextlib.suppress(OSError):
        os.unlink(folder / LOCK)
    try:
        os.rmdir(folder)
        return True
    except FileNotFoundError:
        return True
    except OSError:  # not empty (or kept: its ``.keep`` file stays)
        pass
    if (folder / _KEPT).exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def _sweep(root: Path, now: float, finished: set[str]) -> list[Path]:
    """Once a day: folders of runs that never finished (killed), a day old."""
    stamp = root / _SWEPT
    try:
        if now - stamp.stat().st_mtime < _STALE:
            return []
    except FileNotFoundError:
        pass
    except OSError:
        return []
    with contextlib.suppress(OSError):
        stamp.touch()
    removed = []
    with contextlib.suppress(OSError):
        for entry in os.scandir(root):
            if entry.name.startswith(".") or entry.name in finished:
                continue
            with contextlib.suppress(OSError):
                if (entry.is_dir(follow_symlinks=False) and
                        now - entry.stat().st_mtime > _STALE and
                        not os.path.exists(os.path.join(entry.path, _KEPT))):
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(Path(entry.path))
    return removed
