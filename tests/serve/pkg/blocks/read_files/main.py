def read(path):
    with open(path, encoding="utf-8") as file:
        return file.read()


def main(params, context):
    return {"doc": read(params["doc"]), "more": [read(p) for p in params["more"]],
            "paths": [params["doc"], *params["more"]]}
