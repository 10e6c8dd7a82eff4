"""Find a block's ``main``: write inline source to a file, import the module, re-import it
when the file changed (looked at once per run: a run's jobs share one version of a
block, and an edit takes effect in the next run, as oocana's takes effect in the next
session).

Block modules are named ``oomol_block_<stem>_<crc32 of the path>``: a dotless name, so a
finder on ``sys.meta_path`` can import one by name alone. That is how a value whose class
lives in a block module unpickles in another worker (see ``blobs.py``). Modules are compiled
from source each time they are (re)imported, never from a ``.pyc``: a file edited twice in
one second with the same size would otherwise run stale bytecode.
"""

from __future__ import annotations

import os
import sys
import zlib
from importlib.machinery import ModuleSpec
from types import ModuleType

from ..wire.errors import JobSetupError
from .environment import PerRun, run_key

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["LoadError", "load_function", "load_module", "module_name", "known_modules",
           "learn_modules", "install_finder"]

_modules: dict[str, tuple[int, int, ModuleType]] = {}
"""abs path -> (mtime_ns, size, module) of the last import."""
_paths: dict[str, str] = {}
"""module name -> abs path, for every block module this worker knows of."""
_sources: dict[str, str] = {}
"""scriptlet path -> the source this worker last wrote there."""
_looked = PerRun()
"""The block files a run has looked at (``load_module``)."""
_entries: dict[tuple[str, str], str] = {}
"""(dir, entry) -> the block file's normalised path (without a ".." to resolve)."""


class LoadError(JobSetupError):
    """The block's function cannot be found; the message is the job's error."""


def module_name(path: str) -> str:
    stem = os.path.splitext(os.path.basename(path))[0]
    safe = "".join(c if c.isalnum() or c == "_" else "_" for c in stem)
    return f"oomol_block_{safe}_{zlib.crc32(path.encode('utf-8', 'surrogateescape')):08x}"


class _SourceLoader:
    """Executes a block file from its source and records it in the module cache."""

    def __init__(self, path: str):
        self.path = path

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        stat = os.stat(self.path)
        with open(self.path, "rb") as file:
            source = file.read()
        code = compile(source, self.path, "exec", dont_inherit=True)
        exec(code, module.__dict__)
        _modules[self.path] = (stat.st_mtime_ns, stat.st_size, module)


def _spec(name: str, path: str) -> ModuleSpec:
    spec = ModuleSpec(name, _SourceLoader(path), origin=path)  # type: ignore[arg-type]
    spec.has_location = True  # the import system then sets __file__
    return spec


class _BlockFinder:
    """Imports block modules by name, e.g. when unpickling a value of a block's class."""

    @staticmethod
    def find_spec(name: str, path: Any = None, target: Any = None) -> Any:
        file = _paths.get(name)
        return _spec(name, file) if file is not None else None

    @staticmethod
    def invalidate_caches() -> None:
        pass


def install_finder() -> None:
    if _BlockFinder not in sys.meta_path:
        sys.meta_path.append(_BlockFinder)


def known_modules() -> dict[str, str]:
    return dict(_paths)


def learn_modules(paths: dict[str, str]) -> None:
    """Remember block modules another worker had, so their names import here."""
    for name, path in paths.items():
        _paths.setdefault(name, path)


def _add_to_path(folder: str, *, first: bool) -> None:
    if folder not in sys.path:
        if first:
            sys.path.insert(0, folder)
        else:
            sys.path.append(folder)


