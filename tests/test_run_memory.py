"""A finished run is freed when it ends: its objects (a node's queues, its job specs, the
flow's state) do not wait for the cycle collector, whose full passes over them cost a
large fan-out a tenth of its time."""

from __future__ import annotations

import gc

from helpers import FLOWS

import oocana_local
from oocana_local.runtime.flow_job import FlowJob


def _alive(kind: type) -> int:
    return sum(1 for o in gc.get_objects() if type(o) is kind)


def test_a_finished_run_is_freed_without_the_cycle_collector() -> None:
    with oocana_local.Engine() as engine:
        assert engine.run(FLOWS / "subflow").status == "completed"  # warm: workers, caches
        gc.collect()
        gc.disable()
        try:
            for _ in range(3):
                assert engine.run(FLOWS / "subflow").status == "completed"
            alive = _alive(FlowJob)
        finally:
            gc.enable()
    assert alive == 0
