import os
import time


def main(params, context):
    context.output("first", params["first"])
    print("waiting for the gate")
    context.report_progress(50)
    deadline = time.monotonic() + 120
    while not os.path.exists(params["gate"]):
        if time.monotonic() > deadline:
            raise TimeoutError("the gate never opened")
        time.sleep(0.02)
    print("the gate is open")
    return {"last": "through the gate"}
