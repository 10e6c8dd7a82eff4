"""The run form: one labelled field per input, chosen by the input's JSON schema, and
the values a submitted form gives back.

numbers and integers -> number fields, strings -> text (a select for an ``enum``),
booleans -> a checkbox, ``ui:widget: file`` -> a file to upload or a path on this machine,
anything else (objects, arrays, no schema) -> JSON in a text area. A field left empty is not sent, so
the input takes its default value (or null when it is nullable).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from ...manifest.resolved import HandleDef

__all__ = ["form_fields", "parse_form", "read_submission", "has_files", "FormError"]


class FormError(ValueError):
    """A field's text is not a value of its input's schema."""


def _kind(definition: HandleDef) -> str:
    schema = definition.json_schema if isinstance(definition.json_schema, dict) else {}
    if schema.get("ui:widget") == "file" or definition.raw.get("ui:widget") == "file":
        return "file"
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return "enum"
    type_ = schema.get("type")
    if type_ in ("number", "integer", "string", "boolean"):
        return str(type_)
    return "json"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def form_fields(inputs: dict[str, HandleDef], values: dict[str, Any] | None = None) -> str:
    """The fields (labels, hints and controls) for ``inputs``; ``values`` fill them."""
    parts = []
    for handle, definition in inputs.items():
        kind = _kind(definition)
        given = (values or {}).get(handle, definition.value if definition.has_value()
                                   else None)
        field_id = f"in-{handle}"
        name = f"input.{handle}"
        hint_parts = [kind if kind != "enum" else "choice"]
        if definition.nullable:
            hint_parts.append("may be empty")
        if definition.description:
            hint_parts.append(definition.description)
        hint = escape("; ".join(hint_parts))
        label = f'<label for="{field_id}">{escape(handle)}</label>'
        described = f'aria-describedby="{field_id}-hint"'
        if kind == "boolean":
            checked = " checked" if given else ""
            control = (f'<input type="hidden" name="{name}" value="false">'
                       f'<input type="checkbox" id="{field_id}" name="{name}" '
                       f'value="true"{checked} {described}>')
        elif kind == "enum":
            schema = definition.json_schema
            options = "".join(
                f'<option value="{escape(json.dumps(v))}"'
                f'{" selected" if v == given else ""}>{escape(_text(v))}</option>'
                for v in schema["enum"])
            control = f'<select id="{field_id}" name="{name}" {described}>{options}</select>'
        elif kind in ("number", "integer"):
            step = "1" if kind == "integer" else "any"
            value = "" if given is None else escape(_text(given))
            control = (f'<input type="number" step="{step}" id="{field_id}" name="{name}" '
                       f'value="{value}" {described}>')
        elif kind == "file":
            value = "" if given is None else escape(_text(given))
            control = (f'<input type="file" id="{field_id}" name="file.{escape(handle)}" '
                       f'{described}><label for="{field_id}-path" class="muted">or a path on this machine'
                       f'</label><input type="text" id="{field_id}-path" name="{name}" '
                       f'value="{value}">')
        elif kind == "string":
            value = "" if given is None else escape(_text(given))
            control = (f'<input type="text" id="{field_id}" name="{name}" value="{value}" '
                       f'{described}>')
        else:
            value = "" if given is None else escape(json.dumps(given, indent=1))
            control = (f'<textarea id="{field_id}" name="{name}" rows="3" spellcheck="false" '
                       f'{described}>{value}</textarea>')
        parts.append(f'<div class="field field-{kind}">{label}{control}'
                     f'<small id="{field_id}-hint">{hint}</small></div>')
    return "\n".join(parts)


def has_files(inputs: dict[str, HandleDef]) -> bool:
    return any(_kind(d) == "file" for d in inputs.values())


def read_submission(body: bytes, content_type: str
                    ) -> tuple[dict[str, list[str]], dict[str, tuple[str, bytes]]]:
    """The fields of a posted form and its uploaded files (field name -> filename, bytes);
    URL-encoded or multipart."""
    from urllib.parse import parse_qs

    if "multipart/form-data" not in content_type:
        return parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True), {}
    from email.parser import BytesParser
    from email.policy import HTTP

    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    fields: dict[str, list[str]] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if not message.is_multipart():
        raise FormError("the form could not be read")
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        data = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            if filename or data:  # an empty file field sends an empty part
                files[name] = (filename, data)
        else:
            fields.setdefault(name, []).append(data.decode("utf-8", "replace"))
    return fields, files


def parse_form(inputs: dict[str, HandleDef], form: dict[str, list[str]]) -> dict[str, Any]:
    """The inputs of a submitted form; empty fields are left out."""
    values: dict[str, Any] = {}
    for handle, definition in inputs.items():
        texts = form.get(f"input.{handle}")
        if not texts:
            continue
        text = texts[-1]  # a checkbox sends its hidden "false" first
        kind = _kind(definition)
        if text == "" and kind not in ("string", "file"):
            continue
        if text == "" and not definition.has_value() and not definition.nullable:
            values[handle] = ""
            continue
        if text == "":
            continue
        try:
            if kind == "boolean":
                values[handle] = text == "true"
            elif kind == "integer":
                values[handle] = int(text)
            elif kind == "number":
                number = float(text)
                values[handle] = int(number) if number.is_integer() and "." not in text \
                    else number
            elif kind in ("string", "file"):
                values[handle] = text
            else:
                values[handle] = json.loads(text)
        except ValueError:
            raise FormError(f"{handle}: {text[:60]!r} is not a valid {kind}") from None
    return values
