"""A plotly figure as an html page that renders offline.

oocana's page loads plotly.js from a CDN, so it shows nothing without a network. Here the
page loads ``<tmp>/oocana-local-of-<user>/shared/plotly-<version>.min.js`` (a folder of
this user's alone), copied from the plotly package itself and checked against it, through a
``file://`` URL: a preview costs a few kB instead of the
3.5 MB that inlining plotly.js would add to every message, event log and saved file, and
every preview of every session shares one copy. Without a folder to write to, the
page inlines plotly.js instead; in neither case does it reference a CDN (MathJax, which
plotly would also take from a CDN, is left out).
"""

from __future__ import annotations

import contextlib
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
    """Files every session of this user shares (``<tmp>/oocana-local-of-<user>/shared``,
    a folder of this user's alone: ``paths.own_tmp_root``); raises OSError."""
    from ..paths import own_tmp_root

    folder = own_tmp_root() / "shared"
    folder.mkdir(mode=0o700, exist_ok=True)
    return str(folder)


def _plotly_js() -> bytes:
    source = _package_plotly_js()
    if source is not None:
        with open(source, "rb") as file:
            return file.read()
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


_verified: dict[str, tuple[int, int]] = {}  # path -> (size, mtime) checked in this process


def plotly_js_file(session_dir: str | None = None) -> str:
    """The shared ``plotly-<version>.min.js``, written on first use and checked byte for
    byte against plotly's own once per process; raises OSError.
    (``session_dir`` is accepted for callers of the per-session copy of old.)"""
    import plotly

    target = os.path.join(shared_dir(), f"plotly-{plotly.__version__}.min.js")
    seen = _stamp(target)
    if seen is not None and _verified.get(target) == seen:
        return target
    data = _plotly_js()
    if seen is not None and seen[0] == len(data):
        with open(target, "rb") as file:
            if file.read() == data:
                _verified[target] = seen
                return target
    # A fresh file of an unpredictable name (O_EXCL: never through a link), then renamed
    # over the target: workers and engines may race, each rename is whole.
    import tempfile

    fd, temporary = tempfile.mkstemp(prefix=".plotly-", suffix=".tmp",
                                     dir=os.path.dirname(target))
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    stamp = _stamp(target)
    if stamp is not None:
        _verified[target] = stamp
    return target


def _stamp(path: str) -> tuple[int, int] | None:
    """(size, mtime) of a regular file at ``path`` (not a link), else None."""
    import stat

    try:
        info = os.lstat(path)
    except OSError:
        return None
    return (info.st_size, info.st_mtime_ns) if stat.S_ISREG(info.st_mode) else None


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
