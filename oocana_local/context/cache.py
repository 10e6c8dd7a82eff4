"""Compression of cached DataFrames (``setup_dataframe_serialization``), as oocana keeps
it: ``<pkg_data_dir>/__compression_options.json`` holding ``{"method": ...}``."""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["compression_options", "set_compression_options", "SUFFIXES"]

SUFFIXES = {"zip": ".zip", "gzip": ".gz", "bz2": ".bz2", "zstd": ".zst", "xz": ".xz",
            "tar": ".tar"}
_FILE = "__compression_options.json"


def compression_options(pkg_data_dir: str) -> tuple[str | None, str]:
    """``(pandas compression method, file suffix)``; ``(None, ".pkl")`` by default."""
    try:
        with open(os.path.join(pkg_data_dir, _FILE), encoding="utf-8") as file:
            method = json.load(file).get("method")
    except (OSError, ValueError, AttributeError):
        return None, ".pkl"
    if method in SUFFIXES:
        return method, SUFFIXES[method]
    return None, ".pkl"


def set_compression_options(pkg_data_dir: str, options: dict[str, Any] | None) -> None:
    path = os.path.join(pkg_data_dir, _FILE)
    method = (options or {}).get("method")
    if method is None:
        try:
            os.unlink(path)
        except OSError:
            pass
        return
    if method not in SUFFIXES:
        raise ValueError(f"compression method must be one of {', '.join(SUFFIXES)} or None, "
                         f"not {method!r}")
    os.makedirs(pkg_data_dir, exist_ok=True)
    with open(path, "w", encoding="utf-8") as file:
        json.dump({"method": method}, file)
