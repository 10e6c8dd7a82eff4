"""Compile resolved flows into run graphs."""

from .compile import compile_flow, effective_inputs_def, effective_outputs_def
from .model import FlowTarget, GraphNode, InputSlot, NodeTarget, RunGraph, Target

__all__ = ["compile_flow", "effective_inputs_def", "effective_outputs_def", "FlowTarget",
           "GraphNode", "InputSlot", "NodeTarget", "RunGraph", "Target"]
