"""The layer contracts of pyproject.toml hold: spec < simulator < models < experiments <
report / aws / dms / backup_plans < cli, and the engine imports nothing from AWS."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_linter_contracts_are_kept():
    """``lint-imports`` (import-linter) passes on the package: no layer imports upward."""
    command = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) \
        or shutil.which("lint-imports")
    assert command, "import-linter is a test dependency: pip install -e '.[test]'"
    done = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout
