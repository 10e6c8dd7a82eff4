"""Static checks of resolved flows and blocks, shared by ``load`` (before a run) and ``check``.

Only the engine's hard failures are errors (bad YAML, schema, unknown references, cycles,
duplicate node ids, a python entry that does not exist). Wiring mistakes the engine
tolerates (it drops the edge, or the node simply never runs) are warnings, so every flow
the engine runs also runs here.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .handles import effective_inputs, effective_outputs, shadowed_extras
from .problems import Problem
from .resolved import (
    MISSING,
    ConditionNode,
    Flow,
    FromFlow,
    FromNode,
    InputFrom,
    Location,
    Node,
    SubflowNode,
    TaskBlock,
    TaskNode,
    UnsupportedNode,
    ValueNode,
)

__all__ = ["validate_flow", "validate_task", "output_handles"]


def validate_task(
    block: TaskBlock, problems: list[Problem], entry_at: Location | None = None
) -> None:
    """Block-level checks: the python entry file must exist; Node.js blocks: see
    ``node_blocks``."""
    if block.executor == "nodejs":
        from .node_blocks import validate_node_block

        validate_node_block(block, problems, entry_at)
        return
    if block.executor != "python" or block.source is not None or block.entry is None:
        return
    entry = block.dir / block.entry
    where = "the flow's folder" if block.path is None else "the block's folder"
    fix = f"fix executor.options.entry (relative to {where})"
    problem = entry_file_problem(entry)
    if problem is not None:
        problems.append(Problem("error", f"python entry file {block.entry!r} {problem}",
                                entry_at or block.location,
                                f"create it, or {fix}" if "does not exist" in problem else fix))


_SPECIAL_ROOTS = ("/proc/", "/sys/", "/dev/")


def entry_file_problem(entry: Path) -> str | None:
    """Why ``entry`` cannot be a block's python file, or None when it can."""
    try:
        st = entry.stat()
        real = os.path.realpath(entry)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return f"does not exist (looked for {entry})"
        return f"cannot be read: {exc.strerror} ({str(entry)[:120]})"
    if not stat.S_ISREG(st.st_mode) or real.startswith(_SPECIAL_ROOTS):
        return f"is not a regular file ({real})"
    return None


def executor_warning(block: TaskBlock, where: Location | None, who: str) -> Problem | None:
    if block.executor in ("python", "nodejs", "shell"):
        return None
    return Problem(
        "warning",
        f"{who} uses the {block.executor!r} executor; oocana-local runs python, nodejs and "
        "shell blocks only, "
        "so it will fail when it runs",
        where,
        "rewrite the block in python, or run this flow with the oocana engine",
    )


def output_handles(node: Node) -> set[str] | None:
    """The handles the node can emit; None when unknown."""
    outputs = effective_outputs(node)
    return None if outputs is None else set(outputs)


def validate_flow(flow: Flow, problems: list[Problem]) -> None:
    """Check a resolved flow's wiring; append what is wrong to ``problems``."""
    nodes: dict[str, Node] = {}
    for node in flow.nodes:
        first = nodes.get(node.node_id)
        if first is not None:
            line = first.location.line if first.location else 0
            problems.append(
                Problem(
                    "error",
                    f"duplicate node_id {node.node_id!r} (first used on line {line})",
                    node.location,
                    "node ids must be unique within a flow: rename one of them",
                )
            )
        else:
            nodes[node.node_id] = node
    for node in flow.nodes:
        if node.ignore or isinstance(node, ValueNode):
            continue
        _check_node(node, flow, nodes, problems)
    _check_outputs_from(flow, nodes, problems)


