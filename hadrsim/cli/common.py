"""What every command shares: the typer app, consoles, exit-2 errors, atomic writers.

Exit status: 0 ok, 2 bad input (the message names the field path, the value and
what is allowed; nothing is written), 1 internal error.
"""

from __future__ import annotations

import os
import socket
import stat
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import urlsplit

import typer
from rich.console import Console

# The library is imported inside the functions that use it: `hadrsim --help` and quick
# commands must not pay for pandas, scipy, sqlalchemy and matplotlib (issue 14).
if TYPE_CHECKING:
    from hadrsim.experiments.experiment import Experiment
    from hadrsim.spec.study import Study

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Simulate and compare database HA/DR designs: RTO, RPO, availability.")
console = Console(width=None if Console().is_terminal else 160)
errors = Console(stderr=True)

FileArg = Annotated[Path, typer.Argument(help="Study file (YAML).", show_default=False)]
MAX_RUNS = 1_000_000  # the study file's cap on runs (spec/study.py)
RunsOpt = Annotated[int | None, typer.Option(
    min=1, max=MAX_RUNS, help="Runs per scenario (default: the study's).")]
YesOpt = Annotated[bool, typer.Option(
    "--yes", help="Run even when the estimate says it takes hours or exhausts memory.")]


def _bad_input(message: str) -> typer.Exit:
    """Print ``error: message`` (control characters escaped: a file name or value
    holding an ANSI escape must not drive the terminal) and return exit status 2."""
    from hadrsim.spec.types import escape_controls

    errors.print("error:", style="red", end=" ")
    errors.print(escape_controls(message, keep="\n"), markup=False, highlight=False,
                 soft_wrap=True)
    return typer.Exit(2)


def _load(path: Path, seed: int | None = None) -> Study:
    from hadrsim.spec.loader import SpecError, load_study

    try:
        study = load_study(path)
    except SpecError as exc:
        raise _bad_input(str(exc)) from None
    if seed is not None:
        study = study.model_copy(update={"seed": seed})
    return study


def _check_output(path: Path | None, flag: str = "--json") -> None:
    """Refuse, before any work, an output path that cannot become a new regular file.

    Outputs are written by replacing a regular file (``_write_atomically``), so a
    device (``/dev/null``, ``/dev/full``), a FIFO, a socket or a directory is refused,
    and so is a symbolic link: replacing it would silently cut the link, writing
    through it would write somewhere the command line does not name; give the
    file's own path instead. A read-only file, a missing directory or one the
    process cannot create files in (tried, not guessed from permission bits: root
    passes ``os.access``) is refused too, so a long simulation never ends in an
    unwritable path. The message names the option the path came from.
    """
    if path is None:
        return
    problem = _target_problem(path) or _directory_problem(path)
    if problem:
        raise _bad_input(f"{flag} {path}: {problem}")


_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"))


def _target_problem(path: Path) -> str | None:
    """Why ``path`` must not be replaced by an output file (None: absent or a writable file)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be checked ({exc.strerror})"
    if stat.S_ISLNK(mode):
        return ("is a symbolic link; outputs replace only regular files: give the path "
                "of the file itself")
    if stat.S_ISDIR(mode):
        return "is a directory; give a file name"
    for test, kind in _KINDS:
        if test(mode):
            return f"is {kind}, not a regular file; outputs replace only regular files"
    if not mode & 0o222 or not os.access(path, os.W_OK):
        return "is read-only; make it writable or choose another name"
    return None


def _directory_problem(path: Path) -> str | None:
    """Why no file can be created next to ``path`` (None: a probe file was created)."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"directory {parent} does not exist"
    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=".hadrsim-probe-")
    except OSError as exc:
        return f"cannot create files in {parent} ({exc.strerror})"
    os.close(fd)
    os.unlink(probe)
    return None


def _write_atomically(path: Path, write, binary: bool = False) -> None:
    """``write(handle)`` into a temporary file, then rename: never a half-written file.

    Text is UTF-8 whatever the locale; ``binary`` gives a bytes handle. Only a
    regular file is ever replaced: the target is checked again right before the
    rename (it may have changed since ``_check_output``), and a device, FIFO,
    symbolic link or directory there is an exit-2 error with nothing written.
    """
    problem = _target_problem(path)
    if problem:
        raise _bad_input(f"{path}: {problem}; nothing written")
    parent = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, suffix=".tmp")
    except OSError as exc:
        raise _bad_input(f"{path}: cannot create files in {parent} ({exc.strerror})") from None
    try:
        with (os.fdopen(fd, "wb") if binary
              else os.fdopen(fd, "w", newline="", encoding="utf-8")) as handle:
            write(handle)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        problem = _target_problem(path)
        if problem:
            raise _bad_input(f"{path}: {problem}; nothing written")
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _bad_input(f"{path}: cannot write ({exc.strerror or exc}); nothing "
                         "written") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_json_atomically(path: Path, document: dict) -> None:
    """The document as strict JSON, the exact text of :meth:`Results.to_json`."""
    from hadrsim.experiments.jsonout import to_json

    text = to_json(document)
    _write_atomically(path, lambda handle: handle.write(text))


def _write_csv_atomically(path: Path, frame) -> None:
    _write_atomically(path, lambda handle: frame.to_csv(handle, index=False))


