"""Progress for logs: a plain line every few seconds when stderr is not a terminal.

A batch job, CI or ``2> log`` gets no progress bar; without a line now and then
a long study looks hung. The first line comes only after ``every_s`` seconds,
so quick commands print nothing extra, and everything goes to stderr, so
stdout (tables, JSON) is unchanged.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType

PLAIN_EVERY_S = 5.0  # seconds between lines (and before the first one)


def _clock(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class PlainProgress:
    """Counts finished runs; a background thread writes a status line every ``every_s``."""

    def __init__(self, total: int | None, label: str, write: Callable[[str], None],
                 every_s: float = PLAIN_EVERY_S):
        self.total, self.label, self.write, self.every_s = total, label, write, every_s
        self.done = 0
        self.lines = 0
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="hadrsim-progress",
                                        daemon=True)

    def line(self, now: float | None = None) -> str:
        """``simulating: 120/400 runs (30%), 12.3 runs/s, ETA 0:00:23``."""
        elapsed = max((now if now is not None else time.monotonic()) - self._started, 1e-9)
        rate = self.done / elapsed
        if self.total is None:
            return f"{self.label}: {self.done} runs, {rate:.1f} runs/s, {_clock(elapsed)} elapsed"
        share = 100.0 * self.done / self.total if self.total else 100.0
        eta = _clock((self.total - self.done) / rate) if rate > 0 else "unknown"
        return (f"{self.label}: {self.done}/{self.total} runs ({share:.0f}%), "
                f"{rate:.1f} runs/s, ETA {eta}")

    def advance(self, _result: object = None) -> None:
        self.done += 1

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.write(self.line())
            self.lines += 1

    def __enter__(self) -> PlainProgress:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        if self.lines and exc_type is None:  # a log that showed progress also shows the end
            self.write(f"{self.label}: {self.done} runs in "
                       f"{_clock(time.monotonic() - self._started)}")
