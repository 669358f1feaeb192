"""Start-up imports only what is used: `import hadrsim`, `hadrsim --help` and a single run
load none of the heavy libraries (issue 14: they cost about 2 s before any work).

Each case runs in a fresh interpreter and lists the heavy modules it ended up with;
wall times are not asserted (they depend on the machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("scipy", "pandas", "matplotlib", "sqlalchemy", "dask")

_REPORT = (
    "\nimport sys, json\n"
    f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n"
)


def _heavy_after(code: str) -> list[str]:
    """The heavy modules a fresh interpreter holds after running ``code``."""
    proc = subprocess.run([sys.executable, "-c", code + _REPORT], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _cli(*args: str) -> str:
    """Run the ``hadrsim`` command in-process (as ``python -m hadrsim`` does)."""
    return (
        "import runpy, sys, io, contextlib\n"
        f"sys.argv = ['hadrsim', *{list(args)!r}]\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        runpy.run_module('hadrsim', run_name='__main__')\n"
        "    except SystemExit as exc:\n"
        "        assert exc.code in (0, None), exc.code\n"
    )


def test_import_hadrsim_is_light():
    """The package's public names are imported on first use."""
    assert _heavy_after("import hadrsim") == []


def test_public_names_still_resolve_after_a_light_import():
    """A lazily imported name is the object its module defines."""
    code = ("import hadrsim\n"
            "from hadrsim.spec.loader import load_study\n"
            "assert hadrsim.load_study is load_study\n"
            "assert set(hadrsim.__all__) <= set(dir(hadrsim))\n")
    assert _heavy_after(code) == []


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["results", "--help"],
                                  ["validate", "experiments/securecart.yaml"]],
                         ids=["help", "run-help", "results-help", "validate"])
def test_cli_start_imports_only_what_the_command_uses(args):
    """`hadrsim --help` and `hadrsim validate` load no heavy library."""
    assert _heavy_after(_cli(*args)) == []


def test_a_single_run_needs_no_heavy_library():
    """The path of a long-run command: load a study, plan and execute runs in-process,
    alarms evaluated."""
    code = (
        "from hadrsim.spec.alarms import AlarmSpec\n"
        "from hadrsim.spec.loader import load_study\n"
        "from hadrsim.experiments.montecarlo import execute, plan_runs\n"
        "from hadrsim.experiments.run import run_once\n"
        "study = load_study('experiments/securecart.yaml')\n"
        "design, scenario = study.designs[0].name, study.scenarios[0].name\n"
        "alarm = AlarmSpec(name='errors', metric='write_error_rate', threshold=0.5)\n"
        "study = study.model_copy(update={'alarms': [alarm]})\n"
        "result = run_once(study, design, scenario, 0)\n"
        "assert result.ok and 'time_to_alarm_s' in result.metrics, result.error\n"
        "tasks = plan_runs(study, [design], 1)[:1]\n"
        "assert all(r.ok for r in execute(study, tasks, workers=1))\n"
    )
    assert _heavy_after(code) == []


def test_the_command_skips_the_exit_collection_and_workers_the_inherited_heap():
    """``hadrsim`` freezes the collector as it exits (CPython's last full collection walks
    every imported object, about 0.1 s) and a pool worker freezes what it starts with
    (each full collection between runs walked it). Both leave the results alone."""
    code = _cli("--help") + (
        "import gc\n"
        "assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()\n"
        "gc.unfreeze()\n"
        "from hadrsim.experiments.montecarlo import _init_worker\n"
        "from hadrsim.spec.loader import load_study\n"
        "_init_worker(load_study('experiments/securecart.yaml').model_dump_json())\n"
        "assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()\n"
    )
    _heavy_after(code)  # its asserts ran in the fresh interpreter (exit status 0)
