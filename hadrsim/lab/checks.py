"""A lab's checks and its verdict: running the notebook *is* the test, grading is mechanical.

Each lab notebook makes one :class:`Lab` and records what it checks:

- :meth:`Lab.hypothesis`: the lab's claim with a number ("a Multi-AZ instance keeps write
  downtime under 120 s"), judged on what the clients measured;
- :meth:`Lab.check`, :meth:`Lab.rto_within`, :meth:`Lab.no_lost_writes`: invariants of the
  run (counts and checksums match, 0 lost acknowledged writes on a synchronous design);
- :meth:`Lab.answer`: a student's answer to a question, against the value recomputed from
  the same seeded runs, so it is exact (``places`` rounds both), not a tolerance band.
  An answer left ``None`` is *unanswered*: not a failure, and said in the verdict.

:meth:`Lab.verdict` ends the notebook. With ``strict=True`` (the default, and in CI) a
failed check raises :class:`LabFailed`, listing every failure, so executing the notebook
fails; with ``strict=False`` (grading, :mod:`hadrsim.lab.grading`) it returns "red" or
"green" instead: a student's parameters may legitimately make a hypothesis false, which is
a finding, not an error. With ``verdict_path`` the verdict and every check are written
there as JSON, which is how a grading run collects them.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

PASSED, FAILED, UNANSWERED = "passed", "failed", "unanswered"


class LabFailed(AssertionError):
    """A strict lab's verdict with at least one failed check (the message lists them)."""


@dataclass(frozen=True)
class Check:
    """One recorded check: what, its status, and what was measured against what."""

    name: str
    kind: str  # hypothesis, check, answer
    status: str  # passed, failed, unanswered
    detail: str


class Lab:
    """The checks of one lab run, and its verdict."""

    def __init__(self, name: str, *, strict: bool = True,
                 verdict_path: str | os.PathLike[str] | None = None) -> None:
        self.name = name
        self.strict = strict
        self.verdict_path = None if verdict_path in (None, "") else Path(verdict_path)
        self.checks: list[Check] = []

    # --- recording ------------------------------------------------------------------
    # A check's name is its column in a class's verdicts: keep parameters out of it (say
    # them in ``measured`` / ``detail``), so every student's row has the same columns.
    def _add(self, name: str, kind: str, status: str, detail: str) -> Check:
        check = Check(name, kind, status, detail)
        self.checks = [c for c in self.checks if c.name != name] + [check]  # a rerun cell
        return check

    def hypothesis(self, statement: str, holds: bool, measured: str = "") -> Check:
        """The lab's claim, judged on the measurement (``measured`` says what was seen)."""
        return self._add(statement, "hypothesis", PASSED if holds else FAILED, measured)

    def check(self, name: str, holds: bool, detail: str = "") -> Check:
        """An invariant of the run."""
        return self._add(name, "check", PASSED if holds else FAILED, detail)

    def rto_within(self, name: str, rto_s: float, limit_s: float) -> Check:
        """A measured recovery time at most ``limit_s``; an unknown one (NaN) fails."""
        holds = math.isfinite(rto_s) and rto_s <= limit_s
        return self.check(name, holds, f"measured {rto_s:.3g} s, limit {limit_s:g} s")

    def no_lost_writes(self, name: str, lost: float) -> Check:
        """No acknowledged write lost; an unknown count (NaN) fails."""
        return self.check(name, lost == 0, f"lost acknowledged writes: {lost:g}")

    def answer(self, question: str, given: Any, expected: Any, places: int | None = None
               ) -> Check:
        """A student's answer against the value recomputed from the same seeded runs."""
        if given is None:
            return self._add(question, "answer", UNANSWERED, "expected an answer")
        if places is not None:
            try:
                given = round(float(given), places)
            except (TypeError, ValueError):
                return self._add(question, "answer", FAILED, f"answered {given!r}: not a number")
            expected = round(float(expected), places)
        ok = given == expected
        return self._add(question, "answer", PASSED if ok else FAILED,
                         "correct" if ok else f"answered {given!r}")

    # --- reading ------------------------------------------------------------------------
    @property
    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.status == FAILED]

    def table(self) -> pd.DataFrame:
        """Every check as a row (name, kind, status, detail)."""
        import pandas as pd

        return pd.DataFrame([asdict(c) for c in self.checks],
                            columns=["name", "kind", "status", "detail"])

    def verdict(self) -> str:
        """"green" when no check failed, else "red" (strict: :class:`LabFailed` instead).
        Written to ``verdict_path`` first, when set."""
        colour = "red" if self.failed else "green"
        if self.verdict_path is not None:
            self.verdict_path.write_text(json.dumps({
                "lab": self.name, "verdict": colour,
                "checks": [asdict(c) for c in self.checks]}, indent=1))
        if self.failed and self.strict:
            lines = "\n".join(f"- {c.name}: {c.detail}" for c in self.failed)
            raise LabFailed(f"{self.name}: {len(self.failed)} check(s) failed:\n{lines}")
        return colour

    def __repr__(self) -> str:
        counts = {s: sum(c.status == s for c in self.checks)
                  for s in (PASSED, FAILED, UNANSWERED)}
        return f"Lab({self.name!r}, strict={self.strict}, {counts})"


__all__ = ["FAILED", "PASSED", "UNANSWERED", "Check", "Lab", "LabFailed"]
