"""Every public name of oocana 0.18.12 imported as blocks import them, and the answers of
its helpers on sample values (the test holds what oocana's documentation says they are)."""

import dataclasses
import importlib
import math
import sys
import typing

import oocana
import oocana.service
from oocana import (  # noqa: F401 - importing them is the point
    EXECUTOR_NAME,
    OOMOL_LLM_ENV,
    ArrayFieldSchema,
    BinValueDict,
    BlockDict,
    BlockExecuteException,
    BlockHandler,
    BlockInfo,
    BlockJob,
    CompressionOptions,
    ContentMediaType,
    Context,
    CredentialInput,
    DefaultPreviewPayload,
    Downstream,
    FieldSchema,
    FlowDownstream,
    HandleDef,
    HandleDefDict,
    HostInfo,
    ImagePreviewPayload,
    InputHandleDef,
    JobDict,
    JSONPreviewPayload,
    LLMMessage,
    LLMModelOptions,
    Mainframe,
    MediaPreviewPayload,
    NodeDownstream,
    ObjectFieldSchema,
    OutputHandleDef,
    PandasPreviewPayload,
    PreviewPayload,
    PreviewPayloadInternal,
    PrimitiveFieldSchema,
    QueryBlockResponse,
    SecretFieldSchema,
    ServiceContextAbstractClass,
    ServiceExecutePayload,
    ServiceExecutor,
    ServiceMessage,
    StopAtOption,
    StoreKey,
    TablePreviewPayload,
    TextPreviewPayload,
    ToFlow,
    ToNode,
    VarFieldSchema,
    VarValueDict,
    data,
    dumps,
    is_array_dict,
    is_bin_value,
    is_object_dict,
    is_primitive_dict,
    is_secret_dict,
    is_var_dict,
    is_var_value,
    preview,
    setup_dataframe_serialization,
)
from oocana.preview import DataFrame, PartialDataFrame, ShapeDataFrame
from oocana.service import ServiceContextAbstractClass as ServiceABC

HEAVY = ("pandas", "numpy", "matplotlib", "plotly", "PIL")


def error(fn):
    try:
        fn()
    except Exception as exc:
        return [type(exc).__name__, str(exc)]
    return None


def main(params: dict, context: Context):
    heavy_after_import = [m for m in HEAVY if m in sys.modules]
    missing = []
    for name in params["names"]:
        try:
            exec(f"from oocana import {name}", {})
        except ImportError as exc:
            missing.append(f"{name}: {exc}")
    submodules = {}
    for name in params["submodules"]:
        module = importlib.import_module(f"oocana.{name}")
        exported = getattr(module, "__all__", [])
        submodules[name] = {
            "attribute": getattr(oocana, name) is module,
            # every name a submodule exports is the object oocana exports
            "same_objects": all(getattr(oocana, n) is getattr(module, n) for n in exported
                                if n in params["names"]),
        }
    return {"report": {
        "missing": missing,
        "submodules": submodules,
        "heavy_after_import": heavy_after_import,
        "context_is_oocana_context": isinstance(context, Context),
        "is_helpers": [[f(v) for f in (is_bin_value, is_var_value)] for v in params["values"]],
        "dict_helpers": [[f(s) for f in (is_array_dict, is_object_dict, is_var_dict,
                                         is_primitive_dict, is_secret_dict)]
                         for s in params["schemas"]],
        "generate_schema": [describe(FieldSchema.generate_schema(s)) for s in params["schemas"]],
        "handle": handle_answers(),
        "data": data_answers(),
        "service": service_answers(),
        "typed_dicts": typed_dicts(),
        "aliases": aliases(),
        "preview": preview_answers(),
        "mainframe": error(lambda: Mainframe("mqtt://127.0.0.1:47688")),
        "serialization": serialization_answers(context),
        "internal": internal_answers(),
        "executor_name": EXECUTOR_NAME,
    }}


