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
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, insert, or_, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from frontdesk.actions.canned import scripted_refusals
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
    can_reply,
    can_send,
    check_retry_is_yours,
    preview,
)
from frontdesk.store.chat_store import MESSAGE_COLUMNS
from frontdesk.store.models import Chat, Message
from frontdesk.wire import event_frame, event_payload

log = logging.getLogger(__name__)

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
    future: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())
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
            locking = select(
                Chat.id, Chat.last_seq, Chat.status, Chat.visitor_id, Chat.assignee_id, Chat.department_id
            ).where(Chat.id.in_(chat_ids))
            locking = locking.with_for_update(key_share=True)  # SQLite: no-op; BEGIN IMMEDIATE holds the lock
            chats = {row.id: row for row in (await conn.execute(locking)).all()}
            # Agents' free text refused in scripted departments (actions/canned.py): no query
            # unless the batch holds a reply in one.
            sends = [(item.actor, chats.get(item.chat_id)) for item in batch]
            scripted = await scripted_refusals(self.ctx, conn, sends)
            pairs = list({(item.chat_id, item.client_id) for item in batch})
            stored = {
                (row.chat_id, row.client_id): row
                for row in (
                    await conn.execute(
                        # (chat = ? AND client_id = ?) OR …: one unique-index probe per send on both
                        # databases (SQLite scans the whole table for a row-value IN).
                        # PostgreSQL probes the index for a row-value IN.
                        select(*MESSAGE_COLUMNS).where(
                            or_(*(and_(Message.chat_id == c, Message.client_id == k) for c, k in pairs))
                            if self.ctx.db.is_sqlite
                            else tuple_(Message.chat_id, Message.client_id).in_(pairs)
                        )
                    )
                ).all()
            }
            next_seq = {cid: row.last_seq for cid, row in chats.items()}
            new_rows: list[dict[str, Any]] = []
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
                    _check_status(item, chat)
                    if scripted and (chat.department_id, _agent_id(item.actor)) in scripted:
                        raise ChatRuleError("scripted", SCRIPTED_MESSAGE)
                except ChatRuleError as exc:
                    results[i] = exc
                    continue
                except _Fallback:
                    results[i] = FALLBACK
                    continue
                next_seq[item.chat_id] += 1
                is_agent = isinstance(item.actor, AgentActor)
                row = {
                    "chat_id": item.chat_id,
                    "seq": next_seq[item.chat_id],
                    "kind": EventKind.MESSAGE.value,
                    "author_type": (AuthorType.AGENT if is_agent else AuthorType.VISITOR).value,
                    "agent_id": item.actor.id if is_agent else None,  # type: ignore[union-attr]
                    "author_name": item.author_name,
                    "body": item.body,
                    "client_id": item.client_id,
                    "data": {},
                    "created_at": now,
                }
                fresh[key] = i
                new_rows.append(row)
                if item.via is not None:
                    own = (
                        audience.agent_topic(item.actor.id)  # type: ignore[union-attr]
                        if is_agent
                        else audience.visitor_topic(item.actor.visitor_id)  # type: ignore[union-attr]
                    )
                    skip_sender[id(row)] = (own, audience.except_socket(own, item.via))
                results[i] = row
                last_message[item.chat_id] = (now, preview(item.body), row["author_type"])
            if new_rows:
                await conn.execute(
                    update(Chat)
                    .where(Chat.id == bindparam("b_id"))
                    .values(
                        last_seq=bindparam("b_seq"),
                        last_message_at=bindparam("b_at"),
                        last_message_text=bindparam("b_text"),
                        last_message_author=bindparam("b_author"),
                    ),
                    [
                        {"b_id": cid, "b_seq": next_seq[cid], "b_at": at, "b_text": text, "b_author": who}
                        for cid, (at, text, who) in last_message.items()
                    ],
                )
                await conn.execute(insert(Message), new_rows)
                for row in new_rows:
                    chat = chats[row["chat_id"]]
                    topics = audience.chat_event_audience(
                        internal=False,
                        visitor_id=chat.visitor_id,
                        status=chat.status,
                        assignee_id=chat.assignee_id,
                        department_id=chat.department_id,
                        chat_id=row["chat_id"],
                    )
                    sender = skip_sender.get(id(row))
                    if sender is not None:
                        topics = [sender[1] if topic == sender[0] else topic for topic in topics]
                    outbox.add(topics, event_frame(SimpleNamespace(**row)))
        # Committed and published: acknowledge.
        self.batches += 1
        self.messages += len(new_rows)
        metrics = self.ctx.metrics
        if metrics is not None:
            metrics.batch_size.observe(len(batch))
            metrics.commit_seconds.observe(time.perf_counter() - started)
            for row in new_rows:
                metrics.messages.labels(row["author_type"]).inc()
        for i, item in enumerate(batch):
            result = results[i]
            if isinstance(result, tuple) and result and result[0] == "same-batch":
                original = results[result[1]]
                result = SendResult(event=event_payload(SimpleNamespace(**original)), duplicate=True)
            elif isinstance(result, dict):
                result = SendResult(event=event_payload(SimpleNamespace(**result)), duplicate=False)
            _settle(item, result)


class _Fallback(Exception):
    pass


def _check_owner(item: PendingSend, chat: Any) -> None:
    if isinstance(item.actor, VisitorActor):
        if chat is None or chat.visitor_id != item.actor.visitor_id:
            raise _Fallback  # the one-message path finds the visitor's own chat, or opens one
        return
    if chat is None:
        raise ChatRuleError("not_found", "That chat does not exist or is not yours.")
    if chat.status == ChatStatus.ACTIVE and chat.assignee_id != item.actor.id:
        raise _Fallback  # perhaps a supervisor who joined it: the one-message path looks them up
    can_reply(chat.status, chat.assignee_id, item.actor.id)


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
