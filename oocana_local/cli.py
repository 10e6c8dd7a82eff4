"""The ``oocana-local`` command line.

Exit codes: 0 the run completed (or ``check`` found no errors), 1 the run failed, 2 bad
usage or invalid manifests (``check --strict``: or any warning), 130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .cli_debug import add_debug_args, debug_settings
from .cli_options import choose_executor, executor_args, list_arg, max_workers_arg, search_paths_arg
from .wire import names

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


MAX_DEPTH = 200
"""How deeply ``--inputs``/``--nodes-inputs`` may nest: far beyond any real value, well
within what the engine's recursive steps (pickling, validation) take."""


def _depth(value: Any) -> int:
    """How deeply lists and objects nest in ``value``, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict)
                                                      else item))
    return deepest


def _json_arg(flag: str, expect: type) -> Any:
    def parse(text: str) -> Any:
        too_deep = argparse.ArgumentTypeError(
            f"{flag} nests lists or objects more than {MAX_DEPTH} levels deep")
        try:
            value = json.loads(text)
        except RecursionError:
            raise too_deep from None
        except json.JSONDecodeError as exc:
            raise argparse.ArgumentTypeError(
                f"{flag} is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
                f"""example: {flag} '{{"a": 1}}'""") from None
        if not isinstance(value, expect):
            raise argparse.ArgumentTypeError(
                f"{flag} must be a JSON object, got {type(value).__name__}")
        if _depth(value) > MAX_DEPTH:
            raise too_deep
        return value

    return parse


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with ``command``, only that command's arguments (what
    ``main`` is about to run: building the other commands costs every run milliseconds)."""
    parser = argparse.ArgumentParser(
        prog="oocana-local",
        description="Develop, test and run OOMOL blocks and flows on your own machine.")
    parser.add_argument("--version", action="version", version=_version())
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in _COMMANDS.items():
        if command is None or name == command:
            add(commands)
    return parser


def _add_run(commands: Any) -> None:
    run = commands.add_parser(
        "run", help="run a flow or a block",
        description="Run a flow (folder, flow.oo.yaml or subflow.oo.yaml) or a block "
                    "(folder, block.oo.yaml or task.oo.yaml) and show it live.")
    groups = _target_args(run)
    groups.inputs.add_argument(
        "--secrets", default=None, metavar="FILE",
        help="secrets file for ${{OO_SECRET:type,name,key}} and oomol/secret inputs (also "
             "$OOCANA_SECRETS_FILE)")
    groups.output.add_argument("--json", action="store_true",
                               help="print one JSON object at the end instead of the live view")
    groups.output.add_argument("--events", type=Path, default=None, metavar="FILE",
                               help="write every event to FILE as JSON Lines")
    groups.output.add_argument("--report", type=Path, default=None, metavar="FILE.html",
                               help="write the run page (graph, states, logs, previews) as one "
                                    "self-contained HTML file")
    groups.output.add_argument("--previews", type=Path, default=None, metavar="DIR",
                               help="save block previews to DIR (default: <session "
                                    "dir>/previews)")
    groups.output.add_argument("--keep-session", action="store_true",
                               help="keep this run's session folder (previews, files) for "
                                    "good; by default only the last $OOCANA_KEEP_SESSIONS (10) "
                                    "are kept")
    _cache_args(groups)
    groups.execution.add_argument("--strict", action="store_true",
                                  help="exit 1 when a node did not run, a value was never "
                                       "used or a warning was raised, even if the run "
                                       "completed")
    groups.advanced.add_argument("--session", default=None, metavar="ID",
                                 help="session id (default: a new uuid)")
    add_debug_args(run)


def _add_check(commands: Any) -> None:
    check = commands.add_parser(
        "check", help="validate every manifest under a path",
        description="Validate every *.oo.yaml under PATH, compile the python blocks "
                    "they use and type-check their TypeScript blocks (without running "
                    "them); list each problem with file, line and a hint. Exit 2 on "
                    "errors (on warnings too with --strict).")
    check.add_argument("path", nargs="?", default=".", help="folder or manifest (default: .)")
    check.add_argument("--strict", action="store_true",
                       help="fail (exit 2) on warnings too, not only on errors")
    check.add_argument("--no-types", dest="types", action="store_false",
                       help="do not type-check TypeScript blocks (tsc); their syntax, "
                            "exports and npm packages are still checked")
    search_paths_arg(check)


