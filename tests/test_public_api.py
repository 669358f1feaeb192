"""The top level holds entry points only; names that left it warn and name their
replacement for one release (issue 13, item 6)."""

from __future__ import annotations

import pytest

import hadrsim
import hadrsim.experimental

ENTRY_POINTS = {"Experiment", "LongRun", "Results", "SpecError", "StoreError", "Study",
                "event_log", "load_study", "long_run", "open_results", "parse_study",
                "render_report", "run_metrics", "simulate"}


def test_all_is_the_entry_points():
    """``hadrsim.__all__`` is the small public API, and every name in it resolves."""
    assert set(hadrsim.__all__) == ENTRY_POINTS
    for name in hadrsim.__all__:
        assert getattr(hadrsim, name) is not None


@pytest.mark.parametrize("name", sorted(hadrsim._DEPRECATED))
def test_removed_names_still_work_with_a_deprecation_warning(name):
    """The old name gives the same object as its new home, and says what to use."""
    with pytest.warns(DeprecationWarning, match=rf"hadrsim\.{name} is deprecated.*use "):
        old = getattr(hadrsim, name)
    assert old is getattr(hadrsim.experimental, name)


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError):
        hadrsim.no_such_thing  # noqa: B018
