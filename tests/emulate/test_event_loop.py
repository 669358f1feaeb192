"""``emulate()`` works where an event loop already runs (a Jupyter notebook): the emulated
run gets a fresh loop in a worker thread instead of failing in ``asyncio.run``."""

from __future__ import annotations

import asyncio
import threading

from hadrsim.emulate.emulation import _run_to_end


async def _where() -> str:
    await asyncio.sleep(0)
    return threading.current_thread().name


def test_without_a_running_loop_the_run_stays_in_this_thread():
    assert _run_to_end(_where) == threading.current_thread().name


def test_inside_a_running_loop_the_run_goes_to_a_worker_thread():
    async def notebook_cell() -> str:
        return _run_to_end(_where)

    assert asyncio.run(notebook_cell()).startswith("hadrsim-emulate")
