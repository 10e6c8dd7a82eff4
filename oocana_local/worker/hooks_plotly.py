"""plotly's ``fig.show()`` inside a block sends an html preview that renders offline.

Installed by ``hooks`` right after a block first imports ``plotly.io``: a renderer named
``oocana_local`` becomes plotly's default, and renders through ``preview_plotly`` (plotly.js
from a local file of the session, never a CDN).
"""

from __future__ import annotations

from typing import Any

from ..context.preview_plotly import figure_html
from .running import current_context

__all__ = ["install", "RENDERER"]

RENDERER = "oocana_local"


def install(pio: Any) -> None:
    from plotly.io.base_renderers import ExternalRenderer

    class OocanaLocalRenderer(ExternalRenderer):
        """Sends each shown figure as an ``html`` preview of the current job."""

        def render(self, fig_dict: dict[str, Any]) -> None:
            context = current_context()
            if context is None:
                return
            context.preview({"type": "html", "data": figure_html(fig_dict,
                                                                 context.session_dir)})

    pio.renderers[RENDERER] = OocanaLocalRenderer()
    pio.renderers.default = RENDERER
