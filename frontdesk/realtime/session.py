"""What visitor and agent sockets share: framing, validation, limits and error frames.

Protocol logic (`handle_frame`) is separate from I/O, so one bad frame costs an error frame,
never the socket, until the client proves abusive (too many bad frames, or a flood)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Unpack

import orjson
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from frontdesk.actions.context import Context, database_unavailable, unavailable_error
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.ids import check_id
from frontdesk.domain.rate_limit import TokenBucket
from frontdesk.realtime.hub import Hub, SocketChannel
from frontdesk.wire import ErrorDetails, error_frame, event_payload_frame, pong_frame, synced_frame

log = logging.getLogger(__name__)

MAX_FRAME_CHARS = 16 * 1024
MAX_BAD_FRAMES = 20
HELLO_TIMEOUT = 10.0
SYNC_PAGE = 500

UNAUTHORIZED = 4001
PROTOCOL_VIOLATION = 4002
ORIGIN_REFUSED = 4003
TRY_AGAIN_LATER = 1013  # RFC 6455: the server cannot serve now (database down); reconnect with backoff

Handler = Callable[[dict[str, Any]], Awaitable[None]]


def dumps(frame: Mapping[str, Any]) -> str:
    return orjson.dumps(frame).decode()


class ProtocolError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def parse_frame(text: str) -> dict[str, Any]:
    if len(text) > MAX_FRAME_CHARS:
        raise ProtocolError("too_large", f"frames must be at most {MAX_FRAME_CHARS} characters")
    try:
        frame = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ProtocolError("bad_request", "frame is not valid JSON") from None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ProtocolError("bad_request", "frame must be a JSON object with a string 'type'")
    return frame


def int_field(frame: dict[str, Any], name: str, *, minimum: int = 0) -> int:
    """An id (or with minimum=0 a seq cursor) from a frame: 1 .. 2**63 - 1 like every id
    (domain/ids.py), else an error frame naming the field; the socket stays open."""
    return check_id(frame.get(name), name, minimum=minimum)


class SocketSession:
    """One connected client. Subclasses fill `handlers` and do the hello."""

    kind = "socket"

    def __init__(self, ws: WebSocket, ctx: Context, hub: Hub) -> None:
        self.ws, self.ctx, self.hub = ws, ctx, hub
        settings = ctx.settings
        self.channel = SocketChannel(
            ws,
            queue_size=settings.socket_queue_size,
            label=self.kind,
            on_overflow=ctx.metrics.resyncs.inc if ctx.metrics is not None else None,
        )
        self.send_bucket = TokenBucket(settings.message_rate, settings.message_burst)
        self.frame_bucket = TokenBucket(50.0, 200)
        self.bad_frames = 0
        self.handlers: dict[str, Handler] = {"ping": self.on_ping}
        self.actor: Any = None

    @classmethod
    async def serve(cls, ws: WebSocket) -> None:
        """The endpoint: one session for this socket; a database that cannot be reached while
        the session starts closes it with 1013 so the client backs off and comes back."""
        state = ws.app.state
        session = cls(ws, state.ctx, state.hub)
        try:
            await session.start()
        except Exception as exc:
            if not database_unavailable(exc):
                raise
            await session.close(TRY_AGAIN_LATER, "database unavailable")

    async def start(self) -> None:
        raise NotImplementedError

    # -- sending ---------------------------------------------------------------
    def send(self, frame: Mapping[str, Any]) -> None:
        self.channel.offer(dumps(frame))

    def send_error(self, code: str, message: str, ref: object = None, **extra: Unpack[ErrorDetails]) -> None:
        self.send(error_frame(code, message, ref, **extra))

    async def close(self, code: int, reason: str = "") -> None:
        if self.ws.application_state == WebSocketState.CONNECTED:
            with contextlib.suppress(Exception):
                await self.ws.close(code, reason)

    # -- the loop --------------------------------------------------------------
    async def receive_hello(self) -> dict[str, Any] | None:
        try:
            text = await asyncio.wait_for(self.ws.receive_text(), HELLO_TIMEOUT)
            frame = parse_frame(text)
        except (TimeoutError, ProtocolError, KeyError):
            return None
        return frame if frame.get("type") == "hello" else None

    async def run(self) -> None:
        self.channel.start()
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect" or self.channel.close_code is not None:
                    break  # closed by us meanwhile (revoked, fell behind): nothing more is handled
                text = message.get("text")
                if text is None:
                    self.bad_frame("bad_request", "binary frames are not supported")
                    continue
                if self.frame_bucket.take(time.monotonic()):
                    self.channel.close(PROTOCOL_VIOLATION)
                    break
                await self.handle_text(text)
                if self.channel.close_code is not None:
                    break
        except WebSocketDisconnect:
            pass
        finally:
            self.hub.drop(self.channel)
            await self.on_disconnect()
            await self.channel.stop()
            if self.channel.close_code is not None:
                await self.close(self.channel.close_code)

    def bad_frame(self, code: str, message: str, ref: object = None) -> None:
        self.bad_frames += 1
        self.send_error(code, message, ref)
        if self.bad_frames > MAX_BAD_FRAMES:
            self.channel.close(PROTOCOL_VIOLATION)

    async def handle_text(self, text: str) -> None:
        try:
            frame = parse_frame(text)
        except ProtocolError as exc:
            self.bad_frame(exc.code, exc.message)
            return
        ref = frame.get("ref", frame.get("client_id"))
        handler = self.handlers.get(frame["type"])
        if handler is None:
            self.bad_frame("bad_request", f"unknown frame type {frame['type'][:40]!r}", ref)
            return
        try:
            await handler(frame)
        except ChatRuleError as exc:
            extra: ErrorDetails = {"field": exc.field} if exc.field else {}
            if exc.retry_after is not None:
                extra["retry_after"] = round(exc.retry_after, 2)
            if exc.code == "bad_request":
                self.bad_frames += 1
            self.send_error(exc.code, exc.message, ref, **extra)
        except Exception as exc:
            if database_unavailable(exc):
                log.warning("database unavailable while handling %s: %s", frame["type"], type(exc).__name__)
                error = unavailable_error(exc)
                self.send_error(error.code, error.message, ref, retry_after=error.retry_after)
                return
            log.exception("error handling %s frame", frame["type"])
            self.send_error("internal", "Something went wrong on our side; please retry.", ref)

    def check_send_rate(self) -> None:
        wait = self.send_bucket.take(time.monotonic())
        if wait:
            raise ChatRuleError("rate_limited", "You are sending messages too fast; wait a moment.", retry_after=wait)

    async def send_events_after(self, frame: dict[str, Any], fetch: Callable[..., Awaitable[dict[str, Any]]]) -> None:
        """Answer `sync`: every stored event after the client's last seq, page by page, then
        `synced` with the chat's last seq (its watermark: internal events leave gaps)."""
        chat_id = int_field(frame, "chat_id", minimum=1)
        after = int_field(frame, "after")
        while True:
            page = await fetch(ctx=self.ctx, actor=self.actor, chat_id=chat_id, after=after, limit=SYNC_PAGE)
            for event in page["events"]:
                self.send(event_payload_frame(event))
            if len(page["events"]) < SYNC_PAGE:
                break
            after = page["events"][-1]["seq"]
        self.send(synced_frame(chat_id, page["last_seq"]))

    async def on_ping(self, frame: dict[str, Any]) -> None:
        self.send(pong_frame())

    async def on_disconnect(self) -> None:
        return None
