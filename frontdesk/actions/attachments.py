"""Files in chats: checked (sniffed, limited), stored with their message, served only to those
who may read the chat. See docs/architecture/attachments.md.

A file and its message are stored together or not at all: the upload waits at a temporary path;
inside the transaction that stores the message, the file is moved to its permanent place, and
if anything fails (a rule, the database, the disk) the file is deleted and nothing is published.
"""

from __future__ import annotations

import contextlib
import logging
import secrets
import zipfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.access import readable_chat, writable_chat
from frontdesk.actions.chat_events import append_events
from frontdesk.actions.context import AgentActor, Context, Outbox, SendResult, VisitorActor, unit_of_work
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import (
    AuthorType,
    ChatRuleError,
    EventKind,
    can_send,
    check_client_id,
    check_retry_is_yours,
    preview,
)
from frontdesk.domain.events import ChatEvent, EventDraft, agent_draft
from frontdesk.domain.file_types import (
    HEAD_BYTES,
    IMAGE_KINDS,
    INLINE_MAX_PIXELS,
    KINDS,
    human_size,
    safe_name,
    shown_inline,
    sniff,
    text_kind,
)
from frontdesk.permissions import require
from frontdesk.store import attachment_store, chat_store
from frontdesk.store.files import FileStorage, new_file_id, storage_for, valid_file_id
from frontdesk.wire import event_payload

log = logging.getLogger(__name__)

NO_FILE = "No such file in this chat."

# A send's work inside its transaction: the new ChatEvent, or the stored row of a send retried
# with the same client_id (then nothing new is stored).
Writer = Callable[[AsyncConnection, Outbox, str], Awaitable[ChatEvent | Any]]


