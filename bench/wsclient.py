"""A minimal WebSocket client for load generation: one asyncio.Protocol, callbacks, no tasks.

The load generator shares two cores with the server, so every microsecond it spends per frame is
taken from the thing we measure. The `websockets` library is correct and pleasant but costs a
task switch, a queue and several layers per frame; this client parses frames straight out of
`data_received` and hands each complete text frame (as bytes) to a callback. It speaks just
enough RFC 6455 for a benchmark against our own server: handshake (checking
Sec-WebSocket-Accept), masked text frames out, unfragmented or fragmented text in, ping → pong,
and close. No extensions (frontdesk runs with permessage-deflate off).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import random
from collections.abc import Callable

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HANDSHAKE = 16 * 1024
MAX_FRAME = 4 * 1024 * 1024

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    if n == 0:
        return payload
    repeated = (key * ((n >> 2) + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(repeated, "little")).to_bytes(n, "little")


def encode_frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame."""
    n = len(payload)
    key = random.getrandbits(32).to_bytes(4, "little")
    if n < 126:
        header = bytes((0x80 | opcode, 0x80 | n))
    elif n < 65536:
        header = bytes((0x80 | opcode, 0x80 | 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x80 | opcode, 0x80 | 127)) + n.to_bytes(8, "big")
    return header + key + _mask(payload, key)


class WSClient(asyncio.Protocol):
    """Connect with `await WSClient.connect(...)`; then `send(bytes)`; frames go to `on_text`."""

    def __init__(self, on_text: Callable[[bytes], None], request: bytes, key: bytes) -> None:
        self.on_text = on_text
        self._request = request
        self._expected_accept = base64.b64encode(hashlib.sha1(key + GUID).digest())  # noqa: S324 — RFC 6455
        self._buf = bytearray()
        self._fragments: list[bytes] = []
        self.transport: asyncio.Transport | None = None
        self.handshake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.close_code: int | None = None
        self.frames_in = 0
        self.frames_out = 0

    # -- connecting ------------------------------------------------------------
    @classmethod
    async def connect(
        cls,
        host: str,
        port: int,
        path: str,
        on_text: Callable[[bytes], None],
        headers: dict[str, str] | None = None,
        wait_s: float = 10.0,
    ) -> WSClient:
        key = base64.b64encode(os.urandom(16))
        lines = [
            f"GET {path} HTTP/1.1",
            f"Host: {host}:{port}",
            "Upgrade: websocket",
            "Connection: Upgrade",
            f"Sec-WebSocket-Key: {key.decode()}",
            "Sec-WebSocket-Version: 13",
        ]
        lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        loop = asyncio.get_running_loop()
        _, proto = await asyncio.wait_for(
            loop.create_connection(lambda: cls(on_text, request, key), host, port), wait_s
        )
        await asyncio.wait_for(proto.handshake, wait_s)
        return proto

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        transport.write(self._request)  # type: ignore[attr-defined]

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError(f"connection lost during handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code if self.close_code is not None else 1006)

    # -- sending ---------------------------------------------------------------
    def send(self, payload: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            raise ConnectionError("socket is closed")
        self.frames_out += 1
        self.transport.write(encode_frame(OP_TEXT, payload))

    def close(self, code: int = 1000) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(encode_frame(OP_CLOSE, code.to_bytes(2, "big")))
            self.transport.close()

    # -- receiving -------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        buf = self._buf
        buf += data
        if not self.handshake.done():
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > MAX_HANDSHAKE:
                    self._fail(ConnectionError("handshake response too large"))
                return
            head = bytes(buf[:end]).split(b"\r\n")
            del buf[: end + 4]
            if b" 101 " not in head[0] + b" ":
                self._fail(ConnectionError(f"handshake refused: {head[0]!r}"))
                return
            prefix = b"sec-websocket-accept:"
            accept = next((ln[len(prefix) :].strip() for ln in head if ln.lower().startswith(prefix)), None)
            if accept != self._expected_accept:
                self._fail(ConnectionError("bad Sec-WebSocket-Accept"))
                return
            self.handshake.set_result(None)
        pos, size = 0, len(buf)
        while size - pos >= 2:
            b0, b1 = buf[pos], buf[pos + 1]
            n = b1 & 0x7F
            off = pos + 2
            if n == 126:
                if size - off < 2:
                    break
                n = int.from_bytes(buf[off : off + 2], "big")
                off += 2
            elif n == 127:
                if size - off < 8:
                    break
                n = int.from_bytes(buf[off : off + 8], "big")
                off += 8
            if b1 & 0x80 or n > MAX_FRAME:
                self._fail(ConnectionError("masked or oversized frame from server"))
                return
            if size - off < n:
                break
            payload = bytes(buf[off : off + n])
            pos = off + n
            opcode = b0 & 0x0F
            if opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                if not b0 & 0x80:
                    self._fragments.append(payload)
                    continue
                if self._fragments:
                    self._fragments.append(payload)
                    payload = b"".join(self._fragments)
                    self._fragments = []
                self.frames_in += 1
                self.on_text(payload)
            elif opcode == OP_PING:
                if self.transport is not None and not self.transport.is_closing():
                    self.transport.write(encode_frame(OP_PONG, payload))
            elif opcode == OP_CLOSE:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self.close(1000)
                return
        if pos:
            del buf[:pos]

    def _fail(self, exc: Exception) -> None:
        if not self.handshake.done():
            self.handshake.set_exception(exc)
        self.close_code = self.close_code or 1002
        if self.transport is not None:
            self.transport.close()
