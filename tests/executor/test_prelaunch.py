"""The command line starts its first worker before the engine exists: the pool takes that
worker, or stops it; a run that never needs it leaves nothing behind."""

from __future__ import annotations

import os
from pathlib import Path

from helpers import FLOWS, descendants, is_alive
from pool_harness import Recorder, make_job, with_pool

from oocana_local.cli import main
from oocana_local.executor import prelaunch

PID = "import os\ndef main(inputs):\n    return {'out': os.getpid()}\n"


def test_the_pool_runs_its_first_job_on_the_early_worker(tmp_path: Path) -> None:
    prelaunch.launch_early()
    early = prelaunch._early
    assert early is not None

    async def scenario(pool):
        return await pool.run(make_job(tmp_path / "a", PID), Recorder())

    outcome = with_pool(scenario)
    assert outcome.status == "done", outcome.error
    assert outcome.result == {"out": early.popen.pid}
    assert prelaunch._early is None


LEAVE = """
import os
from oocana_local.worker import blobs

def main(inputs):
    path = os.path.join(blobs.shm_dir(), f"{blobs.shm_prefix()}{os.getpid()}-1")
    open(path, "wb").close()  # as a worker killed halfway through an export leaves
    return {"out": path}
"""


def test_the_pool_removes_what_its_early_worker_leaves(tmp_path: Path) -> None:
    prelaunch.launch_early()
    early = prelaunch._early
    assert early is not None

    async def scenario(pool):
        return await pool.run(make_job(tmp_path / "a", LEAVE), Recorder())

    outcome = with_pool(scenario)
    assert outcome.status == "done", outcome.error
    left = outcome.result["out"]
    assert os.path.basename(left).startswith(early.env[prelaunch.SHM_NAMESPACE])
    assert not os.path.exists(left)


def test_an_early_worker_with_another_environment_is_stopped(tmp_path: Path) -> None:
    prelaunch.launch_early()
    early = prelaunch._early
    assert early is not None

    async def scenario(pool):
        return await pool.run(make_job(tmp_path / "a", PID), Recorder())

    outcome = with_pool(scenario, env={"SOMETHING_ELSE": "1"})
    assert outcome.status == "done", outcome.error
    assert outcome.result != {"out": early.popen.pid}
    assert not is_alive(early.popen.pid)


def test_a_run_refused_before_it_starts_leaves_no_worker(tmp_path: Path, capsys) -> None:
    flow = tmp_path / "broken"
    flow.mkdir()
    (flow / "flow.oo.yaml").write_text("nodes:\n  - node_id: a\n    task: ./nowhere\n")
    before = descendants(os.getpid())

    code = main(["run", str(flow)])

    assert code == 2
    assert "nowhere" in capsys.readouterr().err
    assert descendants(os.getpid()) - before == set()


def test_a_cli_run_in_process_completes_and_leaves_no_worker(capsys) -> None:
    before = descendants(os.getpid())

    code = main(["run", str(FLOWS / "chain"), "--json"])

    assert code == 0, capsys.readouterr().err
    assert descendants(os.getpid()) - before == set()
