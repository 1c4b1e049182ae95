"""Group commit for the message hot path.

Sends that arrive while a commit is running are stored together by the next one: one
transaction and four statements per batch (lock the chats, find retried client ids, advance
the seqs, insert the messages) instead of per message. Each sender is acknowledged only after
the batch has committed. Anything unusual (a chat that must be opened, a lost race with another
node) falls back to the one-message path in actions.chats, which handles every case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError

from frontdesk.actions.access import check_reply, not_found
from frontdesk.actions.canned import scripted_refusals
from frontdesk.actions.chat_events import event_topics
from frontdesk.actions.context import (
    AgentActor,
    Context,
    SendResult,
    VisitorActor,
    database_unavailable,
    unavailable_error,
    unit_of_work,
)
from frontdesk.clock import utcnow
from frontdesk.domain import audience
from frontdesk.domain.canned import SCRIPTED_MESSAGE
from frontdesk.domain.chat_rules import (
    AuthorType,
    ChatRuleError,
    ChatStatus,
    EventKind,
    can_send,
    check_retry_is_yours,
    preview,
)
from frontdesk.domain.events import ChatEvent, chat_event
from frontdesk.store import chat_store
from frontdesk.wire import EventPayload, event_payload, event_payload_frame

log = logging.getLogger(__name__)

MESSAGE, AGENT, VISITOR = EventKind.MESSAGE.value, AuthorType.AGENT.value, AuthorType.VISITOR.value

MAX_BATCH = 512
FALLBACK = object()  # "use the one-message path"
RESTARTING = ChatRuleError("unavailable", "The server is restarting; please retry.")


@dataclass(slots=True)
class PendingSend:
    actor: AgentActor | VisitorActor
    chat_id: int
    body: str
    client_id: str
    author_name: str | None
    future: asyncio.Future[Any] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    via: str | None = None  # the sending socket's id: its ack carries the event, so no event frame


class GroupCommitWriter:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.queue: asyncio.Queue[PendingSend] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.messages = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        while not self.queue.empty():
            item = self.queue.get_nowait()
            if not item.future.done():
                item.future.set_exception(ChatRuleError("unavailable", "The server is restarting; please retry."))

    async def submit(self, item: PendingSend) -> Any:
        """The SendResult, FALLBACK, or raises the ChatRuleError for this send."""
        if self._task is None or self._task.done():
            return FALLBACK
        self.queue.put_nowait(item)
        return await item.future

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            try:
                await self._commit(batch)
            except ChatRuleError as exc:  # e.g. database busy: every sender may retry
                _settle_all(batch, exc)
            except IntegrityError:
                # A retried client id raced in on another node: let each send sort itself out.
                _settle_all(batch, FALLBACK)
            except asyncio.CancelledError:
                _settle_all(batch, RESTARTING)
                raise
            except Exception as exc:
                if database_unavailable(exc):  # one line, and every sender may retry
                    log.warning("group commit: database unavailable (%s)", type(exc).__name__)
                    _settle_all(batch, unavailable_error(exc))
                    continue
                log.exception("group commit failed; falling back to single commits")
                _settle_all(batch, FALLBACK)

    async def _commit(self, batch: list[PendingSend]) -> None:
        started = time.perf_counter()
        chat_ids = sorted({item.chat_id for item in batch})
        results: list[Any] = [None] * len(batch)
        async with unit_of_work(self.ctx) as (conn, outbox):
            chats = await chat_store.lock_chats(conn, chat_ids)
            # Agents' free text refused in scripted departments (actions/canned.py): no query
            # unless the batch holds a reply in one.
            sends = [(item.actor, chats.get(item.chat_id)) for item in batch]
            scripted = await scripted_refusals(self.ctx, conn, sends)
            pairs = list({(item.chat_id, item.client_id) for item in batch})
            stored = await chat_store.events_by_client_ids(conn, pairs)
            next_seq = {cid: row.last_seq for cid, row in chats.items()}
            new_rows: list[ChatEvent] = []
            payloads: dict[int, EventPayload] = {}  # id(row) -> its event payload
            skip_sender: dict[int, tuple[str, str]] = {}
            fresh: dict[tuple[int, str], int] = {}  # (chat, client id) -> index into batch
            last_message: dict[int, tuple[Any, str, str]] = {}
            now = utcnow()
            for i, item in enumerate(batch):
                key = (item.chat_id, item.client_id)
                chat = chats.get(item.chat_id)
                try:
                    _check_owner(item, chat)  # first: a retry is answered only to whoever may see it
                    if key in stored:
                        row = stored[key]
                        check_retry_is_yours(row.author_type, row.agent_id, agent_id=_agent_id(item.actor))
                        results[i] = SendResult(event=event_payload(stored[key]), duplicate=True)
                        continue
                    if key in fresh:
                        results[i] = ("same-batch", fresh[key])
                        continue
                    assert chat is not None  # _check_owner refused a missing chat
                    _check_status(item, chat)
                    agent_id = _agent_id(item.actor)
                    if scripted and agent_id is not None and (chat.department_id, agent_id) in scripted:
                        raise ChatRuleError("scripted", SCRIPTED_MESSAGE)
                except ChatRuleError as exc:
                    results[i] = exc
                    continue
                except _Fallback:
                    results[i] = FALLBACK
                    continue
                next_seq[item.chat_id] += 1
                row = chat_event(  # positional: chat, seq, kind, time, author type, agent, name, body, client id
                    item.chat_id,
                    next_seq[item.chat_id],
                    MESSAGE,
                    now,
                    AGENT if agent_id is not None else VISITOR,
                    agent_id,  # _agent_id above: the agent's id, None for a visitor
                    item.author_name,
                    item.body,
                    item.client_id,
                )
                fresh[key] = i
                new_rows.append(row)
                if item.via is not None:
                    actor = item.actor
                    own = (
                        audience.agent_topic(actor.id)
                        if isinstance(actor, AgentActor)
                        else audience.visitor_topic(actor.visitor_id)
                    )
                    skip_sender[id(row)] = (own, audience.except_socket(own, item.via))
                results[i] = row
                last_message[item.chat_id] = (now, preview(item.body), row.author_type)
            if new_rows:
                await chat_store.set_last_seqs(
                    conn, [(cid, next_seq[cid], at, text, who) for cid, (at, text, who) in last_message.items()]
                )
                await chat_store.insert_events(conn, new_rows)
                for row in new_rows:
                    topics = event_topics(row, chats[row.chat_id])  # actions/chat_events: the one audience rule
                    sender = skip_sender.get(id(row))
                    if sender is not None:
                        topics = [sender[1] if topic == sender[0] else topic for topic in topics]
                    # Serialised once: the frame (dumped now) and the sender's ack share the payload.
                    payload = payloads[id(row)] = event_payload(row)
                    outbox.add(topics, event_payload_frame(payload))
        # Committed and published: acknowledge.
        self.batches += 1
        self.messages += len(new_rows)
        metrics = self.ctx.metrics
        if metrics is not None:
            metrics.batch_size.observe(len(batch))
            metrics.commit_seconds.observe(time.perf_counter() - started)
            for row in new_rows:
                metrics.messages.labels(row.author_type).inc()
        for i, item in enumerate(batch):
            result = results[i]
            if isinstance(result, ChatEvent):  # (a tuple too: test it first)
                result = SendResult(event=payloads[id(result)], duplicate=False)
            elif isinstance(result, tuple) and result and result[0] == "same-batch":
                original = results[result[1]]
                result = SendResult(event=payloads[id(original)], duplicate=True)
            _settle(item, result)


class _Fallback(Exception):
    pass


def _check_owner(item: PendingSend, chat: Any) -> None:
    if isinstance(item.actor, VisitorActor):
        if chat is None or chat.visitor_id != item.actor.visitor_id:
            raise _Fallback  # the one-message path finds the visitor's own chat, or opens one
        return
    if chat is None:
        raise not_found()
    if chat.status == ChatStatus.ACTIVE and chat.assignee_id != item.actor.id:
        raise _Fallback  # perhaps a supervisor who joined it: the one-message path looks them up
    check_reply(chat, item.actor, participant=False)  # actions/access: the reply rule


def _check_status(item: PendingSend, chat: Any) -> None:
    if isinstance(item.actor, VisitorActor):
        if chat.status == ChatStatus.CLOSED:
            raise _Fallback  # the next message opens a new chat
        return
    can_send(chat.status, AuthorType.AGENT)


def _agent_id(actor: AgentActor | VisitorActor) -> int | None:
    return actor.id if isinstance(actor, AgentActor) else None


def _settle(item: PendingSend, result: Any) -> None:
    if item.future.done():
        return
    if isinstance(result, BaseException):
        item.future.set_exception(result)
    else:
        item.future.set_result(result)


def _settle_all(batch: list[PendingSend], result: Any) -> None:
    for item in batch:
        _settle(item, result)
