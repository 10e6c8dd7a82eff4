"""The ``oocana-local`` command line.

Exit codes: 0 the run completed (or ``check`` found nothing), 1 the run failed, 2 bad
usage or invalid manifests, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _json_arg(flag: str, expect: type) -> Any:
    def parse(text: str) -> Any:
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(
                f"{flag} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                f"""example: {flag} '{{"a": 1}}'""") from None
        if not isinstance(value, expect):
            raise argparse.ArgumentTypeError(
                f"{flag} must be a JSON object, got {type(value).__name__}")
        return value

    return parse


def _list_arg(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oocana-local",
        description="Develop, test and run OOMOL blocks and flows on your own machine.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = commands.add_parser(
        "run", help="run a flow or a block",
        description="Run a flow (folder, flow.oo.yaml or subflow.oo.yaml) or a block "
                    "(folder, block.oo.yaml or task.oo.yaml) and show it live.")
    run.add_argument("path", help="flow or block folder, or a .oo.yaml file")
    run.add_argument("--inputs", type=_json_arg("--inputs", dict), default=None,
                     metavar="JSON", help='root inputs, e.g. \'{"n": 3}\'')
    run.add_argument("--nodes-inputs", type=_json_arg("--nodes-inputs", dict), default=None,
                     metavar="JSON", help='static values per node: \'{"node": {"handle": 1}}\'')
    run.add_argument("--nodes", type=_list_arg, default=None, metavar="A,B",
                     help="run only these nodes and what they need upstream")
    _search_paths_arg(run)
    run.add_argument("--session", default=None, metavar="ID",
                     help="session id (default: a new uuid)")
    run.add_argument("--events", type=Path, default=None, metavar="FILE",
                     help="write every event to FILE as JSON Lines")
    run.add_argument("--json", action="store_true",
                     help="print one JSON object at the end instead of the live view")
    run.add_argument("--max-workers", type=int, default=None, metavar="N",
                     help="most worker processes at once (default 8)")

    check = commands.add_parser(
        "check", help="validate every manifest under a path",
        description="Validate every *.oo.yaml under PATH and list each problem with "
                    "file, line and a hint.")
    check.add_argument("path", nargs="?", default=".", help="folder or manifest (default: .)")
    _search_paths_arg(check)
    return parser


def _search_paths_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--search-paths", type=_list_arg, default=[], metavar="A,B",
                        help="package search paths (also $OOCANA_SEARCH_PATHS)")


def _version() -> str:
    from . import __version__

    return f"oocana-local {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "run":
        return cmd_run(args)
    if args.command == "check":
        return cmd_check(args)
    parser.print_help()
    return EXIT_USAGE


def _print_problems(problems: list[Any]) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)


def cmd_check(args: argparse.Namespace) -> int:
    from .engine import search_paths_from_env
    from .manifest import check

    path = Path(args.path)
    if not path.exists():
        print(f"oocana-local: {path} does not exist", file=sys.stderr)
        return EXIT_USAGE
    problems = check(path, search_paths=[*args.search_paths, *search_paths_from_env()])
    _print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if problems:
        print(f"{errors} error(s), {warnings} warning(s)", file=sys.stderr)
        return EXIT_USAGE
    print(f"{path}: all manifests are valid")
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from .engine import Engine
    from .errors import ManifestError, UsageError

    path = Path(args.path)
    if not path.exists():
        print(f"oocana-local: {path} does not exist", file=sys.stderr)
        return EXIT_USAGE
    recorder = None
    view = None
    with Engine(search_paths=args.search_paths, max_workers=args.max_workers) as engine:
        warnings: list[Any] = []
        try:
            target = engine.load(path, warnings=warnings)
        except ManifestError as exc:
            _print_problems(exc.problems)
            return EXIT_USAGE
        _print_problems(warnings)
        subscribers: list[Any] = []
        if args.events is not None:
            from .mainframe.recorder import JsonlRecorder

            try:
                recorder = JsonlRecorder(args.events)
            except OSError as exc:
                print(f"oocana-local: cannot write events to {args.events}: {exc}",
                      file=sys.stderr)
                return EXIT_USAGE
            subscribers.append(recorder)
        if not args.json:
            from .mainframe.view import LiveView

            view = LiveView()
            subscribers.append(view)
        try:
            if view is not None:
                view.start()
            result = engine.run(target, inputs=args.inputs, nodes_inputs=args.nodes_inputs,
                                nodes=args.nodes, session_id=args.session,
                                subscribers=subscribers, handle_sigint=True)
        except UsageError as exc:
            if view is not None:
                view.stop()
            print(f"oocana-local: {exc}", file=sys.stderr)
            return EXIT_USAGE
        finally:
            if recorder is not None:
                recorder.close()
        if view is not None:
            view.stop()
    if args.json:
        from .mainframe.jsonable import dumps

        print(dumps(result.summary()))
    if result.status == "cancelled":
        return EXIT_INTERRUPTED
    return EXIT_OK if result.status == "completed" else EXIT_FAILED


if __name__ == "__main__":
    raise SystemExit(main())
