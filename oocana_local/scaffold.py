"""``oocana-local new block NAME`` / ``new flow NAME``: start a block or a flow, with a
test that passes, in the layout oocana uses (``blocks/NAME/``, ``flows/NAME/``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Scaffold", "ScaffoldError", "new_block", "new_flow", "validate_name"]

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class ScaffoldError(Exception):
    """Bad name or a file in the way; nothing was written."""


@dataclass
class Scaffold:
    root: Path
    """The package folder (or the folder given / the current one outside a package)."""
    in_package: bool
    files: list[Path] = field(default_factory=list)
    run_command: str = ""
    test_command: str = ""


def validate_name(name: str) -> str:
    if not _NAME.match(name):
        raise ScaffoldError(
            f"invalid name {name!r}: use a letter, then letters, digits, '_' or '-' "
            "(at most 64 characters), e.g. 'word_count'")
    return name


def _root(directory: str | Path | None) -> tuple[Path, bool]:
    from .testing.blocks import package_root

    start = Path(directory) if directory is not None else Path.cwd()
    if directory is not None and not start.exists():
        return start.resolve(), False
    root = package_root(start)
    return (root, True) if root is not None else (start.resolve(), False)


def _write(scaffold: Scaffold, files: dict[Path, str]) -> Scaffold:
    taken = [path for path in files if path.exists()]
    if taken:
        shown = ", ".join(_rel(p) for p in taken)
        raise ScaffoldError(f"{shown} already exist{'s' if len(taken) == 1 else ''}; "
                            "nothing was written (pick another name or remove it)")
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        scaffold.files.append(path)
    return scaffold


def _title(name: str) -> str:
    return re.sub(r"[_-]+", " ", name).strip().capitalize()


def _module(name: str) -> str:
    return name.replace("-", "_")


# -- a block ------------------------------------------------------------------------------

_BLOCK_YAML = """\
title: {title}
description: Greet someone. Replace this with what {name} does.
executor:
  name: python
  options:
    entry: main.py
inputs_def:
  - handle: who
    description: Who to greet.
    json_schema: {{type: string}}
    value: world
  - handle: times
    description: How many times to say hello.
    json_schema: {{type: integer, minimum: 1}}
    value: 1
outputs_def:
  - handle: greeting
    json_schema: {{type: string}}
"""

_BLOCK_MAIN = '''\
#region generated meta
import typing


class Inputs(typing.TypedDict):
    who: str
    times: int


class Outputs(typing.TypedDict):
    greeting: str
#endregion

from oocana import Context


def main(params: Inputs, context: Context) -> Outputs:
    """The block's work: inputs in, outputs out (the handles of block.oo.yaml)."""
    context.logger.info("greeting %s", params["who"])
    context.report_progress(100)
    return {{"greeting": " ".join(["Hello,"] * params["times"]) + f" {{params['who']}}!"}}
'''

_BLOCK_TEST = '''\
"""Tests of the {name} block. Run them with `python -m pytest {where}`."""

from pathlib import Path

import pytest

from oocana_local.testing import load_block_main

BLOCK = Path(__file__).parent


@pytest.fixture
def main():
    """The block's main(), loaded inside each test: a broken block fails its own tests
    only, with its own traceback, and the rest of the suite still runs."""
    return load_block_main(BLOCK)


def test_main_in_process(main, make_context):
    """main() called directly, with a Context that records what the block sends."""
    context = make_context({{"who": "Ada", "times": 2}}, block=BLOCK)
    assert main(context.inputs, context) == {{"greeting": "Hello, Hello, Ada!"}}
    assert context.logs == ["INFO block.{name}: greeting Ada"]
    assert context.progress == [100]


def test_block_in_a_worker(run_block):
    """The block as the engine runs it: a worker process, default inputs filled in."""
    result = run_block(BLOCK, inputs={{"who": "Ada"}})
    assert result.outputs == {{"greeting": "Hello, Ada!"}}
    assert result.logs == ["INFO block.{name}: greeting Ada"]
'''


_TS_BLOCK_MAIN = """\
//#region generated meta
import type { Context } from "@oomol/types/oocana";
type Inputs = {
  who: string;
  times: number;
};
type Outputs = {
  greeting: string;
};
//#endregion

export default async function (
  params: Inputs,
  context: Context<Inputs, Outputs>,
): Promise<Partial<Outputs> | undefined | void> {
  console.log(`greeting ${params.who}`);
  context.reportProgress(100);
  return { greeting: Array(params.times).fill("Hello,").join(" ") + ` ${params.who}!` };
}
"""

_TS_BLOCK_TEST = '''\
"""Tests of the {name} block. Run them with `python -m pytest {where}`."""

from pathlib import Path

BLOCK = Path(__file__).parent


def test_block_in_a_node_worker(run_block):
    """The block as the engine runs it: a Node.js worker, default inputs filled in."""
    result = run_block(BLOCK, inputs={{"who": "Ada", "times": 2}})
    assert result.outputs == {{"greeting": "Hello, Hello, Ada!"}}
    assert result.logs == ["greeting Ada"]
