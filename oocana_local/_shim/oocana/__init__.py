"""``import oocana`` inside an oocana-local worker: every public name and submodule of
oocana 0.18.12, backed by ours.

Only workers (and the test kit, when no real ``oocana`` is installed) put
``oocana_local/_shim`` on ``sys.path``. ``Context`` here is the very class the worker
builds, so ``main(context: Context)`` is recognised by identity, and the service object a
service's ``function(service)`` receives is a ``ServiceContextAbstractClass``.

Names load on first use (PEP 562): ``from oocana import Context`` costs a worker nothing it
has not loaded already; ``HandleDef`` or ``FieldSchema`` load their own module then.
``oocana.Mainframe`` (oocana's MQTT client) exists but cannot be used: there is no broker
here (see ``oocana.mainframe``). The list of names and what differs: docs/oocana-api.md.
"""

import importlib as _importlib

# name -> the submodule that holds it, in the order of oocana's star imports
_WHERE = {
    **dict.fromkeys(["dumps", "BinValueDict", "VarValueDict", "JobDict", "BlockDict",
                     "StoreKey", "BlockInfo", "EXECUTOR_NAME"], "data"),
    **dict.fromkeys(["Context", "HandleDefDict", "BlockJob", "BlockExecuteException",
                     "ToNode", "ToFlow", "QueryBlockResponse", "FlowDownstream",
                     "NodeDownstream", "Downstream", "OOMOL_LLM_ENV", "HostInfo"], "context"),
    **dict.fromkeys(["ServiceMessage", "BlockHandler", "ServiceContextAbstractClass",
                     "ServiceExecutor", "ServiceExecutePayload", "StopAtOption"], "service"),
    **dict.fromkeys(["HandleDef", "InputHandleDef", "OutputHandleDef"], "handle"),
    **dict.fromkeys(["PreviewPayload", "PreviewPayloadInternal", "TablePreviewPayload",
                     "TextPreviewPayload", "JSONPreviewPayload", "ImagePreviewPayload",
                     "MediaPreviewPayload", "PandasPreviewPayload", "DefaultPreviewPayload",
                     "TablePreviewData", "CsvPreviewPayload"], "preview"),
    **dict.fromkeys(["LLMModelOptions", "LLMMessage"], "extra"),
    **dict.fromkeys(["FieldSchema", "PrimitiveFieldSchema", "VarFieldSchema",
                     "SecretFieldSchema", "ArrayFieldSchema", "ObjectFieldSchema",
                     "ContentMediaType", "is_bin_value", "is_var_value", "is_array_dict",
                     "is_object_dict", "is_var_dict", "is_primitive_dict", "is_secret_dict"],
                    "schema"),
    "Mainframe": "mainframe",
    "setup_dataframe_serialization": "serialization",
    "CompressionOptions": "serialization",
    "CredentialInput": "credential",
}

_SUBMODULES = frozenset({"data", "context", "service", "handle", "preview", "extra", "schema",
                         "mainframe", "serialization", "credential", "internal", "throttler"})

# oocana's 58 names. TablePreviewData and CsvPreviewPayload, which oocana.preview defines
# without exporting, can be imported from here too (older oocana-local offered them), but
# `from oocana import *` leaves them out as oocana does.
__all__ = [name for name in _WHERE if name not in ("TablePreviewData", "CsvPreviewPayload")]


# the names almost every block imports, taken from where the worker has them already (the
# same objects oocana.context re-exports), so they cost no module of the shim
_LOADED = {"Context": "oocana_local.context", "BlockJob": "oocana_local.context",
           "BlockExecuteException": "oocana_local.context",
           "ServiceContextAbstractClass": "oocana_local.context.service"}


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is not None:
        source = _LOADED.get(name) or f"{__name__}.{module}"
        value = getattr(_importlib.import_module(source), name)
        globals()[name] = value  # the next lookup is a plain attribute
        return value
    if name in _SUBMODULES:
        return _importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'oocana' has no attribute {name!r} (oocana-local offers "
                         "the names of oocana 0.18.12; see docs/oocana-api.md)")


def __dir__() -> list[str]:
    return sorted({*_WHERE, *_SUBMODULES, *(n for n in globals() if n.startswith("__"))})
