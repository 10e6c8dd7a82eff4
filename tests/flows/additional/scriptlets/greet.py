from oocana import Context


def main(inputs: dict, context: Context):
    extra_in = [h for h, d in context.inputs_def.items() if d.get("is_additional")]
    extra_out = [h for h, d in context.outputs_def.items() if d.get("is_additional")]
    text = f"{inputs['hello']} {inputs['world']}"
    return {"greeting": text, "shout": f"{text.upper()} {extra_in} {extra_out}"}
