"""Grading: run a lab notebook once per student with papermill and collect the verdicts.

A class list is a CSV: a ``student`` column, optionally a ``notebook`` column (the
student's own filled-in copy; default: the notebook given), and one column per notebook
parameter to set (``SEED``, ``RUNS``...; a cell reads as a bool, a number or text, and an
empty one leaves the notebook's default). Each row runs the notebook top to bottom with
those parameters plus ``STRICT = False`` and ``VERDICT_PATH`` (papermill's convention: the
notebook's cell tagged ``parameters``), so a failed check is recorded, not raised. The
result is one row per student: the verdict (green, red, or error when the notebook itself
failed), the counts, and each check's status in a column of its own
(``pandas.DataFrame(rows)`` makes it a table; ``hadrsim lab grade`` writes it as CSV).
"""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any


def read_class_list(path: Path) -> list[dict[str, Any]]:
    """The class list's rows, numbers as numbers (ValueError naming a bad file)."""
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or "student" not in rows[0]:
        raise ValueError(f"{path}: a class list needs a header with a 'student' column and "
                         "at least one row")
    return [{k: _value(v) for k, v in row.items() if k is not None} for row in rows]


def _value(text: str | None) -> Any:
    """A CSV cell as the parameter's Python value: empty is unset, true/false a bool,
    then an int, a float, or the text."""
    if text is None or text == "":
        return None
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def grade(notebook: Path, students: Iterable[Mapping[str, Any]], *,
          timeout_s: float = 600.0, kernel: str = "python3",
          progress: Callable[[str], None] | None = None) -> list[dict[str, Any]]:
    """Run ``notebook`` (or each row's own ``notebook``) per student; one row each."""
    import papermill

    rows = []
    with tempfile.TemporaryDirectory(prefix="hadrsim-grade-") as scratch:
        for i, student in enumerate(students):
            params = {k: v for k, v in student.items()
                      if k not in ("student", "notebook") and v is not None}
            verdict_path = Path(scratch) / f"verdict-{i}.json"
            source = Path(student.get("notebook") or notebook)
            if progress is not None:
                progress(f"grading {student['student']} ({source.name})")
            params.update(STRICT=False, VERDICT_PATH=str(verdict_path))
            error = None
            try:
                papermill.execute_notebook(
                    str(source), str(Path(scratch) / f"run-{i}.ipynb"), parameters=params,
                    kernel_name=kernel, execution_timeout=timeout_s, progress_bar=False,
                    cwd=str(source.resolve().parent))
            except Exception as exc:  # noqa: BLE001 - one student's broken notebook is a row
                error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:200]}" \
                    if str(exc).strip() else type(exc).__name__
            rows.append(_row(student, verdict_path, error))
    return rows


def _row(student: Mapping[str, Any], verdict_path: Path, error: str | None) -> dict[str, Any]:
    row: dict[str, Any] = {"student": student["student"]}
    if error is not None or not verdict_path.exists():
        row.update(verdict="error", error=error or "the notebook wrote no verdict")
        return row
    document = json.loads(verdict_path.read_text())
    checks = document["checks"]
    row.update(verdict=document["verdict"], error="",
               passed=sum(c["status"] == "passed" for c in checks),
               failed=sum(c["status"] == "failed" for c in checks),
               unanswered=sum(c["status"] == "unanswered" for c in checks))
    row.update({c["name"]: c["status"] for c in checks})
    return row


__all__ = ["grade", "read_class_list"]
