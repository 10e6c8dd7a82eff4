"""The scratch folders of a run (``context.tmp_dir``): one per flow, named as oocana names
them, ``<root>/<flow folder name>-<hash8>`` (root: ``$OOCANA_TEMP_ROOT`` or ``tmp/`` in the
user's own temporary folder, ``paths.own_tmp_root``).

A run that completes removes the folders it used. A run that fails or is cancelled keeps
them for the user to look into; the next run of the flow moves such a folder to
``<name>.failed`` (replacing an older one) and starts with an empty folder, so a block
that writes a fixed name there does not fail because an earlier run failed.

Runs of the same flow at once (the server, two terminals) share the folder: each holds a
shared ``flock`` on ``<root>/.<name>.lock`` while it runs, and a folder is removed or
moved only by a run that can take that lock alone. It is renamed under the lock and
deleted after, so a run starting meanwhile gets a fresh one.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
from pathlib import Path
from typing import IO

__all__ = ["TmpDirs"]


class TmpDirs:
    def __init__(self, root: Path):
        self.root = root
        self._folders: dict[Path, Path] = {}
        self._locks: dict[Path, IO[bytes]] = {}

    def folder(self, flow_path: Path) -> Path:
        """The scratch folder of the flow at ``flow_path``, held by this run from now on."""
        folder = self._folders.get(flow_path)
        if folder is None:
            digest = hashlib.sha256(str(flow_path.parent).encode()).hexdigest()[:8]
            folder = self._folders[flow_path] = \
                self.root / f"{flow_path.parent.name}-{digest}"
            if folder not in self._locks:
                lock = _open_lock(folder)
                if lock is not None:
                    self._locks[folder] = lock
                    _claim(folder, lock)
        return folder

    def close(self, *, succeeded: bool) -> list[Path]:
        """The run ended: on success take the folders no other run holds out of the way
        (renamed). Returns what is left to delete (``remove``): a folder holding only
        empty folders (what a worker makes for a run) is deleted here already."""
        doomed = []
        for folder, lock in self._locks.items():
            try:
                if succeeded and folder.exists():
                    with contextlib.suppress(OSError):
                        # Alone, or another run holds it: then it stays for that run.
                        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                        trash = folder.with_name(f".{folder.name}.{os.urandom(4).hex()}.gone")
                        folder.rename(trash)
                        if not _remove_empty(trash):
                            doomed.append(trash)
            finally:
                lock.close()  # drops the lock
        self._locks.clear()
        return doomed

    @staticmethod
    def remove(doomed: list[Path]) -> None:
        """Delete what ``close`` left: blocking file work, to run off the event loop."""
        for trash in doomed:
            shutil.rmtree(trash, ignore_errors=True)


def _remove_empty(folder: Path) -> bool:
    """Delete ``folder`` if it holds only empty folders; False (it stays) otherwise."""
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if not entry.is_dir(follow_symlinks=False):
                    return False
                os.rmdir(entry.path)
        os.rmdir(folder)
    except OSError:
        return False
    return True


def _claim(folder: Path, lock: IO[bytes]) -> None:
    """Hold ``folder`` for this run. Found there with no run holding it, it is what a
    failed run left: it moves to ``<name>.failed`` (replacing the one before), so this run
    starts with an empty folder and the failure's files can still be looked into."""
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # another run of the flow is using it: share it
    else:
        if folder.exists():
            kept = folder.with_name(f"{folder.name}.failed")
            with contextlib.suppress(OSError):
                shutil.rmtree(kept, ignore_errors=True)
                folder.rename(kept)
    fcntl.flock(lock.fileno(), fcntl.LOCK_SH)


def _open_lock(folder: Path) -> IO[bytes] | None:
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        return open(folder.with_name(f".{folder.name}.lock"), "ab")  # noqa: SIM115
    except OSError:  # a root we cannot write: the blocks will say so; nothing to clean
        return None
