"""One network link of the emulator as a TCP proxy on 127.0.0.1: latency, partitions, resets.

Every link of an emulated topology (client <-> server, primary -> standby replication) is one
:class:`LinkProxy`. It listens on a free port of 127.0.0.1 and forwards each accepted connection
to a fixed target, applying the link's current state. The target never changes: failover changes
DNS records elsewhere, never a proxy's target.

Semantics
---------
* Delay: bytes read from one side reach the other ``one_way_s`` after they were read (a due-time
  queue per direction, a timer at the head chunk's due time, on ``loop.time()``). Bytes are never
  reordered: ``due = max(read_time + delay, previous due)``, so a lowered delay cannot overtake
  bytes in flight. :meth:`LinkProxy.set_delay` applies to bytes read after the call, both ways.
  With delay 0, no cut and nothing queued, a chunk is written at once (no timer per chunk).
* Cut ("forward" is client -> target, "backward" target -> client, or "both"): the bytes of a cut
  direction, and its FIN, are HELD, not dropped, and delivered in order after
  :meth:`LinkProxy.heal`, each due at heal time + delay (or its own due if later); bytes in
  flight when the cut starts are held too. A TCP stream cannot lose bytes in the middle (real
  TCP retransmits them once the partition heals): a cut is a stall. A connection accepted while
  the forward direction is cut is held too: the upstream connect happens only after heal (the
  client's attempt seems to hang, as with dropped SYNs; its bytes wait in the queue).
* Loss cannot be emulated by dropping bytes, so it is emulated as connection resets:
  :meth:`LinkProxy.set_reset_rate` resets each open connection at a Poisson rate (drawn from the
  link's rng), :meth:`LinkProxy.reset_all` resets all now. A reset aborts both sockets with
  SO_LINGER 0, so each peer sees ECONNRESET, as from a middlebox RST.
* Target down: if the upstream connect fails (refused), the client's connection is reset at once.
  A killed server's port refuses: that is what a crashed instance on a live host looks like (a
  dead host, whose SYNs go unanswered, is better emulated by a forward cut).
* Close: a FIN is passed on (half-close) after the bytes queued before it; once both directions
  have passed their FIN both sockets are closed. A reset or error on one side resets the other.
* Flow control: a direction stops reading its source while the destination's write buffer is
  full or more than 4 MiB wait in its queue (as a full TCP window would); it reads again below
  1 MiB. Reads are chunks of up to 64 KiB.
* Not emulated: bandwidth; the handshake's round trip (a client's connect completes at once
  against the local proxy; its first bytes then take the one-way delay).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct
import time
from collections import deque
from typing import cast

import numpy as np

_CHUNK = 64 * 1024
_HIGH_WATER = 4 * 1024 * 1024
_LOW_WATER = 1024 * 1024
_LINGER_RST = struct.pack("ii", 1, 0)
# asyncio runs a timer up to one clock resolution early; a chunk due within it is due now.
_CLOCK_EPS = time.get_clock_info("monotonic").resolution
_DIRECTIONS = ("both", "forward", "backward")


def _abort(transport: asyncio.Transport | None) -> None:
    """Close a socket at once with SO_LINGER 0: the peer sees ECONNRESET (an RST), not EOF."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed: nothing to reset
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, _LINGER_RST)
    transport.abort()


def _non_negative(value: float, what: str) -> float:
    if not (math.isfinite(value) and value >= 0.0):
        raise ValueError(f"{what} must be finite and >= 0, got {value!r}")
    return float(value)


