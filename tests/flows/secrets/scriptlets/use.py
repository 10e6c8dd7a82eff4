from oocana import CredentialInput


def main(params):
    print("resolved", params["bare"])  # a careless block: this line is a log
    cred = params["cred"]
    assert isinstance(cred, CredentialInput)
    return {"seen": {"anywhere": params["anywhere"], "bare": params["bare"],
                     "nested": params["nested"], "patched": params["patched"],
                     "cred": [cred.type, cred.id]}}
