import os


def writable(folder):
    probe = os.path.join(folder, "probe.txt")
    with open(probe, "w") as f:
        f.write("ok")
    return os.path.isfile(probe)


async def main(params, context):
    return {"out": {
        "llm": context.oomol_llm_env, "host": context.host_info,
        "endpoint": context.host_endpoint, "token": await context.oomol_token(),
        "dirs": {name: writable(getattr(context, name))
                 for name in ("pkg_data_dir", "pkg_dir", "tmp_pkg_dir", "tmp_dir", "session_dir")},
        "same_pkg": context.pkg_dir == context.pkg_data_dir,
    }}
