"""Read a YAML manifest into plain Python data, keeping where each key was written.

Two choices here are about matching the engine, one about speed:

* Scalars follow the YAML 1.2 core schema, as the engine's YAML reader does: ``yes``,
  ``no``, ``on``, ``off`` and ``2024-01-01`` stay strings (PyYAML's 1.1 rules would make
  them booleans and dates). Explicit tags (``!!binary`` ...) still get PyYAML's meaning.
* U+2028 / U+2029 are stripped before parsing, as the engine does.
* libyaml (``CSafeLoader``) composes the node tree, and one walk builds the data; line
  numbers are looked up lazily from the kept tree, so a lookup costs only when used.
  The cyclic garbage collector is paused while the tree is built: it otherwise rescans
  the young, all-surviving node objects over and over and triples the parse time.
  PyYAML's own regular expressions are compiled on first use (``_import_yaml``).
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from .problems import Problem
from .resolved import Location


class _LazyPattern:
    """Stands for ``re.compile(*args)`` and compiles it on first use."""

    __slots__ = ("_args", "_pattern")

    def __init__(self, *args: Any) -> None:
        self._args = args
        self._pattern: re.Pattern[str] | None = None

    def __getattr__(self, name: str) -> Any:
        if self._pattern is None:
            self._pattern = _re_compile(*self._args)
        return getattr(self._pattern, name)


_re_compile = re.compile


def _import_yaml() -> Any:
    """``import yaml``, without compiling its regular expressions until they are used.

    PyYAML compiles ~20 of them as it is imported, for its pure-python reader and its
    1.1 resolvers, which the libyaml path below never uses; that is half the cost of
    importing it, paid by every ``run``.
    """
    if "yaml" in sys.modules:
        return sys.modules["yaml"]
    re.compile = _LazyPattern  # type: ignore[assignment]
    try:
        import yaml
    finally:
        re.compile = _re_compile
    return yaml


if TYPE_CHECKING:
    import yaml
else:
    yaml = _import_yaml()
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode  # noqa: E402

__all__ = ["YamlDoc", "read_yaml", "parse_yaml", "gc_paused"]

KeyPath = tuple[str | int, ...]

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_MERGE = "tag:yaml.org,2002:merge"

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution) plus `<<` merges,
# indexed by first character so most plain strings are decided by one dict lookup.
_NULL_RE = re.compile(r"~|null|Null|NULL")
_BOOL_RE = re.compile(r"true|True|TRUE|false|False|FALSE")
_INT_RE = re.compile(r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+")
_FLOAT_RE = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)"
)
_NUMBER = ((_INT, _INT_RE), (_FLOAT, _FLOAT_RE))
_BY_FIRST_CHAR: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "~": ((_NULL, _NULL_RE),),
    "n": ((_NULL, _NULL_RE),),
    "N": ((_NULL, _NULL_RE),),
    **dict.fromkeys("tTfF", ((_BOOL, _BOOL_RE),)),
    **dict.fromkeys("0123456789+-.", _NUMBER),
    "<": ((_MERGE, re.compile(r"<<")),),
}

_Base: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _CoreLoader(_Base):  # type: ignore[misc, valid-type]
    """libyaml composer with core-schema tag resolution and no path resolvers."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                if not value:
                    return _NULL
                candidates = _BY_FIRST_CHAR.get(value[0])
                if candidates is not None:
                    for tag, regex in candidates:
                        if regex.fullmatch(value):
                            return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic GC while building many long-lived objects (re-entrant).

    On the way out the new objects are moved straight to the oldest generation
    (``freeze`` + ``unfreeze``); otherwise the first allocation after re-enabling would
    trace all of them at once, which costs as much as parsing did.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            if gc.get_freeze_count() == 0:  # leave a caller's own frozen set alone
                gc.freeze()
                gc.unfreeze()
            gc.enable()


