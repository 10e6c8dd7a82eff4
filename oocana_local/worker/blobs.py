"""Pickled copies of stored values, for moving a value to another worker.

A blob is two pickles (protocol 5) back to back: a small header, then the value. The
header names the block modules this worker knows (``{module name: file}``), so a value
whose class lives in a block module unpickles in a worker that never ran the block.

Large buffers (numpy arrays, the blocks of a pandas DataFrame, ``bytearray``, anything
exposing ``PickleBuffer``) are pickled out of band: they are written once, side by side
(64-byte aligned), into one file in shared memory (``/dev/shm``), and the header lists
the file and each buffer's offset and length. The blob itself stays small, so the socket
only carries a few hundred bytes. The receiver maps the file copy-on-write and unpickles
with ``buffers=`` views of the mapping: no copy on the way in, and writes to its arrays
never reach the file. It unlinks the file once mapped (the mapping lives on) unless the
header says ``keep`` (a parked blob the engine may hand out again; the engine unlinks it).

In a worker (``start_arena``), the buffers go instead into one of the worker's reusable
segments (``arena.py``): rewriting pages already faulted in is an order of magnitude
cheaper than filling a fresh file. The header then also carries the segment's ticket; the
receiver copies the buffers out into fresh private memory (its value never refers to the
segment, which the producer will reuse) and marks the segment free. The engine hands a
claim (``blob_claim``) to ``release`` once the receiving job ended: a segment nobody read
is unlinked there. Kept blobs always get a one-off file.

Files are named ``<OOCANA_LOCAL_SHM_PREFIX><pid>-<n>`` (segments ``...<pid>-s<n>``), the
prefix being the namespace of the engine whose worker made them,
``oocana-local-<engine pid>-<token>-``: each worker pool draws its own token
(``new_namespace``), so the engine removes whatever its crashed workers left behind
(``sweep``, ``sweep_arena``) without touching the values of another engine in the same
process, and a later engine removes the files of an engine that is gone (``sweep_dead``).
Whether it is gone is told by its lock file, ``<namespace>lock``, which the engine's
process holds (``flock``) from ``new_namespace`` to ``sweep(namespace)`` or its end: a pid
the system gave to another process since does not keep a dead engine's files. A namespace
without a lock file falls back to whether its pid runs. A blob without the header (a plain
pickle) loads too.
"""

from __future__ import annotations

import io
import os
import pickle

from . import loader

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dump", "load", "blob_file", "blob_claim", "release", "shm_dir", "shm_prefix",
           "new_namespace", "process_prefix", "sweep", "sweep_dead", "sweep_arena", "segment_state", "unlink", "start_arena", "use_arena",
           "close_arena", "OUT_OF_BAND_MIN"]

_MARK = "__oocana_blob__"
OUT_OF_BAND_MIN = 1 << 16
"""Buffers smaller than this stay inside the pickle."""
_ALIGN = 64
_HUGE = 1 << 22  # received buffers this large ask for transparent huge pages
_counter = 0
_arena: Any = None  # this worker's ``arena.Arena``, once ``start_arena`` ran
_ROOT = "oocana-local-"
_own: tuple[int, str] | None = None  # (pid, namespace) of a process no engine named one for
_LOCK = "lock"  # ``<namespace>lock``: held by the process of the engine that owns the namespace
_locks: dict[str, int] = {}  # namespace: the descriptor holding its lock, in this process


def shm_dir() -> str:
    configured = os.environ.get("OOCANA_LOCAL_SHM_DIR")
    if configured:
        return configured
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    import tempfile

    return tempfile.gettempdir()


def process_prefix(pid: int | None = None) -> str:
    """The start of every namespace of the engines in process ``pid`` (default: this one)."""
    return f"{_ROOT}{os.getpid() if pid is None else pid}-"


def new_namespace() -> str:
    """A fresh namespace for one engine's files: ``oocana-local-<pid>-<token>-``, its lock
    held by this process until ``sweep(namespace)``."""
    namespace = f"{process_prefix()}{os.urandom(4).hex()}-"
    _hold(namespace)
    return namespace


