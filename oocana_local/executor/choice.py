"""Which executor runs a session's Python blocks: the local worker pool or Ray.

``--executor`` / ``Engine(executor=...)`` win over ``$OOCANA_LOCAL_EXECUTOR``, and
``--ray-address`` / ``ray_address=`` over ``$OOCANA_LOCAL_RAY_ADDRESS``. Asking for Ray
without Ray installed is one ``UsageError`` before anything runs.
"""

from __future__ import annotations

import importlib.util
import os
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from .base import Executor

__all__ = ["EXECUTORS", "choose", "make_executor"]

EXECUTORS = ("local", "ray")


def choose(executor: str | None = None, ray_address: str | None = None
           ) -> tuple[str, str | None]:
    """``(name, ray address)`` from the arguments, else the environment."""
    name = (executor or os.environ.get("OOCANA_LOCAL_EXECUTOR") or "local").strip().lower()
    if name not in EXECUTORS:
        raise UsageError(f"unknown executor {name!r}: use one of {', '.join(EXECUTORS)} "
                         "(--executor or $OOCANA_LOCAL_EXECUTOR)")
    address = ray_address or os.environ.get("OOCANA_LOCAL_RAY_ADDRESS") or None
    if name == "ray" and not _ray_installed():
        from .ray_executor import RAY_MISSING

        raise UsageError(RAY_MISSING)
    if address is not None and name != "ray":
        raise UsageError("--ray-address (or $OOCANA_LOCAL_RAY_ADDRESS) needs --executor ray")
    return name, address


def _ray_installed() -> bool:
    try:
        return importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        return False


def make_executor(name: str, ray_address: str | None, max_workers: int | None) -> Executor:
    """The Python executor, wrapped in the router (Node.js and shell blocks stay local)."""
    from .router import ExecutorRouter

    python: Executor
    if name == "ray":
        from .ray_executor import RayExecutor

        python = RayExecutor(ray_address, max_actors=max_workers or 8)
    else:
        from .pool import WorkerPool

        python = WorkerPool(max_workers=max_workers or 8)
    return ExecutorRouter(python)
