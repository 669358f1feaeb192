"""A call or probe with a deadline: left behind at its time-out, never cancelled.

A statement waiting on a server that is gone or hung must end at the caller's time-out,
as a driver's socket time-out ends it. Cancelling the task would make psycopg send a cancel
request and wait up to 10 s for the server to answer it; freeing the connection
(``pgconn.finish()``) under the waiting task crashed psycopg. So the caller *abandons* the
attempt: it shuts the socket down (:func:`sever`), the task fails on its own, and the
connection is freed once the task is over.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Awaitable, Callable
from typing import TypeVar

import psycopg

T = TypeVar("T")


class Attempt:
    """One call's connection and whether its statement was sent, owned by the attempt
    task; at a time-out the call leaves it behind (:meth:`abandon`)."""

    __slots__ = ("abandoned", "conn", "sent")

    def __init__(self, conn: psycopg.AsyncConnection | None = None) -> None:
        self.conn = conn
        self.sent = False
        self.abandoned = False

    def connected(self, conn: psycopg.AsyncConnection) -> psycopg.AsyncConnection:
        """Keep the connection the task just made; a task already abandoned (its connect
        outlived the time-out) sends nothing: its caller recorded it as never sent."""
        self.conn = conn
        if self.abandoned:
            raise TimeoutError("abandoned while connecting")
        return conn

    def abandon(self, task: asyncio.Task, strays: set[asyncio.Task]) -> None:
        """Shut the socket down under the waiting statement (the task then fails on its
        own) and close the connection once the task is over."""
        self.abandoned = True
        if self.conn is not None:
            sever(self.conn)
        strays.add(task)

        def over(done: asyncio.Task) -> None:
            strays.discard(done)
            if not done.cancelled():
                done.exception()
            self.close()

        task.add_done_callback(over)

    def close(self) -> None:
        """Free the connection (only once no task is using it)."""
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.pgconn.finish()


def sever(conn: psycopg.AsyncConnection) -> None:
    """Shut a connection's socket down while a task may still be waiting on it.

    libpq then reads the connection as closed and the waiting statement fails, as a
    driver's socket time-out makes it. ``pgconn.finish()`` instead would free the
    connection under the waiting task (psycopg crashed on it); cancelling the task would
    make psycopg send a cancel request and wait up to 10 s for a server that may be gone.
    """
    with contextlib.suppress(Exception):
        fd = conn.pgconn.socket
        peer = socket.socket(fileno=os.dup(fd))
        try:
            peer.shutdown(socket.SHUT_RDWR)
        finally:
            peer.close()


async def bounded(work: Callable[[Attempt], Awaitable[T]], timeout_s: float,
                  strays: set[asyncio.Task]) -> T:
    """``await work(attempt)`` within ``timeout_s``, else abandon it and raise TimeoutError.

    ``work`` makes its connection through ``attempt.connected(...)`` so that an abandoned
    one is severed (or, still connecting, sends nothing); ``strays`` keeps the abandoned
    tasks until they end (:func:`settle` at the end of a run)."""
    held = Attempt()
    task = asyncio.create_task(work(held))
    done, _ = await asyncio.wait({task}, timeout=timeout_s)
    if not done:
        held.abandon(task, strays)
        raise TimeoutError(f"no answer in {timeout_s:g} s")
    try:
        return task.result()
    finally:
        held.close()


async def settle(strays: set[asyncio.Task], timeout_s: float = 3.0) -> None:
    """Let abandoned tasks end on their own (their sockets are shut down; one still
    connecting ends at its connect time-out), then cancel what is left."""
    if strays:
        await asyncio.wait(set(strays), timeout=timeout_s)
    for task in list(strays):
        task.cancel()
    await asyncio.gather(*strays, return_exceptions=True)


__all__ = ["Attempt", "bounded", "settle", "sever"]
