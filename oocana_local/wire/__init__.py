"""The contract both sides of a worker connection share.

Engine side (``runtime``, ``executor``) and worker side (``worker``, ``context``) import
this package and nothing of each other:

* ``names``   every message name that crosses the wire or reaches the bus;
* ``values``  value references (``oomol/var``, ``oomol/bin``, secrets) and their naming;
* ``frames``  the framing of messages on a socket, with bounds;
* ``connection`` the engine's end of such a socket, on the event loop (worker processes,
  Ray actors' channels);
* ``plain``   the pickles of a Node.js worker's frames: JSON's values only;
* ``job``     the job specification: what a worker needs to run one block.

Modules here import only the standard library, and the worker side only what it uses,
so a fresh worker pays nothing for the engine's half.
"""
