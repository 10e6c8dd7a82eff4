async def main(params, context):
    block = await context.query_block("../run_block/blk_b")
    try:
        await context.query_block("no_such_block")
        unknown = None
    except ValueError as exc:
        unknown = str(exc)
    downstream = await context.query_downstream()
    return {"output1": {"block": block, "unknown": unknown, "downstream": downstream}}
