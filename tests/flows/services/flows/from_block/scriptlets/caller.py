from oocana import Context


async def main(params, context: Context):
    totals = []
    for n in (1, 2):
        outputs = []
        job = context.run_block("self::counter::add", inputs={"n": n})
        job.add_output_callback(outputs.append)
        await job.finish()
        totals += [o["total"] for o in outputs if "total" in o]
    return {"totals": totals}
