"""Where oocana-local keeps what outlives one call, and whose those folders are.

Two roots. ``data_root()`` is in the user's home. ``tmp_root()`` is the user's own folder
in the machine's shared temporary folder, ``<tmp>/oocana-local-of-<user>`` (as pytest
keeps ``<tmp>/pytest-of-<user>``): session folders, per-flow tmp folders, the shared
plotly.js of previews and rendered run pages go there. Anyone may create a name in
``<tmp>``, so before anything is written to or read from that folder, ``own_tmp_root()``
makes sure it is this user's alone: created with mode 0700, and when it already exists, a
real folder (not a link), owned by this user, that nobody else may write to (a folder
others may only read is closed to them). Otherwise it
refuses with ``UnsafeFolderError`` rather than use a folder another user controls.

A folder the user names (``$OOCANA_TEMP_ROOT``, ``--previews``, the folder of ``--db``, a
run's ``session_dir``) may be anywhere, a link included: ``user_folder()`` creates it
(0700) if missing, then refuses it when another user could put something in it: when it,
or any folder above it, belongs to someone other than this user or root, or when others
may write to it (to a folder above it only with the sticky bit, as ``/tmp``).
"""

from __future__ import annotations

import functools
import os
import re
import stat
import tempfile
from pathlib import Path

from .errors import UnsafeFolderError

__all__ = ["data_root", "tmp_root", "own_tmp_root", "own_folder", "session_root",
           "user_folder"]

SESSIONS = "sessions"


def data_root() -> Path:
    """Data that outlives a run (package data folders, the node cache):
    ``$OOCANA_LOCAL_HOME``, else ``~/.oocana-local``."""
    env = os.environ.get("OOCANA_LOCAL_HOME")
    return Path(env) if env else Path.home() / ".oocana-local"


def _user() -> str:
    """This process's user name as a file name (its uid when it has no name)."""
    return _name_of(os.getuid() if hasattr(os, "getuid") else None)


@functools.lru_cache(maxsize=4)  # the password database is read once per uid
def _name_of(uid: int | None) -> str:
    name = ""
    try:
        import pwd

        name = pwd.getpwuid(uid).pw_name if uid is not None else ""
    except (ImportError, KeyError):  # a container's uid without a passwd entry
        pass
    if not name and uid is None:
        import getpass

        name = getpass.getuser()
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")
    return name or str(uid)


def tmp_root() -> Path:
    """``<tmp>/oocana-local-of-<user>``: only the path; ``own_tmp_root()`` before use."""
    return Path(tempfile.gettempdir()) / f"oocana-local-of-{_user()}"


def own_tmp_root() -> Path:
    """``tmp_root()``, created if missing, once it is sure to be this user's alone;
    raises ``UnsafeFolderError`` when it is not."""
    return own_folder(tmp_root())


def own_folder(path: Path) -> Path:
    """Create ``path`` (mode 0700) or check that it is a folder of this user's that no one
    else may write to (and close it to them: 0700); raises ``UnsafeFolderError``."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        try:
            os.mkdir(path, 0o700)
        except FileExistsError:  # made meanwhile: checked below like any other
            pass
        except OSError as exc:
            raise UnsafeFolderError(
                f"cannot create {path}: {exc.strerror or exc}; set TMPDIR to a folder of "
                "your own") from None
        try:
            info = os.lstat(path)
        except OSError as exc:
            raise UnsafeFolderError(f"cannot use {path}: {exc.strerror or exc}") from None
    except OSError as exc:
        raise UnsafeFolderError(f"cannot use {path}: {exc.strerror or exc}") from None
    fix = f"remove {path} (or have its owner remove it), or set TMPDIR to a folder of your own"
    if not stat.S_ISDIR(info.st_mode):
        kind = "a link" if stat.S_ISLNK(info.st_mode) else "not a folder"
        raise UnsafeFolderError(f"{path} is {kind}, so it is not used for session files: {fix}")
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UnsafeFolderError(
            f"{path} belongs to another user (uid {info.st_uid}), so it is not used for "
            f"session files: {fix}")
    if info.st_mode & 0o022:  # others could have put anything in it
        raise UnsafeFolderError(
            f"{path} may be written by other users (mode {stat.S_IMODE(info.st_mode):o}), so "
            f"it is not used for session files: run `chmod 700 {path}` if nothing in it "
            "came from someone else, or remove it")
    if info.st_mode & 0o077:  # only readable by others (a umask of 022): close it, as pytest does
        os.chmod(path, 0o700)
    return path


def session_root(*, check: bool = True) -> Path:
    """Where session folders go unless a run names one: ``<tmp root>/sessions``.
    ``check=False``: only the path (to compare with), nothing is created or checked."""
    return (own_tmp_root() if check else tmp_root()) / SESSIONS


def user_folder(path: str | os.PathLike[str], what: str) -> Path:
    """``path``, a folder the user named as ``what``, created if missing (mode 0700, missing
    folders above it as ``mkdir -p`` makes them); raises ``UnsafeFolderError`` when
    another user could put something in it (module docstring). Returns ``path``."""
    folder = Path(os.path.abspath(path))
    if not hasattr(os, "getuid"):  # no owners to check
        folder.mkdir(parents=True, exist_ok=True)
        return Path(path)
    missing = [folder]
    while not os.path.lexists(missing[-1].parent) and missing[-1].parent != missing[-1]:
        missing.append(missing[-1].parent)
    try:
        if not os.path.lexists(folder):
            _check_user_folder(missing[-1].parent, what, path, leaf=False)  # before making
            for made in reversed(missing):
                try:  # the folders above it as `mkdir -p`, but never writable by others
                    os.mkdir(made, 0o700 if made == folder else 0o755)
                except FileExistsError:  # made meanwhile (or a link planted): checked below
                    pass
        _check_user_folder(folder, what, path)
    except UnsafeFolderError:
        raise
    except OSError as exc:
        raise UnsafeFolderError(f"cannot use {what} {path}: {exc.strerror or exc}") from None
    return Path(path)


def _check_user_folder(folder: Path, what: str, named: str | os.PathLike[str], *,
                       leaf: bool = True) -> None:
    """Refuse ``folder`` unless it and the folders above it are safe (``user_folder``);
    ``leaf=False``: ``folder`` is above the one to be used (the sticky bit will do)."""
    trusted = (os.getuid(), 0)
    fix = "name a folder of your own"
    for step in (folder, *folder.parents):  # a link someone else made may point anywhere
        info = os.lstat(step)
        if stat.S_ISLNK(info.st_mode) and info.st_uid not in trusted:
            raise UnsafeFolderError(f"{what} {named} is not used: {step} is a link of uid "
                                    f"{info.st_uid}; {fix}")
    real = Path(os.path.realpath(folder))
    for step in (real, *real.parents):
        info = os.stat(step)
        mode = stat.S_IMODE(info.st_mode)
        found = f"{step} (uid {info.st_uid}, mode {mode:o})"
        last = leaf and step == real
        if last and not stat.S_ISDIR(info.st_mode):
            raise UnsafeFolderError(f"{what} {named} is not used: {step} is not a folder")
        if info.st_uid not in trusted:
            raise UnsafeFolderError(f"{what} {named} is not used: {found} belongs to "
                                    f"another user; {fix}")
        others_write = mode & 0o002 or (mode & 0o020 and info.st_gid != os.getgid())
        if others_write and (last or not mode & stat.S_ISVTX):
            raise UnsafeFolderError(f"{what} {named} is not used: other users may write to "
                                    f"{found}; run `chmod go-w {step}` if nothing in it came "
                                    f"from someone else, or {fix}")