def _add_new(commands: Any) -> None:
    new = commands.add_parser(
        "new", help="start a block or a flow, with a passing test",
        description="Write blocks/NAME/ (block.oo.yaml, main.py, test_NAME.py) or flows/NAME/ "
                    "(flow.oo.yaml, an inline scriptlet, a test) in the package around DIR.")
    new.add_argument("kind", choices=["block", "flow"], help="what to create")
    new.add_argument("name", help="folder name: a letter, then letters, digits, _ or -")
    new.add_argument("--lang", choices=["python", "ts"], default="python",
                     help="the block's language: python (main.py) or ts (main.ts, a "
                          "Node.js block); default python")
    new.add_argument("--dir", default=None, metavar="DIR",
                     help="the package folder (default: the package around the current "
                          "folder, else the current folder)")
    new.add_argument("--vscode", action="store_true",
                     help="also write .vscode/launch.json to attach VS Code to a --debug run "
                          "(an existing one is left alone)")


def _add_dev(commands: Any) -> None:
    dev = commands.add_parser(
        "dev", help="run, then re-run what changed on every save",
        description="Run a flow or block, then watch its files: on every saved change to a "
                    "scriptlet (.py), a manifest (*.oo.yaml) or the --inputs-file, run it "
                    "again, reusing every node whose code, manifest and inputs did not "
                    "change. Ctrl-C stops.")
    groups = _target_args(dev, watched=True)
    groups.output.add_argument("--json-lines", action="store_true",
                               help="print one JSON object per run instead of the live view")
    _cache_args(groups, "also reuse (and fill) the disk cache")
    add_debug_args(dev)


def _add_bootstrap(commands: Any) -> None:
    boot = commands.add_parser(
        "bootstrap", help="install a package's dependencies (npm, pip, its own script)",
        description="Install what the blocks of the package at PATH need: its "
                    "scripts.bootstrap from package.oo.yaml when present, else `npm install` "
                    "where there is a package.json and `pip install` of its declared Python "
                    "dependencies; plus esbuild for TypeScript blocks.")
    boot.add_argument("path", nargs="?", default=".", help="the package folder (default: .)")
    boot.add_argument("--node-tools", action="store_true",
                      help="install esbuild (TypeScript support) even if no .ts file is there")


def _add_serve(commands: Any) -> None:
    from .serve.command import add_serve_parser

    add_serve_parser(commands)


def _add_runs(commands: Any) -> None:
    from .serve.command import add_runs_parser

    add_runs_parser(commands)


def _add_view(commands: Any) -> None:
    from .serve.web.command import add_view_parser

    add_view_parser(commands)


def _add_mcp(commands: Any) -> None:
    from .serve.mcp_command import add_mcp_parser

    add_mcp_parser(commands)


def _add_cache(commands: Any) -> None:
    cache = commands.add_parser("cache", help="the node cache: where it is, clear it",
                                description="The node cache of --use-cache.")
    cache_commands = cache.add_subparsers(dest="cache_command", metavar="ACTION")
    for name, text in (("clear", "delete every cached node result"),
                       ("dir", "print the cache folder")):
        action = cache_commands.add_parser(name, help=text, description=text)
        action.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                            help="the cache folder (default $OOCANA_CACHE_DIR or "
                                 "~/.oocana-local/cache)")


_COMMANDS: dict[str, Callable[[Any], None]] = {
    "run": _add_run, "check": _add_check, "new": _add_new, "dev": _add_dev,
    "bootstrap": _add_bootstrap, "serve": _add_serve, "runs": _add_runs, "view": _add_view,
    "mcp": _add_mcp, "cache": _add_cache}
"""Each command and what adds it, in the order ``--help`` lists them."""


class _Groups:
    """The option groups of ``run`` and ``dev``, so that ``--help`` reads by topic."""

    def __init__(self, parser: argparse.ArgumentParser):
        self.inputs = parser.add_argument_group("inputs", "what the flow or block receives")
        self.output = parser.add_argument_group("output", "what is shown and kept")
        self.execution = parser.add_argument_group("execution", "what runs, and how")
        self.advanced = parser.add_argument_group("advanced")


def _cache_args(groups: _Groups,
                text: str = "reuse the results of nodes whose code, manifest and inputs "
                            "did not change since a run with --use-cache") -> None:
    groups.execution.add_argument("--use-cache", action="store_true", help=text)
    groups.advanced.add_argument("--cache-dir", type=Path, default=None, metavar="DIR",
                                 help="the cache folder (default $OOCANA_CACHE_DIR or "
                                      "~/.oocana-local/cache)")


def _target_args(parser: argparse.ArgumentParser, *, watched: bool = False) -> _Groups:
    """What to run and with what: shared by ``run`` and ``dev``."""
    parser.add_argument("path", help="flow or block folder, or a .oo.yaml file")
    groups = _Groups(parser)
    groups.inputs.add_argument("--inputs", type=_json_arg("--inputs", dict), default=None,
                               metavar="JSON", help='root inputs, e.g. \'{"n": 3}\'')
    groups.inputs.add_argument("--inputs-file", type=Path, default=None, metavar="FILE",
                               help="root inputs from a JSON file (its keys win over "
                                    "--inputs)" + ("; re-read, and re-run, when it is saved"
                                                   if watched else ""))
    groups.inputs.add_argument("--nodes-inputs", type=_json_arg("--nodes-inputs", dict),
                               default=None, metavar="JSON",
                               help='static values per node: \'{"node": {"handle": 1}}\'')
    groups.execution.add_argument("--nodes", type=list_arg, default=None, metavar="A,B",
                                  help="run only these nodes and what they need upstream")
    max_workers_arg(groups.execution)
    executor_args(groups.execution, groups.advanced)
    search_paths_arg(groups.advanced)
    return groups


