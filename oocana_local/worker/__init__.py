"""What runs inside a worker process: load a block, build its Context, call ``main``, capture
what it prints, keep its values. ``protocol`` is the wire shared with the engine.

Importing this package must stay light: it is the first thing a new worker imports.
"""
