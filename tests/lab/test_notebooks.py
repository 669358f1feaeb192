"""The lab notebooks run top to bottom on their defaults and end green; none keeps outputs.

Each notebook in ``notebooks/`` is executed with nbclient, as a student's "Run all" would,
from its own directory; a failed check raises in its verdict cell (``STRICT = True``), so
running the notebook is the test. Committed notebooks carry no outputs (``nbstripout``
or Jupyter's "Clear all outputs" before committing): they stay small and diff cleanly.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
BUDGET_S = 150.0  # per notebook on 2 busy cores; all four within 5 minutes in CI


def _ids(path: Path) -> str:
    return path.stem


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_a_notebook_runs_on_its_defaults_and_ends_green(path: Path):
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(path.parent)}})
    started = time.perf_counter()
    client.execute()
    took = time.perf_counter() - started
    last = notebook.cells[-1]
    texts = [o.get("text", "") or str(o.get("data", {}).get("text/plain", ""))
             for o in last.get("outputs", [])]
    assert any("green" in t for t in texts), f"{path.name}: the verdict cell says {texts}"
    assert took < BUDGET_S, f"{path.name} took {took:.0f} s"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids)
def test_a_committed_notebook_has_no_outputs_and_a_parameters_cell(path: Path):
    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(not cell.outputs and cell.execution_count is None for cell in code), \
        f"{path.name} keeps outputs: clear them before committing"
    tagged = [cell for cell in code if "parameters" in cell.metadata.get("tags", [])]
    assert len(tagged) == 1 and code[0] is tagged[0], \
        f"{path.name}: the first code cell must be the one tagged 'parameters'"
    assert "STRICT = True" in tagged[0].source and "VERDICT_PATH = None" in tagged[0].source