def describe(schema):
    """A FieldSchema as [class name, its fields with nested schemas described]."""
    if not isinstance(schema, FieldSchema):
        return schema
    fields = {}
    for f in dataclasses.fields(schema):
        value = getattr(schema, f.name)
        if isinstance(value, dict):
            value = {k: describe(v) for k, v in value.items()}
        fields[f.name] = describe(value)
    return [type(schema).__name__, fields]


def handle_answers():
    var = {"type": "object", "contentMediaType": "oomol/var"}
    plain = HandleDef(handle="a", description="d", json_schema={"type": "string"}, unknown=1)
    kinds = {}
    for media in ("oomol/var", "oomol/bin", "oomol/secret", "oomol/credential"):
        h = HandleDef(handle="h", json_schema={"type": "string", "contentMediaType": media})
        kinds[media] = [h.is_var_handle(), h.is_bin_handle(), h.is_secret_handle(),
                        h.is_credential_handle()]
    no_value = InputHandleDef(handle="x")
    null_value = InputHandleDef(handle="x", value=None)
    return {
        "missing_handle": error(lambda: HandleDef(description="no handle")),
        "unknown_ignored": not hasattr(plain, "unknown"),
        "get": [plain.get("handle"), plain.get("description"), plain.get("nope", "default")],
        "getitem": [plain["handle"], error(lambda: plain["nope"]) is not None],
        "contains": ["handle" in plain, "description" in plain, "nope" in plain],
        "kinds": kinds,
        "additional": [plain.is_additional_handle(),
                       HandleDef(handle="a", is_additional=True).is_additional_handle()],
        "has_value": [no_value.has_value(), null_value.has_value(),
                      InputHandleDef(handle="x", value=3).has_value()],
        "nullable_default": [no_value.nullable, InputHandleDef(handle="x", nullable=True).nullable],
        "serializable_var": [
            InputHandleDef(handle="x", json_schema=var, _deserialize_from_cache=True).is_serializable_var(),
            InputHandleDef(handle="x", json_schema=var).is_serializable_var(),
            InputHandleDef(handle="x", json_schema={"type": "string"},
                           _deserialize_from_cache=True).is_serializable_var()],
        "serialize_for_cache": [
            OutputHandleDef(handle="y", json_schema=var, _serialize_for_cache=True).need_serialize_var_for_cache(),
            OutputHandleDef(handle="y", json_schema=var).need_serialize_var_for_cache(),
            OutputHandleDef(handle="y", _serialize_for_cache=True).need_serialize_var_for_cache()],
        "json_schema_to_dict": [HandleDef(handle="v", json_schema=var).json_schema_to_dict(),
                                HandleDef(handle="v").json_schema_to_dict()],
        "json_schema_type": type(HandleDef(handle="v", json_schema=var).json_schema).__name__,
        "frozen": error(lambda: setattr(plain, "handle", "b")) is not None,
    }


@dataclasses.dataclass
class Point:
    x: int
    y: float


def data_answers():
    key = {"executor": "python", "handle": "h", "job_id": "j", "session_id": "s"}
    info = BlockInfo(session_id="s", job_id="j", stacks=[{"node_id": "n"}], extra="kept")
    return {
        "store_key_missing": [error(lambda: StoreKey()),
                              error(lambda: StoreKey(executor="python", handle="h"))],
        "store_key_extra_ignored": StoreKey(**key, key="k1") == StoreKey(**key),
        "store_key_hashable": len({StoreKey(**key), StoreKey(**key)}),
        "block_info_missing": [error(lambda: BlockInfo()),
                               error(lambda: BlockInfo(session_id="s", job_id="j"))],
        "block_info": [info.block_path, info.extra, info.job_info(), info.block_dict(),
                       BlockInfo(session_id="s", job_id="j", stacks=[],
                                 block_path="p").block_dict()],
        "dumps": [dumps(Point(1, 2.5)), dumps([Point(1, 2.5)]), dumps({"p": Point(3, math.nan)}),
                  dumps({"n": math.nan, "i": math.inf}), dumps({"b": 1, "a": 2}, sort_keys=True)],
        "dumps_error": error(lambda: dumps({1, 2}))[0],
    }


