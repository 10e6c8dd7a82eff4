"""PIL's ``Image.show()`` inside a block sends an image preview instead of opening a
viewer program (there is no display in a worker)."""

from __future__ import annotations

from typing import Any

from .running import current_context

__all__ = ["install"]


def install(image_module: Any) -> None:
    original = image_module.Image.show

    def show(self: Any, title: str | None = None) -> None:
        context = current_context()
        if context is None:
            return original(self, title)
        payload: dict[str, Any] = {"type": "image", "data": self}
        context.preview(payload if title is None else {**payload, "title": title})
        return None

    show.__doc__ = original.__doc__
    image_module.Image.show = show
