"""LinkProxy, the emulator's network link: bytes pass unchanged and in order, delays add up, cuts
hold bytes (never drop them), resets look like RSTs, a dead target is seen at once, and close()
leaves nothing running. Each test runs its own event loop (no pytest-asyncio)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import numpy as np
import pytest

from hadrsim.emulate.proxy import LinkProxy

# A leaked task, coroutine or socket is a failure here, not a warning.
pytestmark = pytest.mark.filterwarnings(
    "error::RuntimeWarning", "error::ResourceWarning",
    "error::pytest.PytestUnraisableExceptionWarning",
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo until EOF, then close (so the proxy passes the FIN back)."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except ConnectionError:
        pass
    finally:
        writer.close()


@contextlib.asynccontextmanager
async def _link(handler: Handler = _echo, **kwargs: object) -> AsyncIterator[LinkProxy]:
    """A target server running ``handler`` and a started proxy in front of it, both closed after."""
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    proxy = LinkProxy(server.sockets[0].getsockname()[:2], **kwargs)  # type: ignore[arg-type]
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.close()
        server.close()
        await server.wait_closed()


async def _open(proxy: LinkProxy) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    assert proxy.address is not None
    return await asyncio.open_connection(*proxy.address)


async def _until(predicate: Callable[[], bool], timeout: float = 2.0) -> None:
    """Poll ``predicate`` every 5 ms; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.005)


def test_bytes_pass_both_ways_unchanged_and_are_counted():
    """Small and 1 MB writes come back byte for byte; stats count both ways; a FIN is passed on
    and the connection is forgotten once both sides have closed."""

    async def body() -> None:
        async with _link() as proxy:
            reader, writer = await _open(proxy)
            writer.write(b"hello")
            assert await reader.readexactly(5) == b"hello"
            blob = np.random.default_rng(1).bytes(1_000_000)
            writer.write(blob)
            assert await asyncio.wait_for(reader.readexactly(len(blob)), 5.0) == blob
            assert proxy.stats["bytes_forward"] == proxy.stats["bytes_backward"] == 1_000_005
            assert proxy.stats["accepted"] == 1 and proxy.connections == 1
            writer.write_eof()
            assert await asyncio.wait_for(reader.read(), 2.0) == b""
            writer.close()
            await _until(lambda: proxy.connections == 0 and not proxy._conns)

    asyncio.run(body())


def test_one_way_delay_adds_up_to_the_round_trip():
    """A 50 ms one-way delay makes each round trip take >= 100 ms (and not much more)."""

    async def body() -> None:
        async with _link(one_way_delay_s=0.05) as proxy:
            reader, writer = await _open(proxy)
            for i in range(3):
                start = time.monotonic()
                writer.write(b"ping%d" % i)
                assert await reader.readexactly(5) == b"ping%d" % i
                elapsed = time.monotonic() - start
                assert 0.100 <= elapsed < 0.180, elapsed
            writer.close()

    asyncio.run(body())


