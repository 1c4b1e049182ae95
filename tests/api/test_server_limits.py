"""`frontdesk serve` bounds a request's head: size (431) and time (408 or closed), against a real
server process; normal requests, large bodies and sockets are unaffected (frontdesk/server.py)."""

from __future__ import annotations

import asyncio
import contextlib
import time

import httpx
import pytest
import pytest_asyncio

from tests.clients import VisitorClient
from tests.conftest import BACKENDS, ServerProcess, database_url

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEAD_TIMEOUT = 2.0


@pytest_asyncio.fixture(loop_scope="session", scope="module", params=BACKENDS)
async def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """This module's own server: a short head timeout, so the slow-client tests are quick."""
    data_dir = tmp_path_factory.mktemp(f"limits-{request.param}")
    proc = ServerProcess(
        data_dir, await database_url(request.param, data_dir), FRONTDESK_HEADER_TIMEOUT_SECONDS=str(HEAD_TIMEOUT)
    )
    await proc.start()
    yield proc
    await proc.stop()


async def _open(server: ServerProcess) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", server.port)


async def _read_all(reader: asyncio.StreamReader, timeout: float) -> tuple[bytes, bool]:
    """What the server sent until it closed (bytes, reset?)."""
    try:
        return await asyncio.wait_for(reader.read(), timeout), False
    except (ConnectionResetError, BrokenPipeError):
        return b"", True


async def _flood(server: ServerProcess, first: bytes, chunk: bytes, total: int) -> tuple[int, bytes, bool]:
    """Send `first`, then `chunk` repeatedly up to `total` bytes, a little at a time; returns how
    much was accepted before the server answered or closed, what it answered, and whether the
    connection was reset."""
    reader, writer = await _open(server)
    sent = 0
    reset = False
    try:
        writer.write(first)
        while sent < total:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
            if reader.at_eof() or len(reader._buffer):  # noqa: SLF001 — an answer arrived: stop sending
                break
            await asyncio.sleep(0.005)
    except (ConnectionResetError, BrokenPipeError):
        reset = True
    answer, reset_on_read = await _read_all(reader, 5)
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return sent, answer, reset or reset_on_read


async def test_two_megabytes_in_one_header_are_refused_early(server):
    total = 2 * 1024 * 1024
    sent, answer, reset = await _flood(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ", b"a" * 16 * 1024, total)
    assert answer.startswith(b"HTTP/1.1 431 ") or reset, answer[:200]
    if answer:
        assert b'"code":"too_large"' in answer
    assert sent < total // 2, f"{sent} bytes of headers were taken before the server answered"


async def test_a_megabyte_of_many_headers_is_refused_early(server):
    total = 2 * 1024 * 1024
    line = b"X-Many: " + b"b" * 1000 + b"\r\n"
    sent, answer, reset = await _flood(server, b"GET /healthz HTTP/1.1\r\nHost: x\r\n", line * 16, total)
    assert answer.startswith(b"HTTP/1.1 431 ") or reset, answer[:200]
    assert sent < total // 2


async def test_slowloris_is_closed_after_the_head_timeout(server):
    reader, writer = await _open(server)
    started = time.monotonic()
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    await writer.drain()
    answer = b""
    closed = False
    try:
        for byte in b"X-Slow: " + b"s" * 30:  # one byte a second, for longer than the timeout allows
            writer.write(bytes([byte]))
            await writer.drain()
            with contextlib.suppress(asyncio.TimeoutError):
                answer += await asyncio.wait_for(reader.read(1024), 1.0)
            if reader.at_eof():
                closed = True
                break
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    elapsed = time.monotonic() - started
    writer.close()
    assert closed, "the slow client was never disconnected"
    assert elapsed < HEAD_TIMEOUT + 2.5, elapsed
    assert answer == b"" or answer.startswith(b"HTTP/1.1 408 "), answer[:200]


async def test_a_connection_that_sends_nothing_is_closed(server):
    reader, writer = await _open(server)
    started = time.monotonic()
    data = await asyncio.wait_for(reader.read(), HEAD_TIMEOUT + 3)
    assert data == b"" and time.monotonic() - started >= HEAD_TIMEOUT - 0.2
    writer.close()


async def test_normal_requests_large_bodies_and_sockets_still_work(server, duty_agent):
    async with httpx.AsyncClient(base_url=server.base_url) as http:
        # A big but reasonable head (a long cookie) and keep-alive reuse.
        for _ in range(3):
            r = await http.get("/healthz", headers={"Cookie": "c=" + "x" * 16_000})
            assert r.status_code == 200
    # A head of 10 KB and a body of 60 KB arrive in one write (70 KB, past the 64 KiB head
    # limit together): the body does not count as head.
    reader, writer = await _open(server)
    body = b"{" + b" " * (60 * 1024) + b"}"
    writer.write(
        b"POST /api/v1/widget/visitors HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"X-Padding: " + b"p" * (10 * 1024) + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\nConnection: close\r\n\r\n" + body
    )
    await writer.drain()
    answer, _ = await _read_all(reader, 5)
    writer.close()
    assert answer.startswith(b"HTTP/1.1 201 "), answer[:200]
    # Sockets: a visitor's message reaches the agent on duty.
    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    ack = await visitor.send("still working")
    assert ack["type"] == "ack" and ack["chat_id"]
    await visitor.close()
