"""Validate parsed YAML against a record of ``raw.py``; turn each pydantic error into a
Problem.

Plain manifests take the fast path of ``spec.py`` (no pydantic import); anything else,
and every manifest with a problem, is validated by the pydantic models built from the
same records (``pydantic_models.py``).
"""

from __future__ import annotations

from typing import Any

from . import raw
from .problems import Problem
from .spec import fast_parse
from .yamlload import YamlDoc

__all__ = ["validate_model"]

_MISSING_HINTS = {
    "executor": "add `executor: {name: python, options: {entry: main.py}}`",
    "name": "add `name: python` (the executor that runs the block)",
    "handle": "every handle item needs `handle: <name>` (a UI separator has only `group:`)",
    "node_id": "give the node a `node_id:` that is unique in this flow",
    "output_handle": "name the upstream node's output: `output_handle: <handle>`",
    "input_handle": "name the flow input: `input_handle: <handle>`",
    "conditions": "add `conditions: {cases: [...], default: {handle: ...}}`",
}
_TYPE_HINTS = {
    "node_kind": "give the node one of: `task: <block reference or inline block>`, "
    "`subflow: <reference>`, `values: [...]`, `conditions: {...}`",
    "string_type": "write text here (quote it if it looks like a number, list or mapping)",
    "bool_type": "use true or false",
    "bool_parsing": "use true or false",
    "int_type": "use a whole number",
    "int_parsing": "use a whole number",
    "int_from_float": "use a whole number",
    "float_type": "use a number",
    "float_parsing": "use a number",
    "list_type": "write a list: one item per line, each starting with '- '",
    "dict_type": "write a mapping here (`key: value` lines)",
    "model_type": "write a mapping here (`key: value` lines)",
    "model_attributes_type": "write a mapping here (`key: value` lines)",
}


def validate_model(
    model: str, doc: YamlDoc, what: str, *, allow_empty: bool = False
) -> tuple[Any, list[Problem]]:
    """Validate ``doc.data`` as the ``raw.py`` record named ``model`` (``"RawFlow"``, ...);
    ``what`` names the file kind in messages. Returns the record, or None with problems."""
    record = getattr(raw, model)
    if doc.data is None and allow_empty:
        return fast_parse(record, {}), []
    if doc.data is None:
        return None, [
            Problem("error", f"the {what} manifest is empty", doc.location(), _empty_hint(what))
        ]
    if not isinstance(doc.data, dict):
        return None, [
            Problem(
                "error",
                f"a {what} manifest must be a mapping of keys, not a {_type_name(doc.data)}",
                doc.location(),
                _empty_hint(what),
            )
        ]
    fast = fast_parse(record, doc.data)
    if fast is not None:
        return fast, []
    from . import pydantic_models

    try:
        return pydantic_models.validate(record, doc.data), []
    except pydantic_models.ValidationError as exc:
        return None, [_problem(err, doc) for err in exc.errors(include_url=False)]


def _problem(err: Any, doc: YamlDoc) -> Problem:
    from .pydantic_models import is_union_tag

    loc = tuple(step for step in err["loc"] if not is_union_tag(step))
    kind = err["type"]
    message = err["msg"]
    hint = _TYPE_HINTS.get(kind)
    if kind == "missing":
        message = f"required key {loc[-1]!r} is missing"
        hint = _MISSING_HINTS.get(str(loc[-1]), f"add `{loc[-1]}: ...`")
        where = loc[:-1]
    else:
        where = loc
        if kind == "literal_error" and isinstance(err.get("input"), str):
            close = _close_operator(err["input"])
            if close and loc and loc[-1] == "operator":
                hint = f"did you mean {close[0]!r}?"
        if kind not in ("node_kind",) and "input" in err and not isinstance(err["input"], dict):
            message += f" (found {_short(err['input'])})"
    return Problem("error", f"{_describe(where, doc.data)}{message}", doc.location(loc), hint)


def _describe(loc: tuple[Any, ...], data: Any) -> str:
    """``node 'a#1': task.executor: `` for a path inside a node, else the dotted path."""
    prefix = ""
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(loc[1], int):
        nodes = data.get("nodes") if isinstance(data, dict) else None
        node = nodes[loc[1]] if isinstance(nodes, list) and loc[1] < len(nodes) else None
        node_id = node.get("node_id") if isinstance(node, dict) else None
        if isinstance(node_id, (str, int)):
            prefix, loc = f"node {str(node_id)!r}: ", loc[2:]
    path = ""
    for step in loc:
        path += f"[{step}]" if isinstance(step, int) else (f".{step}" if path else str(step))
    return f"{prefix}{path}: " if path else prefix


def _close_operator(text: str) -> list[str]:
    import difflib  # only for a did-you-mean

    from .raw import OPERATORS

    swapped = [op for op in OPERATORS if sorted(op) == sorted(text)]  # `=<` for `<=`
    return swapped or difflib.get_close_matches(text, OPERATORS, n=1, cutoff=0.5)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _type_name(value: Any) -> str:
    return "list" if isinstance(value, list) else type(value).__name__


def _empty_hint(what: str) -> str:
    if what in ("flow", "subflow", "slotflow"):
        return "a flow has `nodes:` (and usually `inputs_def:`, `outputs_def:`, `outputs_from:`)"
    if what == "block":
        return "a block needs at least `executor: {name: python, options: {entry: main.py}}`"
    return "write `key: value` lines"
