"""The matplotlib backend of block workers: Agg rendering, and ``show()`` previews.

A worker makes this matplotlib's backend when a block imports matplotlib (see
``hooks``), so figures render without a display and

* ``plt.show()`` sends one ``{"type": "image", "data": [png data URL, ...]}`` preview of
  every open figure, then closes them: a second ``plt.show()`` sends nothing again
  (oocana leaves them open and sends the same figures again);
* ``fig.show()`` sends ``{"type": "image", "data": <png data URL>}`` of that figure and
  closes it.

Outside a job (nothing ran yet) ``show()`` says so on stderr and leaves figures alone.
"""

from __future__ import annotations

import sys
from typing import Any

from matplotlib._pylab_helpers import Gcf
from matplotlib.backend_bases import FigureManagerBase
from matplotlib.backends.backend_agg import FigureCanvasAgg

from ..context.preview_media import data_url, figure_png
from .running import current_context

__all__ = ["FigureCanvas", "FigureManager", "show"]


def _context() -> Any:
    context = current_context()
    if context is None:
        print("oocana-local: plt.show() outside a block job; no preview sent",
              file=sys.__stderr__)
    return context


def _png_url(figure: object) -> str:
    return data_url(figure_png(figure), "image/png")


class FigureManager(FigureManagerBase):
    def show(self) -> None:
        context = _context()
        if context is None:
            return
        context.preview({"type": "image", "data": _png_url(self.canvas.figure)})
        Gcf.destroy(self)


class FigureCanvas(FigureCanvasAgg):
    manager_class = FigureManager


def show(*args: object, **kwargs: object) -> None:
    managers = Gcf.get_all_fig_managers()
    if not managers:
        return
    context = _context()
    if context is None:
        return
    try:
        urls = [_png_url(manager.canvas.figure) for manager in managers]
    finally:
        for manager in managers:
            Gcf.destroy(manager)
    context.preview({"type": "image", "data": urls})
