"""Pydantic models built from the records of ``raw.py``, for what the fast path of
``spec.py`` steps aside from: coercions the engine makes (``version: 1.0``) and every
manifest with a problem, which pydantic reports in detail.

Built on first use (importing pydantic and building the models costs ~150 ms, more than
the rest of a one-node run), once per process. ``validate`` returns the same ``Record``
instances as the fast path.
"""

from __future__ import annotations

from types import GenericAlias
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Tag,
    ValidationError,
    create_model,
)
from pydantic import Field as PydanticField

from .spec import Before, Ge, Pick, Record, fields_of, union_members

__all__ = ["UNION_TAGS", "ValidationError", "is_union_tag", "model_for", "validate"]

_MODELS: dict[type[Record], type[BaseModel]] = {}
_RECORDS: dict[type[BaseModel], type[Record]] = {}
UNION_TAGS: set[str] = set()
"""The synthetic steps (``<task>``, ``<str>``, ...) that unions add to error locations."""


def is_union_tag(step: Any) -> bool:
    return step in UNION_TAGS


def validate(cls: type[Record], data: Any) -> Any:
    """``data`` as a ``cls`` record; raises ``ValidationError`` listing every problem."""
    return _to_record(model_for(cls).model_validate(data))


def model_for(cls: type[Record]) -> type[BaseModel]:
    """The pydantic model of a record class (built once)."""
    model = _MODELS.get(cls)
    if model is not None:
        return model
    config = ConfigDict(extra="allow" if cls.EXTRA else "ignore", coerce_numbers_to_str=True)
    definitions: dict[str, Any] = {}
    for field in fields_of(cls).values():
        annotation = _translate(field.annotation)
        definitions[field.name] = (annotation, ... if field.required else field.default)
    model = create_model(cls.__name__, __config__=config, **definitions)
    _MODELS[cls] = model
    _RECORDS[model] = cls
    return model


def _tag(member: Any) -> str:
    name = getattr(member, "KIND", "") or member.__name__
    tag = f"<{name}>"
    UNION_TAGS.add(tag)
    return tag


def _translate(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, Record):
        return model_for(annotation)
    origin = get_origin(annotation)
    if origin is Annotated:
        base, *marks = get_args(annotation)
        return _annotated(base, marks)
    if origin is Literal or annotation is Any or not get_args(annotation):
        return annotation
    if origin in (list, dict):
        *keys, value = get_args(annotation)
        return GenericAlias(origin, (*keys, _translate(value)))
    members = union_members(annotation)
    if members:
        return Union[tuple(_translate(m) for m in members)]  # noqa: UP007
    return annotation


def _annotated(base: Any, marks: list[Any]) -> Any:
    extras: list[Any] = []
    translated = _translate(base)
    for mark in marks:
        if isinstance(mark, Ge):
            extras.append(PydanticField(ge=mark.bound))
        elif isinstance(mark, Before):
            extras.append(BeforeValidator(mark.fn))
        elif isinstance(mark, Pick):
            members = union_members(base) or (base,)
            tagged = tuple(Annotated[_translate(m), Tag(_tag(m))] for m in members)
            choose = mark.fn

            def tag_of(value: Any, choose: Any = choose) -> str | None:
                member = choose(value)
                return None if member is None else _tag(member)

            translated = Union[tagged]  # noqa: UP007
            extras.append(Discriminator(tag_of, custom_error_type=mark.error_type,
                                        custom_error_message=mark.error_message))
    arguments = (translated, *extras)
    return Annotated[arguments] if extras else translated


def _to_record(value: Any) -> Any:
    if isinstance(value, BaseModel):
        cls = _RECORDS[type(value)]
        values = {name: _to_record(getattr(value, name)) for name in fields_of(cls)}
        return cls.make(values, set(value.model_fields_set), dict(value.model_extra or {}))
    if isinstance(value, list):
        return [_to_record(v) for v in value]
    return value
