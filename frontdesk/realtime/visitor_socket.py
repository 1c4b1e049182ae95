"""The visitor's socket (`/api/v1/widget/ws`): one visitor, only their own chat."""

from __future__ import annotations

import time
from typing import Any

from starlette.websockets import WebSocket

from frontdesk.actions import chats, invitations, peek, read_receipts, reads, satisfaction, visitors, widget_settings
from frontdesk.actions.context import Context, VisitorActor
from frontdesk.actions.tracking import do_leave_visit, do_open_visit, do_page_time, do_page_view, tracking_settings
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.rate_limit import KeyedLimiter, TokenBucket
from frontdesk.domain.tracking import VisitState, check_page_view, check_visible_ms
from frontdesk.realtime.hub import Hub
from frontdesk.realtime.session import (
    ORIGIN_REFUSED,
    UNAUTHORIZED,
    SocketSession,
)
from frontdesk.security.tokens import verify_visitor_token
from frontdesk.wire import (
    ack_frame,
    chat_rated_visitor_frame,
    transcript_queued_frame,
    visitor_frame,
    visitor_welcome_frame,
)


class VisitorSession(SocketSession):
    kind = "visitor"

    def __init__(self, ws: WebSocket, ctx: Context, hub: Hub) -> None:
        super().__init__(ws, ctx, hub)
        self.actor: VisitorActor | None = None
        self.name: str | None = None
        self.chat_id: int | None = None  # the open chat, as far as this socket knows
        self.connected = False
        self.typing = peek.VisitorTyping()  # its chat, cached: no query per typing frame
        self.visit: VisitState | None = None  # the visit this socket tracks (None: not tracked)
        self.read_mark: tuple[int | None, int] = (None, 0)  # (chat, highest `read` seq passed on)
        self.read_limit = TokenBucket(rate=1.0, burst=5)  # `read` frames that reach the database
        self.handlers.update(
            {
                "message.send": self.on_message_send,
                "typing": self.on_typing,
                "sync": self.on_sync,
                "visitor.update": self.on_visitor_update,
                "chat.close": self.on_chat_close,
                "chat.start": self.on_chat_start,
                "chat.rate": self.on_chat_rate,
                "transcript.email": self.on_transcript_email,
                "page.view": self.on_page_view,
                "page.time": self.on_page_time,
                "invitation.shown": self.on_invitation_shown,
                "invitation.dismiss": self.on_invitation_dismiss,
                "read": self.on_read,
            }
        )

    @property
    def visitor(self) -> VisitorActor:
        """The visitor: start() sets it before the first frame is handled."""
        actor = self.actor
        if actor is None:  # a frame before the hello: run() starts after it, so never today
            raise ChatRuleError("unauthorized", "Send hello with your visitor token first.")
        return actor

    async def start(self) -> None:
        origin = self.ws.headers.get("origin")
        await self.ws.accept()
        if not self.ctx.settings.origin_allowed(origin):
            await self.close(ORIGIN_REFUSED, "origin not allowed")
            return
        hello = await self.receive_hello()
        visitor_id = verify_visitor_token(hello.get("token") if hello else None, self.ctx.settings.signing_key)
        if visitor_id is None:
            await self.close(UNAUTHORIZED, "bad visitor token")
            return
        self.actor = VisitorActor(visitor_id)
        visitor = await visitors.do_record_visit(
            ctx=self.ctx, actor=self.actor, page=hello.get("page") if hello else None
        )
        if visitor is None:  # signed by us but deleted since (retention, privacy request)
            await self.close(UNAUTHORIZED, "unknown visitor")
            return
        self.name = visitor["name"]
        # Subscribe before reading the chat, so nothing published in between is missed.
        self.hub.subscribe(self.channel, audience.visitor_topic(visitor_id))
        await self.ctx.presence.visitor_connected(visitor_id)
        self.connected = True
        # Tracking (actions/tracking.py): the hello's page is this page load's page view; the
        # client address is the socket's (uvicorn applies the trusted proxies' X-Forwarded-For).
        headers = self.ws.headers
        self.visit = await do_open_visit(
            ctx=self.ctx,
            actor=self.actor,
            hello=hello or {},
            ip=self.ws.client.host if self.ws.client else None,
            user_agent=headers.get("user-agent"),
            dnt_header=headers.get("dnt"),
            gpc_header=headers.get("sec-gpc"),
        )
        chat = await reads.open_chat_for_visitor(ctx=self.ctx, actor=self.actor)
        self.chat_id = chat["id"] if chat else None
        if chat and chat["status"] == "queued":
            self.ctx.router.kick(chat["department_id"])  # so they hear their position again
        mode = (await tracking_settings(ctx=self.ctx))["mode"]  # the widget caches the site's mode
        invitation = None if chat else await invitations.pending_invitation(ctx=self.ctx, actor=self.actor)
        self.send(visitor_welcome_frame(visitor, chat, invitation, tracking=mode))
        await self.run()

    async def on_message_send(self, frame: dict[str, Any]) -> None:
        await self._send(frame, department=frame.get("department"))

    async def on_chat_start(self, frame: dict[str, Any]) -> None:
        """The pre-chat form: who the visitor is, which department, and their first question."""
        await widget_settings.check_prechat(ctx=self.ctx, frame=frame)
        if "name" in frame or "email" in frame:
            visitor = await visitors.do_update_visitor(ctx=self.ctx, actor=self.visitor, fields=frame)
            self.name = visitor["name"]
        await self._send(frame, department=frame.get("department"))

    async def _send(self, frame: dict[str, Any], *, department: object) -> None:
        self.check_send_rate()
        try:
            result = await chats.do_send_visitor_message(
                ctx=self.ctx,
                actor=self.visitor,
                text=frame.get("text"),
                client_id=frame.get("client_id"),
                visitor_name=self.name,
                chat_id=self.chat_id,
                department=department,
                via=self.channel.id,
                invitation_id=frame.get("invitation_id"),
            )
        except chats.OfflineError as exc:
            self.send_error(exc.code, exc.message, frame.get("client_id"), reason=exc.reason, department=exc.department)
            return
        if result.event["chat_id"] != self.chat_id:
            self.typing.forget()  # a new chat: typing goes to its agents from now on
        self.chat_id = result.event["chat_id"]
        self.send(ack_frame(result.event, result.duplicate))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        # With the draft (`text`) for sneak peek; throttled and never stored (actions/peek.py).
        await peek.relay_visitor_typing(
            ctx=self.ctx,
            actor=self.visitor,
            state=self.typing,
            typing=bool(frame.get("typing")),
            draft=frame.get("text"),
        )

    async def on_sync(self, frame: dict[str, Any]) -> None:
        await self.send_events_after(frame, reads.events_for_visitor)

    async def on_visitor_update(self, frame: dict[str, Any]) -> None:
        visitor = await visitors.do_update_visitor(ctx=self.ctx, actor=self.visitor, fields=frame)
        self.name = visitor["name"]
        self.send(visitor_frame(visitor, frame.get("ref")))

    async def on_chat_close(self, frame: dict[str, Any]) -> None:
        chat = await reads.open_chat_for_visitor(ctx=self.ctx, actor=self.visitor)
        if chat is None:
            raise ChatRuleError("chat_closed", "There is no open chat to close.")
        await chats.do_close_chat(ctx=self.ctx, actor=self.visitor, chat_id=chat["id"])
        self.chat_id = None
        self.typing.forget()

    async def on_chat_rate(self, frame: dict[str, Any]) -> None:
        """Rate one of the visitor's ended chats (actions/satisfaction.py decides what is allowed)."""
        limited(satisfaction_frames, self.visitor.visitor_id, "You are rating too often; wait a moment.")
        rating = await satisfaction.do_rate_chat(
            ctx=self.ctx,
            actor=self.visitor,
            chat_id=frame.get("chat_id"),
            rating=frame.get("rating"),
            comment=frame.get("comment"),
        )
        self.send(chat_rated_visitor_frame(frame.get("chat_id"), rating, ref=frame.get("ref")))

    async def on_transcript_email(self, frame: dict[str, Any]) -> None:
        limited(transcript_mails, self.visitor.visitor_id, "You have asked for several transcripts; try again later.")
        sent = await satisfaction.do_email_transcript(
            ctx=self.ctx,
            actor=self.visitor,
            chat_id=frame.get("chat_id"),
            email=frame.get("email"),
        )
        self.send(transcript_queued_frame(frame.get("ref"), sent))

    async def on_read(self, frame: dict[str, Any]) -> None:
        """The visitor has seen their chat up to `seq` (actions/read_receipts.py). A seq this
        socket already passed on costs nothing; past the rate (5, then one a second) the frame
        is refused with rate_limited."""
        seq = read_receipts.check_read_seq(frame.get("seq"))
        if self.read_mark[0] == self.chat_id and seq <= self.read_mark[1]:
            return
        wait = self.read_limit.take(time.monotonic())
        if wait:
            raise ChatRuleError("rate_limited", "Too many read receipts; wait a moment.", retry_after=wait)
        await read_receipts.do_visitor_read(ctx=self.ctx, actor=self.visitor, seq=seq)
        self.read_mark = (self.chat_id, seq)

    async def on_invitation_shown(self, frame: dict[str, Any]) -> None:
        await invitations.do_invitation_shown(
            ctx=self.ctx, actor=self.visitor, invitation_id=frame.get("invitation_id")
        )

    async def on_invitation_dismiss(self, frame: dict[str, Any]) -> None:
        # Every tab of the visitor (this one too) hears `invitation.closed` through the bus.
        await invitations.do_dismiss_invitation(
            ctx=self.ctx, actor=self.visitor, invitation_id=frame.get("invitation_id")
        )

    async def on_page_view(self, frame: dict[str, Any]) -> None:
        """A single-page-app navigation (a full page load's view is its hello's page)."""
        visit = self.tracked()
        page, prev_visible_ms = check_page_view(frame)
        await do_page_view(ctx=self.ctx, state=visit, page=page, prev_visible_ms=prev_visible_ms)

    async def on_page_time(self, frame: dict[str, Any]) -> None:
        visit = self.tracked()
        await do_page_time(ctx=self.ctx, state=visit, visible_ms=check_visible_ms(frame.get("visible_ms")))

    def tracked(self) -> VisitState:
        """This socket's visit, within the page-frame rate; refused when it is not tracked (the
        site's mode, Do-Not-Track, or a hello without consent)."""
        if self.visit is None:
            raise ChatRuleError("forbidden", "Page views are not recorded for this page (tracking is off or declined).")
        limited(page_frames, self.visitor.visitor_id, "Too many page views; wait a moment.")
        return self.visit

    async def on_disconnect(self) -> None:
        if self.visit is not None:
            do_leave_visit(ctx=self.ctx, state=self.visit)
            self.visit = None
        if self.connected and self.actor is not None:
            self.connected = False
            await self.ctx.presence.visitor_disconnected(self.actor.visitor_id)


# Per visitor (not per socket: a second tab gets no second allowance).
satisfaction_frames = KeyedLimiter(rate=1 / 6, burst=10)
transcript_mails = KeyedLimiter(rate=1 / 600, burst=3)  # e-mail costs us reputation: a few an hour
# page.view and page.time together: a navigation every second or two, bursts of clicks allowed.
page_frames = KeyedLimiter(rate=1.0, burst=30)


def limited(limiter: KeyedLimiter, key: str, message: str) -> None:
    wait = limiter.take(key, time.monotonic())
    if wait:
        raise ChatRuleError("rate_limited", message, retry_after=wait)


async def visitor_socket(ws: WebSocket) -> None:
    await VisitorSession.serve(ws)