@dataclass
class YamlDoc:
    """A parsed YAML file: its data, and the line where each key or list item was written."""

    path: Path
    data: Any
    nodes: dict[int, Node] = field(default_factory=dict, repr=False)
    """``id(container in data)`` -> the YAML node it was built from (for line lookups)."""

    def line(self, path: KeyPath = ()) -> int:
        """1-based line of the key (or list item) at ``path``; the nearest ancestor if absent."""
        if not path:
            root = self.nodes.get(id(self.data))
            return root.start_mark.line + 1 if root is not None else 1
        container = self.data
        try:
            for step in path[:-1]:  # plain indexing: only the last step needs the node tree
                container = container[step]
        except (KeyError, IndexError, TypeError):
            return self.line(path[:-1])
        node = self.nodes.get(id(container))
        step = path[-1]
        if node.__class__ is MappingNode:
            for key_node, _ in node.value:
                if key_node.value == step:  # a non-scalar key's value is a list: never equal
                    return key_node.start_mark.line + 1
        elif (
            node.__class__ is SequenceNode and step.__class__ is int and 0 <= step < len(node.value)
        ):
            return node.value[step].start_mark.line + 1
        return self.line(path[:-1])

    def location(self, path: KeyPath = ()) -> Location:
        return Location(self.path, self.line(path))


