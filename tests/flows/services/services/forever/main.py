"""One service program, used by three services with different lifetimes."""

import os


def main(service):
    state = {"total": 0, "calls": 0}

    def add(inputs, context):
        state["total"] += inputs["n"]
        state["calls"] += 1
        context.report_progress(50)
        context.output("calls", state["calls"])
        return {"total": state["total"], "pid": os.getpid(), "extra": "dropped"}

    def crash(inputs, context):
        os._exit(3)

    service.block_handler = {"add": add, "crash": crash}
