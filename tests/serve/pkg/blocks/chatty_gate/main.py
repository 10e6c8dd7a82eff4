import os
import time


def main(params, context):
    for i in range(params["lines"]):
        print(f"before {i}")
    deadline = time.monotonic() + 120
    while not os.path.exists(params["gate"]):
        if time.monotonic() > deadline:
            raise TimeoutError("the gate never opened")
        time.sleep(0.02)
    for i in range(params["lines"]):
        print(f"after {i}")
    return {"lines": 2 * params["lines"]}
