def main(params):
    return {"text": f"sum={params['value']} ({type(params['value']).__name__})"}
