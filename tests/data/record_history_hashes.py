"""Record the history hash of run 0 of every (design, scenario) of every bundled study.

From the repository root:
``python tests/data/record_history_hashes.py tests/data/history_hashes.json per_op`` and
``python tests/data/record_history_hashes.py tests/data/history_hashes_compressed.json compressed``.
The first file pins the one-event-per-call engine the hashes were first recorded on; the
second the compressed failure streaks (the default, issue 14). Only re-record when a
model change is meant to change histories; say why in the commit.
"""

import json
import sys
from pathlib import Path

from hadrsim.experiments.run import simulate
from hadrsim.spec.loader import load_study


def main(target: str, history: str) -> None:
    hashes = {}
    for path in sorted(Path("experiments").glob("*.yaml")):
        study = load_study(path).with_history(history)
        for design in study.designs:
            for scenario in study.scenarios:
                world = simulate(study, design.name, scenario.name, 0)
                hashes[f"{path}|{design.name}|{scenario.name}"] = world.rec.history_hash()
    Path(target).write_text(json.dumps(hashes, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