@dataclass
class Upload:
    """A received file, still at its temporary path (api/uploads.py receives it; the action that
    stores it keeps it or, whatever happens, removes the temporary file)."""

    path: Path
    filename: str  # as the client sent it; never trusted, never used as a path
    size: int
    fields: dict[str, str] = field(default_factory=dict)

    def discard(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def too_large(limit: int) -> ChatRuleError:
    return ChatRuleError("too_large", f"file: larger than the {human_size(limit)} limit", field="file")


@dataclass(frozen=True, slots=True)
class CheckedFile:
    kind: str
    name: str
    size: int
    width: int | None
    height: int | None
    inline: bool = False  # an image small enough to show (domain/file_types.shown_inline)

    @property
    def content_type(self) -> str:
        return KINDS[self.kind].content_type

    @property
    def image(self) -> bool:
        """Shown as an image: false for an image over the pixel limit (then a file to download)."""
        return self.inline

    def describe(self, file_id: str) -> dict[str, Any]:
        """`data.attachment` of the message that carries it."""
        out: dict[str, Any] = {
            "id": file_id,
            "name": self.name,
            "size": self.size,
            "type": self.content_type.split(";")[0],
            "image": self.image,
        }
        if self.kind in IMAGE_KINDS:
            out["width"], out["height"] = self.width, self.height
        return out


@dataclass(frozen=True, slots=True)
class StoredFile:
    """What a download needs: where the bytes are, and how to label them."""

    id: str
    name: str
    content_type: str
    size: int
    storage: FileStorage
    inline: bool = True  # False: an image too large to show, served as a download

    @property
    def image(self) -> bool:
        return self.inline and self.content_type in {KINDS[k].content_type for k in IMAGE_KINDS}

    def chunks(self) -> AsyncIterator[bytes]:
        return self.storage.chunks(self.id)


def storage(ctx: Context) -> FileStorage:
    return storage_for(ctx.settings)


def incoming_path(ctx: Context) -> Path:
    return storage(ctx).incoming()


# ---- checking ---------------------------------------------------------------------------------
def _read_head(path: Path) -> tuple[bytes, list[str] | None]:
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    names = None
    if head[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = None
    return head, names


async def check_file(
    upload: Upload,
    *,
    allowed_kinds: list[str] | frozenset[str],
    max_bytes: int,
    max_pixels: int = INLINE_MAX_PIXELS,
) -> CheckedFile:
    """What the upload really is, judged from its bytes, or a ChatRuleError naming the reason.
    An image's width and height come from its header (domain/file_types.sniff); one of more than
    `max_pixels` is kept as a file, not shown inline."""
    if upload.size == 0:
        raise ChatRuleError("bad_request", "file: is empty", field="file")
    if upload.size > max_bytes:
        raise too_large(max_bytes)
    head, zip_names = await anyio.to_thread.run_sync(_read_head, upload.path)
    sniffed = text_kind(sniff(head, zip_names=zip_names), upload.filename)
    if sniffed.kind is None or sniffed.kind not in allowed_kinds:
        accepted = ", ".join(v.short for k, v in KINDS.items() if k in allowed_kinds)
        raise ChatRuleError(
            "bad_request",
            f"file: this is {sniffed.label}, which is not accepted here (accepted: {accepted})",
            field="file",
        )
    name = safe_name(upload.filename, sniffed.kind)
    inline = shown_inline(sniffed.kind, sniffed.width, sniffed.height, max_pixels)
    return CheckedFile(sniffed.kind, name, upload.size, sniffed.width, sniffed.height, inline)


def _client_id(upload: Upload) -> str:
    value = upload.fields.get("client_id")
    return secrets.token_hex(16) if value is None else check_client_id(value)


# ---- sending ----------------------------------------------------------------------------------
async def do_send_visitor_file(*, ctx: Context, actor: VisitorActor, upload: Upload) -> SendResult:
    """A visitor's file, in their open chat (queued or active)."""
    try:
        cid = _client_id(upload)
        checked = await check_file(
            upload,
            allowed_kinds=ctx.settings.attachment_types,
            max_bytes=ctx.settings.attachment_max_bytes,
            max_pixels=ctx.settings.image_max_pixels,
        )

        async def write(conn: AsyncConnection, outbox: Outbox, file_id: str) -> ChatEvent | Any:
            existing = await chat_store.visitor_event_by_client_id(conn, actor.visitor_id, cid)
            if existing is not None:
                return existing
            chat = await chat_store.open_chat_of_visitor(conn, actor.visitor_id)
            if chat is None:
                raise ChatRuleError("conflict", "Start the chat with a message before sending a file.")
            can_send(chat.status, AuthorType.VISITOR)
            draft = EventDraft(
                EventKind.MESSAGE,
                AuthorType.VISITOR,
                None,
                chat.visitor_name,
                body=checked.name,  # what transcripts, previews and older clients show
                client_id=cid,
                data={"attachment": checked.describe(file_id)},
            )
            return await _store(conn, outbox, chat.id, checked, draft, actor, visitor_id=actor.visitor_id)

        return await _send(ctx, upload, write)
    finally:
        upload.discard()


async def do_send_agent_file(*, ctx: Context, actor: AgentActor, chat_id: int, upload: Upload) -> SendResult:
    """An agent's file, in a chat they hold or joined as a supervisor: the rules of replying
    (actions/access.writable_chat)."""
    try:
        require(actor.role, "chat.reply")
        cid = _client_id(upload)
        checked = await check_file(
            upload,
            allowed_kinds=ctx.settings.attachment_types,
            max_bytes=ctx.settings.attachment_max_bytes,
            max_pixels=ctx.settings.image_max_pixels,
        )

        async def write(conn: AsyncConnection, outbox: Outbox, file_id: str) -> ChatEvent | Any:
            chat = await writable_chat(conn, actor, chat_id)
            existing = await chat_store.event_by_client_id(conn, chat_id, cid)
            if existing is not None:
                check_retry_is_yours(existing.author_type, existing.agent_id, agent_id=actor.id)
                return existing
            can_send(chat.status, AuthorType.AGENT)
            draft = agent_draft(
                EventKind.MESSAGE,
                actor.id,
                actor.name,
                body=checked.name,  # what transcripts, previews and older clients show
                client_id=cid,
                data={"attachment": checked.describe(file_id)},
            )
            return await _store(conn, outbox, chat.id, checked, draft, actor)

        return await _send(ctx, upload, write)
    finally:
        upload.discard()


def _last_message(checked: CheckedFile, author: str) -> dict[str, Any]:
    text = preview(f"📎 {checked.name}")
    return {"last_message_at": utcnow(), "last_message_text": text, "last_message_author": author}


async def _store(
    conn: AsyncConnection,
    outbox: Outbox,
    chat_id: int,
    checked: CheckedFile,
    draft: EventDraft,
    actor: AgentActor | VisitorActor,
    *,
    visitor_id: str | None = None,
) -> ChatEvent:
    """The file's message (through the one append path) and its attachment row."""
    now = utcnow()
    (event,) = await append_events(
        conn,
        outbox,
        chat_id,
        [draft],
        now=now,
        chat_values=_last_message(checked, draft.author_type),
        visitor_id=visitor_id,
    )
    await attachment_store.insert_attachment(
        conn,
        file_id=draft.data["attachment"]["id"],
        kind="chat",
        chat_id=chat_id,
        seq=event.seq,
        user_id=actor.id if isinstance(actor, AgentActor) else None,
        visitor_id=actor.visitor_id if isinstance(actor, VisitorActor) else None,
        name=checked.name,
        content_type=checked.content_type,
        size=checked.size,
        width=checked.width,
        height=checked.height,
        now=now,
    )
    return event


async def _send(ctx: Context, upload: Upload, write: Writer) -> SendResult:
    """Run `write` in one transaction; the file is kept under its id just before the commit,
    and deleted again when the commit does not happen."""
    files = storage(ctx)
    file_id = new_file_id()
    kept = False
    try:
        async with unit_of_work(ctx) as (conn, outbox):
            result = await write(conn, outbox, file_id)
            if not isinstance(result, ChatEvent):  # a retry: the original, and this copy is dropped
                return SendResult(event=event_payload(result), duplicate=True)
            await keep(files, upload, file_id)
            kept = True
    except BaseException:
        if kept:
            await files.delete(file_id)
        raise
    if ctx.metrics is not None:
        ctx.metrics.messages.labels(result.author_type).inc()
    return SendResult(event=event_payload(result), duplicate=False)


async def keep(files: FileStorage, upload: Upload, file_id: str) -> None:
    """Move the upload to its permanent place; a disk failure is the server's, not the database's."""
    try:
        await files.keep(upload.path, file_id)
    except OSError as exc:
        log.error("attachments: could not store file %s: %s", file_id, exc)
        raise ChatRuleError("unavailable", "The file could not be stored right now; please retry.") from exc


# ---- reading ----------------------------------------------------------------------------------
async def file_for_agent(*, ctx: Context, actor: AgentActor, chat_id: int, file_id: str) -> StoredFile:
    """A chat's file for an agent who may read the chat (actions/access.py: managers and admins
    every chat's; supervisors and agents their departments' chats and the chats they handled).
    A chat out of reach is not found, like one that does not exist."""
    async with ctx.db.read() as conn:
        await readable_chat(conn, actor, chat_id)
        row = await attachment_store.chat_attachment(conn, file_id) if valid_file_id(file_id) else None
        if row is None or row.chat_id != chat_id:
            raise ChatRuleError("not_found", NO_FILE)
    return _stored(ctx, row)


async def file_for_visitor(*, ctx: Context, actor: VisitorActor, file_id: str) -> StoredFile:
    """A file of one of the visitor's own chats; anything else is simply not found."""
    async with ctx.db.read() as conn:
        row = await attachment_store.chat_attachment(conn, file_id) if valid_file_id(file_id) else None
    if row is None or row.visitor_id != actor.visitor_id:
        raise ChatRuleError("not_found", NO_FILE)
    return _stored(ctx, row)


def _stored(ctx: Context, row: Any) -> StoredFile:
    files = storage(ctx)
    if not files.exists(row.id):
        raise ChatRuleError("not_found", "The file is no longer available.")
    inline = shown_inline(_kind_of(row.content_type), row.width, row.height, ctx.settings.image_max_pixels)
    return StoredFile(row.id, row.name, row.content_type, row.size, files, inline)


def _kind_of(content_type: str) -> str | None:
    return next((k for k, v in KINDS.items() if v.content_type == content_type), None)


async def delete_files(ctx: Context, file_ids: list[str]) -> None:
    """After a commit that removed chats (retention, a visitor's deletion request) or their
    attachment rows (`attachment_store.delete_chat_attachments`): their bytes go too."""
    files = storage(ctx)
    for file_id in file_ids:
        await files.delete(file_id)


def limits(ctx: Context) -> dict[str, Any]:
    """What the widget and console check before uploading (the server checks again)."""
    return {"max_bytes": ctx.settings.attachment_max_bytes, "types": list(ctx.settings.attachment_types)}
