"""Options that several commands share (``run``, ``dev``, ``serve``, ``mcp``), written once."""

from __future__ import annotations

from typing import Any

__all__ = ["executor_args", "choose_executor", "list_arg", "max_workers_arg",
           "search_paths_arg"]


def list_arg(text: str) -> list[str]:
    """``A,B`` as ``["A", "B"]`` (blanks dropped)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _workers(text: str) -> int:
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--max-workers must be a whole number, got {text!r}"
                                         ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--max-workers must be 1 or more, got {value}")
    return value


def max_workers_arg(parser: Any) -> None:
    parser.add_argument("--max-workers", type=_workers, default=None, metavar="N",
                        help="most worker processes at once (default 8)")


def search_paths_arg(parser: Any) -> None:
    parser.add_argument("--search-paths", type=list_arg, default=[], metavar="A,B",
                        help="package search paths (also $OOCANA_SEARCH_PATHS)")


def executor_args(parser: Any, advanced: Any = None) -> None:
    """``--executor`` and ``--ray-address`` (in ``advanced`` when given)."""
    parser.add_argument("--executor", choices=("local", "ray"), default=None,
                        help="where Python blocks run: local worker processes (default) or "
                             "Ray actors (also $OOCANA_LOCAL_EXECUTOR)")
    (advanced or parser).add_argument(
        "--ray-address", default=None, metavar="ADDRESS",
        help="with --executor ray: 'auto' or 'ray://host:port' joins a cluster; none starts "
             "a local Ray runtime (also $OOCANA_LOCAL_RAY_ADDRESS)")


def choose_executor(args: Any) -> str | None:
    """The executor ``--executor``/``--ray-address`` (or the environment) choose; None,
    after one line on stderr, when the choice cannot work (e.g. Ray is not installed)."""
    import sys

    from .errors import UsageError
    from .executor.choice import choose

    try:
        executor, _ = choose(args.executor, args.ray_address)
    except UsageError as exc:
        print(f"oocana-local: {exc}", file=sys.stderr)
        return None
    return executor
