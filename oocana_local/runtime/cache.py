"""The node cache: reuse a task node's results when its code, manifest and inputs are unchanged.

A task job is keyed by the sha256 of (canonical JSON):

* the block manifest file's bytes (or, for an inline ``task:``, its executor fields),
* the code: the entry file's bytes (or the inline ``source``) and, for a block with a
  folder of its own, every other ``.py`` file under that folder,
* the function name, the node's effective ``inputs_def`` / ``outputs_def`` (as sent to the
  worker), the ``OOMOL_*`` environment given to the engine,
* the input values.

An entry holds what the job streamed (``BlockOutput`` / ``BlockOutputs``, in order) and its
final result. The cache is an executor around the engine's (``caching.py``): a hit
replays the entry through the job's own handler and ends in a ``cached`` outcome, so the
job is reported (``BlockStarted`` / ``BlockFinished`` with ``cached: true``) and its values
delivered exactly as a real run's.

Two tiers, keyed the same way:

* disk (``--use-cache``): one JSON file per key under ``default_cache_dir()``; only
  JSON values. A job whose inputs or outputs hold a var reference (a DataFrame kept in a
  worker) is not written: it is re-computed next time, never guessed. A corrupt entry is
  dropped with a ``BlockWarning`` and the job runs.
* memory (dev mode): lives as long as the engine and its workers, so it may hold var
  references; an entry whose values are no longer held by any worker is a miss.

Failed, crashed, timed-out and cancelled jobs are never stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import Any

from ..executor.base import Executor, Job
from ..mainframe.messages import now_ms
from ..paths import data_root
from ..redact import Redactor
from ..wire import names
from ..wire.values import VAR_TYPE, var_key

__all__ = ["NodeCache", "Memo", "default_cache_dir", "CACHE_VERSION"]

CACHE_VERSION = 1
_MAX_CODE_FILES = 500
_SKIP_DIRS = {"__pycache__", "node_modules", ".venv", "venv", ".git"}
_RECORDED = (names.BLOCK_OUTPUT, names.BLOCK_OUTPUTS)


def default_cache_dir() -> Path:
    """``$OOCANA_CACHE_DIR``, else ``~/.oocana-local/cache`` (under ``$OOCANA_LOCAL_HOME``)."""
    env = os.environ.get("OOCANA_CACHE_DIR")
    return Path(env).expanduser() if env else data_root() / "cache"


class _Uncachable(Exception):
    pass


def _reject(value: Any) -> Any:
    raise _Uncachable(type(value).__name__)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), allow_nan=False,
                      default=_reject, ensure_ascii=False)


def _refs(value: Any, found: list[str]) -> list[str]:
    """Every var reference key inside ``value`` (nested in lists and dicts too)."""
    if isinstance(value, dict):
        if value.get("__OOMOL_TYPE__") == VAR_TYPE:
            inner = value.get("value")
            found.append(var_key(value) if isinstance(inner, dict) and "key" in inner
                         else "?")
        else:
            for item in value.values():
                _refs(item, found)
    elif isinstance(value, (list, tuple)):
        for item in value:
            _refs(item, found)
    return found


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        return f"unreadable:{type(exc).__name__}"


def _code_files(folder: Path) -> list[Path]:
    files: list[Path] = []
    for root, dirs, filenames in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("."))
        files.extend(Path(root, n) for n in sorted(filenames) if n.endswith(".py"))
        if len(files) > _MAX_CODE_FILES:
            raise _Uncachable(f"more than {_MAX_CODE_FILES} .py files under {folder}")
    return files


def _code(job: Job) -> dict[str, Any]:
    spec = job.spec
    if spec.source is not None:
        return {"source": spec.source}
    code: dict[str, Any] = {}
    if spec.entry:
        code["entry"] = _file_digest(Path(spec.dir, spec.entry))
    if spec.block_path is not None:  # a block folder of its own: its helpers count too
        folder = Path(spec.dir)
        code["files"] = {str(p.relative_to(folder)): _file_digest(p)
                         for p in _code_files(folder)}
    return code


class NodeCache:
    """The cache a session consults for each task job (``Session.node_cache``).

    ``disk``: read and write entries under ``directory``. ``memory``: keep entries in
    this object too (dev mode), var references included. The memory tier keeps, per
    node, the entries used by the node's last two sessions; the var values of the entries
    it drops are freed in the workers, and the others are never freed by a session
    (``pins``, which ``ValueRefs.keep`` consults).
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None, *, disk: bool = True,
                 memory: bool = False):
        self.directory = Path(directory).expanduser() if directory else default_cache_dir()
        self.disk = disk
        self.memory: dict[str, dict[str, Any]] | None = {} if memory else None
        self.pins: dict[str, int] = {}
        """var key -> how many memory entries replay it."""
        self._users: dict[str, set[tuple[Any, ...]]] = {}  # entry key -> node identities
        self._nodes: dict[tuple[Any, ...], _NodeEntries] = {}
        self.hits = 0
        self.misses = 0
        self._freeing: set[asyncio.Task[None]] = set()

    # -- keys and entries -------------------------------------------------------------

    def key(self, job: Job) -> tuple[str, bool] | None:
        """``(key, disk_ok)``, or None when the job cannot be cached at all."""
        spec = job.spec
        try:
            inputs = _canonical(job.inputs)
            code = _code(job)
        except (_Uncachable, TypeError, ValueError, OSError):
            return None
        has_refs = bool(_refs(job.inputs, []))
        if has_refs and self.memory is None:
            return None
        manifest = _file_digest(Path(spec.block_path)) if spec.block_path is not None else None
        defs = json.dumps([spec.inputs_def, spec.outputs_def, spec.cache_identity,
                           spec.inputs_def_patch], sort_keys=True, default=repr)
        secrets = job.session.secrets_file
        head = _canonical({"v": CACHE_VERSION, "manifest": manifest, "code": code,
                           "function": spec.function, "env": job.session.env,
                           "secrets": _file_digest(Path(secrets)) if secrets else None})
        digest = hashlib.sha256()
        for part in (head, defs, inputs):
            digest.update(part.encode())
            digest.update(b"\0")
        return digest.hexdigest(), self.disk and not has_refs

    def path_of(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def open(self, job: Job) -> Memo | None:
        """The memo of one task job, or None when it cannot be cached."""
        keyed = self.key(job)
        if keyed is None:
            return None
        return Memo(self, keyed[0], keyed[1], job)

    def lookup(self, memo: Memo, executor: Executor | None
               ) -> tuple[dict[str, Any] | None, str | None]:
        """``(entry, problem)``: the entry, or None and why an entry was thrown away."""
        key = memo.key
        if self.memory is not None:
            entry = self.memory.get(key)
            if entry is not None:
                if _values_held(entry, executor):
                    self._remember(memo, entry, executor)
                    return entry, None
                for ident in list(self._users.get(key, ())):
                    self._release(key, ident, executor)
        if not memo.disk_ok:
            return None, None
        path = self.path_of(key)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None, None
        except OSError as exc:
            return None, f"cache entry {path} cannot be read ({exc}); running the block"
        try:
            entry = json.loads(text)
            _validate(entry, key)
        except (ValueError, TypeError, KeyError) as exc:
            with contextlib.suppress(OSError):
                path.unlink()
            return None, (f"cache entry {path} is corrupt ({exc}); it was removed and the "
                          f"block runs")
        if self.memory is not None:
            self._remember(memo, entry, executor)
        return entry, None

    def store(self, memo: Memo, entry: dict[str, Any], executor: Executor | None) -> bool:
        """Keep ``entry``; True when it was written to disk."""
        if self.memory is not None:
            self._remember(memo, entry, executor)
        if not memo.disk_ok or _refs([entry["events"], entry["result"]], []):
            return False
        try:
            text = _canonical(entry)
        except (_Uncachable, TypeError, ValueError):
            return False
        path = self.path_of(memo.key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp.write_text(text, encoding="utf-8")
            os.replace(tmp, path)
        except OSError:
            with contextlib.suppress(OSError):
                tmp.unlink()
            return False
        return True

    # -- the memory tier ------------------------------------------------------------------

    def _remember(self, memo: Memo, entry: dict[str, Any], executor: Executor | None) -> None:
        assert self.memory is not None
        key, ident, session = memo.key, memo.ident, memo.job.session_id
        if key not in self.memory:
            self.memory[key] = entry
            for ref in _refs([entry["events"], entry["result"]], []):
                self.pins[ref] = self.pins.get(ref, 0) + 1
        self._users.setdefault(key, set()).add(ident)
        node = self._nodes.setdefault(ident, _NodeEntries())
        if node.current != session:
            node.previous, node.current = node.current, session
            for old, used_in in list(node.keys.items()):
                if used_in not in (node.previous, node.current):
                    del node.keys[old]
                    self._release(old, ident, executor)
        node.keys[key] = session

    def _release(self, key: str, ident: tuple[Any, ...], executor: Executor | None) -> None:
        """``ident`` no longer uses entry ``key``; drop it (and free its values) if unused."""
        assert self.memory is not None
        users = self._users.get(key)
        if users is not None:
            users.discard(ident)
            if users:
                return
            del self._users[key]
        node = self._nodes.get(ident)
        if node is not None:
            node.keys.pop(key, None)
        entry = self.memory.pop(key, None)
        if entry is None:
            return
        unpinned = []
        for ref in _refs([entry["events"], entry["result"]], []):
            count = self.pins.get(ref, 0) - 1
            if count > 0:
                self.pins[ref] = count
            else:
                self.pins.pop(ref, None)
                unpinned.append(ref)
        if unpinned and executor is not None:
            with contextlib.suppress(RuntimeError):  # no running loop: nothing to free with
                loop = asyncio.get_running_loop()
                task = loop.create_task(executor.free(unpinned))
                self._freeing.add(task)
                task.add_done_callback(self._freeing.discard)

    # -- housekeeping -------------------------------------------------------------------

    def entries(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("??/*.json"))

    def clear(self) -> int:
        """Delete every disk entry; returns how many files went. (The memory tier is kept:
        its values live in the workers of a running dev session.)"""
        count = len(self.entries())
        if self.directory.is_dir():
            for child in self.directory.iterdir():
                if child.is_dir() and len(child.name) == 2:
                    shutil.rmtree(child, ignore_errors=True)
        return count


class _NodeEntries:
    """The memory entries one node (flow path + node path) used, by session."""

    __slots__ = ("previous", "current", "keys")

    def __init__(self) -> None:
        self.previous: str | None = None
        self.current: str | None = None
        self.keys: dict[str, str] = {}


class Memo:
    """One task job's dealings with the cache: the key, and what a run streams."""

    __slots__ = ("cache", "key", "disk_ok", "job", "events", "started", "ident", "executor")

    def __init__(self, cache: NodeCache, key: str, disk_ok: bool, job: Job):
        self.cache = cache
        self.key = key
        self.disk_ok = disk_ok
        self.job = job
        self.events: list[dict[str, Any]] = []
        self.started = time.perf_counter()
        self.ident = tuple((level.get("flow"), level.get("node_id")) for level in job.stacks)
        self.executor: Executor | None = None

    def save(self, result: dict[str, Any] | None) -> bool:
        spec = self.job.spec
        if self.job.masks and Redactor(self.job.masks).found_in(self.job.inputs):
            self.disk_ok = False  # inputs hold a secret an upstream block passed on
        entry = {"version": CACHE_VERSION, "key": self.key, "node_id": spec.node_id,
                 "block": spec.block_path or str(Path(spec.dir, spec.entry or "")),
                 "created_at": now_ms(),
                 "duration": round(time.perf_counter() - self.started, 6),
                 "events": self.events, "result": result}
        return self.cache.store(self, entry, self.executor)


def _validate(entry: Any, key: str) -> None:
    if not isinstance(entry, dict):
        raise TypeError("not a JSON object")
    if entry.get("version") != CACHE_VERSION or entry.get("key") != key:
        raise ValueError("wrong version or key")
    events = entry["events"]
    if not isinstance(events, list):
        raise TypeError("events is not a list")
    for event in events:
        if not isinstance(event, dict) or event.get("type") not in _RECORDED:
            raise ValueError(f"unexpected event {event!r:.80}")
        if event["type"] == names.BLOCK_OUTPUT and "handle" not in event:
            raise KeyError("handle")
        if event["type"] == names.BLOCK_OUTPUTS and not isinstance(event.get("outputs"), dict):
            raise TypeError("outputs is not an object")
    if "result" not in entry or not (entry["result"] is None or isinstance(entry["result"], dict)):
        raise TypeError("result is not an object")


def _values_held(entry: dict[str, Any], executor: Executor | None) -> bool:
    """Whether every var reference the entry would replay is still held somewhere."""
    keys = _refs([entry["events"], entry["result"]], [])
    if not keys or executor is None:
        return True
    return "?" not in keys and executor.holds(keys)
