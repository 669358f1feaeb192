"""The ``hadrsim`` command: a thin typer layer over the Python API.

One module per group of commands; importing them registers their commands on ``app``.
Exit status: 0 ok, 2 bad input (the message names the field path, the value and
what is allowed; nothing is written), 1 internal error.
"""

from importlib import import_module

from hadrsim.cli.common import app

# importing a module registers its commands; this order is the order of `hadrsim --help`
for _module in ("study", "longrun", "report", "results", "data", "aws", "aws_exports"):
    import_module(f"hadrsim.cli.{_module}")

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console-script shim
    app()
