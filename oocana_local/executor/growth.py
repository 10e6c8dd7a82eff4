"""When the worker pool starts another process: a pure policy, decided on numbers.

The pool hands in what it sees (``PoolView``) with its own clock reading and the CPU
count; ``workers_to_start`` answers how many processes to start now. Nothing here reads a
clock or the machine, so the rule is tested with plain numbers.

The rule: a job that has waited ``grow_after`` seconds for a worker asks for one more
process (minus those already starting), up to the limit. But

* past one worker per core, only while workers are held by jobs that have run
  ``grow_after`` seconds themselves (or wait on a ``run_block`` child): a queue of quick
  jobs drains faster on the warm workers than with a new process competing for the CPU;
* below that, not while jobs average under ``QUICK_JOB`` seconds and none is held long:
  the engine, not the workers, is then the bottleneck; and in one step never further
  than one per core plus one per worker held long (the rule past one per core).

The pool reads its busy workers' sockets before it looks: an engine too busy to read a
job's end would otherwise count that job as held long.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["PoolView", "workers_to_start", "QUICK_JOB"]

QUICK_JOB = 0.001  # seconds: below this average, more workers do not drain a queue faster


@dataclass(frozen=True, slots=True)
class PoolView:
    now: float
    queued_since: tuple[float, ...]
    """When each waiting job was queued."""
    busy_since: tuple[float, ...]
    """When the job on each busy worker started; ``-inf`` for one waiting on run_block."""
    workers: int
    """Shared workers, starting or ready."""
    starting: int
    limit: int
    job_seconds: float
    """Moving average of how long a job holds its worker."""
    cpus: int


def workers_to_start(view: PoolView, grow_after: float) -> int:
    waited = sum(1 for t in view.queued_since if view.now - t >= grow_after)
    wanted = waited - view.starting
    held = sum(1 for t in view.busy_since if view.now - t >= grow_after)
    if view.workers >= view.cpus:
        wanted = min(wanted, held - view.starting)
    elif not held and view.job_seconds < QUICK_JOB:
        wanted = 0
    else:
        wanted = min(wanted, view.cpus - view.workers + max(0, held - view.starting))
    return max(0, min(wanted, view.limit - view.workers))
