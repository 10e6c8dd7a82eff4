from oocana import Context

FIELDS = ("handle", "description", "json_schema", "kind", "nullable", "is_additional")


def main(inputs: dict, context: Context):
    seen = {}
    for side, defs in (("inputs", context.inputs_def), ("outputs", context.outputs_def)):
        for key in sorted(defs):
            handle = defs[key]
            # Read with [] as published blocks do: a missing field fails the block.
            seen[f"{side}.{key}"] = {**{f: handle[f] for f in FIELDS},
                                     "has_value": "value" in handle}
    # A published pattern: required outputs are those not nullable.
    required = [k for k in sorted(context.outputs_def)
                if not context.outputs_def[k]["nullable"]]
    context.output("note", f"required: {required}")
    return {"seen": seen}
