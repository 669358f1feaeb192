"""What every command shares: the typer app, consoles, exit-2 errors, atomic writers.

Exit status: 0 ok, 2 bad input (the message names the field path, the value and
what is allowed; nothing is written), 1 internal error.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from hadrsim.experiments.store import ResultsStore, StoreError
from hadrsim.models.pricing import load_prices
from hadrsim.spec.loader import SpecError, load_study
from hadrsim.spec.study import Study

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate and compare database HA/DR designs: RTO, RPO, availability.")
console = Console(width=None if Console().is_terminal else 160)
errors = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="Study file (YAML).", show_default=False)]


def _bad_input(message: str) -> typer.Exit:
    errors.print("error:", style="red", end=" ")
    errors.print(message, markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(2)


def _load(path: Path, seed: int | None = None) -> Study:
    try:
        study = load_study(path)
    except SpecError as exc:
        raise _bad_input(str(exc)) from None
    if seed is not None:
        study = study.model_copy(update={"seed": seed})
    return study


def _check_output(path: Path | None, flag: str = "--json") -> None:
    """Refuse an output path that cannot be written, naming the option it came from."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise _bad_input(f"{flag} {path}: directory {parent} does not exist")
    if path.is_dir():
        raise _bad_input(f"{flag} {path}: is a directory; give a file name")


def _strict_json(value):
    """NaN and infinities become null: strict JSON readers reject them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _strict_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_strict_json(v) for v in value]
    return value


def _write_atomically(path: Path, write, binary: bool = False) -> None:
    """``write(handle)`` into a temporary file, then rename: never a half-written file.

    Text is UTF-8 whatever the locale; ``binary`` gives a bytes handle.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent if str(path.parent) else ".", suffix=".tmp")
    try:
        with (os.fdopen(fd, "wb") if binary
              else os.fdopen(fd, "w", newline="", encoding="utf-8")) as handle:
            write(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json_atomically(path: Path, document: dict) -> None:
    _write_atomically(path, lambda handle: json.dump(
        _strict_json(document), handle, indent=2, allow_nan=False))


def _write_csv_atomically(path: Path, frame) -> None:
    _write_atomically(path, lambda handle: frame.to_csv(handle, index=False))


def _prices(path: Path | None) -> dict[str, float]:
    try:
        return load_prices(path)
    except (OSError, ValueError) as exc:
        raise _bad_input(f"--prices {path}: {exc}") from None


def _print_recommendation(document: dict) -> None:
    advice = document.get("recommendation")
    if advice:
        pick = advice["design"] or "none"
        console.print(f"recommendation: {pick} — {advice['reason']}", markup=False)


def _check_dask(scheduler: str) -> None:
    if scheduler != "local" and not scheduler.startswith(("tcp://", "tls://")):
        raise _bad_input(f"--scheduler {scheduler!r}: use 'local' or tcp://HOST:PORT")
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise _bad_input("--scheduler needs Dask: python -m pip install 'hadrsim[dask]'") from None


def _open_store(url: str | None) -> ResultsStore | None:
    if url is None:
        return None
    try:
        return ResultsStore(url)
    except (StoreError, Exception) as exc:  # noqa: BLE001 - an unusable store is bad input
        raise _bad_input(f"--store {url}: {exc}") from None



@contextmanager
def run_progress(total: int | None, label: str = "simulating"
                 ) -> Iterator[Callable[[Any], None]]:
    """A rich progress bar on stderr (runs done, runs/s, ETA); yields ``advance(result)``.

    ``total=None`` (runs until precise) shows the count and rate without an ETA. Off
    when stderr is not a terminal, so piped output and tests stay clean.
    """
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
        console=errors, transient=True, disable=not errors.is_terminal,
    ) as progress:
        bar = progress.add_task(label, total=total, rate="")
        done = [0]

        def advance(_result: Any = None) -> None:
            done[0] += 1
            elapsed = max(progress.tasks[0].elapsed or 1e-9, 1e-9)
            progress.update(bar, advance=1, rate=f"{done[0] / elapsed:.1f} runs/s")

        yield advance