class _Pipe:
    """One direction of one connection: a due-time queue from a source socket to a destination."""

    __slots__ = ("conn", "link", "loop", "forward", "key", "src", "dst", "queue", "queued",
                 "last_due", "timer", "eof_in", "eof_out", "dst_paused", "src_paused")

    def __init__(self, conn: _Conn, forward: bool) -> None:
        self.conn = conn
        self.link = conn.link
        self.loop = conn.loop
        self.forward = forward
        self.key = "bytes_forward" if forward else "bytes_backward"
        self.src: asyncio.Transport | None = None
        self.dst: asyncio.Transport | None = None
        self.queue: deque[tuple[float, bytes]] = deque()
        self.queued = 0
        self.last_due = 0.0
        self.timer: asyncio.TimerHandle | None = None
        self.eof_in = False  # the source sent its FIN
        self.eof_out = False  # ... and it was passed on
        self.dst_paused = False
        self.src_paused = False

    def is_cut(self) -> bool:
        return self.link._cut_fwd if self.forward else self.link._cut_bwd

    def feed(self, data: bytes) -> None:
        """Bytes read from the source: write now (fast path) or queue them with their due time."""
        dst, link = self.dst, self.link
        if self.conn.dead:
            return
        if not self.queue and dst is not None and link._delay == 0.0 and not self.is_cut():
            if not dst.is_closing():
                dst.write(data)
                link.stats[self.key] += len(data)
            return
        due = max(self.loop.time() + link._delay, self.last_due)
        self.last_due = due
        self.queue.append((due, data))
        self.queued += len(data)
        self.flow()
        self.schedule()

    def schedule(self) -> None:
        """Arm the timer for the head chunk; pass the FIN on once everything before it is out."""
        dst = self.dst
        if self.timer is not None or dst is None or self.conn.dead or self.is_cut():
            return
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0][0], self.flush)
        elif self.eof_in and not self.eof_out:
            self.eof_out = True
            if not dst.is_closing():
                try:
                    if dst.can_write_eof():
                        dst.write_eof()
                    else:
                        dst.close()
                except OSError:  # the peer is already gone (ENOTCONN): nothing to pass on
                    dst.abort()
            self.conn.settle()

    def flush(self) -> None:
        """Timer: write every chunk now due in one write, then re-arm."""
        self.timer = None
        dst = self.dst
        if dst is None or self.conn.dead or self.is_cut():
            return
        limit = self.loop.time() + _CLOCK_EPS
        chunks = []
        queue = self.queue
        while queue and queue[0][0] <= limit:
            chunks.append(queue.popleft()[1])
        if chunks:
            data = b"".join(chunks)
            self.queued -= len(data)
            if not dst.is_closing():
                dst.write(data)
                self.link.stats[self.key] += len(data)
        self.flow()
        self.schedule()

    def flow(self) -> None:
        """Stop reading the source while the destination is full or too much waits (hysteresis)."""
        src = self.src
        if src is None or src.is_closing():
            return
        limit = _LOW_WATER if self.src_paused else _HIGH_WATER
        pause = self.dst_paused or self.queued > limit
        if pause != self.src_paused:
            self.src_paused = pause
            if pause:
                src.pause_reading()
            else:
                src.resume_reading()

    def halt(self) -> None:
        """The direction is cut or finished: no timer until it is rescheduled."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None

    def heal(self, now: float) -> None:
        """Held chunks become due at heal time + delay (order kept: max of a monotone sequence)."""
        floor = now + self.link._delay
        if self.queue:
            self.queue = deque((max(due, floor), data) for due, data in self.queue)
            self.last_due = self.queue[-1][0]
        self.schedule()


class _Conn:
    """One proxied connection: the client's socket, the upstream socket and the two directions."""

    def __init__(self, link: LinkProxy, client: asyncio.Transport) -> None:
        self.link = link
        self.loop = asyncio.get_running_loop()
        self.client: asyncio.Transport = client
        self.upstream: asyncio.Transport | None = None
        self.client_open = True
        self.up_open = False
        self.dead = False  # reset: nothing more passes
        self.reset_on_heal = False  # an RST that met a cut: passed on when the link heals
        self.reset_timer: asyncio.TimerHandle | None = None
        self.fwd = _Pipe(self, True)
        self.bwd = _Pipe(self, False)
        self.fwd.src = self.bwd.dst = client
        link._conns[self] = None
        link._idle.clear()
        link.stats["accepted"] += 1
        self.connect_task: asyncio.Task[None] | None = self.loop.create_task(self._connect())
        self.arm_reset()

    async def _connect(self) -> None:
        """Connect upstream once the forward direction is not cut (a cut drops the SYN)."""
        link = self.link
        try:
            await link._forward_open.wait()
            await self.loop.create_connection(lambda: _Side(link, self), *link.target)
        except OSError:  # refused: the target's port is closed
            self.connect_task = None
            link.stats["refused"] += 1
            self.reset(count=False)
        finally:
            self.connect_task = None
            self.settle()

    def upstream_made(self, transport: asyncio.Transport) -> None:
        """The upstream socket is up: queued client bytes may go."""
        self.up_open = True
        self.upstream = transport
        if self.dead:
            _abort(transport)
            return
        self.fwd.dst = self.bwd.src = transport
        self.bwd.flow()  # the client may already be too slow a reader
        self.fwd.schedule()

    def lost(self, upstream: bool, exc: Exception | None) -> None:
        """A socket is gone; an error (not our own close) resets the other side too."""
        if upstream:
            self.up_open = False
        else:
            self.client_open = False
        if exc is not None:
            # a reset cannot cross a cut toward the other side (a partition drops the RST
            # too): it reaches that side when the link heals
            toward_cut = self.link._cut_bwd if upstream else self.link._cut_fwd
            if toward_cut:
                self.reset_on_heal = True
            else:
                self.reset(count=False)
        self.settle()

    def settle(self) -> None:
        """Close both sockets once both FINs are passed on; forget the connection once all gone."""
        if not self.dead and self.fwd.eof_out and self.bwd.eof_out:
            self.client.close()
            if self.upstream is not None:
                self.upstream.close()
        if not self.client_open and not self.up_open and self.connect_task is None:
            for timer in (self.reset_timer, self.fwd.timer, self.bwd.timer):
                if timer is not None:
                    timer.cancel()
            self.link._forget(self)

    def reset(self, count: bool = True) -> None:
        """Abort both sockets (RST both ways), drop what is queued, stop a pending connect."""
        if self.dead:
            return
        self.dead = True
        if count:
            self.link.stats["resets"] += 1
        if self.reset_timer is not None:
            self.reset_timer.cancel()
        for pipe in (self.fwd, self.bwd):
            pipe.halt()
            pipe.queue.clear()
        _abort(self.client)
        _abort(self.upstream)
        if self.connect_task is not None:
            self.connect_task.cancel()
        self.settle()

    def arm_reset(self) -> None:
        """Draw the time to this connection's next reset (memoryless, so redrawing is exact)."""
        if self.reset_timer is not None:
            self.reset_timer.cancel()
            self.reset_timer = None
        rate = self.link._reset_rate
        if rate > 0.0 and not self.dead:
            wait = float(self.link._rng.exponential(1.0 / rate))
            self.reset_timer = self.loop.call_later(wait, self.reset)


