"""Reusable shared-memory segments for exported values (``worker/arena.py``): reused
between exports, never overwritten while a receiver has not copied, removed on exit,
crash and close."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from oocana_local.worker import arena as arena_module
from oocana_local.worker import blobs

sys.path.insert(0, str(Path(__file__).resolve().parent / "executor"))
from pool_harness import Recorder, make_job, with_pool  # noqa: E402

MIB = 1 << 20


@pytest.fixture
def arena():
    made = blobs.start_arena(64 * MIB)
    try:
        yield made
    finally:
        blobs.use_arena(None)
        made.close(busy_too=True)


def claim_of(blob: bytes) -> tuple[str, int, int]:
    claim = blobs.blob_claim(blob)
    assert claim is not None
    return claim


def segment_files(pid: int) -> list[str]:
    """The segments of process ``pid`` (a worker of any engine of this process)."""
    mine = re.compile(rf"{re.escape(blobs.process_prefix())}[0-9a-f]+-{pid}-s\d+")
    return sorted(n for n in os.listdir(blobs.shm_dir()) if mine.fullmatch(n))


# -- one process ----------------------------------------------------------------------------

class TestArena:
    def test_the_second_export_reuses_the_segment_of_the_first(self, arena):
        frame = pd.DataFrame(np.random.rand(100_000, 4), columns=list("abcd"))
        first = blobs.dump(frame)
        path, ticket, owner = claim_of(first)
        assert ticket and owner == os.getpid() and blobs.segment_state(path) == ticket

        pd.testing.assert_frame_equal(blobs.load(first), frame)
        assert os.path.exists(path) and blobs.segment_state(path) == 0  # free again

        other = frame * 2
        second = blobs.dump(other)
        assert claim_of(second)[0] == path
        pd.testing.assert_frame_equal(blobs.load(second), other)
        assert len(arena.segments) == 1

    def test_a_busy_segment_is_not_overwritten_before_its_receiver_copied(self, arena):
        one, two = np.full(200_000, 1.0), np.full(200_000, 2.0)
        blob_one, blob_two = blobs.dump(one), blobs.dump(two)
        assert claim_of(blob_one)[0] != claim_of(blob_two)[0]

        assert (blobs.load(blob_two) == 2.0).all()
        blob_three = blobs.dump(np.full(200_000, 3.0))  # reuses two's, not one's
        assert claim_of(blob_three)[0] == claim_of(blob_two)[0]
        assert (blobs.load(blob_one) == 1.0).all()
        assert (blobs.load(blob_three) == 3.0).all()

    def test_the_copy_is_writable_and_independent_of_the_segment(self, arena):
        array = np.arange(100_000, dtype="float64")
        copy = blobs.load(blobs.dump(array))
        copy[0] = 42.0
        assert copy[0] == 42.0 and array[0] == 0.0

        blobs.dump(np.zeros(100_000))  # overwrites the segment the copy came from
        assert copy[1] == 1.0 and copy[-1] == 99_999.0
        arena.close(busy_too=True)  # unlinked and unmapped: the copy does not care
        assert copy.sum() == array.sum() + 42.0

    def test_a_blob_loads_once(self, arena):
        blob = blobs.dump(np.ones(100_000))
        blobs.load(blob)
        with pytest.raises(RuntimeError, match="no longer holds this value"):
            blobs.load(blob)

    def test_release_unlinks_an_unread_segment_and_keeps_a_read_one(self, arena):
        read = blobs.dump(np.ones(100_000))
        blobs.load(read)
        blobs.release(claim_of(read))
        assert os.path.exists(claim_of(read)[0])  # the producer reuses it

        unread = blobs.dump(np.ones(100_000))
        path = claim_of(unread)[0]
        assert path == claim_of(read)[0]
        blobs.release(claim_of(unread))  # e.g. the receiver died before reading it
        assert not os.path.exists(path)

        again = blobs.dump(np.full(100_000, 5.0))  # the producer drops it, makes another
        assert claim_of(again)[0] != path
        assert len(arena.segments) == 1
        assert (blobs.load(again) == 5.0).all()

    def test_the_total_is_capped_and_free_segments_make_room(self):
        arena = blobs.start_arena(4 * MIB)
        try:
            too_big = blobs.dump(np.ones(MIB))  # 8 MB: a one-off file, as without segments
            assert claim_of(too_big)[1] == 0
            assert blobs.load(too_big).sum() == MIB
            assert not os.path.exists(claim_of(too_big)[0])

            a, b = blobs.dump(np.ones(150_000)), blobs.dump(np.ones(150_000))  # 2 MiB each
            assert [s.size for s in arena.segments] == [2 * MIB, 2 * MIB]
            c = blobs.dump(np.ones(150_000))  # both busy, no room left: a one-off file
            assert claim_of(c)[1] == 0
            for blob in (a, b, c):
                assert blobs.load(blob).sum() == 150_000

            d = blobs.dump(np.ones(400_000))  # 3.2 MB: both free ones make room for 4 MiB
            assert [s.size for s in arena.segments] == [4 * MIB]
            assert not os.path.exists(claim_of(a)[0]) and not os.path.exists(claim_of(b)[0])
            assert blobs.load(d).sum() == 400_000
        finally:
            blobs.use_arena(None)
            arena.close(busy_too=True)

    def test_kept_blobs_and_small_values_do_not_use_segments(self, arena):
        kept = blobs.dump(np.ones(100_000), keep=True)
        assert claim_of(kept)[1] == 0
        assert blobs.load(kept).sum() == blobs.load(kept).sum() == 100_000
        blobs.unlink(blobs.blob_file(kept))
        assert blobs.blob_claim(blobs.dump(np.ones(10))) is None
        assert arena.segments == []

    def test_close_and_sweep_leave_only_segments_being_read(self, arena):
        busy = blobs.dump(np.ones(100_000))
        blobs.load(blobs.dump(np.ones(100_000)))
        paths = sorted(s.path for s in arena.segments)
        assert len(paths) == 2
        assert blobs.sweep_arena(os.getpid()) == 1  # the free one
        assert [p for p in paths if os.path.exists(p)] == [claim_of(busy)[0]]
        assert blobs.load(busy).sum() == 100_000  # its receiver still gets it
        assert blobs.sweep_arena(os.getpid()) == 1

    def test_a_full_shm_means_a_one_off_file_not_a_crash(self, arena, monkeypatch):
        def full(fd, offset, length):
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(os, "posix_fallocate", full)
        blob = blobs.dump(np.ones(100_000))
        assert claim_of(blob)[1] == 0 and arena.segments == []
        assert blobs.load(blob).sum() == 100_000

    def test_capacity_setting(self, monkeypatch):
        monkeypatch.setenv("OOCANA_LOCAL_SHM_ARENA", "256M")
        assert arena_module.default_capacity() == 256 * MIB
        monkeypatch.setenv("OOCANA_LOCAL_SHM_ARENA", "0")
        assert blobs.start_arena() is None
        monkeypatch.delenv("OOCANA_LOCAL_SHM_ARENA")
        assert 0 < arena_module.default_capacity() <= 1 << 30


# -- between workers --------------------------------------------------------------------------

MAKE = """
import numpy as np
import pandas as pd