def _prices(path: Path | None) -> dict[str, float]:
    from hadrsim.models.pricing import load_prices

    try:
        return load_prices(path)
    except (OSError, ValueError) as exc:
        raise _bad_input(f"--prices {path}: {exc}") from None


def _check_dask(scheduler: str) -> None:
    if scheduler != "local" and not scheduler.startswith(("tcp://", "tls://")):
        raise _bad_input(f"--scheduler {scheduler!r}: use 'local' or tcp://HOST:PORT")
    try:
        import dask.distributed  # noqa: F401
    except ImportError:
        raise _bad_input("--scheduler needs Dask: python -m pip install 'hadrsim[dask]'") from None
    if scheduler != "local":
        _check_reachable(scheduler)


DASK_CONNECT_TIMEOUT_S = 3.0  # a scheduler on a LAN answers in milliseconds


def _check_reachable(url: str, timeout: float = DASK_CONNECT_TIMEOUT_S) -> None:
    """Open (and close) a TCP connection to the scheduler before anything is simulated.

    Dask's own client retries for its 30 s connect timeout and then raises a long
    traceback; this says in seconds, in one line, that nothing answers there.
    """
    parts = urlsplit(url)
    try:
        host, port = parts.hostname, parts.port or 8786  # Dask's default scheduler port
    except ValueError:
        raise _bad_input(f"--scheduler {url}: the port is not a number") from None
    if not host:
        raise _bad_input(f"--scheduler {url}: no host; use tcp://HOST:PORT")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or f"no answer within {timeout:g} s"
        raise _bad_input(f"--scheduler {url}: cannot reach a Dask scheduler there ({why}); "
                         "start one (dask scheduler) or check the address") from None


def _check_resources(studies: Study | Sequence[Study], runs: int | None,
                     designs: Sequence[str] | None, yes: bool, workers: int = 0,
                     sequential: bool = False) -> None:
    """Refuse (exit 2) a command estimated to exhaust memory or take hours, unless ``--yes``.

    ``studies`` is the study, or every study one command runs (a sweep's grid
    points); ``runs`` overrides their runs; ``sequential``: the decision's worst
    case instead (compare without --runs); the estimate is spec/bounds.py's.
    """
    if yes:
        return
    from hadrsim.spec.bounds import combine, estimate, estimate_decision, too_costly
    from hadrsim.spec.study import Study

    studies = [studies] if isinstance(studies, Study) else list(studies)
    costs = (estimate_decision(s, designs) if sequential else estimate(s, runs, designs)
             for s in studies)
    problem = too_costly(combine(costs), workers)
    if problem:
        raise _bad_input(problem)


def _store_problem(url: str | None, exc: BaseException) -> typer.Exit:
    """A store that cannot be used: exit 2, the message naming the option."""
    text = str(exc)
    if url and text.startswith(f"{url}: "):
        text = text[len(url) + 2:]
    return _bad_input(f"--store {url}: {text}")


def _experiment(study: Study, store: str | None, *, resume: bool = False,
                scheduler: str | None = None, prices: dict[str, float] | None = None,
                max_runs: int | None = None) -> Experiment:
    """The :class:`Experiment` a command runs, its store opened now (exit 2 if unusable).

    ``--resume`` migrates a store of an older schema in place (a note names the
    backup copy); without it such a store is refused with the migrate command.
    Records are kept only where they are stored.
    """
    if resume and store is None:
        raise _bad_input("--resume needs --store URL")
    from hadrsim.experiments.experiment import Experiment

    experiment = Experiment(study, store, prices=prices, scheduler=scheduler,
                            max_runs=max_runs, keep_records=store is not None)
    try:
        opened = experiment.open_store(migrate=resume)
    except Exception as exc:  # noqa: BLE001 - an unusable store is bad input
        raise _store_problem(store, exc) from None
    if opened is not None and opened.backup is not None:
        errors.print(f"note: {store} migrated to store schema {opened.version}; the old "
                     f"store is kept as {opened.backup}", markup=False, highlight=False,
                     soft_wrap=True)
    return experiment


@contextmanager
def run_progress(total: int | None, label: str = "simulating", every_s: float | None = None
                 ) -> Iterator[Callable[[Any], None]]:
    """Progress on stderr (runs done, runs/s, ETA); yields ``advance(result)``.

    A terminal gets a rich bar. Anything else (a log, CI, a pipe) gets a plain line
    every ``every_s`` seconds (default 5), the first only after that long, so quick
    commands print nothing extra; stdout is never touched. ``total=None`` (runs
    until decided) shows the count and rate without an ETA.
    """
    if not errors.is_terminal:
        from hadrsim.cli.progress import PLAIN_EVERY_S, PlainProgress

        def write(line: str) -> None:
            errors.print(line, markup=False, highlight=False, soft_wrap=True)

        with PlainProgress(total, label, write, every_s or PLAIN_EVERY_S) as plain:
            yield plain.advance
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"), TimeRemainingColumn(),
        console=errors, transient=True,
    ) as progress:
        bar = progress.add_task(label, total=total, rate="")
        done = [0]

        def advance(_result: Any = None) -> None:
            done[0] += 1
            elapsed = max(progress.tasks[0].elapsed or 1e-9, 1e-9)
            progress.update(bar, advance=1, rate=f"{done[0] / elapsed:.1f} runs/s")

        yield advance
