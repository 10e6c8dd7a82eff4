"""``import oocana`` offers what oocana 0.18.12 offers (python reference, "The public names
of `import oocana`", §1, §1.6, §5.1): every public name and submodule, the helpers' answers,
the service ABC, through a real worker (the CLI), the test kit in this process, and a
service flow shaped like oocana-python's flow-examples ``service``. Scenario package:
``tests/flows/oocana_api``."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from helpers import FLOWS, REPO, cli, cli_env, write_flow

import oocana_local
from oocana_local.testing import call_block

API = FLOWS / "oocana_api"
SURFACE = API / "blocks" / "surface"
RUN_TIMEOUT = 120

# The public names of oocana 0.18.12's `import oocana`: the __all__ of its seven
# star-imported modules, in order, then the four names __init__ adds.
NAMES = [
    # oocana.data
    "dumps", "BinValueDict", "VarValueDict", "JobDict", "BlockDict", "StoreKey", "BlockInfo",
    "EXECUTOR_NAME",
    # oocana.context
    "Context", "HandleDefDict", "BlockJob", "BlockExecuteException", "ToNode", "ToFlow",
    "QueryBlockResponse", "FlowDownstream", "NodeDownstream", "Downstream", "OOMOL_LLM_ENV",
    "HostInfo",
    # oocana.service
    "ServiceMessage", "BlockHandler", "ServiceContextAbstractClass", "ServiceExecutor",
    "ServiceExecutePayload", "StopAtOption",
    # oocana.handle
    "HandleDef", "InputHandleDef", "OutputHandleDef",
    # oocana.preview
    "PreviewPayload", "PreviewPayloadInternal", "TablePreviewPayload", "TextPreviewPayload",
    "JSONPreviewPayload", "ImagePreviewPayload", "MediaPreviewPayload", "PandasPreviewPayload",
    "DefaultPreviewPayload",
    # oocana.extra
    "LLMModelOptions", "LLMMessage",
    # oocana.schema
    "FieldSchema", "PrimitiveFieldSchema", "VarFieldSchema", "SecretFieldSchema",
    "ArrayFieldSchema", "ObjectFieldSchema", "ContentMediaType", "is_bin_value", "is_var_value",
    "is_array_dict", "is_object_dict", "is_var_dict", "is_primitive_dict", "is_secret_dict",
    # oocana/__init__.py
    "Mainframe", "setup_dataframe_serialization", "CompressionOptions", "CredentialInput",
]
SUBMODULES = ["data", "context", "service", "handle", "preview", "extra", "schema",
              "mainframe", "serialization", "credential", "internal", "throttler"]

BIN = {"__OOMOL_TYPE__": "oomol/bin", "value": "/tmp/x.bin"}
VAR = {"__OOMOL_TYPE__": "oomol/var", "value": {"executor": "python", "handle": "h"}}
# value -> [is_bin_value, is_var_value]
VALUES = [
    (BIN, [True, False]),
    ({**BIN, "value": 1}, [False, False]),  # a bin's value is a path string
    (VAR, [False, True]),
    ({**VAR, "value": "x"}, [False, False]),  # a var's value is a dict
    ({"value": "x"}, [False, False]),
    ("oomol/bin", [False, False]),
    (None, [False, False]),
]
# schema -> [is_array_dict, is_object_dict, is_var_dict, is_primitive_dict, is_secret_dict]
SCHEMAS = [
    ({"type": "array"}, [True, False, False, False, False]),
    ({"type": "object"}, [False, True, False, False, False]),
    ({"contentMediaType": "oomol/var"}, [False, False, True, False, False]),
    ({"type": "object", "contentMediaType": "oomol/var"}, [False, True, True, False, False]),
    ({"type": "string"}, [False, False, False, True, False]),
    ({"type": "number", "minimum": 0}, [False, False, False, True, False]),
    ({"type": "boolean"}, [False, False, False, True, False]),
    ({"type": "integer"}, [False, False, False, False, False]),  # not in oocana's list
    ({"type": "string", "contentMediaType": "oomol/secret"}, [False, False, False, False, True]),
    ({"contentMediaType": "oomol/secret"}, [False, False, False, False, False]),
    ({"type": "string", "contentMediaType": "oomol/bin"}, [False, False, False, False, False]),
    ({"type": "array", "items": {"type": "string", "contentMediaType": "oomol/secret"}},
     [True, False, False, False, False]),
    ({"type": "object", "properties": {"n": {"type": "number"},
                                       "v": {"contentMediaType": "oomol/var"}}},
     [False, True, False, False, False]),
    ({}, [False, False, False, False, False]),
]
NO_MEDIA: dict = {"contentMediaType": None}
# FieldSchema.generate_schema(schema), described as [class, fields], per SCHEMAS row
GENERATED = [
    ["ArrayFieldSchema", {**NO_MEDIA, "type": "array", "items": None}],
    ["ObjectFieldSchema", {**NO_MEDIA, "type": "object", "properties": None}],
    ["VarFieldSchema", {"contentMediaType": "oomol/var"}],
    ["VarFieldSchema", {"contentMediaType": "oomol/var"}],  # var wins over object
    ["PrimitiveFieldSchema", {**NO_MEDIA, "type": "string"}],
    ["PrimitiveFieldSchema", {**NO_MEDIA, "type": "number"}],
    ["PrimitiveFieldSchema", {**NO_MEDIA, "type": "boolean"}],
    ["FieldSchema", NO_MEDIA],
    ["SecretFieldSchema", {"contentMediaType": "oomol/secret", "type": "string"}],
    ["FieldSchema", {"contentMediaType": "oomol/secret"}],
    ["FieldSchema", {"contentMediaType": "oomol/bin"}],
    ["ArrayFieldSchema", {**NO_MEDIA, "type": "array", "items": [
        "SecretFieldSchema", {"contentMediaType": "oomol/secret", "type": "string"}]}],
    ["ObjectFieldSchema", {**NO_MEDIA, "type": "object", "properties": {
        "n": ["PrimitiveFieldSchema", {**NO_MEDIA, "type": "number"}],
        "v": ["VarFieldSchema", {"contentMediaType": "oomol/var"}]}}],
    ["FieldSchema", NO_MEDIA],
]
VAR_SCHEMA = {"type": "object", "contentMediaType": "oomol/var"}
HANDLE = {
    "missing_handle": ["ValueError", "missing attr key: 'handle'"],
    "unknown_ignored": True,
    "get": ["a", "d", "default"],
    "getitem": ["a", True],
    "contains": [True, True, False],
    # contentMediaType -> [is_var, is_bin, is_secret, is_credential]
    "kinds": {"oomol/var": [True, False, False, False], "oomol/bin": [False, True, False, False],
              "oomol/secret": [False, False, True, False],
              "oomol/credential": [False, False, False, True]},
    "additional": [False, True],
    "has_value": [False, True, True],  # absent, None, 3
    "nullable_default": [None, True],
    "serializable_var": [True, False, False],
    "serialize_for_cache": [True, False, False],
    "json_schema_to_dict": [VAR_SCHEMA, None],
    "json_schema_type": "VarFieldSchema",
    "frozen": True,
}
DATA = {
    "store_key_missing": [["ValueError", "missing key executor"],
                          ["ValueError", "missing key job_id"]],
    "store_key_extra_ignored": True,
    "store_key_hashable": 1,
    "block_info_missing": [["ValueError", "missing key session_id"],
                           ["ValueError", "missing key stacks"]],
    "block_info": [None, "kept", {"session_id": "s", "job_id": "j"},
                   {"session_id": "s", "job_id": "j", "stacks": [{"node_id": "n"}]},
                   {"session_id": "s", "job_id": "j", "stacks": [], "block_path": "p"}],
    "dumps": ['{"x": 1, "y": 2.5}', '[{"x": 1, "y": 2.5}]', '{"p": {"x": 3, "y": null}}',
              '{"n": null, "i": null}', '{"a": 2, "b": 1}'],
    "dumps_error": "TypeError",
}
SERVICE = {
    "same_class": True,
    "abstract": ["block_handler", "waiting_ready_notify"],
    "abc_error": "TypeError",
    "incomplete_error": "TypeError",
    "subclass_is_instance": True,
    "no_ops": [None, None, None],
}
TYPED_DICTS = {
    "BinValueDict": ["__OOMOL_TYPE__", "value"],
    "VarValueDict": ["__OOMOL_TYPE__", "serialize_path", "value"],
    "JobDict": ["job_id", "session_id"],
    "BlockDict": ["block_path", "job_id", "session_id", "stacks"],
    "ToNode": ["input_handle", "node_id"],
    "ToFlow": ["output_handle"],
    "HandleDefDict": ["description", "handle", "is_additional", "json_schema", "kind",
                      "nullable"],
    "QueryBlockResponse": ["additional_inputs", "additional_outputs", "description",
                           "inputs_def", "outputs_def", "type"],
    "FlowDownstream": ["output_handle", "output_handle_def"],
    "NodeDownstream": ["description", "input_handle", "input_handle_def", "node_id"],
    "Downstream": ["to_flow", "to_node"],
    "OOMOL_LLM_ENV": ["api_key", "base_url", "base_url_v1", "models"],
    "HostInfo": ["gpu_renderer", "gpu_vendor"],
    "LLMModelOptions": ["max_tokens", "model", "temperature", "top_p"],
    "LLMMessage": ["content", "role"],
    "ServiceMessage": ["flow_path", "job_id", "node_id", "payload"],
    "ServiceExecutor": ["entry", "function", "keep_alive", "name", "start_at", "stop_at"],
    "ServiceExecutePayload": ["block_name", "dir", "job_id", "outputs", "service_executor",
                              "service_hash", "session_id"],
    "TablePreviewPayload": ["data", "type"],
    "TextPreviewPayload": ["data", "type"],
    "JSONPreviewPayload": ["data", "type"],
    "ImagePreviewPayload": ["data", "type"],
    "MediaPreviewPayload": ["data", "type"],
    "PandasPreviewPayload": ["data", "type"],
    "DefaultPreviewPayload": ["data", "type"],
    "CompressionOptions": ["method"],
}
ALIASES = {
    "StopAtOption": ["app_end", "block_end", "never", "session_end", "True"],  # or None
    "ContentMediaType": ["oomol/bin", "oomol/secret", "oomol/var", "oomol/credential"],
    "LLMMessage.role": ["system", "user", "assistant"],
    "PreviewPayload": ["TablePreviewPayload", "TextPreviewPayload", "JSONPreviewPayload",
                       "ImagePreviewPayload", "MediaPreviewPayload", "CsvPreviewPayload",
                       "DataFrame", "PandasPreviewPayload", "DefaultPreviewPayload"],
    "PreviewPayloadInternal": ["TablePreviewPayload", "TextPreviewPayload",
                               "JSONPreviewPayload", "ImagePreviewPayload",
                               "MediaPreviewPayload", "CsvPreviewPayload",
                               "PandasPreviewPayload", "DefaultPreviewPayload"],
    "BlockHandler": 2,  # one function for all blocks, or a dict of them
}


def inputs() -> dict:
    return {"names": NAMES, "submodules": SUBMODULES, "values": [v for v, _ in VALUES],
            "schemas": [s for s, _ in SCHEMAS]}


def check_report(report: dict) -> None:
    assert report["missing"] == []
    assert report["submodules"] == {name: {"attribute": True, "same_objects": True}
                                    for name in SUBMODULES}
    assert report["context_is_oocana_context"] is True
    assert report["is_helpers"] == [answer for _, answer in VALUES]
    assert report["dict_helpers"] == [answer for _, answer in SCHEMAS]
    assert report["generate_schema"] == GENERATED
    assert report["handle"] == HANDLE
    assert report["data"] == DATA
    assert report["service"] == SERVICE
    assert report["typed_dicts"] == TYPED_DICTS
    assert report["aliases"] == ALIASES
    assert report["preview"] == {"frame_like": [True, True, True], "dict_is_frame": False,
                                 "module": "oocana.preview oocana.data"}
    kind, message = report["mainframe"]
    assert kind == "MainframeUnavailable" and "without an MQTT broker" in message
    assert "through its Context" in message
    assert report["executor_name"] == "python"
    assert report["serialization"] == [True, {"method": "gzip"}, ".gz", None, ".pkl",
                                       "ValueError"]
    assert report["internal"] == {
        "random_string": [12, True, 8],
        "string_hash": "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "internal_api": "MainframeUnavailable",
        "throttle": [2, None, [1]],
    }


def test_the_whole_surface_in_a_worker_through_the_cli():
    proc = subprocess.run(cli("run", str(SURFACE), "--inputs", json.dumps(inputs()), "--json"),
                          cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)["outputs"]["report"]
    check_report(report)
    assert report["heavy_after_import"] == []  # a worker pays for no pandas, numpy, ...


def test_the_whole_surface_in_the_kit(tmp_path):
    ctx = call_block(SURFACE, inputs(), pkg_dir=tmp_path / "pkg_data")
    assert ctx.finish_error is None
    check_report(ctx.result["report"])
    assert ctx.warnings == []


def test_dataframe_serialization_without_a_package_folder_warns(make_context):
    from oocana import setup_dataframe_serialization

    ctx = make_context()
    setup_dataframe_serialization(ctx, {"method": "zip"})
    assert len(ctx.warnings) == 1 and "not kept" in ctx.warnings[0]


def test_an_oocana_service_flow_through_the_cli():
    proc = subprocess.run(cli("run", str(API / "flows" / "service"), "--json"), cwd=REPO,
                          env=cli_env(), capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["status"] == "completed"
    assert summary["outputs"] == {
        "a_two": "22", "b_one": "11111", "b_two": "2222",
        # what main(service: ServiceContextAbstractClass) received
        "service_type": [True, "Service", True],
        # waiting_ready_notify held the block until notify_ready()
        "notified": True,
    }


def test_importing_oocana_loads_no_heavy_module_and_little_for_the_common_names():
    """What a worker imports for `from oocana import Context` (and a service for
    `ServiceContextAbstractClass`) beyond what it has loaded; no name loads pandas."""
    code = (
        "import sys\n"
        "from oocana_local._shim import SHIM_DIR\n"
        "sys.path.insert(0, SHIM_DIR)\n"
        "import oocana_local.worker.serve, oocana_local.worker.job\n"
        "before = set(sys.modules)\n"
        "from oocana import Context\n"
        "after_context = sorted(set(sys.modules) - before)\n"
        "before = set(sys.modules)\n"
        "from oocana import ServiceContextAbstractClass\n"
        "after_service = sorted(set(sys.modules) - before)\n"
        "from oocana import *\n"
        "import oocana.internal, oocana.throttler\n"
        "print(after_context)\n"
        "print(after_service)\n"
        "print(sorted(m for m in ('pandas', 'numpy', 'matplotlib', 'plotly', 'PIL', 'paho')"
        " if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=cli_env(),
                          capture_output=True, text=True, timeout=RUN_TIMEOUT)
    assert proc.returncode == 0, proc.stderr
    after_context, after_service, heavy = proc.stdout.splitlines()
    assert after_context == "['oocana']"
    assert after_service == "['oocana_local.context.service']"  # no dataclasses
    assert heavy == "[]"


def test_an_unknown_name_is_an_import_error_that_says_where_the_list_is():
    prelude = "import sys\nfrom oocana_local._shim import SHIM_DIR\nsys.path.insert(0, SHIM_DIR)\n"
    proc = subprocess.run([sys.executable, "-c", prelude + "from oocana import Contxt\n"],
                          cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    assert "ImportError: cannot import name 'Contxt' from 'oocana'" in proc.stderr
    proc = subprocess.run([sys.executable, "-c", prelude + "import oocana\noocana.Contxt\n"],
                          cwd=REPO, env=cli_env(), capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    assert "module 'oocana' has no attribute 'Contxt'" in proc.stderr
    assert "docs/oocana-api.md" in proc.stderr


@pytest.mark.parametrize("service, expected", [
    ("broken", ["FileNotFoundError: model.bin is missing", "in load_model"]),
    ("idle", ["service 'idle': setup(service) did not set service.block_handler"]),
])
def test_a_service_start_that_fails_or_sets_no_handler_fails_the_call(tmp_path, service,
                                                                      expected):
    target = write_flow(tmp_path / service, {
        "nodes": [{"node_id": "call", "service": f"oocana_api::{service}::go"}]})
    with oocana_local.Engine(search_paths=[str(FLOWS)]) as engine:
        result = engine.run(target)
    assert result.status == "failed" and result.nodes == {"call": "failed"}
    assert all(text in result.error for text in expected), result.error


def test_a_service_start_that_raises_once_serving_logs_its_traceback(tmp_path):
    target = write_flow(tmp_path / "late", {
        "outputs_def": [{"handle": "out"}],
        "nodes": [{"node_id": "call", "service": "oocana_api::late::go"}],
        "outputs_from": [{"handle": "out", "from_node": [{"node_id": "call",
                                                          "output_handle": "out"}]}]})
    with oocana_local.Engine(search_paths=[str(FLOWS)]) as engine:
        result = engine.run(target)
    assert result.ok and result.outputs == {"out": "served"}
    logs = [e["log"] for e in result.events if e["type"] == "BlockLog"]
    assert any("RuntimeError: the watcher lost its connection" in line for line in logs), logs


def test_query_auth_and_node_weights_answer_as_far_as_a_local_run_can(engine, tmp_path):
    block = tmp_path / "cloudy"
    block.mkdir()
    (block / "block.oo.yaml").write_text(
        "executor: {name: python, options: {entry: main.py}}\n"
        "outputs_def: [{handle: seen}]\n")
    (block / "main.py").write_text(
        "import asyncio\n"
        "from oocana import CredentialInput\n\n"
        "async def main(params, context):\n"
        "    seen = {}\n"
        "    try:\n"
        "        await context.query_auth(CredentialInput('github', 'c-1'))\n"
        "    except ValueError as exc:\n"
        "        seen['auth'] = str(exc)\n"
        "    await context.internal.update_node_weight('n', 2.5)\n"
        "    for bad in (-1, float('nan'), 'x'):\n"
        "        try:\n"
        "            await context.internal.update_node_weight('n', bad)\n"
        "        except ValueError:\n"
        "            seen.setdefault('refused', []).append(repr(bad))\n"
        "    return {'seen': seen}\n")
    result = engine.run(block)
    assert result.status == "completed", result.error
    seen = result.outputs["seen"]
    assert "query_auth('c-1')" in seen["auth"] and "OOMOL's cloud" in seen["auth"]
    assert seen["refused"] == ["-1", "nan", "'x'"]
