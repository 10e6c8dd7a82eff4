import sys


def main(params, context):
    steps = params["steps"]
    for step in range(1, steps + 1):
        print(f"step {step} of {steps}")
        context.report_progress(step * 100 / steps)
    print("a warning on stderr", file=sys.stderr)
    return {"steps": steps}
