"""The pool's growth rule, on numbers: no process, no clock."""

from __future__ import annotations

import math

from oocana_local.executor.growth import PoolView, workers_to_start

GROW_AFTER = 0.05


def view(**fields: object) -> PoolView:
    base: dict[str, object] = dict(now=10.0, queued_since=(), busy_since=(), workers=1,
                                   starting=0, limit=8, job_seconds=0.5, cpus=2)
    base.update(fields)
    return PoolView(**base)  # type: ignore[arg-type]


def test_jobs_that_waited_long_enough_each_ask_for_a_worker() -> None:
    # the one queued 10 ms ago has not waited long enough yet
    assert workers_to_start(view(queued_since=(9.0, 9.5, 9.99), cpus=16), GROW_AFTER) == 2


def test_workers_already_starting_count_against_the_ask() -> None:
    assert workers_to_start(view(queued_since=(9.0, 9.5), starting=1), GROW_AFTER) == 1


def test_never_beyond_the_limit() -> None:
    assert workers_to_start(view(queued_since=(9.0,) * 10, workers=1, limit=3,
                                 busy_since=(9.0,), cpus=16), GROW_AFTER) == 2


def test_past_one_worker_per_core_only_long_held_workers_justify_another() -> None:
    quick = view(queued_since=(9.0,) * 5, workers=2, busy_since=(9.99, 9.99))
    assert workers_to_start(quick, GROW_AFTER) == 0
    long_held = view(queued_since=(9.0,) * 5, workers=2, busy_since=(9.0, 9.99))
    assert workers_to_start(long_held, GROW_AFTER) == 1
    waiting_on_children = view(queued_since=(9.0,) * 5, workers=2,
                               busy_since=(-math.inf, -math.inf))
    assert workers_to_start(waiting_on_children, GROW_AFTER) == 2


def test_quick_jobs_never_grow_the_pool_below_one_per_core() -> None:
    quick = view(queued_since=(9.0,) * 100, workers=1, cpus=4, job_seconds=0.0002,
                 busy_since=(9.999,))
    assert workers_to_start(quick, GROW_AFTER) == 0
    assert workers_to_start(view(queued_since=(9.0,) * 100, workers=1, cpus=4,
                                 job_seconds=0.01, busy_since=(9.999,)), GROW_AFTER) == 3


def test_below_one_per_core_growth_goes_past_the_cores_only_for_workers_held_long() -> None:
    # A first job held long on the only worker, 49 waiting: one more for the other core
    # and one for the held worker, not one per waiting job up to the limit.
    first_job = view(queued_since=(9.9,) * 49, workers=1, cpus=2, job_seconds=0.0,
                     busy_since=(9.9,))
    assert workers_to_start(first_job, GROW_AFTER) == 2
