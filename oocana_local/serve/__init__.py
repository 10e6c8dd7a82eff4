"""``oocana-local serve``: the local flows and blocks over HTTP, for the OOMOL Connect, Sim,
AppBuilder and NGraphX client SDKs. Needs the ``serve`` extra (FastAPI, uvicorn);
importing this package does not import them."""
