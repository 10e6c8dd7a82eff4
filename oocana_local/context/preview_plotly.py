"""A plotly figure as an html page that renders offline.

oocana's page loads plotly.js from a CDN, so it shows nothing without a network. Here the
page loads ``<tmp>/oocana-local/shared/plotly-<version>.min.js``, copied once from the
plotly package itself, through a ``file://`` URL: a preview costs a few kB instead of the
3.5 MB that inlining plotly.js would add to every message, event log and saved file, and
every preview of every session shares one copy. Without a folder to write to, the
page inlines plotly.js instead; in neither case does it reference a CDN (MathJax, which
plotly would also take from a CDN, is left out).
"""

from __future__ import annotations

import os
import re
from typing import Any

__all__ = ["figure_html", "plotly_js_file", "PLOTLY_JS_NAME"]

PLOTLY_JS_NAME = "plotly.min.js"
_STYLE = "<style>html, body { height: 100%; margin: 0; }</style>"
_HTML_TAG = re.compile(r"<html[^>]*?>", re.IGNORECASE)


def _package_plotly_js() -> str | None:
    import plotly

    path = os.path.join(os.path.dirname(plotly.__file__), "package_data", PLOTLY_JS_NAME)
    return path if os.path.isfile(path) else None


def shared_dir() -> str:
    """Files every session shares (the runtime's ``session_folders`` never prunes it)."""
    import tempfile

    return os.path.join(tempfile.gettempdir(), "oocana-local", "shared")


def plotly_js_file(session_dir: str | None = None) -> str:
    """The shared ``plotly-<version>.min.js``, written on first use; raises OSError.
    (``session_dir`` is accepted for callers of the per-session copy of old.)"""
    import plotly

    target = os.path.join(shared_dir(), f"plotly-{plotly.__version__}.min.js")
    source = _package_plotly_js()
    if source is not None:
        size = os.path.getsize(source)
        if os.path.isfile(target) and os.path.getsize(target) == size:
            return target
        with open(source, "rb") as file:
            data = file.read()
    else:
        from plotly.offline import get_plotlyjs

        data = get_plotlyjs().encode("utf-8")
        if os.path.isfile(target) and os.path.getsize(target) == len(data):
            return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    temporary = f"{target}.{os.getpid()}.tmp"  # workers and engines may race: replace
    with open(temporary, "wb") as file:
        file.write(data)
    os.replace(temporary, target)
    return target


def _file_url(path: str) -> str:
    from pathlib import Path

    return Path(path).resolve().as_uri()


def figure_html(figure: Any, session_dir: str | None = None) -> str:
    """A full html page of ``figure`` (a plotly figure or figure dict)."""
    import plotly.io as pio

    include: Any = True  # inline, when there is no session folder to hold the file
    if session_dir:
        try:
            include = _file_url(plotly_js_file(session_dir))
        except OSError:
            include = True
    html = pio.to_html(figure, include_plotlyjs=include, include_mathjax=False,
                       full_html=True, default_width="100%", default_height="100%",
                       validate=False)
    match = _HTML_TAG.search(html)
    if match is not None:
        html = html[:match.end()] + _STYLE + html[match.end():]
    return html
