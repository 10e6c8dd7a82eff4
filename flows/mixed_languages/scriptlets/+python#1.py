from oocana import Context


def main(params: dict, context: Context):
    stats = params["stats"]  # a dict made by the TypeScript block
    return {"report": f"{stats['count']} numbers from {stats['min']} to {stats['max']}, "
                      f"mean {stats['mean']:g}"}
