import asyncio

from oocana import Context


async def main(inputs: dict, context: Context):
    await asyncio.sleep(0.01)
    return {"out": inputs["text"] + "|async_two_params"}