def _check_node(node: Node, flow: Flow, nodes: dict[str, Node], problems: list[Problem]) -> None:
    who = f"node {node.node_id!r}"
    if isinstance(node, UnsupportedNode):
        problems.append(
            Problem(
                "warning",
                f"{who} is a {node.kind_name} node; oocana-local does not run {node.kind_name} "
                "nodes, so it and what depends on it will not run",
                node.location,
                "replace it with a task or subflow node to run this flow locally",
            )
        )
    if isinstance(node, TaskNode):
        _check_task_node(node, problems)
        if node.inject is not None:
            _check_inject(node, nodes, problems)
    if isinstance(node, ConditionNode):
        _check_condition(node, problems)

    inputs = effective_inputs(node)
    satisfied: set[str] = set()
    listed: set[str] = set()
    for item in node.inputs_from:
        if item.handle in listed:
            problems.append(
                Problem(
                    "warning",
                    f"{who}: input handle {item.handle!r} appears more than once in inputs_from",
                    item.location,
                    "merge the entries: one item per handle, with all its from_node / from_flow",
                )
            )
        listed.add(item.handle)
        if inputs is not None and item.handle not in inputs:
            problems.append(
                Problem(
                    "warning",
                    f"{who}: inputs_from names input handle {item.handle!r}, which "
                    f"{_block_name(node)} does not have; it is ignored",
                    item.location,
                    _existing(f"input handles of {_block_name(node)}", item.handle, inputs),
                )
            )
            continue
        if _input_satisfied(who, item, flow, nodes, problems):
            satisfied.add(item.handle)
    if inputs is None:
        return
    starving = [h for h in inputs if h not in satisfied]
    if starving:
        problems.append(
            Problem(
                "warning",
                f"{who} will never run: input handle(s) [{', '.join(starving)}] have no "
                "source and no value",
                node.location,
                "connect each one (from_node / from_flow) or give it a value in inputs_from "
                "(`value:` with nothing after it is an explicit null)",
            )
        )


def _input_satisfied(
    who: str, item: InputFrom, flow: Flow, nodes: dict[str, Node], problems: list[Problem]
) -> bool:
    """Check one inputs_from entry; True if the handle can ever get a value.

    Engine rules: a handle connected to a live node or a flow input waits for it and
    ignores its static ``value``; edges to ignored or unknown nodes are dropped; a single
    edge from a value node is that node's value.
    """
    connected = live = False
    value_node_value, from_value_node = MISSING, False
    for src in item.from_node:
        upstream = nodes.get(src.node_id)
        if upstream is None:
            problems.append(_unknown_node(who, item.handle, src, nodes))
            continue
        if upstream.ignore:
            continue
        outputs = output_handles(upstream)
        known = outputs is None or src.output_handle in outputs
        if not known:
            problems.append(_unknown_output(who, item.handle, src, outputs or set()))
        if isinstance(upstream, ValueNode):
            from_value_node = True
            if known:
                value_node_value = next(
                    v.value for v in upstream.values if v.handle == src.output_handle
                )
            continue
        connected = True
        live = live or known
    for flow_src in item.from_flow:
        if flow_src.input_handle not in flow.inputs_def:
            problems.append(_unknown_flow_input(f"{who} input {item.handle!r}", flow_src, flow))
            continue
        connected = live = True
    if connected:
        return live
    if from_value_node and len(item.from_node) + len(item.from_flow) == 1:
        return value_node_value is not MISSING  # the value node's value replaces `value`
    return item.value is not MISSING


def _check_task_node(node: TaskNode, problems: list[Problem]) -> None:
    block = node.block
    if block is None:
        return
    warning = executor_warning(block, node.location, f"node {node.node_id!r}")
    if warning is not None:
        problems.append(warning)
    for key, extra, allowed in (
        ("inputs_def", node.inputs_def, block.additional_inputs),
        ("outputs_def", node.outputs_def, block.additional_outputs),
    ):
        if extra and not allowed:
            flag = key[: -len("_def")]
            problems.append(
                Problem(
                    "warning",
                    f"node {node.node_id!r} adds handles in {key}, but {_block_name(node)} "
                    f"does not allow additional {flag}; they are ignored",
                    node.location,
                    f"set `additional_{flag}: true` in the block, or remove the node's {key}",
                )
            )
        for shadowed in shadowed_extras(node, key[: -len("_def")]):
            problems.append(
                Problem(
                    "warning",
                    f"node {node.node_id!r} declares {key[:-len('s_def')]} handle "
                    f"{shadowed.handle!r} again; {_block_name(node)} already defines it, "
                    "and the block's definition is the one used",
                    node.location,
                    f"remove {shadowed.handle!r} from the node's {key}, or rename it",
                )
            )


