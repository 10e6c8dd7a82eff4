"""Flows and blocks as Model Context Protocol tools: names, schemas, argument checks.

Nothing here imports the ``mcp`` SDK: this module turns catalog entries into plain tool
descriptions (``ToolSpec``) and checks arguments; ``mcp_server`` speaks the protocol.

Names: agent APIs accept ``^[A-Za-z0-9_-]{1,64}$``. A block ``<package>::<block>`` is
``<package>__<block>``, a flow its folder name; any other character becomes ``_``. A
name over 64 characters, or one an earlier entry (in catalog-name order) already took,
is cut to 55 characters and ends with ``_`` and 8 hex digits of the SHA-1 of the catalog
name, so it stays the same from one start to the next.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
import yaml

from ..manifest.resolved import Flow, HandleDef, TaskBlock
from ..secrets import CREDENTIAL_TYPE, SECRET_TYPE
from .catalog import Entry

__all__ = ["ToolSpec", "tool_specs", "tool_name", "input_schema", "output_schema",
           "argument_errors", "MAX_NAME"]

MAX_NAME = 64
_BAD_CHARS = re.compile(r"[^A-Za-z0-9_-]")
_HASHED_PREFIX = MAX_NAME - 9  # room for "_" and 8 hex digits
_SECRET_HELP = ("A secret: give its reference in the secrets file, `type,name,key` or "
                "`${{OO_SECRET:type,name,key}}`, never the value itself.")
_CREDENTIAL_HELP = "A credential: give `${{OO_CREDENTIAL:type,name,id}}`."
_FILE_HELP = "A path to a file on the machine that runs the tool."


@dataclass
class ToolSpec:
    name: str
    entry: Entry
    title: str | None
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None
    handles: list[str] = field(default_factory=list)


def tool_name(catalog_name: str) -> str:
    """The tool name of a catalog name, before clashes are settled."""
    return _BAD_CHARS.sub("_", catalog_name.replace("::", "__")) or "_"


def _hashed(catalog_name: str, name: str) -> str:
    digest = hashlib.sha1(catalog_name.encode()).hexdigest()[:8]
    return f"{name[:_HASHED_PREFIX]}_{digest}"


def unique_names(catalog_names: Iterable[str]) -> dict[str, str]:
    """Catalog name -> tool name, every one unique and within ``MAX_NAME``."""
    taken: set[str] = set()
    names: dict[str, str] = {}
    for catalog_name in sorted(catalog_names):
        name = tool_name(catalog_name)
        if len(name) > MAX_NAME or name in taken:
            name = _hashed(catalog_name, name)
        while name in taken:  # a clash of hashes, or of a hashed name with a plain one
            name = _hashed(catalog_name + "#", name)
        taken.add(name)
        names[catalog_name] = name
    return names


def tool_specs(entries: Iterable[tuple[Entry, Flow | TaskBlock]]) -> list[ToolSpec]:
    pairs = list(entries)
    names = unique_names(entry.name for entry, _ in pairs)
    specs = []
    for entry, target in pairs:
        title, description = _title_and_description(entry, target)
        specs.append(ToolSpec(
            name=names[entry.name], entry=entry, title=title, description=description,
            input_schema=input_schema(target), output_schema=output_schema(target),
            handles=list(target.inputs_def)))
    specs.sort(key=lambda s: s.name)
    return specs


def _title_and_description(entry: Entry, target: Flow | TaskBlock) -> tuple[str | None, str]:
    title = None
    try:  # the resolved manifest keeps no title; it is one key of the file
        raw = yaml.safe_load(entry.manifest.read_text(encoding="utf-8"))
        if isinstance(raw, dict) and isinstance(raw.get("title"), str):
            title = raw["title"].strip() or None
    except (OSError, yaml.YAMLError):
        pass
    description = (target.description or "").strip()
    text = f"{title}: {description}" if title and description else title or description
    what = f"(the {entry.kind} {entry.name})"
    return title, f"{text} {what}" if text else f"The {entry.kind} {entry.name}."


def _is_secret(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("contentMediaType") == SECRET_TYPE


def _clean(schema: Any) -> Any:
    """The JSON Schema without the editor's ``ui:`` keys."""
    if isinstance(schema, dict):
        return {k: _clean(v) for k, v in schema.items()
                if not (isinstance(k, str) and k.startswith("ui:"))}
    if isinstance(schema, list):
        return [_clean(v) for v in schema]
    return schema


