"""``oocana.context``: the block ``Context`` (the worker's own class) and its typed dicts."""

from oocana_local.context import BlockExecuteException, BlockJob, Context
from oocana_local.context.types import (
    OOMOL_LLM_ENV,
    Downstream,
    FlowDownstream,
    HandleDefDict,
    HostInfo,
    NodeDownstream,
    QueryBlockResponse,
    ToFlow,
    ToNode,
)

__all__ = ["Context", "HandleDefDict", "BlockJob", "BlockExecuteException", "ToNode", "ToFlow",
           "QueryBlockResponse", "FlowDownstream", "NodeDownstream", "Downstream",
           "OOMOL_LLM_ENV", "HostInfo"]
