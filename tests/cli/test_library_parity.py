"""The CLI is formatting over the library: a notebook-style script using only Experiment
and open_results writes the very bytes ``hadrsim run/compare --json`` write."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from hadrsim.cli import app

NOTEBOOK = """
import sys
from pathlib import Path
from hadrsim.experiments.experiment import Experiment
from hadrsim.experiments.results import open_results
from hadrsim.spec.loader import load_study

study_file, out, store = sys.argv[1:4]
study = load_study(study_file)
decided = Experiment(study, max_runs=30).decide(workers=1)
Path(out + ".compare").write_text(decided.to_json())
ran = Experiment(study).run(runs=3, workers=1)
Path(out + ".run").write_text(ran.to_json())
stored = open_results(store).decide()           # replayed from the store, never simulated
Path(out + ".stored").write_text(stored.to_json())
"""


def _cli(*args) -> None:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output


def test_a_notebook_reproduces_compare_and_run_json_byte_for_byte(tiny_meeting_policy,
                                                                   tmp_path):
    compare_json, run_json = tmp_path / "compare.json", tmp_path / "run.json"
    url = f"sqlite:///{tmp_path / 'r.db'}"
    _cli("compare", tiny_meeting_policy, "--max-runs", "30", "--workers", "1",
         "--json", compare_json, "--store", url)
    _cli("run", tiny_meeting_policy, "--runs", "3", "--workers", "1", "--json", run_json)
    out = tmp_path / "nb"
    subprocess.run([sys.executable, "-c", NOTEBOOK, str(tiny_meeting_policy), str(out), url],
                   check=True, timeout=300)
    assert (tmp_path / "nb.compare").read_bytes() == compare_json.read_bytes()
    assert (tmp_path / "nb.run").read_bytes() == run_json.read_bytes()
    assert (tmp_path / "nb.stored").read_bytes() == compare_json.read_bytes()


def test_an_older_store_is_refused_with_the_migrate_command(tiny, tmp_path):
    """run --store on a schema-2 store: exit 2 naming its version and the migrate command;
    with --resume it is migrated (a note names the backup)."""
    path = tmp_path / "old.sqlite"
    shutil.copyfile(Path(__file__).parents[1] / "data" / "store-v2.sqlite3", path)
    url = f"sqlite:///{path}"
    refused = CliRunner().invoke(app, ["run", str(tiny), "--workers", "1", "--store", url])
    assert refused.exit_code == 2
    assert "schema version 2" in refused.stderr and "hadrsim results migrate" in refused.stderr
    resumed = CliRunner().invoke(app, ["run", str(tiny), "--workers", "1", "--store", url,
                                       "--resume"])
    assert resumed.exit_code == 0, resumed.output
    assert "old.sqlite.v2.bak" in resumed.stderr
