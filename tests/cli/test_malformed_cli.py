"""Malformed study files: exit status 2, the field path in the message, nothing written.

Each file in ``tests/data/malformed`` holds one realistic mistake and states what
the message must contain in its header comments:

``# expect: PATH``
    a problem line of stderr starts with ``PATH:`` (the field path, or
    ``line N, column M`` for YAML syntax errors);
``# expect-text: TEXT``
    stderr contains TEXT (case-insensitive): the offending value or what is allowed;
``# bug-in-message: WHY`` / ``# bug-in-exit: WHY``
    a known hadrsim defect, not fixed here: the message checks (or also the exit
    status checks) of that file are strict xfails, so they fail loudly once fixed.

Most checks run in-process through typer's ``CliRunner``; a few run the real
``python -m hadrsim`` in a subprocess.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hadrsim.cli import app
from hadrsim.spec.loader import SpecError, load_study

MALFORMED = Path(__file__).resolve().parents[1] / "data" / "malformed"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
SUBPROCESS_FILES = (
    "unknown_design_kind.yaml",
    "invalid_yaml_syntax.yaml",
    "replica_in_unknown_region.yaml",
    "between_unknown_place.yaml",
)


@dataclass(frozen=True)
class Case:
    """One malformed file and what its message must say."""

    file: Path
    path: str | None = None
    texts: tuple[str, ...] = ()
    bug_in_message: str | None = None
    bug_in_exit: str | None = None


def _read_case(file: Path) -> Case:
    header = file.read_bytes().decode("utf-8", errors="replace")
    values: dict[str, list[str]] = {}
    last: list[str] = []
    for line in header.splitlines():
        key = re.match(r"#\s*([a-z-]+):\s?(.*)$", line)
        if key:
            last = values.setdefault(key.group(1), [])
            last.append(key.group(2).strip())
        elif line.startswith("#   ") and last:  # an indented line continues the value
            last[-1] += " " + line[1:].strip()
        else:
            last = []
    return Case(
        file=file,
        path=(values.get("expect") or [None])[0],
        texts=tuple(values.get("expect-text", [])),
        bug_in_message=(values.get("bug-in-message") or [None])[0],
        bug_in_exit=(values.get("bug-in-exit") or [None])[0],
    )


CASES = [_read_case(f) for f in sorted(MALFORMED.glob("*.yaml"))]


def _params(marks_for) -> list:
    return [pytest.param(case, id=case.file.stem, marks=marks_for(case)) for case in CASES]


def _exit_marks(case: Case) -> list:
    if case.bug_in_exit:
        return [pytest.mark.xfail(strict=True, reason=case.bug_in_exit)]
    return []


def _message_marks(case: Case) -> list:
    reason = case.bug_in_exit or case.bug_in_message
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def _plain(text: str) -> str:
    return ANSI.sub("", text)


def _assert_names_problem(stderr: str, case: Case) -> None:
    stderr = _plain(stderr).replace(str(case.file), "<file>")  # its name must not count
    lines = [line.strip() for line in stderr.splitlines()]
    if case.path is not None:
        assert any(line.startswith(f"{case.path}:") or f": {case.path}:" in line
                   for line in lines), (
            f"no problem line starts with {case.path + ':'!r} in:\n{stderr}"
        )
    for text in case.texts:
        assert text.lower() in stderr.lower(), f"{text!r} not in:\n{stderr}"


def _assert_clean_rejection(code: int, stderr: str, out: Path) -> None:
    assert code == 2, stderr
    assert "Traceback" not in stderr
    problems = [line for line in stderr.splitlines() if line.strip()]
    assert "invalid study" in stderr or len(problems) == 1, stderr  # one problem: one line
    assert not out.exists()


def _invoke(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def test_enough_malformed_files_each_with_an_expectation():
    """The issue asks for at least 20 malformed files; each says what to expect."""
    assert len(CASES) >= 20
    for case in CASES:
        assert case.path or case.texts, f"{case.file.name} has no '# expect' header"


@pytest.mark.parametrize("case", _params(lambda case: []))
def test_each_file_holds_exactly_one_problem(case):
    """One mistake per file, so a file tests one message and nothing hides behind it."""
    try:
        load_study(case.file)
    except SpecError as exc:
        assert len(exc.problems) == 1, exc.problems
    except Exception as exc:
        if not case.bug_in_exit:
            raise
        pytest.xfail(f"{type(exc).__name__}: {case.bug_in_exit}")
    else:
        pytest.fail(f"{case.file.name} was accepted")


@pytest.mark.parametrize("case", _params(_exit_marks))
def test_run_exits_2_and_writes_nothing(case, tmp_path):
    """``hadrsim run FILE --json OUT`` stops with status 2, no traceback, no OUT."""
    out = tmp_path / "out.json"
    result = _invoke("run", case.file, "--json", out, "--runs", "1", "--workers", "1")
    assert isinstance(result.exception, SystemExit), result.exception
    _assert_clean_rejection(result.exit_code, result.stderr, out)


@pytest.mark.parametrize("case", _params(_message_marks))
def test_run_message_names_field_and_value(case, tmp_path):
    """The message of ``hadrsim run`` names the field path and the value or what is allowed."""
    out = tmp_path / "out.json"
    result = _invoke("run", case.file, "--json", out, "--runs", "1", "--workers", "1")
    _assert_names_problem(result.stderr, case)


@pytest.mark.parametrize("case", _params(_exit_marks))
def test_validate_exits_2(case):
    """``hadrsim validate FILE`` stops with status 2 and no traceback."""
    result = _invoke("validate", case.file)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "ok (" not in result.stdout


@pytest.mark.parametrize("case", _params(_message_marks))
def test_validate_message_names_field_and_value(case):
    """``hadrsim validate`` prints the same actionable problem line as ``run``."""
    _assert_names_problem(_invoke("validate", case.file).stderr, case)


@pytest.mark.parametrize(
    "case", [pytest.param(c, id=c.file.stem) for c in CASES if c.file.name in SUBPROCESS_FILES]
)
def test_real_cli_process_rejects_file(case, tmp_path):
    """The installed entry point (``python -m hadrsim run``) behaves as in-process."""
    assert not (case.bug_in_exit or case.bug_in_message), "pick a file without known bugs"
    out = tmp_path / "out.json"
    proc = subprocess.run(
        [sys.executable, "-m", "hadrsim", "run", str(case.file), "--json", str(out),
         "--runs", "1", "--workers", "1"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    _assert_clean_rejection(proc.returncode, proc.stderr, out)
    assert "Traceback" not in proc.stdout
    _assert_names_problem(proc.stderr, case)


def test_subprocess_cases_exist():
    """Every file named for the subprocess checks is present (a rename would skip them)."""
    names = {case.file.name for case in CASES}
    assert set(SUBPROCESS_FILES) <= names
