"""Validated study specs (pydantic 2): what a user writes, separate from what runs."""

from hadrsim.spec.loader import SpecError, load_study, parse_study
from hadrsim.spec.study import Study

__all__ = ["SpecError", "Study", "load_study", "parse_study"]
