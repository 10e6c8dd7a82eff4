# No `from __future__ import annotations` here: the engine tells main(context: Context)
# from main(inputs) by the annotation object itself.
from oocana import Context


def main(context: Context):
    if not isinstance(context, Context):
        raise TypeError(f"expected a Context, got {type(context).__name__}")
    return {"out": context.node_id}