def _check_inject(node: TaskNode, nodes: dict[str, Node], problems: list[Problem]) -> None:
    """``inject: {node_id: X}``: honoured when X is a ``spawn: true`` task node of this
    flow in the same language; anything else cannot run as written, so it is an error
    (oocana would run the node in a fresh process, where X's state is not)."""
    inject = node.inject
    block = node.block
    if inject is None or block is None:
        return
    who = f"node {node.node_id!r}"
    at = inject.location or node.location

    def error(message: str, fix: str) -> None:
        problems.append(Problem("error", f"{who}: {message}", at, fix))

    if inject.package is not None:
        if inject.node_id is not None:
            error("inject names both a package and a node_id",
                  "keep `node_id:` to run in that spawn node's process (package injection "
                  "is an OOMOL Studio layer feature)")
        else:
            problems.append(Problem(
                "warning", f"{who}: inject.package is an OOMOL Studio layer feature; "
                "oocana-local ignores it and runs the node on the flow's own workers", at,
                "remove `inject:`, or run this flow in OOMOL Studio"))
        return
    if inject.node_id is None:
        error("inject names no node_id",
              "write `inject: {node_id: <a spawn: true node of this flow>}`, or remove it")
        return
    if inject.script is not None:
        problems.append(Problem(
            "warning", f"{who}: inject.script is ignored when inject names a node", at,
            "remove `script:` from inject"))
    target_id = inject.node_id
    target = nodes.get(target_id)
    if block.executor not in ("python", "nodejs"):
        error(f"only python and nodejs blocks can run in another node's process; this one "
              f"is a {block.executor!r} block", "remove `inject:`")
        return
    if block.spawn:
        error(f"spawn: true (a process of its own) and inject (the process of node "
              f"{target_id!r}) cannot go together",
              "remove `spawn: true` from its block, or remove `inject:`")
        return
    if target is None:
        import difflib  # only for a did-you-mean

        close = difflib.get_close_matches(target_id, list(nodes), n=3)
        error(f"inject names node {target_id!r}, which is not in this flow",
              f"did you mean {_or(close)}?" if close else _existing("nodes", "", nodes))
        return
    if target is node:
        error("inject names the node itself", "name a spawn: true node of this flow")
        return
    target_block = target.block if isinstance(target, TaskNode) else None
    if target_block is None or target_block.service is not None:
        error(f"inject names node {target_id!r}, which is not a task node, so it has no "
              "process to share", "name a task node whose block has `spawn: true`")
        return
    if target.ignore:
        error(f"inject names node {target_id!r}, which is ignored (ignore: true), so its "
              "process never starts", f"remove `ignore: true` from {target_id!r}, or remove "
              "`inject:`")
        return
    if target_block.executor != block.executor:
        error(f"inject names node {target_id!r}, a {target_block.executor!r} block, but this "
              f"is a {block.executor!r} block: a block runs only in a process of its own "
              "language", f"write this block in {target_block.executor}, or remove `inject:`")
        return
    if not target_block.spawn:
        where = f"in {target_block.path}" if target_block.path else "in its inline task"
        error(f"inject names node {target_id!r}, whose block does not have spawn: true: it "
              "runs on the shared workers and has no process of its own to share",
              f"set `spawn: true` under executor.options of {target_id!r} ({where})")
        return
    if not _depends_on(node, target_id, nodes):
        problems.append(Problem(
            "warning", f"{who} does not wait for node {target_id!r}: if it starts before "
            f"{target_id!r} has run, it fails, because {target_id!r}'s process does not exist "
            "yet", at, f"connect an input of {node.node_id!r} to an output of {target_id!r} "
            f"(or of a node downstream of it)"))


