import os
import time


def main(params, context):
    print("waiting for the gate")
    context.report_progress(40)
    deadline = time.monotonic() + 120
    while not os.path.exists(params["gate"]):
        if time.monotonic() > deadline:
            raise TimeoutError("the gate never opened")
        time.sleep(0.02)
    print("the gate is open")
    return {"opened": True}
