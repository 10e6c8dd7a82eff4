from oocana import Context


def main(params: dict, context: Context):
    count = int(params["count"])
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    start = int(params["start"])
    return {"numbers": list(range(start, start + count))}