def load_module(path: str, run: str | None = None) -> ModuleType:
    """The module of a block file, imported again if the file changed since. ``run``
    (``environment.run_key``): the file is looked at once per run, and a run's jobs
    share one version of it."""
    cached = _modules.get(path)
    if cached is not None and run is not None and (run, path) in _looked:
        return cached[2]
    stat = os.stat(path)
    if run is not None:
        _looked.add((run, path))
    if cached is not None and cached[0] == stat.st_mtime_ns and cached[1] == stat.st_size:
        return cached[2]
    name = module_name(path)
    _paths[name] = path
    _add_to_path(os.path.dirname(path), first=True)
    spec = _spec(name, path)
    module = ModuleType(name)
    module.__spec__ = spec
    module.__loader__ = spec.loader
    module.__file__ = path
    previous = sys.modules.get(name)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)  # type: ignore[union-attr]
    except BaseException:
        if previous is not None:
            sys.modules[name] = previous
        else:
            sys.modules.pop(name, None)
        _modules.pop(path, None)
        raise
    return module


def _safe_file_name(node_id: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in node_id).lstrip(".")
    if safe != node_id or not safe:  # keep distinct ids apart after sanitising
        safe = f"{safe or 'node'}-{zlib.crc32(node_id.encode('utf-8')):08x}"
    return safe


def _write_scriptlet(directory: str, node_id: str, source: str) -> str:
    folder = os.path.join(directory, ".scriptlets")
    path = os.path.join(folder, _safe_file_name(node_id) + ".py")
    if _sources.get(path) == source and os.path.exists(path):
        return path
    try:
        with open(path, encoding="utf-8") as file:
            unchanged = file.read() == source
    except OSError:
        unchanged = False
    if not unchanged:  # rewriting equal text would make every other worker re-import it
        os.makedirs(folder, exist_ok=True)
        temporary = f"{path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as file:
            file.write(source)
        os.replace(temporary, path)
    _sources[path] = source
    return path


def entry_path(job: dict[str, Any]) -> tuple[str, str]:
    """(absolute path, path as the job gave it) of the block's module."""
    directory = job.get("dir") or os.getcwd()
    if job.get("source") is not None:
        path = _write_scriptlet(directory, job.get("node_id") or "none", job["source"])
        return path, path
    entry = job.get("entry") or "index.py"
    known = _entries.get((directory, entry))
    if known is not None:
        return known, entry
    path = entry if os.path.isabs(entry) else os.path.join(directory, entry)
    head, sep, tail = path.rpartition(os.sep + ".." + os.sep)
    if sep:  # ".." as the file system sees it: through a symlinked folder too
        return os.path.join(os.path.realpath(head + os.sep + ".."), os.path.normpath(tail)), entry
    path = _entries[(directory, entry)] = os.path.normpath(path)  # the same text every job
    return path, entry


def _ran_block_code(exc: BaseException) -> bool:
    """Whether the error came from the block module's own code (then its traceback shows)."""
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "<module>":
            return True
        tb = tb.tb_next
    return False


def load_function(job: dict[str, Any]) -> Any:
    """The job's callable; ``LoadError`` if the file or function is missing."""
    path, shown = entry_path(job)
    if job.get("source") is not None:
        _add_to_path(job.get("dir") or os.getcwd(), first=True)
    package_dir = job.get("package_dir")
    if package_dir:
        _add_to_path(package_dir, first=False)
    try:
        # An inline source is looked at every job: its text comes with the job.
        module = load_module(path, None if job.get("source") is not None else run_key(job))
    except FileNotFoundError as exc:
        if exc.filename == path:
            raise LoadError(f"block file not found: {path}") from None
        raise
    except OSError as exc:
        if exc.filename in (path, None) and not _ran_block_code(exc):
            raise LoadError(f"block file {path} cannot be read: {exc.strerror}") from None
        raise
    name = job.get("function") or "main"
    fn = getattr(module, name, None)
    if fn is None:
        import difflib

        functions = [n for n, v in vars(module).items()
                     if callable(v) and not n.startswith("_") and
                     getattr(v, "__module__", None) == module.__name__]
        close = difflib.get_close_matches(name, functions, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else (
            f"; it defines {', '.join(functions)}" if functions else "")
        raise LoadError(f"function {name} not found in {path}{hint}")
    if not callable(fn):
        raise LoadError(f"{name} is not a function in {path}")
    return fn
