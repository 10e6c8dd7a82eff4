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

Files are named ``<OOCANA_LOCAL_SHM_PREFIX><pid>-<n>``: the prefix carries the engine's
pid, so the engine can remove whatever a crashed worker left behind (``sweep``), and a
later engine can remove the files of an engine that died. A blob without the header (a
plain pickle) loads too.
"""

from __future__ import annotations

import io
import os
import pickle

from . import loader

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["dump", "load", "blob_file", "shm_dir", "shm_prefix", "sweep", "unlink",
           "OUT_OF_BAND_MIN"]

_MARK = "__oocana_blob__"
OUT_OF_BAND_MIN = 1 << 16
"""Buffers smaller than this stay inside the pickle."""
_ALIGN = 64
_counter = 0


def shm_dir() -> str:
    configured = os.environ.get("OOCANA_LOCAL_SHM_DIR")
    if configured:
        return configured
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        return "/dev/shm"
    import tempfile

    return tempfile.gettempdir()


def shm_prefix(engine_pid: int | None = None) -> str:
    """File name prefix of one engine's shared-memory blobs."""
    return f"oocana-local-{os.getpid() if engine_pid is None else engine_pid}-"


def _next_path() -> str:
    global _counter
    _counter += 1
    prefix = os.environ.get("OOCANA_LOCAL_SHM_PREFIX") or shm_prefix()
    return os.path.join(shm_dir(), f"{prefix}{os.getpid()}-{_counter}")


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
        header.update(_write_shared(buffers))
        header["keep"] = keep
    stream = io.BytesIO()
    pickle.dump(header, stream, protocol=5)
    stream.write(body)
    return stream.getvalue()


def _write_shared(buffers: list[pickle.PickleBuffer]) -> dict[str, Any]:
    layout: list[tuple[int, int]] = []
    offset = 0
    for buffer in buffers:
        with buffer.raw() as raw:
            size = raw.nbytes
        layout.append((offset, size))
        offset += (size + _ALIGN - 1) // _ALIGN * _ALIGN
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


def load(blob: bytes) -> Any:
    stream = io.BytesIO(blob)
    first = pickle.load(stream)
    if type(first) is dict and first.get(_MARK) == 1:
        loader.learn_modules(first.get("modules") or {})
        buffers = _map(first) if first.get("file") else None
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


def sweep(engine_pid: int | None = None, *, dead_engines: bool = False) -> int:
    """Remove the shared-memory files of this engine (or of ``engine_pid``); with
    ``dead_engines``, also those of engines that no longer run. Returns how many."""
    directory = shm_dir()
    mine = shm_prefix(engine_pid)
    removed = 0
    try:
        names = os.listdir(directory)
    except OSError:
        return 0
    for name in names:
        if not name.startswith("oocana-local-"):
            continue
        if not name.startswith(mine):
            if not dead_engines:
                continue
            owner = name[len("oocana-local-"):].split("-", 1)[0]
            if not owner.isdigit() or _alive(int(owner)):
                continue
        unlink(os.path.join(directory, name))
        removed += 1
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
