PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def main(params, context):
    context.preview({"type": "image", "data": PIXEL})
    context.preview({"type": "table", "data": {"columns": ["a", "b"], "rows": [[1, 2]],
                                               "row_count": 1}})
    return {"shown": True}