def test_lowering_the_delay_mid_stream_never_reorders():
    """Chunks sent while the delay drops (200 ms -> 0 -> 80 ms -> 0) come back in send order,
    and the first still takes its 200 ms forward (the echo comes back under the lowered delay):
    a smaller delay does not overtake."""

    async def body() -> None:
        async with _link(one_way_delay_s=0.2) as proxy:
            reader, writer = await _open(proxy)
            delays = [0.2, 0.0, 0.08, 0.0, 0.03, 0.0]
            start = time.monotonic()
            sent = b""
            for i in range(30):
                proxy.set_delay(delays[i // 5])
                chunk = b"<%03d>" % i
                writer.write(chunk)
                sent += chunk
                await asyncio.sleep(0.002)
            first = await reader.readexactly(5)
            assert time.monotonic() - start >= 0.2
            got = first + await asyncio.wait_for(reader.readexactly(len(sent) - 5), 2.0)
            assert got == sent
            writer.close()

    asyncio.run(body())


def test_cut_both_holds_bytes_and_heal_delivers_them_in_order():
    """Under cut("both") nothing is forwarded for 200 ms; heal() delivers the held bytes in
    order."""

    async def body() -> None:
        async with _link() as proxy:
            reader, writer = await _open(proxy)
            writer.write(b"warm")
            assert await reader.readexactly(4) == b"warm"
            proxy.cut("both")
            for part in (b"a", b"b", b"c"):
                writer.write(part)
                await asyncio.sleep(0.01)
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(reader.read(100), 0.2)
            assert proxy.stats["bytes_forward"] == 4
            proxy.heal()
            assert await asyncio.wait_for(reader.readexactly(3), 1.0) == b"abc"
            writer.close()

    asyncio.run(body())


def test_cut_forward_blocks_only_client_to_server():
    """Under cut("forward") a server's unprompted pushes still reach the client while the
    client's bytes are held; they arrive after heal()."""
    received = bytearray()

    async def pusher(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def push() -> None:
            while not writer.is_closing():
                writer.write(b"t")
                await asyncio.sleep(0.02)

        task = asyncio.create_task(push())
        try:
            while data := await reader.read(1024):
                received.extend(data)
        except ConnectionError:
            pass
        finally:
            task.cancel()
            writer.close()

    async def body() -> None:
        async with _link(pusher) as proxy:
            reader, writer = await _open(proxy)
            assert await reader.readexactly(1) == b"t"
            proxy.cut("forward")
            writer.write(b"held")
            await asyncio.sleep(0.2)
            ticks = await asyncio.wait_for(reader.read(100), 1.0)
            assert ticks and set(ticks) == {ord("t")}
            assert received == b""
            proxy.heal()
            await _until(lambda: received == b"held")
            writer.close()

    asyncio.run(body())


def test_connection_opened_during_forward_cut_reaches_target_only_after_heal():
    """A connection accepted under a forward cut is not connected upstream until heal(); its
    bytes wait and then go through."""
    accepted = []

    async def counting_echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(1)
        await _echo(reader, writer)

    async def body() -> None:
        async with _link(counting_echo) as proxy:
            proxy.cut("forward")
            reader, writer = await _open(proxy)
            writer.write(b"hi")
            await asyncio.sleep(0.2)
            assert accepted == [] and proxy.connections == 1
            proxy.heal()
            assert await asyncio.wait_for(reader.readexactly(2), 1.0) == b"hi"
            assert accepted == [1]
            writer.close()

    asyncio.run(body())


def test_reset_all_resets_and_reset_rate_resets_over_time():
    """reset_all(): the client's next read raises ConnectionResetError and connections drops
    to 0; a seeded reset rate of 20/s resets every one of five connections within 2 s."""

    async def body() -> None:
        async with _link(rng=np.random.default_rng(7)) as proxy:
            reader, writer = await _open(proxy)
            writer.write(b"x")
            assert await reader.readexactly(1) == b"x"
            proxy.reset_all()
            assert proxy.connections == 0 and proxy.stats["resets"] == 1
            with pytest.raises(ConnectionResetError):
                await asyncio.wait_for(reader.read(100), 1.0)
            writer.close()

            clients = [await _open(proxy) for _ in range(5)]
            for reader, writer in clients:
                writer.write(b"y")
                assert await reader.readexactly(1) == b"y"
            proxy.set_reset_rate(20.0)
            await _until(lambda: proxy.connections == 0, timeout=2.0)
            assert proxy.stats["resets"] == 6
            for reader, writer in clients:
                with pytest.raises(ConnectionResetError):
                    await asyncio.wait_for(reader.read(100), 1.0)
                writer.close()

    asyncio.run(body())


def test_refusing_target_closes_the_client_connection_quickly():
    """A target whose port refuses (a crashed server on a live host) makes the proxy close
    the client's connection in well under 1 s."""

    async def body() -> None:
        with socket.socket() as probe:  # a port that was free a moment ago: now refuses
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proxy = LinkProxy(("127.0.0.1", port), name="dead")
        await proxy.start()
        try:
            reader, writer = await _open(proxy)
            start = time.monotonic()
            with contextlib.suppress(ConnectionResetError):
                assert await asyncio.wait_for(reader.read(100), 1.0) == b""
            assert time.monotonic() - start < 1.0
            assert proxy.stats["refused"] == 1
            await _until(lambda: proxy.connections == 0)
            writer.close()
        finally:
            await proxy.close()

    asyncio.run(body())


def test_close_leaves_no_task_and_stops_listening():
    """close() (twice) aborts open and held connections, leaves no task running and the port
    refuses new connections."""

    async def body() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(asyncio.Protocol, "127.0.0.1", 0)
        proxy = LinkProxy(server.sockets[0].getsockname()[:2])
        address = await proxy.start()
        _, open_writer = await _open(proxy)
        await _until(lambda: proxy.connections == 1)
        proxy.cut("forward")
        _, held_writer = await _open(proxy)  # its upstream connect waits for heal
        await _until(lambda: proxy.connections == 2)
        await proxy.close()
        await proxy.close()
        assert proxy.connections == 0
        assert asyncio.all_tasks() == {asyncio.current_task()}
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection(*address)
        open_writer.close()
        held_writer.close()
        server.close()
        await server.wait_closed()

    asyncio.run(body())


def _holding() -> tuple[list[asyncio.StreamWriter], Handler]:
    """A target that keeps each connection open, its writers listed as they are accepted."""
    accepted: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)
        await reader.read(1)

    return accepted, hold


async def _open_then_cut(proxy: LinkProxy, accepted: list[asyncio.StreamWriter]
                         ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection through ``proxy`` that reached the target, then the link cut."""
    reader, writer = await _open(proxy)
    writer.write(b"q")
    await _until(lambda: bool(accepted))
    proxy.cut("both")
    return reader, writer


def test_a_reset_from_the_target_waits_behind_a_cut_until_heal():
    """A target that dies resetting its connection while the link is cut: the client hears
    nothing (a partition drops the RST as it drops bytes) until the link heals, then gets
    the reset. (A fenced, hung primary's clients wait out their time-outs this way, as
    against the simulation's silent node.)"""
    resets, hold = _holding()

    async def body() -> None:
        async with _link(hold) as proxy:
            reader, writer = await _open_then_cut(proxy, resets)
            sock = resets[0].get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            resets[0].transport.abort()  # RST toward the proxy
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(reader.read(100), 0.3)
            proxy.heal()
            with pytest.raises(ConnectionResetError):
                await asyncio.wait_for(reader.read(100), 1.0)
            writer.close()

    asyncio.run(body())


def test_what_a_lost_host_sent_behind_a_cut_is_never_delivered():
    """A host gone while the link is cut (the emulator's crash: cut, then kill): what it
    sent and its FIN were held, and only retransmissions would carry them once the link
    heals, which a dead host never sends. At heal the peer gets a reset and not one of the
    held bytes (a standby must not receive WAL from a primary that died before shipping
    it)."""
    sent, speak = _holding()

    async def body() -> None:
        async with _link(speak) as proxy:
            reader, writer = await _open_then_cut(proxy, sent)
            proxy.lose_host()
            sent[0].write(b"wal")  # held behind the cut...
            sent[0].close()  # ... and the FIN of the process the kill ended
            await asyncio.sleep(0.05)
            proxy.heal()
            with pytest.raises(ConnectionResetError):
                await asyncio.wait_for(reader.read(100), 1.0)
            assert proxy.stats["bytes_backward"] == 0
            writer.close()

    asyncio.run(body())