def read_yaml(path: Path) -> tuple[YamlDoc | None, list[Problem]]:
    """Read and parse ``path``; on failure return None and the problem (never raises)."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [
            Problem(
                "error",
                f"cannot read {path.name}: not UTF-8 text ({exc.reason} at byte {exc.start})",
                Location(path, 0),
                "save the file as UTF-8",
            )
        ]
    except OSError as exc:
        return None, [
            Problem("error", f"cannot read {path.name}: {exc.strerror or exc}", Location(path, 0))
        ]
    return parse_yaml(text, path)


def parse_yaml(text: str, path: Path) -> tuple[YamlDoc | None, list[Problem]]:
    """Parse YAML ``text`` (read from ``path``, used in problems)."""
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "").replace("\u2029", "")
    problems: list[Problem] = []
    with gc_paused():
        loader = _CoreLoader(text)
        try:
            root = loader.get_single_node()
            builder = _Builder(loader, path, problems, merges="<<" in text)
            data = builder.build(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            return None, [_yaml_problem(exc, path, text)]
        except yaml.YAMLError as exc:
            return None, [Problem("error", f"invalid YAML: {exc}", Location(path, 0))]
        finally:
            loader.dispose()
    return YamlDoc(path, data, builder.nodes), problems


class _Builder:
    """Turn a composed node tree into dicts, lists and scalars in one walk."""

    def __init__(self, loader: Any, path: Path, problems: list[Problem], merges: bool):
        self.loader = loader
        self.path = path
        self.problems = problems
        self.merges = merges  # only scan keys for `<<` when the text has one
        self.built: dict[int, Any] = {}  # id(node) -> object: aliases share it, as in PyYAML
        self.nodes: dict[int, Node] = {}  # id(object) -> node, for YamlDoc.line

    def build(self, node: Node) -> Any:
        cls = node.__class__
        if cls is ScalarNode:
            return node.value if node.tag == _STR else self.scalar(cast(ScalarNode, node))
        done = self.built.get(id(node))
        if done is not None:
            return done
        if cls is MappingNode and node.tag == _MAP:
            return self.mapping(cast(MappingNode, node))
        if cls is SequenceNode and node.tag == _SEQ:
            out: list[Any] = []
            self.built[id(node)] = out
            self.nodes[id(out)] = node
            build = self.build
            for item in node.value:
                out.append(
                    item.value if item.tag == _STR and item.__class__ is ScalarNode else build(item)
                )
            return out
        return self.loader.construct_object(node, deep=True)

    def mapping(self, node: MappingNode) -> dict[Any, Any]:
        merged = self.merges and any(key.tag == _MERGE for key, _ in node.value)
        if merged:
            self.loader.flatten_mapping(node)  # resolves `<<: *anchor` in place
        out: dict[Any, Any] = {}
        self.built[id(node)] = out
        self.nodes[id(out)] = node
        build = self.build
        for key_node, value_node in node.value:
            key = (
                key_node.value
                if key_node.tag == _STR and key_node.__class__ is ScalarNode
                else build(key_node)
            )
            try:
                duplicate = key in out
            except TypeError:  # a list or mapping used as a key
                raise yaml.constructor.ConstructorError(
                    None, None, "found an unhashable key (a list or mapping)", key_node.start_mark
                ) from None
            if duplicate and not merged:  # keys written after a merge override it
                self.duplicate(node, key_node, key)
            out[key] = (
                value_node.value
                if value_node.tag == _STR and value_node.__class__ is ScalarNode
                else build(value_node)
            )
        return out

    def duplicate(self, node: MappingNode, key_node: Node, key: Any) -> None:
        first = next(k for k, _ in node.value if self.build(k) == key)
        self.problems.append(
            Problem(
                "error",
                f"duplicate key {key!r} (first written on line {first.start_mark.line + 1})",
                Location(self.path, key_node.start_mark.line + 1),
                "a key may appear once per mapping; merge the two entries",
            )
        )

    def scalar(self, node: ScalarNode) -> Any:
        tag, value = node.tag, node.value
        if tag == _NULL:
            return None
        if tag == _BOOL:
            return value[0] in "tT"
        if tag == _INT:
            if value.startswith("0o"):
                return int(value[2:], 8)
            if value.startswith("0x"):
                return int(value[2:], 16)
            return int(value)
        if tag == _FLOAT:
            lowered = value.lower()
            if lowered.endswith(".inf"):
                return float("-inf") if value[0] == "-" else float("inf")
            if lowered == ".nan":
                return float("nan")
            return float(value)
        if tag == _MERGE:
            return "<<"
        return self.loader.construct_object(node, deep=True)


_HINTS = (
    (
        "mapping values are not allowed",
        "a value containing ': ' must be quoted; otherwise check the indentation",
    ),
    ("could not find expected ':'", "a key is missing its ':' or a quote is not closed"),
    ("did not find expected key", "check the indentation: items of one mapping must line up"),
    ("did not find expected '-'", "check the indentation: items of one list must line up"),
    ("found undefined alias", "define the anchor (&name) before using it (*name)"),
    ("expected a single document", "remove the '---' that starts a second document"),
    ("while scanning a quoted scalar", "a quote is not closed"),
    ("found unexpected end of stream", "a quote or bracket is not closed"),
    (
        "could not determine a constructor",
        "remove the custom tag (!name): manifests use plain YAML",
    ),
    ("unhashable key", "keys must be plain scalars"),
    ("while parsing a flow", "a [ or { is not closed, or a value inside it needs quotes"),
)


def _yaml_problem(exc: yaml.MarkedYAMLError, path: Path, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else 0
    lines = text.splitlines()
    source_line = lines[line - 1] if 0 < line <= len(lines) else ""
    what = exc.problem or exc.context or "syntax error"
    if exc.context and exc.problem:
        what = f"{exc.problem} ({exc.context}"
        if exc.context_mark is not None and exc.context_mark.line + 1 != line:
            what += f" on line {exc.context_mark.line + 1}"
        what += ")"
    context = f"{exc.context or ''} {exc.problem or ''}"
    if "\t" in source_line[: len(source_line) - len(source_line.lstrip())]:
        hint = "YAML does not allow tabs for indentation: use spaces"
    else:
        hint = next(
            (h for key, h in _HINTS if key in context),
            "check the indentation and quoting on this line and the one above",
        )
    return Problem("error", f"invalid YAML: {what}", Location(path, line), hint)
