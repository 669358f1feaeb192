"""The engine's typed seams hold: ``mypy hadrsim/simulator`` passes (config in pyproject.toml),
and it would catch a service that does not implement the client-facing protocol."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytest.importorskip("mypy", reason="mypy is a test dependency: pip install -e '.[test]'")


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    """Run mypy from the repository root with pyproject's config and a private cache."""
    cache = tmp_path_factory.mktemp("mypy-cache")

    def run(*targets: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "mypy", "--cache-dir", str(cache), *targets],
            cwd=ROOT, capture_output=True, text=True, timeout=600,
        )

    return run


def test_engine_type_checks(mypy):
    """``python -m mypy hadrsim/simulator`` finds no error (Protocol conformance included)."""
    done = mypy("hadrsim/simulator")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


BROKEN = '''
from typing import TYPE_CHECKING

from hadrsim.simulator.records import FinalRead, ReplicaState
from hadrsim.simulator.routing import DnsName
from hadrsim.simulator.service import ClientService


class NoReaderService:
    """Everything a client needs except reader_for."""

    def writer_for(self, region: str) -> DnsName:
        raise NotImplementedError

    def endpoints_from(self, region: str) -> list[DnsName]:
        raise NotImplementedError

    def final_read(self) -> FinalRead:
        raise NotImplementedError

    def replica_states(self, keys: range) -> list[ReplicaState]:
        raise NotImplementedError


if TYPE_CHECKING:

    def _conforms(service: NoReaderService) -> ClientService:
        return service
'''


def test_a_service_missing_a_protocol_method_fails(mypy, tmp_path):
    """A class claiming to implement ClientService without ``reader_for`` is a type error."""
    broken = tmp_path / "broken_service.py"
    broken.write_text(BROKEN)
    done = mypy(str(broken))
    assert done.returncode != 0, done.stdout
    assert "broken_service.py" in done.stdout and "ClientService" in done.stdout, done.stdout
    assert "reader_for" in done.stdout, done.stdout
