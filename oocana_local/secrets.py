"""Secrets and credentials in block inputs, resolved inside the worker right before ``main``.

The engine never sees a secret value: events, logs and ``--json`` show the placeholder as
the flow gave it; the job carries only the path of the secrets file. The file has
oocana's format::

    {"<secret name>": {"secretType": "<type>",
                       "secrets": [{"secretKey": "<key>", "value": "<the secret>"}]}}

What is resolved (oocana-python §3.4):

* any string, anywhere in the inputs (inside dicts and lists too), that is exactly
  ``${{OO_SECRET:type,name,key}}``;
* the value of an input whose ``json_schema`` has ``contentMediaType: oomol/secret``, and
  nested object properties / array items with such a schema: a bare ``type,name,key``
  (or the placeholder);
* the places a flow's ``schema_overrides`` mark as ``oomol/secret`` (``inputs_def_patch``:
  ``{handle: [{path, schema}]}``, path = a key, an index, a list of both, or none for the
  whole value).

A secret that cannot be found fails the block with ``SecretError`` naming the secret and
the file, never a value. Inputs whose schema says ``oomol/credential`` become a
``CredentialInput(type, id)`` when they are ``${{OO_CREDENTIAL:type,name,id}}``, else None.
"""

from __future__ import annotations

import json
import os
import re

from .wire.errors import JobSetupError

TYPE_CHECKING = False  # workers import this: annotations only
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

__all__ = ["SecretError", "CredentialInput", "default_secrets_file", "load_secrets",
           "resolve_inputs", "credential_input", "SECRET_TYPE", "CREDENTIAL_TYPE"]

SECRET_TYPE = "oomol/secret"
CREDENTIAL_TYPE = "oomol/credential"
OOCANA_SECRETS_FILE = os.path.join("~", "app-config", "oomol-secrets", "secrets.json")
_SECRET = re.compile(r"^\$\{\{OO_SECRET:([^,]+,[^,]+,[^,]+)\}\}$")
_CREDENTIAL = re.compile(r"^\$\{\{OO_CREDENTIAL:([^,]+),([^,]+),([^,]+)\}\}$")
_BARE = re.compile(r"^[^,]+,[^,]+,[^,]+$")


class SecretError(JobSetupError, LookupError):
    """A secret an input refers to cannot be resolved."""


class CredentialInput:
    """``${{OO_CREDENTIAL:type,name,id}}`` as a block receives it (the name is dropped)."""

    __slots__ = ("type", "id")

    def __init__(self, type: str, id: str):  # noqa: A002 - oocana's field names
        self.type = type
        self.id = id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CredentialInput) and (self.type, self.id) == (other.type,
                                                                               other.id)

    def __hash__(self) -> int:
        return hash((self.type, self.id))

    def __repr__(self) -> str:
        return f"CredentialInput(type={self.type!r}, id={self.id!r})"


def default_secrets_file() -> str | None:
    """``$OOCANA_SECRETS_FILE``, else oocana's ``~/app-config/oomol-secrets/secrets.json``
    when it exists."""
    configured = os.environ.get("OOCANA_SECRETS_FILE")
    if configured:
        return os.path.abspath(os.path.expanduser(configured))
    fallback = os.path.expanduser(OOCANA_SECRETS_FILE)
    return fallback if os.path.isfile(fallback) else None


_cache: dict[str, tuple[float, int, dict[str, Any]]] = {}


def load_secrets(path: str) -> dict[str, Any]:
    """The secrets file as a dict; re-read only when it changed."""
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise SecretError(f"the secrets file {path} cannot be read: {exc.strerror}") from None
    cached = _cache.get(path)
    if cached is not None and cached[0] == stat.st_mtime and cached[1] == stat.st_size:
        return cached[2]
    try:
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
    except (OSError, ValueError) as exc:
        raise SecretError(f"the secrets file {path} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise SecretError(f"the secrets file {path} must hold a JSON object of "
                          "{name: {secretType, secrets: [{secretKey, value}]}}")
    _cache[path] = (stat.st_mtime, stat.st_size, data)
    return data


