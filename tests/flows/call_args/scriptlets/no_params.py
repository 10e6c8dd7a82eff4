def main():
    return {"out": "no_params"}
