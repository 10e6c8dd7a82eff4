"""A module both scriptlets import: one copy per worker process."""

word: str | None = None