'''

LANGS = ("python", "ts")


def new_block(name: str, directory: str | Path | None = None, lang: str = "python"
              ) -> Scaffold:
    """Write ``blocks/NAME/{block.oo.yaml, main.py, test_NAME.py}`` (``lang="ts"``:
    ``main.ts``, a Node.js block)."""
    validate_name(name)
    if lang not in LANGS:
        raise ScaffoldError(f"unknown language {lang!r}: use one of {', '.join(LANGS)}")
    root, in_package = _root(directory)
    folder = root / "blocks" / name
    where = _rel(folder)
    scaffold = Scaffold(root, in_package,
                        run_command=f"oocana-local run {where} --inputs '{{\"who\": \"Ada\"}}'",
                        test_command=f"python -m pytest {where}")
    if lang == "ts":
        manifest = _BLOCK_YAML.format(name=name, title=_title(name)).replace(
            "  name: python\n  options:\n    entry: main.py",
            "  name: nodejs\n  options:\n    entry: main.ts")
        return _write(scaffold, {
            folder / "block.oo.yaml": manifest,
            folder / "main.ts": _TS_BLOCK_MAIN,
            folder / f"test_{_module(name)}.py": _TS_BLOCK_TEST.format(name=name, where=where),
        })
    return _write(scaffold, {
        folder / "block.oo.yaml": _BLOCK_YAML.format(name=name, title=_title(name)),
        folder / "main.py": _BLOCK_MAIN.format(),
        folder / f"test_{_module(name)}.py": _BLOCK_TEST.format(name=name, where=where),
    })


# -- a flow -------------------------------------------------------------------------------

_FLOW_YAML = """\
# {title}: `oocana-local run {where}`.
#
#   flow input text --> words (inline block, scriptlets/+python#1.py) --> flow output count
#
# Add nodes below; a block of this package is `task: self::<block name>`.
title: {title}
description: Count the words of a text. Replace this with what {name} does.
inputs_def:
  - handle: text
    json_schema: {{type: string}}
    value: the quick brown fox
outputs_def:
  - handle: count
    json_schema: {{type: integer}}
nodes:
  - node_id: words
    title: Count words
    task:
      inputs_def:
        - handle: text
          json_schema: {{type: string}}
      outputs_def:
        - handle: count
          json_schema: {{type: integer}}
      executor:
        name: python
        options:
          entry: scriptlets/+python#1.py
    inputs_from:
      - handle: text
        from_flow:
          - input_handle: text
outputs_from:
  - handle: count
    from_node:
      - node_id: words
        output_handle: count
"""

_FLOW_SCRIPTLET = '''\
from oocana import Context


def main(params: dict, context: Context):
    words = params["text"].split()
    print(f"{len(words)} words")
    return {"count": len(words)}
'''

_FLOW_TEST = '''\
"""Tests of the {name} flow. Run them with `python -m pytest {where}`."""

from pathlib import Path

FLOW = Path(__file__).parent


def test_flow_counts_words(run_flow):
    result = run_flow(FLOW, inputs={{"text": "one two three"}})
    assert result.outputs == {{"count": 3}}
    assert result.node_logs["words"] == ["3 words"]
'''


def new_flow(name: str, directory: str | Path | None = None) -> Scaffold:
    """Write ``flows/NAME/{flow.oo.yaml, scriptlets/+python#1.py, test_NAME_flow.py}``."""
    validate_name(name)
    root, in_package = _root(directory)
    folder = root / "flows" / name
    where = _rel(folder)
    scaffold = Scaffold(root, in_package, run_command=f"oocana-local run {where}",
                        test_command=f"python -m pytest {where}")
    return _write(scaffold, {
        folder / "flow.oo.yaml": _FLOW_YAML.format(name=name, title=_title(name), where=where),
        folder / "scriptlets" / "+python#1.py": _FLOW_SCRIPTLET,
        folder / f"test_{_module(name)}_flow.py": _FLOW_TEST.format(name=name, where=where),
    })


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve())) or "."
    except ValueError:
        return str(path)


def report(scaffold: Scaffold) -> str:
    """What the CLI prints: the files, where they went, and how to run them."""
    lines = [f"created {_rel(p)}" for p in scaffold.files]
    if not scaffold.in_package:
        # Without a manifest the folder is a workspace: `self::` still finds its blocks.
        lines += ["", f"note: no package.oo.yaml in {_rel(scaffold.root)} or above: the files "
                  f"are under {scaffold.root}, and flows there reach these blocks as "
                  "`self::<block>` all the same.",
                  "      Add a package.oo.yaml there (name: ..., version: 0.1.0) to give the "
                  "package a name: `serve` and other packages call its blocks "
                  "`<name>::<block>` (else `workspace::<block>`)."]
    lines += ["", "next:", f"  {scaffold.run_command}", f"  {scaffold.test_command}"]
    return "\n".join(lines)
