from oocana import Context


def main(inputs: dict, context: Context):
    if inputs is not context.inputs:
        raise AssertionError("main(inputs, context) must get context.inputs itself")
    return {"out": inputs["text"] + "|two_params"}
