"""The fast path of manifest validation: plain manifests without importing pydantic.

Importing pydantic and building the models of ``raw.py`` costs ~130 ms, more than the
rest of a one-node ``oocana-local run``. Most manifests are plain: strings where strings
go, lists where lists go, only the node kinds that run. ``parse`` checks such a manifest
by hand and builds light objects with the same attributes as the ``raw.py`` models
(including ``model_fields_set`` and ``KIND``). Whenever anything is not exactly the plain
case, ``parse`` returns None and ``schema.validate_model`` validates with pydantic, which
stays the one validator that reports problems: this module never produces an error.

Equivalence with pydantic on every manifest of the repository is checked by
``tests/manifest/test_lite.py``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["parse"]


class _Off(Exception):
    """Not the plain case: let pydantic decide."""


class Lite:
    KIND = ""
    _FIELDS: dict[str, Any] = {}

    def __init__(self, data: dict[str, Any], values: dict[str, Any]) -> None:
        for name, default in self._FIELDS.items():
            setattr(self, name, values.get(name, default))
        self.model_fields_set = {k for k in self._FIELDS if k in data}

    def model_dump(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        names = self.model_fields_set if exclude_unset else self._FIELDS
        return {name: getattr(self, name) for name in self._FIELDS if name in names}

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self._FIELDS)
        return f"{type(self).__name__}({fields})"


def _kind(class_name: str, tag: str, /, **fields: Any) -> type[Lite]:
    return type(class_name, (Lite,), {"KIND": tag, "_FIELDS": fields})


LiteHandleDef = _kind("LiteHandleDef", "handle", handle=None, description=None,
                      json_schema=None, kind=None, nullable=None, value=None)
LiteGroupItem = _kind("LiteGroupItem", "group", group=None)
LiteExecutorOptions = _kind("LiteExecutorOptions", "", entry=None, function=None,
                            spawn=False, source=None)
LiteExecutor = _kind("LiteExecutor", "", name=None, options=None)
LiteTaskBlock = _kind("LiteTaskBlock", "block", executor=None, description=None,
                      inputs_def=None, outputs_def=None, additional_inputs=False,
                      additional_outputs=False)
LiteFromNode = _kind("LiteFromNode", "", node_id=None, output_handle=None)
LiteFromFlow = _kind("LiteFromFlow", "", input_handle=None)
LiteInputFrom = _kind("LiteInputFrom", "", handle=None, value=None, from_node=None,
                      from_flow=None, schema_overrides=None, serialize_for_cache=False)
LiteOutputFrom = _kind("LiteOutputFrom", "", handle=None, from_node=None,
                       from_flow=None)
_NODE = {"node_id": None, "description": None, "inputs_from": None, "timeout": None,
         "concurrency": 1, "progress_weight": 1.0, "ignore": False}
LiteTaskNode = _kind("LiteTaskNode", "task", **_NODE, task=None, inputs_def=None,
                     outputs_def=None)
LiteSubflowNode = _kind("LiteSubflowNode", "subflow", **_NODE, subflow=None, slots=None)
LiteValueNode = _kind("LiteValueNode", "values", node_id=None, description=None, values=None,
                      ignore=False)
LiteFlow = _kind("LiteFlow", "flow", description=None, inputs_def=None, outputs_def=None,
                 nodes=None, outputs_from=None, forward_previews=None)
LitePackage = _kind("LitePackage", "package", name=None, version=None, description=None,
                    exports=None, scripts=None, dependencies=None)

_NODE_KEYS = ("task", "subflow", "slot", "service", "conditions", "values")


# --- checks: each returns the value as pydantic would, or raises _Off ---------------


def _str(value: Any) -> str:
    if type(value) is not str:
        raise _Off
    return value


def _opt_str(value: Any) -> str | None:
    return None if value is None else _str(value)


def _bool(value: Any) -> bool:
    if type(value) is not bool:
        raise _Off
    return value


def _dict(value: Any) -> dict[str, Any]:
    if type(value) is not dict or any(type(k) is not str for k in value):
        raise _Off
    return value


def _list(value: Any, item: Any) -> list[Any] | None:
    if value is None:
        return None
    if type(value) is not list:
        raise _Off
    return [item(v) for v in value]


def _number(value: Any, low: float) -> float:
    if type(value) not in (int, float) or not value >= low:  # not bool; NaN is off too
        raise _Off
    return float(value)


def _flag(value: Any) -> bool:
    if value is None:
        return False
    return value if isinstance(value, bool) else True


def _handle_item(value: Any) -> Lite:
    data = _dict(value)
    if "handle" not in data and "group" in data:
        return LiteGroupItem(data, {"group": data["group"]})
    values = dict(data)
    values["handle"] = _str(data.get("handle"))
    if data.get("nullable") is not None:
        _bool(data["nullable"])
    return LiteHandleDef(data, values)


def _handles(value: Any) -> list[Lite] | None:
    return _list(value, _handle_item)


def _from_node(value: Any) -> Lite:
    data = _dict(value)
    return LiteFromNode(data, {"node_id": _str(data.get("node_id")),
                               "output_handle": _str(data.get("output_handle"))})


def _from_flow(value: Any) -> Lite:
    data = _dict(value)
    return LiteFromFlow(data, {"input_handle": _str(data.get("input_handle"))})


def _input_from(value: Any) -> Lite:
    data = _dict(value)
    values = {"handle": _str(data.get("handle")), "value": data.get("value"),
              "from_node": _list(data.get("from_node"), _from_node),
              "from_flow": _list(data.get("from_flow"), _from_flow),
              "schema_overrides": _list(data.get("schema_overrides"), _dict)}
    if "serialize_for_cache" in data:
        values["serialize_for_cache"] = _bool(data["serialize_for_cache"])
    return LiteInputFrom(data, values)


def _output_from(value: Any) -> Lite:
    data = _dict(value)
    return LiteOutputFrom(data, {"handle": _str(data.get("handle")),
                                 "from_node": _list(data.get("from_node"), _from_node),
                                 "from_flow": _list(data.get("from_flow"), _from_flow)})


def _options(value: Any) -> Lite | None:
    if value is None:
        return None
    data = _dict(value)
    if set(data) - {"entry", "function", "spawn", "source"}:
        raise _Off  # other executors' options: pydantic keeps them as extras
    values = {k: _opt_str(data.get(k)) for k in ("entry", "function", "source")}
    if "spawn" in data:
        values["spawn"] = _bool(data["spawn"])
    return LiteExecutorOptions(data, values)


def _task_block(value: Any) -> Lite:
    data = _dict(value)
    executor = _dict(data.get("executor"))
    return LiteTaskBlock(data, {
        "executor": LiteExecutor(executor, {"name": _str(executor.get("name")),
                                            "options": _options(executor.get("options"))}),
        "description": data.get("description"),
        "inputs_def": _handles(data.get("inputs_def")),
        "outputs_def": _handles(data.get("outputs_def")),
        "additional_inputs": _flag(data.get("additional_inputs")),
        "additional_outputs": _flag(data.get("additional_outputs")),
    })


def _node_common(data: dict[str, Any]) -> dict[str, Any]:
    values = {"node_id": _str(data.get("node_id")), "description": data.get("description"),
              "inputs_from": _list(data.get("inputs_from"), _input_from)}
    if data.get("timeout") is not None:
        values["timeout"] = _number(data["timeout"], 0)
    if "concurrency" in data:
        if type(data["concurrency"]) is not int or data["concurrency"] < 1:
            raise _Off
        values["concurrency"] = data["concurrency"]
    if "progress_weight" in data:
        values["progress_weight"] = _number(data["progress_weight"], 0)
    if "ignore" in data:
        values["ignore"] = _bool(data["ignore"])
    return values


def _node(value: Any) -> Lite:
    data = _dict(value)
    kind = next((k for k in _NODE_KEYS if k in data), None)
    if kind == "task":
        values = _node_common(data)
        task = data["task"]
        values["task"] = _task_block(task) if isinstance(task, dict) else _str(task)
        values["inputs_def"] = _handles(data.get("inputs_def"))
        values["outputs_def"] = _handles(data.get("outputs_def"))
        return LiteTaskNode(data, values)
    if kind == "subflow":
        values = _node_common(data)
        values["subflow"] = _str(data["subflow"])
        values["slots"] = _list(data.get("slots"), _dict)
        return LiteSubflowNode(data, values)
    if kind == "values":
        values = {"node_id": _str(data.get("node_id")), "description": data.get("description"),
                  "values": _handles(data["values"])}
        if "ignore" in data:
            values["ignore"] = _bool(data["ignore"])
        return LiteValueNode(data, values)
    raise _Off  # condition, slot and service nodes, or no kind: pydantic


def _flow(data: dict[str, Any]) -> Lite:
    return LiteFlow(data, {
        "description": data.get("description"),
        "inputs_def": _handles(data.get("inputs_def")),
        "outputs_def": _handles(data.get("outputs_def")),
        "nodes": _list(data.get("nodes"), _node),
        "outputs_from": _list(data.get("outputs_from"), _output_from),
        "forward_previews": _list(data.get("forward_previews"), _str),
    })


def _package(data: dict[str, Any]) -> Lite:
    values: dict[str, Any] = {"name": _opt_str(data.get("name")),
                              "version": _opt_str(data.get("version")),
                              "description": data.get("description")}
    for key in ("exports", "scripts", "dependencies"):
        if data.get(key) is not None:
            values[key] = _dict(data[key])
    if values.get("dependencies"):
        for v in values["dependencies"].values():
            _str(v)
    return LitePackage(data, values)


_PARSERS = {"RawFlow": _flow, "RawTaskBlock": _task_block, "RawPackage": _package}


def parse(model: str, data: Any) -> Lite | None:
    """``data`` as the raw model named ``model`` would hold it, or None: ask pydantic."""
    parser = _PARSERS.get(model)
    if parser is None or type(data) is not dict:
        return None
    try:
        return parser(data)
    except _Off:
        return None