def main(inputs):
    n = inputs["n"]
    return {"df": pd.DataFrame({"a": np.arange(n, dtype="float64"), "b": np.full(n, inputs["b"])})}
"""

USE = """
import os

def main(inputs):
    df = inputs["df"]
    df["a"] += inputs["add"]  # its own copy
    return {"out": {"pid": os.getpid(), "a": float(df["a"].sum()), "b": float(df["b"].sum())}}
"""

ROWS = 300_000
BASE = ROWS * (ROWS - 1) / 2


def test_a_worker_reuses_its_segment_from_one_hop_to_the_next(tmp_path: Path) -> None:
    async def scenario(pool):
        seen, results = [], []
        for b in (1.0, 2.0, 3.0):
            made = await pool.run(make_job(tmp_path / "make", MAKE, inputs={"n": ROWS, "b": b},
                                           var_outputs=("df",), spawn_key="maker"), Recorder())
            used = await pool.run(make_job(tmp_path / "use", USE,
                                           inputs={"df": made.result["df"], "add": 0},
                                           spawn_key="user"), Recorder())
            results.append(used)
            producer = pool._dedicated["maker"].pid
            seen.append(segment_files(producer))
            await pool.free(sorted(pool.values.keys()))
        return seen, results

    seen, results = with_pool(scenario)
    for b, used in zip((1.0, 2.0, 3.0), results, strict=True):
        assert used.status == "done", used.error
        assert used.result["out"]["a"] == BASE and used.result["out"]["b"] == b * ROWS
    assert len(seen[0]) == 1 and seen[0] == seen[1] == seen[2]
    path = os.path.join(blobs.shm_dir(), seen[0][0])
    assert not os.path.exists(path)  # the pool closed


def test_concurrent_fan_out_to_three_workers_gives_three_independent_copies(
        tmp_path: Path) -> None:
    async def scenario(pool):
        made = await pool.run(make_job(tmp_path / "make", MAKE, inputs={"n": ROWS, "b": 1.0},
                                       var_outputs=("df",), spawn_key="maker"), Recorder())
        jobs = [make_job(tmp_path / f"use{i}", USE, inputs={"df": made.result["df"], "add": i},
                         spawn_key=f"user{i}") for i in (1, 2, 3)]
        used = await asyncio.gather(*(pool.run(job, Recorder()) for job in jobs))
        again = await pool.run(make_job(tmp_path / "use0", USE,
                                        inputs={"df": made.result["df"], "add": 0},
                                        spawn_key="maker"), Recorder())
        producer = pool._dedicated["maker"].pid
        states = [blobs.segment_state(os.path.join(blobs.shm_dir(), name))
                  for name in segment_files(producer)]
        return used, again, states

    used, again, states = with_pool(scenario)
    for i, outcome in zip((1, 2, 3), used, strict=True):
        assert outcome.status == "done", outcome.error
        assert outcome.result["out"]["a"] == BASE + i * ROWS
        assert outcome.result["out"]["b"] == ROWS
    assert len({o.result["out"]["pid"] for o in used}) == 3
    assert again.status == "done" and again.result["out"]["a"] == BASE  # the original
    assert states and all(state == 0 for state in states)


def test_an_unread_segment_is_removed_and_a_dead_workers_segments_too(tmp_path: Path) -> None:
    async def scenario(pool):
        made = await pool.run(make_job(tmp_path / "make", MAKE, inputs={"n": ROWS, "b": 1.0},
                                       var_outputs=("df",), spawn_key="maker"), Recorder())
        producer = pool._dedicated["maker"]
        gone = dict(made.result["df"], value=dict(made.result["df"]["value"], key="gone"))
        # one input is held nowhere: the job fails before its worker reads the other one
        failed = await pool.run(make_job(tmp_path / "use", USE,
                                         inputs={"df": made.result["df"], "add": gone},
                                         spawn_key="user"), Recorder())
        after_failure = segment_files(producer.pid)
        used = await pool.run(make_job(tmp_path / "use", USE,
                                       inputs={"df": made.result["df"], "add": 0},
                                       spawn_key="user"), Recorder())
        after_use = segment_files(producer.pid)
        producer.kill()
        await producer.exited
        await asyncio.sleep(0.05)
        return failed, after_failure, used, after_use, segment_files(producer.pid)

    failed, after_failure, used, after_use, after_crash = with_pool(scenario)
    assert failed.status == "failed"
    assert after_failure == []  # never read: unlinked when the job ended
    assert used.status == "done", used.error
    assert used.result["out"]["a"] == BASE
    assert len(after_use) == 1
    assert after_crash == []
