"""What a service's ``function(service)`` receives, as oocana types it (``oocana.service``).

The worker's ``Service`` (``worker/service.py``) subclasses ``ServiceContextAbstractClass``,
so ``main(service: ServiceContextAbstractClass)`` is true to its annotation.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any, TypedDict, Union

from .context import Context

__all__ = ["ServiceMessage", "BlockHandler", "ServiceContextAbstractClass"]


class ServiceMessage(TypedDict):
    job_id: str
    node_id: str
    flow_path: str
    payload: Any


BlockHandler = Union[  # noqa: UP007  (a runtime alias, as oocana's)
    Callable[[str, Any, Context], Any],
    dict[str, Callable[[Any, Context], Any]],
]
"""One function ``(block_name, inputs, context)`` for every block of the service, or a
dict ``block_name -> function(inputs, context)``."""


class ServiceContextAbstractClass(abc.ABC):
    """The service object: set ``block_handler`` and the service serves its blocks.

    With ``waiting_ready_notify = True`` (set it before ``block_handler``) no block runs
    until ``notify_ready()`` is called, e.g. once a model has loaded in the background.
    """

    @property
    @abc.abstractmethod
    def block_handler(self) -> BlockHandler: ...

    @block_handler.setter
    @abc.abstractmethod
    def block_handler(self, value: BlockHandler) -> None: ...

    @property
    @abc.abstractmethod
    def waiting_ready_notify(self) -> bool: ...

    @waiting_ready_notify.setter
    @abc.abstractmethod
    def waiting_ready_notify(self, value: bool) -> None: ...

    def __setitem__(self, key: str, value: Any) -> None:  # noqa: B027 - oocana's no-op default
        pass

    def notify_ready(self) -> None:  # noqa: B027 - oocana's no-op default
        pass

    def add_message_callback(self, callback: Callable[[ServiceMessage], Any]) -> None:  # noqa: B027
        pass
