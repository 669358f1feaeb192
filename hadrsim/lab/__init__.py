"""Course labs as notebooks (``notebooks/``): checks, verdicts, figures and grading.

``Lab`` records a notebook's hypotheses, invariants and the student's answers and ends in
a verdict (:mod:`hadrsim.lab.checks`); ``show`` puts a figure (PNG bytes from
:mod:`hadrsim.report`) in a notebook; ``grade`` runs a notebook once per student with
papermill and collects the verdicts (:mod:`hadrsim.lab.grading`, ``hadrsim lab grade``).
"""

from __future__ import annotations

from typing import Any

from hadrsim.lab.checks import Check, Lab, LabFailed
from hadrsim.lab.grading import grade, read_class_list


def show(png: bytes) -> Any:
    """A PNG (e.g. :func:`hadrsim.report.episode_timeline_png`) as a notebook output."""
    from IPython.display import Image

    return Image(data=png)


__all__ = ["Check", "Lab", "LabFailed", "grade", "read_class_list", "show"]
