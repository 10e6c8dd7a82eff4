"""A worker's reusable shared-memory segments for the large buffers of exported values.

Writing into a fresh tmpfs file costs a page fault (and zeroing) per 4 KiB page: tens of
milliseconds for 40 MB. Writing again into pages already faulted in costs ~2 ms. So a
worker keeps its segments (``<OOCANA_LOCAL_SHM_PREFIX><pid>-s<n>`` in ``shm_dir()``)
mapped and writes each export into a free one.

A segment starts with an 8-byte state word: 0 when free, else the ticket (a random
non-zero number) of the one export it holds. Each transition has a single writer:

* the producer (this worker, under its lock) turns 0 into a ticket, then writes the
  buffers after the header; it never touches a segment whose state is not 0;
* the receiver checks the ticket, copies the buffers out into memory of its own, then
  writes 0 (``blobs.load``): its value never refers to the segment;
* the engine never writes: once the receiving job has ended, a segment still holding its
  ticket was never read (the receiver died or never got it), and the engine unlinks it
  (``blobs.release``); the producer drops segments whose file is gone.

Sizes are rounded up to a power of two (at least 1 MiB); tmpfs allocates only the pages
an export needs, with ``posix_fallocate`` before writing, so a full ``/dev/shm`` means a
one-off file and its ENOSPC error rather than SIGBUS. A worker's segments total at most ``OOCANA_LOCAL_SHM_ARENA`` bytes (default:
256 MiB or a sixty-fourth of RAM, whichever is smaller; ``0`` turns segments off). Free
segments are unlinked, least recently used first, to make room; a value that still does
not fit goes into a one-off file as before. The worker unlinks its free segments when it
exits; the engine removes those of a worker that died (``blobs.sweep_arena``) and, on
close, every file of its prefix.
"""

from __future__ import annotations

import mmap
import os
import threading

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["Arena", "Segment", "HEADER", "default_capacity"]

HEADER = 64
"""Bytes before the first buffer: the state word, padded to keep buffers 64-byte aligned."""
_MIN_SEGMENT = 1 << 20


def default_capacity() -> int:
    configured = os.environ.get("OOCANA_LOCAL_SHM_ARENA", "").strip()
    if configured:
        return parse_size(configured)
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 8 << 30
    return min(256 << 20, ram // 64)


def parse_size(text: str) -> int:
    """``"512M"``, ``"1G"``, ``"65536"`` -> bytes (invalid -> 0: segments off)."""
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    scale = 1
    if text and text[-1] in "KMGT":
        scale = 1 << (10 * ("KMGT".index(text[-1]) + 1))
        text = text[:-1]
    try:
        return max(0, int(float(text) * scale))
    except ValueError:
        return 0


def size_class(need: int) -> int:
    size = _MIN_SEGMENT
    while size < need:
        size <<= 1
    return size


class Segment:
    __slots__ = ("path", "size", "fd", "ino", "mapping", "view", "state", "used", "reserved")

    def __init__(self, path: str, size: int):
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.ftruncate(fd, size)
            self.ino = os.fstat(fd).st_ino
            self.mapping = mmap.mmap(fd, size)  # shared: the receiver reads these pages
        except BaseException:
            os.close(fd)
            _unlink(path)
            raise
        self.fd = fd
        self.path = path
        self.size = size
        self.view = memoryview(self.mapping)
        self.state = self.view[:8].cast("Q")
        self.used = 0
        self.reserved = 0

    def reserve(self, need: int) -> bool:
        """Make sure tmpfs has the pages up to ``need``: a write through the mapping into a
        full tmpfs would kill the process (SIGBUS); this fails with ENOSPC instead."""
        if need > self.reserved and hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(self.fd, self.reserved, need - self.reserved)
            except OSError:
                return False
            self.reserved = need
        return True

    @property
    def free(self) -> bool:
        return self.state[0] == 0

    def exists(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.ino
        except OSError:
            return False

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:
            pass
        try:
            self.state.release()
            self.view.release()
            self.mapping.close()
        except BufferError:  # a write still in progress: the mapping goes with its views
            pass


class Arena:
    """The segments of one process (see the module docstring)."""

    def __init__(self, capacity: int, path_prefix: str):
        self.capacity = capacity
        self.path_prefix = path_prefix  # directory + file name prefix, the number follows
        self.segments: list[Segment] = []
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._counter = 0
        self._clock = 0

    @property
    def total(self) -> int:
        return sum(s.size for s in self.segments)

    def acquire(self, size: int) -> tuple[Segment, int] | None:
        """A segment of at least ``HEADER + size`` bytes now holding a new ticket, or None
        (no room: use a one-off file). The caller writes from ``HEADER`` on."""
        need = HEADER + size
        if os.getpid() != self.pid or need > self.capacity:
            return None  # a forked child must not write into its parent's segments
        with self._lock:
            for abandoned in [s for s in self.segments if not s.free and not s.exists()]:
                self._drop(abandoned)  # abandoned (never read): the engine unlinked it
            segment = self._free_fitting(need) or self._create(need)
            if segment is None:
                return None
            if not segment.reserve(need):  # /dev/shm is full: drop it, use a one-off file
                self._drop(segment, unlink=True)
                return None
            ticket = int.from_bytes(os.urandom(8), "little") or 1
            segment.state[0] = ticket
            self._clock += 1
            segment.used = self._clock
            return segment, ticket

    def _free_fitting(self, need: int) -> Segment | None:
        for segment in sorted((s for s in self.segments if s.size >= need and s.free),
                              key=lambda s: s.size):
            if segment.exists():
                return segment
            self._drop(segment)  # unlinked behind our back (e.g. the engine's close)
        return None

    def _create(self, need: int) -> Segment | None:
        size = size_class(need)
        if size > self.capacity:
            size = need
        for segment in sorted((s for s in self.segments if s.free), key=lambda s: s.used):
            if self.total + size <= self.capacity:
                break
            self._drop(segment, unlink=True)
        if self.total + size > self.capacity:
            return None
        self._counter += 1
        try:
            segment = Segment(f"{self.path_prefix}{self._counter}", size)
        except OSError:
            return None
        self.segments.append(segment)
        return segment

    def _drop(self, segment: Segment, unlink: bool = False) -> None:
        self.segments.remove(segment)
        if unlink:
            _unlink(segment.path)
        segment.close()

    def close(self, *, busy_too: bool = False) -> None:
        """Unlink the free segments (every segment with ``busy_too``) and unmap them all.
        A busy one is left for its receiver; the engine removes it afterwards."""
        with self._lock:
            for segment in list(self.segments):
                self._drop(segment, unlink=busy_too or segment.free)

    def describe(self) -> list[dict[str, Any]]:
        return [{"path": s.path, "size": s.size, "free": s.free} for s in self.segments]


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
