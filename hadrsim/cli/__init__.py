"""The ``hadrsim`` command: a thin typer layer over the Python API.

One module per group of commands; importing them registers their commands on ``app``.
Exit status: 0 ok, 2 bad input (the message names the field path, the value and
what is allowed; nothing is written), 1 internal error.
"""

from hadrsim.cli import aws, aws_exports, data, report, results, study  # noqa: F401  (registers)
from hadrsim.cli.common import app

__all__ = ["app", "main"]


def main() -> None:  # pragma: no cover - console-script shim
    app()
