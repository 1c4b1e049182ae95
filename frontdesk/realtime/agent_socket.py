"""The agent's socket (`/api/v1/agent/ws`): the console's live feed and fast path for actions."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from starlette.websockets import WebSocket

from frontdesk.actions import availability, chats, offers, reads, users
from frontdesk.actions.context import AgentActor, Context
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.realtime.following import Following
from frontdesk.realtime.hub import Hub
from frontdesk.realtime.live_visitors import VisitorsWatch
from frontdesk.realtime.session import (
    ORIGIN_REFUSED,
    UNAUTHORIZED,
    SocketSession,
    int_field,
)
from frontdesk.wire import accepted_frame, ack_frame, agent_welcome_frame, closed_frame

SESSION_COOKIE = "fd_session"


def same_origin(ws: WebSocket) -> bool:
    """Cookies ride along on cross-site socket handshakes, so the Origin must be our own."""
    origin = ws.headers.get("origin")
    if origin is None:  # not a browser: cookies are not ambient there
        return True
    return urlsplit(origin).netloc == ws.headers.get("host")


class AgentSession(SocketSession):
    kind = "agent"

    def __init__(self, ws: WebSocket, ctx: Context, hub: Hub) -> None:
        super().__init__(ws, ctx, hub)
        self.actor: AgentActor | None = None
        self.connected = False
        self.last_typing: dict[int, float] = {}
        self.handlers.update(
            {
                "message.send": self.on_message_send,
                "typing": self.on_typing,
                "sync": self.on_sync,
                "chat.accept": self.on_accept,
                "chat.close": self.on_close,
                "chat.decline": self.on_decline,
                "status.set": self.on_status,
            }
        )
        self.following = Following(self)  # supervisors: watched, joined and monitored chats
        self.handlers.update(self.following.handlers())
        self.visitors = VisitorsWatch(self)  # the live view: visitors.watch / unwatch
        self.handlers.update(self.visitors.handlers())

    @property
    def agent(self) -> AgentActor:
        """The logged-in agent: start() sets it before the first frame is handled."""
        actor = self.actor
        if actor is None:  # a frame before login: run() starts after it, so never today
            raise ChatRuleError("unauthorized", "Log in first.")
        return actor

    async def start(self) -> None:
        cookie = self.ws.cookies.get(SESSION_COOKIE)
        await self.ws.accept()
        secret: str | None
        if cookie:
            if not same_origin(self.ws):
                await self.close(ORIGIN_REFUSED, "origin not allowed")
                return
            secret, kind = cookie, "session"
        else:
            hello = await self.receive_hello()
            token = hello.get("token") if hello else None
            secret, kind = (token if isinstance(token, str) else None), "api"
        found = await users.resolve_credential(ctx=self.ctx, secret=secret, kind=kind) if secret else None
        if not secret or found is None:
            await self.close(UNAUTHORIZED, "log in again")
            return
        self.actor = found[0]
        self.channel.label = f"agent:{self.actor.id}"
        # The credential is resolved once: revoking it later is pushed to the agent's topic, which
        # closes this socket (realtime/hub.Hub.revoke). Subscribed first, then resolved once more,
        # so a revocation committed meanwhile is not missed.
        self.channel.credential = users.credential_id(secret)
        self.hub.subscribe(self.channel, audience.agent_topic(self.actor.id))
        if await users.resolve_credential(ctx=self.ctx, secret=secret, kind=kind) is None:
            self.hub.drop(self.channel)
            await self.close(UNAUTHORIZED, "log in again")
            return
        for department_id in await reads.watched_departments(ctx=self.ctx, actor=self.actor):
            self.hub.subscribe(self.channel, audience.queue_topic(department_id))
        await self.following.start()
        await self.ctx.presence.agent_connected(self.actor.id)
        self.connected = True
        status = await availability.do_agent_came_online(self.ctx, self.actor.id)
        agent = {"id": self.actor.id, "name": self.actor.name, "role": self.actor.role, "status": status}
        self.send(agent_welcome_frame(agent))
        await self.run()

    async def on_message_send(self, frame: dict[str, Any]) -> None:
        self.check_send_rate()
        chat_id = int_field(frame, "chat_id", minimum=1)
        result = await chats.do_send_agent_message(
            ctx=self.ctx,
            actor=self.agent,
            chat_id=chat_id,
            text=frame.get("text"),
            client_id=frame.get("client_id"),
            canned_id=frame.get("canned_id"),
            via=self.channel.id,
        )
        self.send(ack_frame(result.event, result.duplicate))

    async def on_typing(self, frame: dict[str, Any]) -> None:
        chat_id = int_field(frame, "chat_id", minimum=1)
        typing = bool(frame.get("typing"))
        now = time.monotonic()
        if typing and now - self.last_typing.get(chat_id, 0.0) < 1.0:
            return
        self.last_typing[chat_id] = now if typing else 0.0
        await chats.relay_typing(ctx=self.ctx, actor=self.agent, chat_id=chat_id, typing=typing)

    async def on_sync(self, frame: dict[str, Any]) -> None:
        await self.send_events_after(frame, reads.events_for_agent)

    async def on_accept(self, frame: dict[str, Any]) -> None:
        chat_id = int_field(frame, "chat_id", minimum=1)
        event = await chats.do_accept_chat(ctx=self.ctx, actor=self.agent, chat_id=chat_id)
        self.send(accepted_frame(frame.get("ref"), chat_id, event["seq"]))

    async def on_close(self, frame: dict[str, Any]) -> None:
        chat_id = int_field(frame, "chat_id", minimum=1)
        event = await chats.do_close_chat(ctx=self.ctx, actor=self.agent, chat_id=chat_id)
        self.send(closed_frame(frame.get("ref"), chat_id, event["seq"]))

    async def on_decline(self, frame: dict[str, Any]) -> None:
        chat_id = int_field(frame, "chat_id", minimum=1)
        await offers.do_decline_offer(ctx=self.ctx, actor=self.agent, chat_id=chat_id)

    async def on_status(self, frame: dict[str, Any]) -> None:
        await availability.do_set_my_status(ctx=self.ctx, actor=self.agent, status=frame.get("status"))

    async def on_disconnect(self) -> None:
        self.visitors.stop()
        if self.connected and self.actor is not None:
            self.connected = False
            if await self.ctx.presence.agent_disconnected(self.actor.id):
                # Nobody can accept from a closed tab: offers go to the next agent at once.
                await offers.do_withdraw_offers(self.ctx, self.actor.id)


async def agent_socket(ws: WebSocket) -> None:
    await AgentSession.serve(ws)
