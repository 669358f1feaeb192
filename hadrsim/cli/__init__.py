"""The ``hadrsim`` command: a thin typer layer over the Python API.

One module per group of commands; importing them registers their commands on ``app``.
Exit status: 0 ok, 2 bad input (the message names the field path, the value and
what is allowed; nothing is written), 1 internal error.
"""

import gc
from importlib import import_module

from hadrsim.cli.common import app

# importing a module registers its commands; this order is the order of `hadrsim --help`
for _module in ("study", "longrun", "emulate", "report", "results", "data", "lab", "aws",
                "aws_exports"):
    import_module(f"hadrsim.cli.{_module}")

__all__ = ["app", "main"]


def main() -> None:
    """The console script (and ``python -m hadrsim``): the app, then a quick exit.

    As the interpreter exits, CPython runs a last full garbage collection over every
    object the imports made (pydantic's schemas, SQLAlchemy, numpy): about 0.1 s of
    every command (issue 14). Nothing needs it: the commands close their files and
    stores themselves, ``atexit`` handlers still run, and Python never promised to
    finalise objects still alive at exit. So the objects are frozen first
    (:func:`gc.freeze`), and that collection skips them.
    """
    try:
        app(prog_name="hadrsim")
    finally:
        gc.freeze()
