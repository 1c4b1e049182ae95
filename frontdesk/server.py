"""How `frontdesk serve` runs uvicorn: its HTTP protocol with bounds on the request head.

uvicorn's httptools protocol buffers a request's headers without a size limit and waits for
them without a time limit (a client can send 100 MB of headers, or one byte a second for
ever). `BoundedHttpToolsProtocol` adds both bounds around the parser and changes nothing else:

- while a request head (request line and headers) is being read, the bytes received for it are
  counted; past `FRONTDESK_MAX_HEADER_BYTES` the connection is answered 431 and closed. The
  check runs after each chunk the event loop reads, so at most the limit plus one read
  (≤ 256 KiB) is ever buffered;
- a head must be complete within `FRONTDESK_HEADER_TIMEOUT_SECONDS` from its first byte (or from
  the connection's start): otherwise the connection is answered 408 and closed.

Once the head is complete the request runs as before; a WebSocket upgrade hands the connection
to uvicorn's WebSocket protocol, so socket frames never pass through this class. Idle
keep-alive connections are closed by uvicorn's own `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from frontdesk.config import Settings

log = logging.getLogger("frontdesk.server")
HTTP_PROTOCOL = "frontdesk.server:BoundedHttpToolsProtocol"


@cache
def _limits() -> tuple[int, float]:
    """Read once per process (uvicorn workers are separate processes with the same environment)."""
    settings = Settings()
    return settings.max_header_bytes, settings.header_timeout_seconds


def error_response(status: int, code: str, message: str) -> bytes:
    """A complete HTTP/1.1 response with our JSON error shape, closing the connection."""
    body = orjson.dumps({"error": {"code": code, "message": message}})
    head = (
        STATUS_LINE[status] + b"content-type: application/json\r\ncontent-length: " + str(len(body)).encode() + b"\r\n"
        b"connection: close\r\n\r\n"
    )
    return head + body


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_head_bytes, self.head_timeout = _limits()
        self.reading_head = True  # a new request's head is expected or being read
        self.head_bytes = 0
        self.head_timer: asyncio.TimerHandle | None = None

    # -- the clock: from the connection's start, and from the first byte of each request
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._start_head_timer()

    def on_headers_complete(self) -> None:
        self.reading_head = False
        self.head_bytes = 0
        self._stop_head_timer()
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self.reading_head = True
        self.head_bytes = 0

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_head_timer()
        super().connection_lost(exc)

    # -- the size: what arrived while the head is still incomplete
    def data_received(self, data: bytes) -> None:
        if self.reading_head:
            self.head_bytes += len(data)
        super().data_received(data)
        if self.reading_head and self.head_bytes > self.max_head_bytes and not self.transport.is_closing():
            self._refuse(431, "too_large", f"request headers must be at most {self.max_head_bytes} bytes")

    def _start_head_timer(self) -> None:
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _stop_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if not self.reading_head or self.transport.is_closing():
            return
        if self.head_bytes == 0 and (self.cycle is None or self.cycle.response_complete):
            self.transport.close()  # connected, or kept alive, and never started a request
            return
        self._refuse(408, "timeout", f"request headers must arrive within {self.head_timeout:g} seconds")

    def _refuse(self, status: int, code: str, message: str) -> None:
        self._stop_head_timer()
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.warning("%s: %s (%d)", client, message, status)
        if self.cycle is None or self.cycle.response_complete:  # never in the middle of a response
            self.transport.write(error_response(status, code, message))
        self.transport.close()
