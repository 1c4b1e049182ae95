"""Visitor read receipts: the widget says how far the visitor has read their open chat (`read`
frame), which raises `chats.visitor_read_seq` (never lowers it). The facts call a chat "dropped"
when the visitor left with agent messages unread (docs/metrics.md); the console marks the last
agent message the visitor has read "Seen" (the `chat.read` frame)."""

from __future__ import annotations

from frontdesk.actions.context import Context, VisitorActor, unit_of_work
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.ids import MAX_SMALL_ID
from frontdesk.store import read_receipt_store
from frontdesk.wire import chat_read_frame


def check_read_seq(value: object) -> int:
    """A whole number >= 0 (its upper bound, the chat's last seq, is checked against the chat;
    anything past a seq's INTEGER column is refused here, open chat or not)."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_SMALL_ID:
        raise ChatRuleError("bad_request", "seq: must be a whole number from 0", field="seq")
    return value


async def do_visitor_read(*, ctx: Context, actor: VisitorActor, seq: object) -> int | None:
    """The visitor has seen their open chat up to `seq` (0..the chat's last seq). Raises
    visitor_read_seq and tells the chat's agents (`chat.read`) when that is news; returns the
    chat's id then, else None (no open chat, or nothing newer than what was recorded)."""
    read = check_read_seq(seq)
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await read_receipt_store.open_chat_for_read(conn, actor.visitor_id)
        if chat is None:
            return None  # closed meanwhile: what was unread when it closed stays unread
        if read > chat.last_seq:
            raise ChatRuleError("bad_request", f"seq: must be from 0 to {chat.last_seq}", field="seq")
        if read <= chat.visitor_read_seq or not await read_receipt_store.raise_read_seq(conn, chat.id, read):
            return None
        chat_id: int = chat.id
        topics = audience.read_receipt_audience(
            chat_id=chat_id, status=chat.status, assignee_id=chat.assignee_id, department_id=chat.department_id
        )
        outbox.add(topics, chat_read_frame(chat_id, read))
    return chat_id