class _Side(asyncio.BufferedProtocol):
    """The protocol of one socket: the client's (``conn`` None until accepted) or upstream."""

    def __init__(self, link: LinkProxy, conn: _Conn | None = None) -> None:
        self.link = link
        self.conn = conn
        self.upstream = conn is not None
        self.buffer = memoryview(bytearray(_CHUNK))
        self.out: _Pipe | None = conn.bwd if conn is not None else None  # reads from this side
        self.into: _Pipe | None = conn.fwd if conn is not None else None  # writes to this side

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        transport = cast(asyncio.Transport, transport)
        if self.conn is not None:
            self.conn.upstream_made(transport)
        elif self.link._closed:
            _abort(transport)
        else:
            self.conn = _Conn(self.link, transport)
            self.out, self.into = self.conn.fwd, self.conn.bwd

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        if self.out is not None:
            self.out.feed(bytes(self.buffer[:nbytes]))

    def eof_received(self) -> bool:
        if self.out is not None:
            self.out.eof_in = True
            self.out.schedule()
        return True  # keep the socket half-open: the other direction may still flow

    def pause_writing(self) -> None:
        if self.into is not None:
            self.into.dst_paused = True
            self.into.flow()

    def resume_writing(self) -> None:
        if self.into is not None:
            self.into.dst_paused = False
            self.into.flow()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.conn is not None:
            self.conn.lost(self.upstream, exc)


