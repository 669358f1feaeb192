"""Ctrl-C and SIGTERM for long commands: stop fast, say what is kept, exit 130.

A command wraps its simulation in :func:`interruptible`. Inside, SIGTERM raises
KeyboardInterrupt like Ctrl-C does, so both unwind the same way: the
:class:`~hadrsim.experiments.montecarlo.RunExecutor` cancels queued runs and
terminates running ones, then this prints exactly one line, e.g.
``interrupted: 12 runs stored in sqlite:///r.db; rerun with --resume``, and
exits 130 (128 + SIGINT, the shell convention) without a traceback.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import typer

from hadrsim.cli.common import errors

if TYPE_CHECKING:
    from hadrsim.experiments.store import ResultsStore
    from hadrsim.spec.study import Study

EXIT_INTERRUPTED = 130  # 128 + SIGINT


def _sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def stored_runs(store: ResultsStore | None, study: Study) -> Callable[[], int] | None:
    """A counter of the runs ``store`` holds for ``study`` (every sweep point included)."""
    if store is None:
        return None

    def count() -> int:
        from sqlalchemy import func, select

        from hadrsim.experiments.store import runs

        study_id = store.study_id(study.name, study.seed, study.model_dump_json())
        with store.engine.connect() as conn:
            query = select(func.count()).select_from(runs).where(runs.c.study_id == study_id)
            return int(conn.execute(query).scalar() or 0)

    return count


def interrupted_line(url: str | None, count: Callable[[], int] | None,
                     hint: str = "; rerun with --resume") -> str:
    """The one line printed on interruption."""
    if url is None or count is None:
        return "interrupted: nothing stored (no --store)"
    try:
        stored = count()
    except Exception:  # noqa: BLE001 - the line must be printed whatever the store does
        return f"interrupted: runs stored so far are kept in {url}{hint}"
    noun = "run" if stored == 1 else "runs"
    return f"interrupted: {stored} {noun} stored in {url}{hint}"


@contextmanager
def interruptible(url: str | None = None, count: Callable[[], int] | None = None,
                  hint: str = "; rerun with --resume") -> Iterator[None]:
    """SIGTERM behaves like Ctrl-C inside; either ends the command with one line and exit 130.

    ``url`` is the store's URL as the user gave it and ``count`` says how many
    runs it holds (see :func:`stored_runs`); without them the line says nothing
    was stored. ``hint`` ends the line (a command with no ``--resume`` gives "").
    """
    main = threading.current_thread() is threading.main_thread()
    previous_int = signal.getsignal(signal.SIGINT)
    previous = signal.signal(signal.SIGTERM, _sigterm) if main else None
    try:
        yield
    except KeyboardInterrupt:
        if main:  # a second Ctrl-C or SIGTERM must not cut the last line short
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        errors.print(interrupted_line(url, count, hint), markup=False, highlight=False,
                     soft_wrap=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    finally:
        if main:  # in-process callers (tests, notebooks) get their handlers back
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
            signal.signal(signal.SIGINT, previous_int if previous_int is not None
                          else signal.default_int_handler)
