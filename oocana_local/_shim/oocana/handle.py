"""``oocana.handle``: a handle definition (an item of ``inputs_def`` / ``outputs_def``) as
a typed value.

``InputHandleDef(**d)`` takes a handle-def dict as a block manifest has it: ``handle`` is
required (``ValueError "missing attr key: 'handle'"``), keys it does not know are ignored,
``json_schema`` becomes a ``FieldSchema`` (``json_schema_to_dict()`` gives the dict back).
A def answers ``d.get(key)``, ``d[key]`` and ``key in d`` for its fields, as the dict did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .schema import ContentMediaType, FieldSchema, _init

__all__ = ["HandleDef", "InputHandleDef", "OutputHandleDef"]


@dataclass(frozen=True, kw_only=True, init=False)
class HandleDef:
    handle: str
    description: str | None = None
    json_schema: FieldSchema | None = None
    kind: str | None = None
    is_additional: bool | None = None
    _raw_json_schema: dict[str, Any] | None = field(default=None, repr=False)

    def __init__(self, **kwargs: Any):
        self._set(kwargs)

    def _set(self, kwargs: dict[str, Any]) -> None:
        _init(self, kwargs, required=("handle",))
        if not isinstance(self.handle, str):
            raise TypeError(f"handle must be a string, not {type(self.handle).__name__} "
                            f"({self.handle!r})")
        schema = kwargs.get("json_schema")
        if schema is not None and not isinstance(schema, dict):
            raise TypeError(f"handle {self.handle!r}: json_schema must be a dict (a JSON "
                            f"schema), not {type(schema).__name__}")
        object.__setattr__(self, "_raw_json_schema", schema)
        object.__setattr__(self, "json_schema",
                           None if schema is None else FieldSchema.generate_schema(schema))

    # the dict interface handle defs had
    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, key, default)

    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, key)
        except AttributeError:
            raise KeyError(key) from None

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and hasattr(self, key)

    def check_handle_type(self, type: ContentMediaType) -> bool:  # noqa: A002 - oocana's name
        """Whether the schema's ``contentMediaType`` is ``type``."""
        return self.json_schema is not None and self.json_schema.contentMediaType == type

    def json_schema_to_dict(self) -> dict[str, Any] | None:
        """The ``json_schema`` dict as given."""
        return self._raw_json_schema

    def is_var_handle(self) -> bool:
        return self.check_handle_type("oomol/var")

    def is_secret_handle(self) -> bool:
        return self.check_handle_type("oomol/secret")

    def is_bin_handle(self) -> bool:
        return self.check_handle_type("oomol/bin")

    def is_credential_handle(self) -> bool:
        return self.check_handle_type("oomol/credential")

    def is_additional_handle(self) -> bool:
        return self.is_additional is True


@dataclass(frozen=True, kw_only=True, init=False)
class InputHandleDef(HandleDef):
    value: Any = None
    nullable: bool | None = None
    _deserialize_from_cache: bool = field(default=False, repr=False)
    _has_value: bool = field(default=False, repr=False)

    def __init__(self, **kwargs: Any):
        self._set(kwargs)
        object.__setattr__(self, "_has_value", "value" in kwargs)

    def has_value(self) -> bool:
        """Whether the def gives a ``value`` (``None`` included)."""
        return self._has_value

    def is_serializable_var(self) -> bool:
        """A var input the engine restores from a pickled cache (``serialize_for_cache``)."""
        return self.is_var_handle() and self._deserialize_from_cache is True


@dataclass(frozen=True, kw_only=True, init=False)
class OutputHandleDef(HandleDef):
    _serialize_for_cache: bool | None = None

    def need_serialize_var_for_cache(self) -> bool:
        """A var output the worker pickles for the node cache (``serialize_for_cache``)."""
        return self.is_var_handle() and self._serialize_for_cache is True