class LinkProxy:
    """One network link: listens on 127.0.0.1 (a free port) and forwards every connection to
    ``target``, applying the link's state (delay, cut, resets; see the module docstring)."""

    def __init__(self, target: tuple[str, int], *, name: str = "", one_way_delay_s: float = 0.0,
                 rng: np.random.Generator | None = None) -> None:
        self.target = (target[0], int(target[1]))
        self.name = name
        self.address: tuple[str, int] | None = None
        self.stats: dict[str, int] = {"bytes_forward": 0, "bytes_backward": 0, "accepted": 0,
                                      "resets": 0, "refused": 0}
        self._delay = 0.0
        self.set_delay(one_way_delay_s)
        self._rng = rng if rng is not None else np.random.default_rng()
        self._cut_fwd = self._cut_bwd = False
        self._reset_rate = 0.0
        self._conns: dict[_Conn, None] = {}  # ordered: a seeded rng draws reproducibly
        self._server: asyncio.Server | None = None
        self._closed = False
        self._forward_open = asyncio.Event()
        self._forward_open.set()
        self._idle = asyncio.Event()  # no connection left: close() may finish
        self._idle.set()

    def __repr__(self) -> str:
        return f"LinkProxy({self.name!r}, {self.address} -> {self.target})"

    async def start(self) -> tuple[str, int]:
        """Listen on a free port of 127.0.0.1; the address is what clients must connect to."""
        if self._closed:
            raise RuntimeError(f"{self!r} is closed")
        if self._server is None:
            loop = asyncio.get_running_loop()
            self._server = await loop.create_server(lambda: _Side(self), "127.0.0.1", 0)
            host, port = self._server.sockets[0].getsockname()[:2]
            self.address = (host, port)
        assert self.address is not None
        return self.address

    def set_delay(self, one_way_s: float) -> None:
        """The one-way delay from now on, both directions (bytes already read keep their due)."""
        self._delay = _non_negative(one_way_s, "one-way delay")

    def cut(self, direction: str = "both") -> None:
        """Partition the link one way ("forward": client -> target, "backward") or both ways."""
        if direction not in _DIRECTIONS:
            raise ValueError(f"direction must be one of {_DIRECTIONS}, got {direction!r}")
        if direction in ("both", "forward"):
            self._cut_fwd = True
            self._forward_open.clear()
        if direction in ("both", "backward"):
            self._cut_bwd = True  # a pending timer finds the direction cut and stands down

    def heal(self) -> None:
        """End every cut: held bytes go out in order, held connections connect upstream."""
        was_fwd, was_bwd = self._cut_fwd, self._cut_bwd
        self._cut_fwd = self._cut_bwd = False
        self._forward_open.set()
        for conn in list(self._conns):
            if conn.reset_on_heal:
                conn.reset(count=False)
                continue
            now = conn.loop.time()
            if was_fwd:
                conn.fwd.heal(now)
            if was_bwd:
                conn.bwd.heal(now)

    def lose_host(self) -> None:
        """A host at one end is gone: every open connection passes nothing more, and is reset
        when the link heals (a replaced host answers an old connection with an RST). What the
        link held is never delivered: only retransmissions would have carried it, and a dead
        host retransmits nothing. Call it with the link cut, so nothing passes meanwhile."""
        for conn in list(self._conns):
            conn.reset_on_heal = True

    def set_reset_rate(self, per_s: float) -> None:
        """Reset each open connection at ``per_s`` (Poisson, per connection); 0 = never."""
        self._reset_rate = _non_negative(per_s, "reset rate")
        for conn in list(self._conns):
            conn.arm_reset()

    def reset_all(self) -> None:
        """Reset (RST) every open connection now."""
        for conn in list(self._conns):
            conn.reset()

    @property
    def delay_s(self) -> float:
        """The one-way delay now (both directions)."""
        return self._delay

    @property
    def connections(self) -> int:
        """Open connections (accepted, not reset, not yet closed on both sides)."""
        return sum(1 for conn in self._conns if not conn.dead)

    def _forget(self, conn: _Conn) -> None:
        self._conns.pop(conn, None)
        if not self._conns:
            self._idle.set()

    async def close(self) -> None:
        """Stop listening, abort every connection and wait until every socket and task is gone."""
        self._closed = True
        server, self._server = self._server, None
        if server is not None:
            server.close()
        conns = list(self._conns)
        for conn in conns:
            conn.reset(count=False)
        tasks = [conn.connect_task for conn in conns if conn.connect_task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)
        if self._conns:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), 1.0)
        if server is not None:
            await server.wait_closed()
        await asyncio.sleep(0)  # let the transports' last callbacks run (sockets closed)
