"""Figures, images and rich objects as preview payloads (data URLs and html).

Imported only when a block previews something that is not plain JSON or a table.
Recognises values by their shape and the module of their type, so it imports none of
matplotlib, plotly or PIL itself.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from ..mime import sniff_image

__all__ = ["object_payload", "image_url", "data_url", "figure_png", "is_plotly_figure"]


def data_url(data: bytes | str, mime: str) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return f"data:{mime};base64," + base64.b64encode(raw).decode("ascii")


def _module(value: Any) -> str:
    return type(value).__module__ or ""


def _matplotlib_figure(value: Any) -> Any:
    """The figure to save for a figure, an axes or ``pyplot`` itself; else None."""
    if callable(getattr(value, "savefig", None)):
        return value
    if _module(value).startswith("matplotlib"):
        figure = getattr(value, "figure", None)
        if callable(getattr(figure, "savefig", None)):
            return figure
    return None


def figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def is_plotly_figure(value: Any) -> bool:
    return _module(value).startswith("plotly") and callable(getattr(value, "to_plotly_json",
                                                                     None))


def _is_pil_image(value: Any) -> bool:
    return (_module(value).startswith("PIL") and callable(getattr(value, "save", None))
            and hasattr(value, "mode") and hasattr(value, "size"))


def pil_png(image: Any) -> bytes:
    buffer = io.BytesIO()
    try:
        image.save(buffer, format="PNG")
    except (OSError, ValueError, KeyError):  # modes PNG cannot hold (CMYK, I;16B, ...)
        buffer = io.BytesIO()
        image.convert("RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def _repr(value: Any, name: str) -> Any:
    method = getattr(type(value), name, None)
    if method is None or not callable(method):
        return None
    try:
        out = method(value)
    except NotImplementedError:
        return None
    if isinstance(out, tuple):  # IPython's (data, metadata)
        out = out[0] if out else None
    return out


def _bytes_mime(data: bytes) -> str:
    return sniff_image(data) or "application/octet-stream"


def _rich_image(value: Any) -> str | None:
    png = _repr(value, "_repr_png_")
    if png:
        return data_url(base64.b64decode(png) if isinstance(png, str) else png, "image/png")
    jpeg = _repr(value, "_repr_jpeg_")
    if jpeg:
        return data_url(base64.b64decode(jpeg) if isinstance(jpeg, str) else jpeg,
                        "image/jpeg")
    svg = _repr(value, "_repr_svg_")
    if svg:
        return data_url(svg, "image/svg+xml")
    return None


def image_url(value: Any, session_dir: str | None = None) -> Any:
    """One element of an ``image`` payload: a data URL for figures, images and bytes;
    strings (paths, URLs, base64, data URLs) as they are."""
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        return data_url(raw, _bytes_mime(raw))
    figure = _matplotlib_figure(value)
    if figure is not None:
        return data_url(figure_png(figure), "image/png")
    if _is_pil_image(value):
        return data_url(pil_png(value), "image/png")
    url = _rich_image(value)
    if url is not None:
        return url
    if is_plotly_figure(value):  # an image of a plotly figure needs kaleido: say so
        raise TypeError("a plotly figure previews as html: context.preview(fig), not as "
                        "an image")
    return str(value)


def object_payload(value: Any, session_dir: str | None = None) -> dict[str, Any] | None:
    """The payload of a figure, image or rich object, or None when it is none of those."""
    if is_plotly_figure(value):
        from .preview_plotly import figure_html

        return {"type": "html", "data": figure_html(value, session_dir)}
    figure = _matplotlib_figure(value)
    if figure is not None:
        return {"type": "image", "data": data_url(figure_png(figure), "image/png")}
    if _is_pil_image(value):
        return {"type": "image", "data": data_url(pil_png(value), "image/png")}
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        mime = _bytes_mime(raw)
        if mime.startswith("image/"):
            return {"type": "image", "data": data_url(raw, mime)}
        return None
    url = _rich_image(value)
    if url is not None:
        return {"type": "image", "data": url}
    html = _repr(value, "_repr_html_")
    if isinstance(html, str) and html:
        return {"type": "html", "data": html}
    markdown = _repr(value, "_repr_markdown_")
    if isinstance(markdown, str) and markdown:
        return {"type": "markdown", "data": markdown}
    return None
