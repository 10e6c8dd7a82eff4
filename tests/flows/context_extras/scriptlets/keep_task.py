import asyncio


async def main(params, context):
    async def later():
        await asyncio.sleep(0.3)
        context.finish(result={"out": "from a task"})

    asyncio.get_running_loop().create_task(later())
    return context.keepAlive
