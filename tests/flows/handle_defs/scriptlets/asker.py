from oocana import Context


async def main(inputs: dict, context: Context):
    outputs = []
    job = context.run_block(
        "probe", inputs={"text": "hi", "extra": 2},
        additional_inputs_def=[{"handle": "extra", "json_schema": {"type": "number"}}],
        additional_outputs_def=[{"handle": "note", "kind": "primitive"}])
    job.add_output_callback(outputs.append)
    await job.finish()
    return {"seen": next(o["seen"] for o in outputs if "seen" in o)}