def _hold(namespace: str) -> None:
    """Lock ``<namespace>lock`` for this process. The file is locked under another name,
    then renamed: a sweep never sees the lock file before it is held."""
    try:
        import fcntl
    except ImportError:  # no flock here: the pid rule alone
        return
    path = os.path.join(shm_dir(), namespace + _LOCK)
    staging = f"{path}-new"
    try:
        fd = os.open(staging, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(staging, path)
    except OSError:
        os.close(fd)
        unlink(staging)
        return
    _locks[namespace] = fd


def shm_prefix() -> str:
    """This process's namespace: the one its engine gave it (``OOCANA_LOCAL_SHM_PREFIX``,
    in a worker), else one of its own, drawn once per process."""
    global _own
    configured = os.environ.get("OOCANA_LOCAL_SHM_PREFIX")
    if configured:
        return configured
    if _own is None or _own[0] != os.getpid():
        _own = (os.getpid(), new_namespace())
    return _own[1]


def _next_path() -> str:
    global _counter
    _counter += 1
    return os.path.join(shm_dir(), f"{shm_prefix()}{os.getpid()}-{_counter}")


def start_arena(capacity: int | None = None) -> Any:
    """Give this process reusable segments (a worker does, at start); None when off."""
    from .arena import Arena, default_capacity

    capacity = default_capacity() if capacity is None else capacity
    arena = Arena(capacity, os.path.join(shm_dir(), f"{shm_prefix()}{os.getpid()}-s")) \
        if capacity > 0 else None
    use_arena(arena)
    return arena


def use_arena(arena: Any) -> Any:
    """Set this process's arena (None: one-off files only); returns the previous one."""
    global _arena
    previous, _arena = _arena, arena
    return previous


def close_arena() -> None:
    """Unlink this process's free segments (a worker, as it exits)."""
    arena = use_arena(None)
    if arena is not None:
        arena.close()


def dump(value: Any, *, keep: bool = False) -> bytes:
    buffers: list[Any] = []

    def out_of_band(buffer: pickle.PickleBuffer) -> bool:
        with buffer.raw() as raw:
            if raw.nbytes < OUT_OF_BAND_MIN:
                return True  # in band
        buffers.append(buffer)
        return False

    body = pickle.dumps(value, protocol=5, buffer_callback=out_of_band)
    header: dict[str, Any] = {_MARK: 1, "modules": loader.known_modules()}
    if buffers:
        layout, size = _layout(buffers)
        placed = None if keep or _arena is None else _write_arena(buffers, layout, size)
        header.update(placed or _write_shared(buffers, layout, size))
        header["keep"] = keep
    stream = io.BytesIO()
    pickle.dump(header, stream, protocol=5)
    stream.write(body)
    return stream.getvalue()


def _layout(buffers: list[pickle.PickleBuffer]) -> tuple[list[tuple[int, int]], int]:
    layout: list[tuple[int, int]] = []
    offset = 0
    for buffer in buffers:
        with buffer.raw() as raw:
            size = raw.nbytes
        layout.append((offset, size))
        offset += (size + _ALIGN - 1) // _ALIGN * _ALIGN
    return layout, offset


def _write_arena(buffers: list[pickle.PickleBuffer], layout: list[tuple[int, int]],
                 size: int) -> dict[str, Any] | None:
    from .arena import HEADER

    acquired = _arena.acquire(size)
    if acquired is None:
        return None
    segment, ticket = acquired
    try:
        view = segment.view
        for buffer, (at, length) in zip(buffers, layout, strict=True):
            with buffer.raw() as raw:
                view[HEADER + at:HEADER + at + length] = raw
    except BaseException:
        segment.state[0] = 0
        raise
    return {"file": segment.path, "size": HEADER + size, "ticket": ticket,
            "owner": os.getpid(), "buffers": [(HEADER + at, n) for at, n in layout]}


def _write_shared(buffers: list[pickle.PickleBuffer], layout: list[tuple[int, int]],
                  offset: int) -> dict[str, Any]:
    path = _next_path()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.ftruncate(fd, max(offset, 1))
        for buffer, (at, _size) in zip(buffers, layout, strict=True):
            with buffer.raw() as raw:
                view = raw
                while view:
                    written = os.pwrite(fd, view, at)
                    at += written
                    view = view[written:]
    except BaseException:
        os.close(fd)
        unlink(path)
        raise
    os.close(fd)
    return {"file": path, "size": offset, "buffers": layout}


def _map(header: dict[str, Any]) -> list[memoryview]:
    import mmap

    path = header["file"]
    fd = os.open(path, os.O_RDONLY)
    try:
        size = max(int(header["size"]), 1)
        mapping = mmap.mmap(fd, size, access=mmap.ACCESS_COPY)
    finally:
        os.close(fd)
    if not header.get("keep"):
        unlink(path)
    whole = memoryview(mapping)
    return [whole[at:at + size] for at, size in header["buffers"]]


def _copy_out(header: dict[str, Any]) -> list[Any]:
    """The buffers of an arena segment, copied into fresh private memory; then the
    segment is marked free for its producer."""
    path, ticket = header["file"], header["ticket"]
    fd = os.open(path, os.O_RDWR)
    try:
        if _state(fd) != ticket:
            raise RuntimeError(f"the shared-memory segment {path} no longer holds this value")
        try:
            return [_read(fd, at, size) for at, size in header["buffers"]]
        finally:
            os.pwrite(fd, bytes(8), 0)
    finally:
        os.close(fd)


def _state(fd: int) -> int:
    word = os.pread(fd, 8, 0)
    return memoryview(word).cast("Q")[0] if len(word) == 8 else -1


def _read(fd: int, at: int, size: int) -> Any:
    import mmap

    flags = getattr(mmap, "MAP_PRIVATE", 0) | getattr(mmap, "MAP_ANONYMOUS", 0)
    memory = mmap.mmap(-1, size, flags=flags)  # private: not shmem, unlike the default
    if size >= _HUGE and hasattr(mmap, "MADV_HUGEPAGE"):
        try:  # 2 MiB pages: a few hundred fewer page faults per 40 MB
            memory.madvise(mmap.MADV_HUGEPAGE)
        except OSError:
            pass
    with memoryview(memory) as view:
        done = 0
        while done < size:
            if hasattr(os, "preadv"):
                got = os.preadv(fd, [view[done:]], at + done)
            else:
                chunk = os.pread(fd, size - done, at + done)
                got = len(chunk)
                view[done:done + got] = chunk
            if got <= 0:
                raise OSError(f"short read from shared memory at {at + done}")
            done += got
    return memory


def load(blob: bytes) -> Any:
    stream = io.BytesIO(blob)
    first = pickle.load(stream)
    if type(first) is dict and first.get(_MARK) == 1:
        loader.learn_modules(first.get("modules") or {})
        buffers = None
        if first.get("ticket"):
            buffers = _copy_out(first)
        elif first.get("file"):
            buffers = _map(first)
        with memoryview(blob) as view:
            return pickle.loads(view[stream.tell():], buffers=buffers)
    return first


def blob_file(blob: bytes) -> str | None:
    """The shared-memory file a blob's buffers are in, if any (read by the engine)."""
    try:
        first = pickle.load(io.BytesIO(blob))
    except Exception:
        return None
    if type(first) is dict and first.get(_MARK) == 1:
        return first.get("file")
    return None


def unlink(path: str | None) -> None:
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass


def blob_claim(blob: bytes) -> tuple[str, int, int] | None:
    """What the engine passes to ``release`` once the job that received ``blob`` ended:
    ``(file, ticket, producer pid)`` (ticket 0: a one-off file), None without a file."""
    try:
        first = pickle.load(io.BytesIO(blob))
    except Exception:
        return None
    if type(first) is dict and first.get(_MARK) == 1 and first.get("file"):
        return first["file"], int(first.get("ticket") or 0), int(first.get("owner") or 0)
    return None


def release(claim: tuple[str, int, int] | str | None) -> None:
    """After the receiving job ended: unlink a one-off file; unlink an arena segment that
    still holds the ticket (never read) or whose producer is gone (nobody reuses it)."""
    if not claim:
        return
    if isinstance(claim, str):
        unlink(claim)
        return
    path, ticket, owner = claim
    if not ticket:
        unlink(path)
        return
    state = segment_state(path)
    if state is not None and (state == ticket or not owner or not _alive(owner)):
        unlink(path)


def segment_state(path: str) -> int | None:
    """An arena segment's state word (0: free), None when the file is gone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        return _state(fd)
    finally:
        os.close(fd)


def sweep_arena(worker_pid: int, namespace: str | None = None) -> int:
    """Remove the free segments of a worker that exited (busy ones are still being read:
    ``release`` removes them); ``namespace``: its engine's (default ``shm_prefix()``).
    Returns how many."""
    mine = f"{namespace or shm_prefix()}{worker_pid}-s"
    removed = 0
    for name in _names():
        if name.startswith(mine) and name[len(mine):].isdigit():
            path = os.path.join(shm_dir(), name)
            if not segment_state(path):
                unlink(path)
                removed += 1
    return removed


def sweep(namespace: str | None = None) -> int:
    """Remove every shared-memory file of one engine (``namespace``, default
    ``shm_prefix()``), nothing of another engine of this process, and let its lock go.
    Returns how many values."""
    mine = namespace or shm_prefix()
    removed = 0
    for name in _names():
        if name.startswith(mine) and name != mine + _LOCK:
            unlink(os.path.join(shm_dir(), name))
            removed += 1
    fd = _locks.pop(mine, None)
    if fd is not None:
        unlink(os.path.join(shm_dir(), mine + _LOCK))  # before closing: nobody locks it anew
        os.close(fd)
    return removed


def sweep_dead() -> int:
    """Remove the shared-memory files of engines that are gone (a crash or a kill left
    them). Returns how many."""
    found = {_namespace_of(name) for name in _names()}
    return sum(sweep(namespace) for namespace in found if namespace and _gone(namespace))


def _namespace_of(name: str) -> str | None:
    """``oocana-local-<pid>-<token>-`` of one of its files."""
    if not name.startswith(_ROOT):
        return None
    pid, _, rest = name[len(_ROOT):].partition("-")
    token = rest.partition("-")[0]
    return f"{_ROOT}{pid}-{token}-" if pid.isdigit() and token else None


def _gone(namespace: str) -> bool:
    """Whether the engine of ``namespace`` is gone; its lock is then held here, for
    ``sweep`` to remove. Without a lock file, whether its pid runs."""
    if namespace in _locks:
        return False
    try:
        import fcntl

        fd = os.open(os.path.join(shm_dir(), namespace + _LOCK), os.O_RDONLY | os.O_NOFOLLOW)
    except (ImportError, FileNotFoundError):
        return not _alive(int(namespace[len(_ROOT):].partition("-")[0]))
    except OSError:
        return False  # a lock file this user may not open: not its to judge
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return False  # held: its engine runs
    _locks[namespace] = fd
    return True


def _names() -> list[str]:
    try:
        return os.listdir(shm_dir())
    except OSError:
        return []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