def _handle_schema(definition: HandleDef, *, for_input: bool) -> dict[str, Any]:
    raw_schema = definition.json_schema if isinstance(definition.json_schema, dict) else {}
    schema: dict[str, Any] = _clean(raw_schema)
    media = raw_schema.get("contentMediaType")
    notes = []
    if definition.description:
        notes.append(definition.description.strip())
    if for_input:
        items: dict[str, Any] = (raw_schema["items"] if isinstance(raw_schema.get("items"), dict)
                                 else {})
        if media == SECRET_TYPE or _is_secret(items):
            notes.append(_SECRET_HELP)
        elif media == CREDENTIAL_TYPE:
            notes.append(_CREDENTIAL_HELP)
            schema = {"type": "string"}  # what is written is always the reference text
        elif (raw_schema.get("ui:widget") == "file" or definition.raw.get("ui:widget") == "file"
              or items.get("ui:widget") == "file"):
            notes.append(_FILE_HELP if not items else "A list of paths to files on the "
                         "machine that runs the tool.")
    elif media in ("oomol/var", "oomol/bin"):
        # Such a value reaches a client as text (a repr, base64), not as its schema says.
        schema = {}
    if definition.nullable and schema:
        schema = {"anyOf": [schema, {"type": "null"}]}
    if for_input and definition.has_value():
        schema["default"] = definition.value
    if notes:
        schema["description"] = " ".join(notes)
    return schema


def input_schema(target: Flow | TaskBlock) -> dict[str, Any]:
    """One property per input handle; ``required``: no value and not nullable."""
    properties = {h: _handle_schema(d, for_input=True) for h, d in target.inputs_def.items()}
    required = [h for h, d in target.inputs_def.items() if not d.has_value() and not d.nullable]
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    if not (isinstance(target, TaskBlock) and target.additional_inputs):
        schema["additionalProperties"] = False
    return schema


def output_schema(target: Flow | TaskBlock) -> dict[str, Any] | None:
    """The outputs object, when at least one output declares a schema. No output is
    required: a flow may end without sending every output."""
    if not any(isinstance(d.json_schema, dict) and d.json_schema
               for d in target.outputs_def.values()):
        return None
    properties = {h: _handle_schema(d, for_input=False) for h, d in target.outputs_def.items()}
    return {"type": "object", "properties": properties}


def argument_errors(spec: ToolSpec, arguments: dict[str, Any]) -> list[str]:
    """What is wrong with the arguments of a call, one line per input."""
    errors = []
    properties = spec.input_schema["properties"]
    if spec.input_schema.get("additionalProperties") is False:
        for name in arguments:
            if name not in properties:
                known = ", ".join(properties) or "(none)"
                errors.append(f"unknown input {name!r}; {spec.name} takes: {known}")
    for name in spec.input_schema.get("required", ()):
        if name not in arguments:
            errors.append(f"input {name!r} is missing: it has no default value and is "
                          "not nullable")
    for name, value in arguments.items():
        schema = properties.get(name)
        if not schema:
            continue
        try:
            error = jsonschema.exceptions.best_match(
                jsonschema.Draft202012Validator(schema).iter_errors(value))
        except jsonschema.exceptions.SchemaError:
            continue  # the manifest's schema is checked by `check`, not here
        if error is not None:
            where = "".join(f"[{p!r}]" for p in error.absolute_path)
            errors.append(f"input {name!r}{where}: {error.message}")
    return errors