class _Resolver:
    def __init__(self, secrets_file: str | None):
        self.file = secrets_file
        self.used: list[str] = []
        """Secret values handed to the block (so they can be kept out of its logs)."""

    def secret(self, path: str, where: str) -> str:
        parts = [p.strip() for p in path.split(",")]
        if len(parts) != 3 or not all(parts):
            raise SecretError(f"{where}: {path!r} is not a secret reference "
                              "(expected 'type,name,key')")
        type_, name, key = parts
        ref = f"{type_},{name},{key}"
        if self.file is None:
            raise SecretError(
                f"{where}: secret '{ref}' needs a secrets file; pass --secrets FILE or set "
                f"OOCANA_SECRETS_FILE (oocana's default {OOCANA_SECRETS_FILE} does not exist)")
        entry = load_secrets(self.file).get(name)
        if not isinstance(entry, dict):
            raise SecretError(f"{where}: secret '{ref}': no secret named {name!r} in the "
                              f"secrets file {self.file}")
        for item in entry.get("secrets") or ():
            if isinstance(item, dict) and item.get("secretKey") == key:
                value = item.get("value")
                if not isinstance(value, str):
                    value = "" if value is None else str(value)
                if value:
                    self.used.append(value)
                return value
        raise SecretError(f"{where}: secret '{ref}': secret {name!r} has no key {key!r} in "
                          f"the secrets file {self.file}")

    def walk(self, value: Any, schema: Any, where: str) -> Any:
        """``value`` with its secrets resolved, guided by ``schema`` where there is one."""
        if isinstance(schema, dict) and schema.get("contentMediaType") == SECRET_TYPE:
            if isinstance(value, str):
                match = _SECRET.match(value)
                if match:
                    return self.secret(match.group(1), where)
                if _BARE.match(value):
                    return self.secret(value, where)
                return value  # oocana leaves a string that is no reference alone
        if isinstance(value, str):
            match = _SECRET.match(value)
            return self.secret(match.group(1), where) if match else value
        if isinstance(value, dict):
            props = schema.get("properties") if isinstance(schema, dict) else None
            props = props if isinstance(props, dict) else {}
            out = None
            for key, item in value.items():
                new = self.walk(item, props.get(key), f"{where}.{key}")
                if new is not item:
                    if out is None:
                        out = dict(value)
                    out[key] = new
            return value if out is None else out
        if isinstance(value, list):
            items = schema.get("items") if isinstance(schema, dict) else None
            out_l = None
            for index, item in enumerate(value):
                new = self.walk(item, items, f"{where}[{index}]")
                if new is not item:
                    if out_l is None:
                        out_l = list(value)
                    out_l[index] = new
            return value if out_l is None else out_l
        return value

    def patch(self, value: Any, path: Any, schema: Any, where: str) -> Any:
        steps = [] if path is None or path == "" else (path if isinstance(path, list) else [path])
        if not steps:
            return self.walk(value, schema, where)
        step, rest = steps[0], steps[1:]
        if isinstance(value, dict) and step in value:
            out = dict(value)
            out[step] = self.patch(value[step], rest, schema, f"{where}.{step}")
            return out
        if isinstance(value, list) and isinstance(step, int) and -len(value) <= step < len(value):
            out_l = list(value)
            out_l[step] = self.patch(value[step], rest, schema, f"{where}[{step}]")
            return out_l
        return value  # the override names a place the value does not have


def credential_input(value: Any) -> CredentialInput | None:
    if isinstance(value, str):
        match = _CREDENTIAL.match(value)
        if match:
            return CredentialInput(match.group(1), match.group(3))
    return None


def _media_type(definition: Any) -> Any:
    if isinstance(definition, dict):
        schema = definition.get("json_schema")
        if isinstance(schema, dict):
            return schema.get("contentMediaType")
    return None


def resolve_inputs(inputs: Mapping[str, Any], inputs_def: Mapping[str, Any] | None,
                   patch: Mapping[str, list[dict[str, Any]]] | None,
                   secrets_file: str | None) -> tuple[dict[str, Any], list[str]]:
    """Inputs with secrets and credentials resolved, and the secret values used.
    Raises ``SecretError``."""
    resolver = _Resolver(secrets_file)
    defs = inputs_def or {}
    out = dict(inputs)
    for handle, value in inputs.items():
        definition = defs.get(handle)
        if _media_type(definition) == CREDENTIAL_TYPE:
            out[handle] = credential_input(value)
            continue
        if value is None:
            continue
        where = f"input {handle!r}"
        for item in (patch or {}).get(handle) or ():
            if isinstance(item, dict) and isinstance(item.get("schema"), dict):
                value = resolver.patch(value, item.get("path"), item["schema"], where)
        schema = definition.get("json_schema") if isinstance(definition, dict) else None
        out[handle] = resolver.walk(value, schema, where)
    return out, resolver.used