def _version() -> str:
    from . import __version__

    return f"oocana-local {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    global _gc_paused
    entry = argv is None  # the process's entry point (the console script, -m): it exits next
    if entry and sys.argv[1:2] == ["run"]:
        # Starting a run allocates much and frees little (imports, manifests): collecting
        # meanwhile is wasted work (~10 ms). _resume_gc turns it on as the run starts.
        gc.disable()
        _gc_paused = True
    code = _dispatch(argv)
    if entry:
        # Exiting collects every object the engine made (~30 ms for a one-node run);
        # frozen objects are skipped, and the process frees them all at once.
        gc.freeze()
    return code


_gc_paused = False


def _resume_gc() -> None:
    """Collect again (``main`` paused it), what start-up made frozen: it lives as long as
    the process, and the collections of a long run need not trace it."""
    global _gc_paused
    if _gc_paused:
        _gc_paused = False
        gc.freeze()
        gc.enable()


def _dispatch(argv: Sequence[str] | None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words and words[0] in _COMMANDS else None)
    args = parser.parse_args(words)
    from .cli_errors import reported

    with reported() as outcome:
        outcome.code = _command(args, parser)
    return outcome.code


def _command(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command == "run":
        return cmd_run(args)
    if args.command == "check":
        return cmd_check(args)
    if args.command == "dev":
        from .devmode import dev_command
        if choose_executor(args) is None:
            return EXIT_USAGE
        return dev_command(args)
    if args.command == "cache":
        return cmd_cache(args, parser)
    if args.command == "new":
        return cmd_new(args)
    if args.command == "bootstrap":
        return cmd_bootstrap(args)
    if args.command == "view":
        from .serve.web.command import view_command

        return view_command(args)
    if args.command == "mcp":
        from .serve.mcp_command import mcp_command

        return mcp_command(args)
    if args.command in ("serve", "runs"):
        from .serve import command

        return command.serve_command(args) if args.command == "serve" \
            else command.runs_command(args)
    parser.print_help()
    return EXIT_USAGE


def _print_problems(problems: list[Any]) -> None:
    for problem in problems:
        print(problem.format(), file=sys.stderr)


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from .bootstrap import bootstrap, summary

    path = Path(args.path)
    if not path.exists():
        print(f"oocana-local: {path} does not exist", file=sys.stderr)
        return EXIT_USAGE
    steps = bootstrap(path, node_tools=args.node_tools,
                      out=lambda line: print(line, flush=True))
    print(summary(steps))
    return EXIT_OK if all(step.ok for step in steps) else EXIT_FAILED


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, new_block, new_flow, report

    try:
        if args.kind == "block":
            scaffold = new_block(args.name, args.dir, lang=args.lang)
        else:
            scaffold = new_flow(args.name, args.dir)
    except ScaffoldError as exc:
        print(f"oocana-local: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(report(scaffold))
    if args.vscode:
        from .scaffold_vscode import write_launch_json

        print(write_launch_json(scaffold.root)[1])
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from .engine import search_paths_from_env
    from .manifest import check

    path = Path(args.path)
    if not path.exists():
        print(f"oocana-local: {path} does not exist", file=sys.stderr)
        return EXIT_USAGE
    problems = check(path, search_paths=[*args.search_paths, *search_paths_from_env()],
                     types=args.types)
    _print_problems(problems)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors or (warnings and args.strict):
        strict = " (--strict: warnings fail too)" if args.strict and not errors else ""
        print(f"{errors} error(s), {warnings} warning(s){strict}", file=sys.stderr)
        return EXIT_USAGE
    if warnings:
        print(f"{path}: no errors, {warnings} warning(s) (--strict makes warnings fail)",
              file=sys.stderr)
        return EXIT_OK
    print(f"{path}: all manifests are valid")
    return EXIT_OK


def cmd_cache(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from .runtime.cache import NodeCache

    if not args.cache_command:
        parser.parse_args(["cache", "--help"])
        return EXIT_USAGE
    cache = NodeCache(args.cache_dir)
    if args.cache_command == "dir":
        print(cache.directory)
        return EXIT_OK
    if args.cache_command == "clear":
        print(f"removed {cache.clear()} cached result(s) from {cache.directory}")
        return EXIT_OK
    parser.parse_args(["cache", "--help"])
    return EXIT_USAGE


def _node_cache(args: argparse.Namespace) -> Any:
    if not args.use_cache:
        return None
    from .runtime.cache import NodeCache

    return NodeCache(args.cache_dir)


def cmd_run(args: argparse.Namespace) -> int:
    from .cli_paths import missing_path_message

    path = Path(args.path)
    if not path.exists():
        print(f"oocana-local: {missing_path_message(path)}", file=sys.stderr)
        return EXIT_USAGE
    from .executor.prelaunch import discard_early, launch_early

    executor = choose_executor(args)
    if executor is None:
        return EXIT_USAGE
    if executor == "local" and not args.debug:  # a debug run's worker starts under debugpy
        launch_early()  # the first worker starts while the engine imports and reads manifests
    try:
        return _run(args, path)
    finally:
        discard_early()  # not taken: the run stopped before it needed a worker


def _run(args: argparse.Namespace, path: Path) -> int:
    from .cli_paths import block_of_entry
    from .engine import Engine
    from .errors import ManifestError, UsageError

    recorder = None
    view = None
    from .runtime.options import RunOptions

    try:
        inputs = args.inputs
        if args.inputs_file is not None:
            from .inputs_file import read_inputs_file

            inputs = read_inputs_file(args.inputs_file, inputs)
        options = RunOptions(inputs=inputs, nodes_inputs=args.nodes_inputs,
                             nodes=args.nodes, session_id=args.session,
                             secrets_file=args.secrets, cache=_node_cache(args)).resolve()
        if args.previews is not None:  # refused now, not at the first preview
            from .paths import user_folder

            user_folder(args.previews, "--previews")
    except UsageError as exc:
        print(f"oocana-local: {exc}", file=sys.stderr)
        return EXIT_USAGE
    assert options.session_dir is not None
    try:
        engine = Engine(search_paths=args.search_paths, max_workers=args.max_workers,
                        executor=args.executor, ray_address=args.ray_address,
                        debug=debug_settings(args))
    except UsageError as exc:
        print(f"oocana-local: {exc}", file=sys.stderr)
        return EXIT_USAGE
    with engine:
        warnings: list[Any] = []
        try:
            if path.suffix == ".py" and path.is_file():
                path = block_of_entry(path, engine.load)
            target = engine.load(path, warnings=warnings)
        except ManifestError as exc:
            _print_problems(exc.problems)
            return EXIT_USAGE
        except UsageError as exc:
            print(f"oocana-local: {exc}", file=sys.stderr)
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
        from .mainframe.previews import PreviewSaver

        subscribers.append(PreviewSaver(
            args.previews or Path(options.session_dir) / "previews",
            on_saved=view.preview_saved if view is not None else None))
        try:
            if view is not None:
                view.start()
            _resume_gc()
            result = engine.run(target, options, subscribers=subscribers,
                                handle_sigint=True)
        except UsageError as exc:
            if view is not None:
                view.stop()
            print(f"oocana-local: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except BaseException:
            if view is not None:
                view.stop()
            raise
        finally:
            if recorder is not None:
                recorder.close()
        if view is not None:
            view.stop()
    if args.report is not None:
        from .serve.web.command import write_run_report

        problem = write_run_report(args.report, result.events, target)
        print(f"oocana-local: {problem}" if problem else f"report: {args.report}",
              file=sys.stderr)
    if args.keep_session:
        from .runtime.session_folders import keep

        keep(Path(options.session_dir))
        print(f"session folder kept: {options.session_dir}", file=sys.stderr)
    if args.json:
        from .mainframe.jsonable import dumps

        print(dumps(result.summary()))
    if result.status == "cancelled":
        return EXIT_INTERRUPTED
    if result.status == "completed" and args.strict:
        broken = _strict_problems(result, warnings)
        if broken:
            print(f"oocana-local: --strict: {'; '.join(broken)}", file=sys.stderr)
            return EXIT_FAILED
    return EXIT_OK if result.status == "completed" else EXIT_FAILED


def _strict_problems(result: Any, warnings: list[Any]) -> list[str]:
    """What ``--strict`` fails a completed run for."""
    problems = []
    if result.not_run:
        problems.append(f"{len(result.not_run)} node(s) did not run "
                        f"({', '.join(result.not_run)})")
    if result.unconsumed:
        waiting = sum(sum(h.values()) for h in result.unconsumed.values())
        problems.append(f"{waiting} value(s) were never used "
                        f"({', '.join(result.unconsumed)})")
    raised = sum(e.get("type") == names.BLOCK_WARNING for e in result.events) + len(warnings)
    if raised:
        problems.append(f"{raised} warning(s) were raised")
    return problems


if __name__ == "__main__":
    raise SystemExit(main())