class Service(ServiceContextAbstractClass):
    handler = None

    @property
    def block_handler(self):
        return self.handler

    @block_handler.setter
    def block_handler(self, value):
        self.handler = value

    @property
    def waiting_ready_notify(self):
        return False

    @waiting_ready_notify.setter
    def waiting_ready_notify(self, value):
        pass


class Incomplete(ServiceContextAbstractClass):
    @property
    def block_handler(self):
        return None


def service_answers():
    service = Service()
    return {
        "same_class": ServiceABC is ServiceContextAbstractClass,
        "abstract": sorted(ServiceContextAbstractClass.__abstractmethods__),
        "abc_error": error(ServiceContextAbstractClass)[0],
        "incomplete_error": error(Incomplete)[0],
        "subclass_is_instance": isinstance(service, ServiceContextAbstractClass),
        "no_ops": [service.__setitem__("k", 1), service.notify_ready(),
                   service.add_message_callback(print)],
    }


def typed_dicts():
    dicts = [BinValueDict, VarValueDict, JobDict, BlockDict, ToNode, ToFlow, HandleDefDict,
             QueryBlockResponse, FlowDownstream, NodeDownstream, Downstream, OOMOL_LLM_ENV,
             HostInfo, LLMModelOptions, LLMMessage, ServiceMessage, ServiceExecutor,
             ServiceExecutePayload, TablePreviewPayload, TextPreviewPayload, JSONPreviewPayload,
             ImagePreviewPayload, MediaPreviewPayload, PandasPreviewPayload,
             DefaultPreviewPayload, CompressionOptions]
    return {d.__name__: sorted(d.__required_keys__ | d.__optional_keys__) for d in dicts}


def aliases():
    return {
        "StopAtOption": sorted(str(a) for a in typing.get_args(typing.get_args(StopAtOption)[0]))
        + [str(typing.get_args(StopAtOption)[1] is type(None))],
        "ContentMediaType": list(typing.get_args(ContentMediaType)),
        "LLMMessage.role": list(typing.get_args(typing.get_type_hints(LLMMessage)["role"])),
        "PreviewPayload": [a.__name__ for a in typing.get_args(PreviewPayload)],
        "PreviewPayloadInternal": [a.__name__ for a in typing.get_args(PreviewPayloadInternal)],
        "BlockHandler": len(typing.get_args(BlockHandler)),
    }


class FrameLike:
    """Has what oocana's DataFrame protocols ask for, and no pandas behind it."""

    index = None
    shape = (0, 0)

    def __len__(self):
        return 0

    def __dataframe__(self):
        return None

    def to_csv(self):
        return ""

    def to_json(self):
        return ""

    def to_dict(self):
        return {}

    def head(self):
        return self

    def tail(self):
        return self


def preview_answers():
    return {
        "frame_like": [isinstance(FrameLike(), p) for p in (DataFrame, ShapeDataFrame,
                                                            PartialDataFrame)],
        "dict_is_frame": isinstance({}, DataFrame),
        "module": preview.__name__ + " " + data.__name__,
    }


def serialization_answers(context):
    from oocana.serialization import compression_options, compression_suffix

    answers = [context.pkg_data_dir is not None]
    setup_dataframe_serialization(context, {"method": "gzip"})
    answers += [compression_options(context), compression_suffix(context)]
    setup_dataframe_serialization(context, None)
    answers += [compression_options(context), compression_suffix(context)]
    answers.append(error(lambda: setup_dataframe_serialization(context, {"method": "rar"}))[0])
    return answers


def internal_answers():
    from oocana.internal import InternalAPI, random_string, string_hash
    from oocana.throttler import throttle

    calls = []

    @throttle(3600)
    def note(value):
        calls.append(value)
        return value * 2

    token = random_string(12)
    return {
        "random_string": [len(token), token.isalnum(), len(random_string())],
        "string_hash": string_hash("abc"),
        "internal_api": error(lambda: InternalAPI(None, None))[0],
        # the first call runs at once; one within the period is held (returns None)
        "throttle": [note(1), note(2), calls],
    }