def _depends_on(node: Node, target_id: str, nodes: dict[str, Node]) -> bool:
    """Whether ``target_id`` is upstream of ``node`` through ``from_node`` edges."""
    seen: set[str] = set()
    todo = [node]
    while todo:
        for item in todo.pop().inputs_from:
            for src in item.from_node:
                if src.node_id == target_id:
                    return True
                upstream = nodes.get(src.node_id)
                if upstream is not None and not upstream.ignore and src.node_id not in seen:
                    seen.add(src.node_id)
                    todo.append(upstream)
    return False


def _check_condition(node: ConditionNode, problems: list[Problem]) -> None:
    names = {h.handle for h in node.inputs_def}
    for case in node.cases:
        for expression in case.expressions:
            handle = expression.get("input_handle")
            if handle not in names:
                problems.append(
                    Problem(
                        "warning",
                        f"condition node {node.node_id!r}: case {case.handle!r} tests input "
                        f"{handle!r}, which is not in the node's inputs_def",
                        node.location,
                        _existing("inputs of the condition node", str(handle), names),
                    )
                )


def _check_outputs_from(flow: Flow, nodes: dict[str, Node], problems: list[Problem]) -> None:
    for item in flow.outputs_from:
        who = f"flow output {item.handle!r}"
        if item.handle not in flow.outputs_def:
            problems.append(
                Problem(
                    "warning",
                    f"outputs_from wires {who}, which is not in the flow's outputs_def",
                    item.location,
                    _existing("flow outputs", item.handle, flow.outputs_def),
                )
            )
        for src in item.from_node:
            upstream = nodes.get(src.node_id)
            if upstream is None:
                problems.append(_unknown_node(who, None, src, nodes))
            elif not upstream.ignore:
                outputs = output_handles(upstream)
                if outputs is not None and src.output_handle not in outputs:
                    problems.append(_unknown_output(who, None, src, outputs))
        for flow_src in item.from_flow:
            if flow_src.input_handle not in flow.inputs_def:
                problems.append(_unknown_flow_input(who, flow_src, flow))


def _unknown_node(who: str, handle: str | None, src: FromNode, nodes: dict[str, Node]) -> Problem:
    import difflib  # only for a did-you-mean

    where = f"{who} input {handle!r}" if handle else who
    close = difflib.get_close_matches(src.node_id, list(nodes), n=3)
    hint = f"did you mean {_or(close)}?" if close else _existing("nodes", "", nodes)
    return Problem(
        "warning",
        f"{where}: from_node names node {src.node_id!r}, which is not in this flow",
        src.location,
        hint,
    )


def _unknown_output(who: str, handle: str | None, src: FromNode, outputs: Iterable[str]) -> Problem:
    where = f"{who} input {handle!r}" if handle else who
    return Problem(
        "warning",
        f"{where}: node {src.node_id!r} has no output handle {src.output_handle!r}, "
        "so nothing will arrive through this connection",
        src.location,
        _existing(f"outputs of node {src.node_id!r}", src.output_handle, outputs),
    )


def _unknown_flow_input(where: str, src: FromFlow, flow: Flow) -> Problem:
    return Problem(
        "warning",
        f"{where}: from_flow names flow input {src.input_handle!r}, which the flow's "
        "inputs_def does not define; the connection is dropped",
        src.location,
        _existing("flow inputs", src.input_handle, flow.inputs_def)
        if flow.inputs_def
        else f"add `{{handle: {src.input_handle}}}` to the flow's inputs_def",
    )


def _block_name(node: Node) -> str:
    if isinstance(node, TaskNode):
        return f"block {node.ref!r}" if node.ref else "its inline task"
    if isinstance(node, SubflowNode):
        return f"subflow {node.ref!r}"
    return f"node {node.node_id!r}"


def _existing(what: str, wrong: str, names: Iterable[str]) -> str:
    """``did you mean 'x'? the <what> are: a, b`` (or: there are no <what>)."""
    import difflib  # only for a did-you-mean

    names = list(names)
    if not names:
        return f"there are no {what}"
    close = difflib.get_close_matches(wrong, names, n=1) if wrong else []
    shown = ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")
    text = f"the {what} are: {shown}"
    return f"did you mean {close[0]!r}? {text}" if close else text


def _or(names: list[str]) -> str:
    quoted = [repr(n) for n in names]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
