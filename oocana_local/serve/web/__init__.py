"""The web view of ``oocana-local serve``: pages for the served flows and blocks, their
runs (live over server-sent events) and runs recorded in events files; and the
self-contained run report of ``oocana-local run --report``. See docs/web-view.md."""
