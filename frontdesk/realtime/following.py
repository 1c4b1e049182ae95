"""What a supervisor's agent socket follows beyond its own topics (docs/architecture/supervision.md).

Every stored chat event is also published to `chat:{id}`; a socket subscribes to that topic
for the chats it
- watches read-only (`watch` / `unwatch` frames, after a department-scope check),
- joined as a participant (at connect, and when a `chat.joined` / `chat.left` event of its own
  user passes by — a join from another tab or over HTTP),
- shows on the Monitor page (`monitor.start`: the socket also subscribes to `monitor:{dept}`,
  whose `chat.updated` summaries tell it which chats start and end there).

Nothing here is stored: it is per socket, and the hub drops it all when the socket closes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from frontdesk.actions import supervision
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import PARTICIPATION_KINDS, ChatRuleError, EventKind
from frontdesk.permissions import allowed
from frontdesk.realtime.session import int_field
from frontdesk.wire import (
    ack_frame,
    monitor_frame,
    monitor_stopped_frame,
    unwatched_frame,
    watching_frame,
)

if TYPE_CHECKING:
    from frontdesk.realtime.agent_socket import AgentSession

_SUMMARY = '{"type":"chat.updated"'
_GONE = (EventKind.CHAT_LEFT, EventKind.CHAT_TAKEN_OVER)  # left, or now its assignee
_PARTICIPATION = tuple(f'"kind":"{kind}"' for kind in sorted(PARTICIPATION_KINDS))


class Following:
    def __init__(self, session: AgentSession) -> None:
        self.session = session
        self.watched: set[int] = set()
        self.joined: set[int] = set()
        self.monitored: dict[int, int] = {}  # chat id -> department id, for the Monitor page
        self.departments: set[int] = set()  # monitor topics subscribed

    def handlers(self) -> dict[str, Any]:
        return {
            "watch": self.on_watch,
            "unwatch": self.on_unwatch,
            "monitor.start": self.on_monitor_start,
            "monitor.stop": self.on_monitor_stop,
            "whisper.send": self.on_whisper_send,
        }

    async def start(self) -> None:
        """After login: follow the open chats this user joined; leads inspect what passes by."""
        actor = self.session.actor
        if actor is None or not allowed(actor.role, "chat.join"):
            return  # agents never follow chats beyond their own: no cost on their sockets
        self.session.channel.inspect = self.inspect
        for chat_id in await supervision.joined_chats(ctx=self.session.ctx, actor=actor):
            self.joined.add(chat_id)
            self._sync(chat_id)

    def _sync(self, chat_id: int) -> None:
        topic = audience.chat_topic(chat_id)
        following = chat_id in self.watched or chat_id in self.joined or chat_id in self.monitored
        if following and topic not in self.session.channel.topics:
            self.session.hub.subscribe(self.session.channel, topic)
        elif not following and topic in self.session.channel.topics:
            self.session.hub.unsubscribe(self.session.channel, topic)

    # -- frames --------------------------------------------------------------------------
    async def on_watch(self, frame: dict[str, Any]) -> None:
        chat_id = int_field(frame, "chat_id", minimum=1)
        # Check, then subscribe: never a frame before the check. What was published in between
        # the client gets with the `sync` it sends after `watching` (clients render by seq).
        summary = await supervision.check_watch(ctx=self.session.ctx, actor=self.session.agent, chat_id=chat_id)
        self.watched.add(chat_id)
        self._sync(chat_id)
        self.session.send(watching_frame(frame.get("ref"), chat_id, summary))

    async def on_unwatch(self, frame: dict[str, Any]) -> None:
        chat_id = int_field(frame, "chat_id", minimum=1)
        self.watched.discard(chat_id)
        self._sync(chat_id)
        self.session.send(unwatched_frame(frame.get("ref"), chat_id))

    async def on_monitor_start(self, frame: dict[str, Any]) -> None:
        ctx, actor = self.session.ctx, self.session.agent
        wanted = frame.get("department_id")
        if wanted is not None:
            wanted = int_field(frame, "department_id", minimum=1)
        departments = await supervision.monitored_departments(ctx=ctx, actor=actor)
        if wanted is not None:
            if wanted not in departments:
                raise ChatRuleError("forbidden", "You supervise only your own departments.", field="department_id")
            departments = [wanted]
        self._stop_monitor()
        # Subscribe before reading, so a chat that starts in between is not missed.
        for department_id in departments:
            self.session.hub.subscribe(self.session.channel, audience.monitor_topic(department_id))
            self.departments.add(department_id)
        try:
            page = await supervision.monitor_chats(ctx=ctx, actor=actor, department_id=wanted)
        except Exception:
            self._stop_monitor()
            raise
        for chat in page["chats"]:
            self.monitored[chat["id"]] = chat["department"]["id"]
            self._sync(chat["id"])
        self.session.send(monitor_frame(frame.get("ref"), page))

    async def on_monitor_stop(self, frame: dict[str, Any]) -> None:
        self._stop_monitor()
        self.session.send(monitor_stopped_frame(frame.get("ref")))

    def _stop_monitor(self) -> None:
        for department_id in self.departments:
            self.session.hub.unsubscribe(self.session.channel, audience.monitor_topic(department_id))
        self.departments.clear()
        chats, self.monitored = list(self.monitored), {}
        for chat_id in chats:
            self._sync(chat_id)

    async def on_whisper_send(self, frame: dict[str, Any]) -> None:
        self.session.check_send_rate()
        chat_id = int_field(frame, "chat_id", minimum=1)
        event = await supervision.do_whisper(
            ctx=self.session.ctx,
            actor=self.session.agent,
            chat_id=chat_id,
            text=frame.get("text"),
            client_id=frame.get("client_id"),
        )
        self.session.send(ack_frame(event))  # a whisper's ack: no `duplicate`

    # -- what passes by ------------------------------------------------------------------
    def inspect(self, payload: str) -> None:
        """Called for every payload this socket is sent: cheap string tests first, parsing only
        the rare frames that change what it follows."""
        if payload.startswith(_SUMMARY):
            if self.departments:
                self._on_summary(orjson.loads(payload)["chat"])
        elif any(marker in payload for marker in _PARTICIPATION):
            self._on_participation(orjson.loads(payload))

    def _on_summary(self, chat: dict[str, Any]) -> None:
        chat_id = chat["id"]
        department_id = (chat.get("department") or {}).get("id")
        if chat.get("status") != "closed" and department_id in self.departments:
            self.monitored[chat_id] = department_id
        else:
            self.monitored.pop(chat_id, None)
        self._sync(chat_id)

    def _on_participation(self, frame: dict[str, Any]) -> None:
        if frame.get("type") != "event":
            return
        me = self.session.agent.id  # set: inspect is installed only for a logged-in lead (start)
        data = frame.get("data") or {}
        chat_id = frame["chat_id"]
        if frame.get("kind") == EventKind.CHAT_JOINED and (data.get("agent") or {}).get("id") == me:
            self.joined.add(chat_id)
        elif frame.get("kind") in _GONE and (data.get("agent") or {}).get("id") == me:
            self.joined.discard(chat_id)  # left, or now its assignee (agent topic)
        else:
            return
        self._sync(chat_id)
