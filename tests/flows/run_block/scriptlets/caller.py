from oocana import BlockExecuteException, Context


async def attempt(context: Context, block: str, **kwargs):
    outputs, progress = [], []
    job = context.run_block(block, **kwargs)
    job.add_output_callback(outputs.append)
    job.add_progress_callback(progress.append)
    try:
        await job.finish()
    except BlockExecuteException as exc:
        return {"error": str(exc), "outputs": outputs}
    return {"outputs": outputs, "progress": progress}


async def main(params, context: Context):
    report = {
        "ok": await attempt(context, "blk_b", inputs={"text": "hi"}),
        "missing": await attempt(context, "nope", inputs={}),
        "strict": await attempt(context, "blk_b", inputs={"text": 1}, strict=True),
        "failed": await attempt(context, "blk_fail", inputs={}),
        "subflow": await attempt(context, "sub", inputs={"text": "deep"}),
    }
    frame = await attempt(context, "blk_df", inputs={"rows": 3})
    report["frame"] = [type(o["df"]).__name__ + f":{len(o['df'])}" for o in frame["outputs"]]
    return {"report": report}
