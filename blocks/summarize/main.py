from oocana import Context


def _plain(value):
    """numpy scalars -> int / float, so the stats are plain JSON."""
    return value.item() if hasattr(value, "item") else value


def main(params: dict, context: Context):
    frame = params["frame"]
    print(f"summarizing {len(frame)} rows x {len(frame.columns)} columns")
    context.logger.info("columns: %s", ", ".join(map(str, frame.columns)))
    context.preview(frame)

    numeric = frame.select_dtypes("number")
    stats = {
        "rows": len(frame),
        "columns": [str(c) for c in frame.columns],
        "sum": {str(c): _plain(numeric[c].sum()) for c in numeric.columns},
        "mean": {str(c): float(numeric[c].mean()) for c in numeric.columns},
    }
    sums = [f"{name} to {value:g}" for name, value in stats["sum"].items()]
    if sums:
        sums[0] = sums[0].replace(" to ", " sums to ", 1)
    summary = f"{stats['rows']} rows: " + ", ".join(sums)
    print(summary)
    return {"stats": stats, "summary": summary}
