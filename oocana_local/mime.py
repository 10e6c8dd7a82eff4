"""What kind of image some bytes are, from their first bytes (previews, saved files)."""

from __future__ import annotations

__all__ = ["sniff_image"]

_MAGIC = (
    (b"\x89PNG", "image/png"),
    (b"\xff\xd8", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


def sniff_image(data: bytes) -> str | None:
    """The image mime type of ``data`` (PNG, JPEG, GIF, WebP, SVG), or None."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:256].lstrip().lower().startswith((b"<svg", b"<?xml")):
        return "image/svg+xml"
    return None
