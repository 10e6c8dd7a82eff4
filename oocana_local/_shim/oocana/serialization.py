"""``oocana.serialization``: how DataFrames cached for ``serialize_for_cache`` edges are
compressed, kept per package in ``<pkg_data_dir>/__compression_options.json``."""

from __future__ import annotations

from typing import Any

from oocana_local.context import Context
from oocana_local.context.cache import SUFFIXES, set_compression_options
from oocana_local.context.cache import compression_options as _stored_options
from oocana_local.context.types import CompressionOptions

__all__ = ["CompressionOptions", "setup_dataframe_serialization", "compression_options",
           "compression_suffix"]


def setup_dataframe_serialization(context: Context,
                                  compression: CompressionOptions | None = None) -> None:
    """``{"method": "zip" | "gzip" | "bz2" | "zstd" | "xz" | "tar" | None}``; None (or no
    options) goes back to plain ``.pkl``."""
    options: dict[str, Any] | None = dict(compression) if compression else None
    method = (options or {}).get("method")
    if method is not None and method not in SUFFIXES:
        raise ValueError(f"setup_dataframe_serialization: method must be one of "
                         f"{', '.join(SUFFIXES)} or None, not {method!r}")
    if not context.pkg_data_dir:
        context.send_warning("setup_dataframe_serialization: this block has no package data "
                             "folder (context.pkg_data_dir is None), so the compression "
                             "options are not kept")
        return
    set_compression_options(context.pkg_data_dir, options)


def compression_options(context: Context) -> CompressionOptions | None:
    """The options set for the context's package, or None."""
    if not context.pkg_data_dir:
        return None
    method, _ = _stored_options(context.pkg_data_dir)
    if method is None:
        return None
    options: CompressionOptions = {"method": method}  # type: ignore[typeddict-item]
    return options


def compression_suffix(context: Context) -> str:
    """The file suffix of a cached DataFrame: ``.pkl``, ``.zip``, ``.gz``, ..."""
    if not context.pkg_data_dir:
        return ".pkl"
    return _stored_options(context.pkg_data_dir)[1]
