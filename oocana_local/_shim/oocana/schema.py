"""``oocana.schema``: a handle's JSON schema as a typed value, and the checks behind it.

``FieldSchema.generate_schema(d)`` picks, in this order: ``VarFieldSchema``
(``contentMediaType: oomol/var``), ``SecretFieldSchema`` (``type: string`` with
``oomol/secret``), ``PrimitiveFieldSchema`` (string, number or boolean, no media type),
``ArrayFieldSchema`` (``items`` parsed the same way), ``ObjectFieldSchema`` (each of
``properties`` parsed), else a plain ``FieldSchema``. As in oocana the classes are frozen
keyword-only dataclasses whose constructors ignore keys they do not know, so any JSON
schema dict can be passed as ``**d``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from oocana_local.wire.values import BIN_TYPE, SECRET_TYPE, TYPE_KEY, VAR_TYPE

__all__ = ["FieldSchema", "PrimitiveFieldSchema", "VarFieldSchema", "SecretFieldSchema",
           "ArrayFieldSchema", "ObjectFieldSchema", "ContentMediaType", "is_bin_value",
           "is_var_value", "is_array_dict", "is_object_dict", "is_var_dict",
           "is_primitive_dict", "is_secret_dict"]

ContentMediaType = Literal["oomol/bin", "oomol/secret", "oomol/var", "oomol/credential"]

_PRIMITIVE_TYPES = ("string", "number", "boolean")  # oocana's list: "integer" is not one


# -- the checks: dict in, bool out (anything that is not a dict is False) ------------------

def is_bin_value(d: Any) -> bool:
    """An ``oomol/bin`` wrapper: ``{"__OOMOL_TYPE__": "oomol/bin", "value": "<path>"}``."""
    return isinstance(d, dict) and d.get(TYPE_KEY) == BIN_TYPE and isinstance(d.get("value"), str)


def is_var_value(d: Any) -> bool:
    """An ``oomol/var`` wrapper: ``{"__OOMOL_TYPE__": "oomol/var", "value": {...}}``."""
    return isinstance(d, dict) and d.get(TYPE_KEY) == VAR_TYPE and isinstance(d.get("value"), dict)


def is_array_dict(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "array"


def is_object_dict(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("type") == "object"


def is_var_dict(schema: Any) -> bool:
    return isinstance(schema, dict) and schema.get("contentMediaType") == VAR_TYPE


def is_primitive_dict(schema: Any) -> bool:
    return (isinstance(schema, dict) and schema.get("type") in _PRIMITIVE_TYPES
            and schema.get("contentMediaType") is None)


def is_secret_dict(schema: Any) -> bool:
    return (isinstance(schema, dict) and schema.get("contentMediaType") == SECRET_TYPE
            and schema.get("type") == "string")


# -- the classes ---------------------------------------------------------------------------

def _init(obj: Any, kwargs: dict[str, Any], required: tuple[str, ...] = ()) -> None:
    """Set the dataclass fields of frozen ``obj`` from ``kwargs``: defaults for those left
    out, ``ValueError`` for a required one, unknown keys ignored."""
    for name, spec in obj.__dataclass_fields__.items():
        if name in kwargs:
            value = kwargs[name]
        elif name in required:
            raise ValueError(f"missing attr key: {name!r}")
        else:
            value = spec.default
        object.__setattr__(obj, name, value)


def _parse(schema: Any) -> Any:
    return FieldSchema.generate_schema(schema) if isinstance(schema, dict) else schema


@dataclass(frozen=True, kw_only=True, init=False)
class FieldSchema:
    contentMediaType: ContentMediaType | None = None  # noqa: N815 - the JSON schema key

    def __init__(self, **kwargs: Any):
        _init(self, kwargs)

    @staticmethod
    def generate_schema(schema: dict[str, Any]) -> FieldSchema:
        """The ``FieldSchema`` subclass that fits ``schema`` (a JSON schema dict)."""
        if not isinstance(schema, dict):
            raise TypeError(f"FieldSchema.generate_schema takes a JSON schema dict, not "
                            f"{type(schema).__name__}")
        if is_var_dict(schema):
            return VarFieldSchema(**schema)
        if is_secret_dict(schema):
            return SecretFieldSchema(**schema)
        if is_primitive_dict(schema):
            return PrimitiveFieldSchema(**schema)
        if is_array_dict(schema):
            return ArrayFieldSchema(**schema)
        if is_object_dict(schema):
            return ObjectFieldSchema(**schema)
        return FieldSchema(**schema)


@dataclass(frozen=True, kw_only=True, init=False)
class PrimitiveFieldSchema(FieldSchema):
    type: Literal["string", "number", "boolean"]

    def __init__(self, **kwargs: Any):
        _init(self, kwargs, required=("type",))


@dataclass(frozen=True, kw_only=True, init=False)
class VarFieldSchema(FieldSchema):
    contentMediaType: Literal["oomol/var"] = "oomol/var"  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True, init=False)
class SecretFieldSchema(FieldSchema):
    type: Literal["string"] = "string"
    contentMediaType: Literal["oomol/secret"] = "oomol/secret"  # type: ignore[assignment]


@dataclass(frozen=True, kw_only=True, init=False)
class ArrayFieldSchema(FieldSchema):
    type: Literal["array"] = "array"
    items: FieldSchema | None = None

    def __init__(self, **kwargs: Any):
        _init(self, kwargs)
        object.__setattr__(self, "items", _parse(self.items))


@dataclass(frozen=True, kw_only=True, init=False)
class ObjectFieldSchema(FieldSchema):
    type: Literal["object"] = "object"
    properties: dict[str, FieldSchema] | None = field(default=None)

    def __init__(self, **kwargs: Any):
        _init(self, kwargs)
        if isinstance(self.properties, dict):
            object.__setattr__(self, "properties",
                               {key: _parse(value) for key, value in self.properties.items()})
