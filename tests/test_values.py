"""Values between blocks: DataFrames across workers through shared memory, values freed
once consumed, oomol/bin, serialize_for_cache; all through the public API."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import threading
import time

import numpy as np
import pandas as pd
import pytest
from helpers import FLOWS, events, log_lines

import oocana_local
from oocana_local.context.values import InputValueError, ValueStore, decode_inputs
from oocana_local.worker import blobs


def shm_files(prefix: str) -> list[str]:
    return [n for n in os.listdir(blobs.shm_dir()) if n.startswith(prefix)]


# -- the blob format ------------------------------------------------------------------------

class TestBlobs:
    def test_large_buffers_go_through_shared_memory_and_the_file_is_gone_once_loaded(self):
        frame = pd.DataFrame(np.random.rand(50_000, 4), columns=list("abcd"))
        blob = blobs.dump(frame)

        assert len(blob) < 4096  # the socket carries only the small part
        path = blobs.blob_file(blob)
        assert path is not None and os.path.exists(path)
        copy = blobs.load(blob)
        assert not os.path.exists(path)
        pd.testing.assert_frame_equal(copy, frame)

    def test_the_receiver_may_write_to_its_copy(self):
        array = np.arange(100_000, dtype="float64")
        copy = blobs.load(blobs.dump(array))

        copy[0] = 42.0
        assert copy[0] == 42.0 and array[0] == 0.0

    def test_a_kept_blob_loads_twice_until_unlinked(self):
        blob = blobs.dump(np.ones(50_000), keep=True)
        path = blobs.blob_file(blob)

        assert blobs.load(blob).sum() == blobs.load(blob).sum() == 50_000
        assert os.path.exists(path)
        blobs.unlink(path)
        assert not os.path.exists(path)

    def test_small_values_stay_in_the_pickle(self):
        blob = blobs.dump({"a": np.arange(10)})
        assert blobs.blob_file(blob) is None
        assert blobs.load(blob)["a"].tolist() == list(range(10))

    def test_a_plain_pickle_still_loads(self):
        assert blobs.load(pickle.dumps([1, 2])) == [1, 2]

    def test_sweeps_remove_one_engines_files_or_those_of_dead_engines_only(self):
        directory = blobs.shm_dir()
        dead = os.path.join(directory, "oocana-local-999999999-0a1b2c3d-1-1")
        old_style = os.path.join(directory, "oocana-local-999999998-1-1")
        mine, other = blobs.new_namespace(), blobs.new_namespace()
        ours = os.path.join(directory, f"{mine}12345-1")
        theirs = os.path.join(directory, f"{other}12345-1")
        paths = (dead, old_style, ours, theirs)
        for path in paths:
            open(path, "wb").close()
        try:
            blobs.sweep_dead()
            assert not os.path.exists(dead) and not os.path.exists(old_style)
            assert os.path.exists(ours) and os.path.exists(theirs)  # this process lives
            assert blobs.sweep(mine) == 1
            assert not os.path.exists(ours) and os.path.exists(theirs)
        finally:
            for path in paths:
                blobs.unlink(path)


# -- DataFrames through a flow ----------------------------------------------------------------

class TestDataFramesAcrossWorkers:
    def test_a_frame_crosses_workers_and_arrives_whole(self, engine):
        result = engine.run(FLOWS / "values", inputs={"rows": 200_000})

        assert result.status == "completed", result.error
        n = 200_000
        assert result.outputs["total"] == 2 * (n * (n - 1) / 2) + n
        # the references in events, never the frames
        out = events(result, "BlockFinished", "make")[0]["result"]["df"]
        assert out["__OOMOL_TYPE__"] == "oomol/var" and out["value"]["handle"] == "df"

    def test_no_shared_memory_is_left_after_runs_and_after_close(self):
        with oocana_local.Engine() as engine:
            seen = []
            for _ in range(3):
                result = engine.run(FLOWS / "values", inputs={"rows": 300_000})
                assert result.status == "completed", result.error
                # only the engine's lock and the workers' reusable segments stay, free, and
                # the same ones each run
                pool = engine.executor.python
                pids = {str(w.pid) for w in pool.workers}
                files = shm_files(pool.shm_namespace)
                files.remove(f"{pool.shm_namespace}lock")
                for name in files:
                    worker, _, number = name[len(pool.shm_namespace):].partition("-s")
                    assert worker in pids and number.isdigit(), name
                    assert blobs.segment_state(os.path.join(blobs.shm_dir(), name)) == 0
                seen.append(sorted(files))
            assert seen[1] == seen[2]
        assert shm_files(pool.shm_namespace) == []

    def test_files_a_crashed_or_killed_worker_left_are_removed_on_close(self):
        engine = oocana_local.Engine()
        try:
            assert engine.run(FLOWS / "values", inputs={"rows": 1000}).ok
            namespace = engine.executor.python.shm_namespace
            stray = os.path.join(blobs.shm_dir(), f"{namespace}12345-1")
            open(stray, "wb").close()  # as a worker killed halfway through an export leaves
        finally:
            engine.close()
        assert shm_files(namespace) == []

    def test_a_workers_store_does_not_grow_across_100_runs(self):
        with oocana_local.Engine() as engine:
            stored = []
            for _ in range(100):
                result = engine.run(FLOWS / "values", inputs={"rows": 1000})
                assert result.status == "completed", result.error
                stored.append(result.outputs["stored"])
            pool = engine.executor.python
            assert max(stored) <= 2, stored  # the frame `total` is working on (+ a copy)
            assert pool.values.keys() == set()  # held by no worker, nothing parked


class TestTwoEnginesInOneProcess:
    def test_one_engines_parked_value_outlives_another_engines_start_run_and_close(
            self, tmp_path):
        from oocana_local.executor.pool import WorkerPool

        # A pool whose idle workers retire at once: `make`'s worker parks its frame.
        first = oocana_local.Engine(executor=WorkerPool(min_workers=0, idle_timeout=0.2))
        pool = first.executor
        release = tmp_path / "release"
        outcome: list = []
        thread = threading.Thread(target=lambda: outcome.append(first.run(
            FLOWS / "parked_value", inputs={"rows": 200_000, "release": str(release)})))
        thread.start()
        try:
            parked = False
            give_up = time.monotonic() + 300  # a hang guard, not a speed check
            while not parked and thread.is_alive() and time.monotonic() < give_up:
                parked = bool(pool.values.parked)
                time.sleep(0.02)
            assert parked, outcome and outcome[0].error
            parked_files = [f for f in map(blobs.blob_file, list(pool.values.parked.values()))
                            if f is not None]
            assert parked_files and all(os.path.exists(f) for f in parked_files)

            with oocana_local.Engine() as second:
                other = second.run(FLOWS / "values", inputs={"rows": 200_000})
                assert other.status == "completed", other.error
                second_pool = second.executor.python
            assert all(os.path.exists(f) for f in parked_files)  # the other engine's close
        finally:
            release.touch()
            thread.join()
        result = outcome[0]
        assert result.status == "completed", result.error
        n = 200_000
        assert result.outputs["total"] == n * (n - 1) / 2 + n
        first.close()
        assert shm_files(pool.shm_namespace) == []
        assert shm_files(second_pool.shm_namespace) == []


    def test_the_files_of_an_engine_that_died_go_when_the_next_one_starts(self):
        left = os.path.join(blobs.shm_dir(), "oocana-local-999999999-0badf00d-4242-1")
        open(left, "wb").close()  # pid 999999999 is above any pid_max: that engine is gone
        try:
            with oocana_local.Engine() as engine:
                assert engine.run(FLOWS / "values", inputs={"rows": 1000}).ok
                assert not os.path.exists(left)
        finally:
            blobs.unlink(left)


    def test_a_dead_engines_files_go_though_its_pid_now_runs_another_process(self):
        # Both pids run (this test's parent's, this test's): only the locks tell the
        # dead engine, whose lock is free, from the live one, whose lock is held.
        dead = f"oocana-local-{os.getppid()}-0badf00d-"
        alive = f"oocana-local-{os.getpid()}-0ddba11a-"
        directory = blobs.shm_dir()
        paths = [os.path.join(directory, f"{ns}{name}")
                 for ns in (dead, alive) for name in ("lock", "4242-1", "4242-s1")]
        for path in paths:
            open(path, "wb").close()
        held = os.open(os.path.join(directory, f"{alive}lock"), os.O_RDONLY)
        try:
            fcntl.flock(held, fcntl.LOCK_EX)
            with oocana_local.Engine() as engine:
                assert engine.run(FLOWS / "values", inputs={"rows": 1000}).ok
                assert shm_files(dead) == []
            assert sorted(shm_files(alive)) == sorted(os.path.basename(p) for p in paths[3:])
        finally:
            os.close(held)
            for path in paths:
                blobs.unlink(path)

    def test_what_a_service_worker_leaves_goes_when_its_engine_closes(self):
        with oocana_local.Engine(search_paths=[str(FLOWS)]) as engine:
            block = engine.loader.resolve_task("svcs::shm_leaver::leave", FLOWS / "services")
            result = engine.run(block)
            assert result.status == "completed", result.error
            left = result.outputs["path"]
            assert os.path.exists(left)
            with oocana_local.Engine() as other:
                assert other.run(FLOWS / "values", inputs={"rows": 1000}).ok
            assert os.path.exists(left)  # another engine's close leaves it alone
        assert not os.path.exists(left)


class TestCachedValues:
    def test_serialize_for_cache_writes_the_frame_and_names_the_file(self, engine, tmp_path,
                                                                     monkeypatch):
        monkeypatch.setenv("OOCANA_LOCAL_HOME", str(tmp_path))
        result = engine.run(FLOWS / "cache_edge")

        assert result.status == "completed", result.error
        wrapper = events(result, "BlockFinished", "make")[0]["result"]["df"]
        flow = str(FLOWS / "cache_edge" / "flow.oo.yaml")
        digest = hashlib.sha256(f"{flow}-make".encode()).hexdigest()
        assert wrapper["serialize_path"].endswith(f"/.cache/{digest}/df.pkl")
        assert wrapper["serialize_path"].startswith(str(tmp_path))
        pd.testing.assert_frame_equal(pd.read_pickle(wrapper["serialize_path"]),
                                      pd.DataFrame({"a": np.arange(10.0), "b": np.ones(10)}))

    def test_a_reference_nobody_holds_loads_from_its_cache_file(self, tmp_path):
        frame = pd.DataFrame({"x": [1, 2, 3]})
        frame.to_pickle(tmp_path / "df.pkl")
        ref = {"__OOMOL_TYPE__": "oomol/var", "serialize_path": str(tmp_path / "df.pkl"),
               "value": {"executor": "python", "handle": "df", "job_id": "j",
                         "session_id": "s", "key": "gone:df:1"}}

        inputs = decode_inputs({"df": ref}, ValueStore())
        pd.testing.assert_frame_equal(inputs["df"], frame)

        ref["serialize_path"] = str(tmp_path / "missing.pkl")
        with pytest.raises(InputValueError, match="no longer held"):
            decode_inputs({"df": ref}, ValueStore())


class TestBin:
    def test_bytes_on_a_bin_handle_arrive_as_bytes(self, engine):
        result = engine.run(FLOWS / "bin")

        assert result.status == "completed", result.error
        assert result.outputs == {"got": "bytes:01020304"}
        assert log_lines(result, "read")[-1] == "b'AQIDBA=='"

    def test_the_bytes_travel_as_a_file_in_the_session_dir(self, engine):
        result = engine.run(FLOWS / "bin")

        done = events(result, "BlockFinished", "write")[0]
        wrapper = done["result"]["data"]
        assert wrapper["__OOMOL_TYPE__"] == "oomol/bin"
        assert wrapper["value"].endswith(
            f"/binary/{result.session_id}/{done['job_id']}/data")
        with open(wrapper["value"], "rb") as file:
            assert file.read() == b"\x01\x02\x03\x04"
