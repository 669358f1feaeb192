"""Fixtures for the emulator's tests: real PostgreSQL binaries and a sandbox per test."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hadrsim.emulate.binaries import EmulatorUnavailable, PgBinaries, find_binaries
from hadrsim.emulate.sandbox import Sandbox


@pytest.fixture(scope="session")
def pg_binaries() -> PgBinaries:
    """The PostgreSQL binaries; CI must have them (a failure there), elsewhere a skip."""
    try:
        return find_binaries()
    except EmulatorUnavailable as error:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI runs the emulator's tests for real: {error}")
        pytest.skip(str(error))


@pytest.fixture
def sandbox(pg_binaries: PgBinaries) -> Iterator[Sandbox]:
    """A sandbox under the default base (so making it sweeps stale runs), closed after the
    test: no server and no directory is left."""
    box = Sandbox(pg_binaries)
    try:
        yield box
    finally:
        box.close()
    assert not box.path.exists()
