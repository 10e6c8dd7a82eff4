def main():
    return {"n": {3}}
