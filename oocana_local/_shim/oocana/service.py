"""``oocana.service``: the service object's type and the shapes of a service's manifest.

``ServiceContextAbstractClass`` is the class the worker's service object subclasses, so
``main(service: ServiceContextAbstractClass)`` holds; ``ServiceExecutor`` and
``ServiceExecutePayload`` describe what oocana's engine sends its executor, for annotations.
"""

from __future__ import annotations

from typing import Any, Literal, Optional, TypedDict

from oocana_local.context.service import BlockHandler, ServiceContextAbstractClass, ServiceMessage
from oocana_local.context.types import JobDict

__all__ = ["ServiceMessage", "BlockHandler", "ServiceContextAbstractClass", "ServiceExecutor",
           "ServiceExecutePayload", "StopAtOption"]

StopAtOption = Optional[Literal["block_end", "session_end", "app_end", "never"]]  # noqa: UP045


class ServiceExecutor(TypedDict):
    name: str
    entry: str
    function: str
    start_at: Literal["block_start", "session_start", "app_start"] | None
    stop_at: StopAtOption
    keep_alive: int | None


class ServiceExecutePayload(JobDict):
    dir: str
    block_name: str
    service_executor: ServiceExecutor
    outputs: dict[str, Any]
    service_hash: str
