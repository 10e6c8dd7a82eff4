"""``python -m oocana_local.worker --fd N``: serve the engine on an inherited socket."""

from .boot import main

main()
