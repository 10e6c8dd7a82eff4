"""``lazy_dataclass``: a dataclass whose methods are made when its first instance is.

``@dataclass`` compiles source code for ``__init__``, ``__repr__``, ``__eq__``, ... as the
class is created: about a millisecond per class, paid by every process that imports it.
The manifest records define a score of classes and a one-node ``run`` instantiates a few;
with this decorator the others cost nothing, and the few pay when they are first used.
Once an instance exists (made, unpickled or copied) the class is an ordinary dataclass;
before that, ``dataclasses.fields(cls)`` needs ``realize(cls)`` first. Type checkers see
``@dataclass`` itself.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

__all__ = ["lazy_dataclass"]


def _realizing_init(self: Any, *args: Any, **kwargs: Any) -> None:
    realize(type(self))
    type(self).__init__(self, *args, **kwargs)


def _realizing_setstate(self: Any, state: Any) -> None:  # unpickled or copied first
    realize(type(self))
    self.__dict__.update(state)


def realize(cls: type) -> None:
    """Make ``cls`` (and its lazy bases, first) a real dataclass now."""
    for klass in reversed(cls.__mro__):
        options = klass.__dict__.get("__lazy_dataclass__")
        if options is not None:
            # dataclass() keeps an __init__ the class defines itself: remove the hooks.
            del klass.__lazy_dataclass__  # type: ignore[attr-defined]
            del klass.__init__  # type: ignore[misc]
            del klass.__setstate__  # type: ignore[attr-defined]
            dataclasses.dataclass(klass, **options)


def _lazy_dataclass(cls: type | None = None, /, **options: Any) -> Any:
    if options.get("slots"):
        raise TypeError("slots=True makes a new class: use @dataclass")

    def wrap(klass: type) -> type:
        klass.__lazy_dataclass__ = options  # type: ignore[attr-defined]
        klass.__init__ = _realizing_init  # type: ignore[misc]
        klass.__setstate__ = _realizing_setstate  # type: ignore[attr-defined]
        return klass

    return wrap if cls is None else wrap(cls)


if TYPE_CHECKING:
    from dataclasses import dataclass as lazy_dataclass
else:
    lazy_dataclass = _lazy_dataclass
