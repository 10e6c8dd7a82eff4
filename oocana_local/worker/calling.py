"""How ``main`` is called: by its number of parameters, as oocana does.

0 parameters: ``main()``; 1: ``main(context)`` if annotated ``Context`` (the class itself,
or the string ``"Context"`` that ``from __future__ import annotations`` leaves), else
``main(inputs)``; 2 or more: ``main(inputs, context)``.
"""

from __future__ import annotations

from types import FunctionType

from ..context import Context

TYPE_CHECKING = False  # typing costs a fresh worker milliseconds: annotations only
if TYPE_CHECKING:
    from typing import Any

__all__ = ["call_args", "is_async"]

_CO_COROUTINE = 0x80


def _is_context(annotation: Any) -> bool:
    if annotation is Context:
        return True
    if isinstance(annotation, str):
        return annotation == "Context" or annotation.endswith(".Context")
    return False


def _signature(fn: Any) -> tuple[int, Any]:
    """(number of parameters, annotation of the first one)."""
    if type(fn) is FunctionType and not hasattr(fn, "__wrapped__"):
        code = fn.__code__
        if code.co_flags & 0x0C == 0 and code.co_kwonlyargcount == 0:  # no *args, **kwargs
            count = code.co_argcount
            first = fn.__annotations__.get(code.co_varnames[0]) if count else None
            return count, first
    import inspect

    parameters = list(inspect.signature(fn).parameters.values())
    first = parameters[0].annotation if parameters else None
    return len(parameters), first


def call_args(fn: Any, context: Context) -> tuple[Any, ...]:
    count, first = _signature(fn)
    if count == 0:
        return ()
    if count == 1:
        return (context,) if _is_context(first) else (context.inputs,)
    return (context.inputs, context)


def is_async(fn: Any) -> bool:
    if type(fn) is FunctionType:
        return bool(fn.__code__.co_flags & _CO_COROUTINE)
    import inspect

    return inspect.iscoroutinefunction(fn)
