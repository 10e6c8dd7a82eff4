import time


def main(params, context):
    for p in (10, 50):
        context.report_progress(p)
        time.sleep(0.35)
    context.output("note", params["note"])
    return {"out": params["text"] * params["times"]}
