def main(params, context):
    with open(params["file"], encoding="utf-8") as file:
        return {"lines": len(file.read().splitlines())}
