import time

from oocana import Context


def main(params: dict, context: Context):
    steps = int(params["steps"])
    delay = float(params["delay"])
    context.report_progress(0)
    for step in range(1, steps + 1):
        time.sleep(delay)
        context.report_progress(round(100 * step / steps, 1))
    return {"count": steps, "message": f"counted to {steps}"}
