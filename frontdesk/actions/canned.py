"""Canned responses: managing them, listing the ones an agent may use, sending one, and the
scripted-mode check of free-text replies (docs/architecture/canned.md)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.access import NOT_FOUND as CHAT_NOT_FOUND
from frontdesk.actions.access import writable_chat
from frontdesk.actions.chat_events import append_agent_message
from frontdesk.actions.context import AgentActor, Context, SendResult, is_unique_violation, unit_of_work
from frontdesk.clock import iso, utcnow
from frontdesk.domain.canned import (
    ALWAYS_SET,
    VARIABLES,
    Scope,
    check_body,
    check_fallbacks,
    check_free_text_allowed,
    check_shortcut,
    check_title,
    render,
    variables_in,
)
from frontdesk.domain.chat_rules import (
    AuthorType,
    ChatRuleError,
    can_send,
    check_client_id,
    check_message_text,
    check_retry_is_yours,
)
from frontdesk.domain.ids import is_id
from frontdesk.permissions import allowed, require
from frontdesk.store import canned_store, chat_store, department_store
from frontdesk.wire import event_payload

FIELDS = ("title", "shortcut", "body", "fallbacks", "scope", "department_id")
NOT_FOUND = "No such canned response."


# ---- validation ---------------------------------------------------------------------------


def check_canned(data: object, *, partial: bool = False) -> dict[str, Any]:
    """Validated values of a canned response; every error names its field."""
    if not isinstance(data, dict):
        raise ChatRuleError("bad_request", "body of the request: must be an object")
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        raise ChatRuleError("bad_request", f"{unknown[0]}: unknown field", field=unknown[0])
    if not partial:
        for required in ("title", "shortcut", "body"):
            if required not in data:
                raise ChatRuleError("bad_request", f"{required}: is required", field=required)
    out: dict[str, Any] = {}
    if "title" in data:
        out["title"] = check_title(data["title"])
    if "shortcut" in data:
        out["shortcut"] = check_shortcut(data["shortcut"])
    if "body" in data:
        out["body"] = check_body(data["body"])
    if "fallbacks" in data:
        out["fallbacks"] = check_fallbacks(data["fallbacks"])
    if "scope" in data:
        if data["scope"] not in tuple(Scope):
            raise ChatRuleError("bad_request", "scope: must be global, department or personal", field="scope")
        out["scope"] = Scope(data["scope"])
    if "department_id" in data:
        value = data["department_id"]
        if value is not None and not is_id(value, field="department_id"):
            raise ChatRuleError("bad_request", "department_id: must be a department's id", field="department_id")
        out["department_id"] = value
    return out


def check_canned_id(value: object) -> int | None:
    if value is None:
        return None
    if not is_id(value, field="canned_id"):
        raise ChatRuleError("bad_request", "canned_id: must be a canned response's id", field="canned_id")
    return value


def _scope_key(scope: str, department_id: int | None, owner_id: int | None) -> str:
    if scope == Scope.DEPARTMENT:
        return f"department:{department_id}"
    if scope == Scope.PERSONAL:
        return f"personal:{owner_id}"
    return "global"


def _may_manage(actor: AgentActor, scope: str, owner_id: int | None) -> bool:
    if scope == Scope.PERSONAL:
        return owner_id == actor.id
    return allowed(actor.role, "canned.manage")


def _visible(actor: AgentActor, row: Any) -> bool:
    """Someone else's personal responses do not exist as far as you can tell."""
    return bool(row.scope != Scope.PERSONAL or row.owner_id == actor.id)


def usable_in_chat(row: Any, *, actor: AgentActor, department_id: int) -> bool:
    """Global ones, the chat's department's, and your own."""
    if row.scope == Scope.GLOBAL:
        return True
    if row.scope == Scope.DEPARTMENT:
        return bool(row.department_id == department_id)
    return bool(row.owner_id == actor.id)


# ---- payloads ----------------------------------------------------------------------------


def canned_payload(row: Any, *, actor: AgentActor, rendered: str | None = None) -> dict[str, Any]:
    out = {
        "id": row.id,
        "scope": row.scope,
        "department": None if row.department_id is None else {"id": row.department_id, "name": row.department_name},
        "shortcut": row.shortcut,
        "title": row.title,
        "body": row.body,
        "fallbacks": row.fallbacks or {},
        "variables": variables_in(row.body),
        "use_count": row.use_count,
        "last_used_at": iso(row.last_used_at),
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "editable": _may_manage(actor, row.scope, row.owner_id),
    }
    if rendered is not None:
        out["preview"] = rendered
    return out


def variable_list() -> list[dict[str, str | bool]]:
    return [{"name": name, "description": text, "fallback": name not in ALWAYS_SET} for name, text in VARIABLES.items()]


def chat_variable_values(info: Any, actor: AgentActor) -> dict[str, str | None]:
    return {
        "visitor.name": info.visitor_name,
        "visitor.email": info.visitor_email,
        "agent.name": actor.name,
        "department.name": info.department_name,
    }


# ---- reads -------------------------------------------------------------------------------


async def list_canned(*, ctx: Context, actor: AgentActor, chat_id: int | None = None) -> dict[str, Any]:
    """The responses you may use: global, your departments' (every department's for those who
    manage shared ones) and your own. With `chat_id`: those usable in that chat, each with its
    `preview` rendered for it (what inserting it puts in the composer)."""
    require(actor.role, "canned.use")
    async with ctx.db.read() as conn:
        if chat_id is not None:
            info = await canned_store.chat_values(conn, chat_id)
            if info is None:
                raise ChatRuleError("not_found", CHAT_NOT_FOUND)
            rows = await canned_store.list_canned(conn, owner_id=actor.id, department_ids=[info.department_id])
        else:
            info = None
            departments = (
                None
                if allowed(actor.role, "canned.manage")
                else await department_store.departments_of_user(conn, actor.id)
            )
            rows = await canned_store.list_canned(conn, owner_id=actor.id, department_ids=departments)
    if info is None:
        items = [canned_payload(row, actor=actor) for row in rows]
    else:
        values = chat_variable_values(info, actor)
        items = [
            canned_payload(row, actor=actor, rendered=render(row.body, values, row.fallbacks or {})) for row in rows
        ]
    return {"canned": items, "variables": variable_list()}


# ---- writes ------------------------------------------------------------------------------


async def _placement(conn: AsyncConnection, actor: AgentActor, scope: str, department_id: int | None) -> dict[str, Any]:
    """Where a response lives (scope, department, owner), checked against who saves it."""
    if scope == Scope.DEPARTMENT:
        if department_id is None:
            raise ChatRuleError(
                "bad_request", "department_id: is required for a department's response", field="department_id"
            )
        if not await canned_store.department_exists(conn, department_id):
            raise ChatRuleError("bad_request", f"department_id: no department {department_id}", field="department_id")
    elif department_id is not None:
        raise ChatRuleError(
            "bad_request", f"department_id: only for scope department, not {scope}", field="department_id"
        )
    owner_id = actor.id if scope == Scope.PERSONAL else None
    if not _may_manage(actor, scope, owner_id):
        raise ChatRuleError(
            "forbidden", "scope: only admins and supervisors manage shared responses; make it personal", field="scope"
        )
    return {
        "scope": str(scope),
        "department_id": department_id,
        "owner_id": owner_id,
        "scope_key": _scope_key(scope, department_id, owner_id),
    }


def _duplicate(shortcut: str) -> ChatRuleError:
    return ChatRuleError("conflict", f"shortcut: #{shortcut} exists already in this scope", field="shortcut")


async def do_create_canned(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    require(actor.role, "canned.use")
    values = check_canned(data)
    scope = values.pop("scope", Scope.PERSONAL)
    department_id = values.pop("department_id", None)
    now = utcnow()
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            place = await _placement(conn, actor, scope, department_id)
            values.setdefault("fallbacks", {})
            canned_id = await canned_store.insert_canned(
                conn, {**values, **place, "created_by": actor.id, "created_at": now, "updated_at": now}
            )
            row = await canned_store.canned(conn, canned_id)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise _duplicate(values["shortcut"]) from None
    return canned_payload(row, actor=actor)


async def do_update_canned(*, ctx: Context, actor: AgentActor, canned_id: int, data: object) -> dict[str, Any]:
    require(actor.role, "canned.use")
    values = check_canned(data, partial=True)
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            row = await canned_store.canned(conn, canned_id)
            if row is None or not _visible(actor, row):
                raise ChatRuleError("not_found", NOT_FOUND)
            if not _may_manage(actor, row.scope, row.owner_id):
                raise ChatRuleError("forbidden", "Only admins and supervisors change shared responses.")
            scope = values.pop("scope", row.scope)
            department_id = values.pop("department_id", row.department_id if scope == Scope.DEPARTMENT else None)
            if scope != row.scope or department_id != row.department_id:
                values.update(await _placement(conn, actor, scope, department_id))
            if values:
                await canned_store.update_canned(conn, canned_id, {**values, "updated_at": utcnow()})
            row = await canned_store.canned(conn, canned_id)
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        shortcut = values.get("shortcut") or (row.shortcut if row is not None else "")
        raise _duplicate(shortcut) from None
    return canned_payload(row, actor=actor)


async def do_delete_canned(*, ctx: Context, actor: AgentActor, canned_id: int) -> None:
    require(actor.role, "canned.use")
    async with unit_of_work(ctx) as (conn, _outbox):
        row = await canned_store.canned(conn, canned_id)
        if row is None or not _visible(actor, row):
            raise ChatRuleError("not_found", NOT_FOUND)
        if not _may_manage(actor, row.scope, row.owner_id):
            raise ChatRuleError("forbidden", "Only admins and supervisors delete shared responses.")
        await canned_store.delete_canned(conn, canned_id)


# ---- sending -----------------------------------------------------------------------------


async def do_send_canned_response(
    *, ctx: Context, actor: AgentActor, chat_id: int, canned_id: int, client_id: object
) -> SendResult:
    """Store a canned response as the agent's message in a chat they hold or joined as a
    supervisor (actions/access.writable_chat): the body is
    rendered here, from the stored response and the chat (never from client text), stored with
    `data.canned_id`, and the response's use is counted — all in one transaction.

    Canned sends are a small share of messages and need the chat's visitor and department, so
    they take this one-transaction path rather than the group-commit writer."""
    require(actor.role, "chat.reply")
    cid = check_client_id(client_id)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        chat = await writable_chat(conn, actor, chat_id)
        existing = await chat_store.event_by_client_id(conn, chat_id, cid)
        if existing is not None:  # a retry: the original, even if the chat has closed since
            check_retry_is_yours(existing.author_type, existing.agent_id, agent_id=actor.id)
            return SendResult(event=event_payload(existing), duplicate=True)
        can_send(chat.status, AuthorType.AGENT)
        response = await canned_store.canned(conn, canned_id)
        if response is None or not usable_in_chat(response, actor=actor, department_id=chat.department_id):
            raise ChatRuleError(
                "not_found", "canned_id: no such canned response for this chat's department", field="canned_id"
            )
        info = await canned_store.chat_values(conn, chat_id)
        text = render(response.body, chat_variable_values(info, actor), response.fallbacks or {})
        if not text:
            raise ChatRuleError(
                "bad_request",
                "canned_id: this response is empty for this chat (no variable has a value)",
                field="canned_id",
            )
        body = check_message_text(text, max_chars=ctx.settings.max_message_chars)
        event = await append_agent_message(
            conn, outbox, chat_id, actor, client_id=cid, body=body, now=now, data={"canned_id": response.id}
        )
        await canned_store.count_use(conn, response.id, now)
    if ctx.metrics is not None:
        ctx.metrics.messages.labels(AuthorType.AGENT.value).inc()
    return SendResult(event=event_payload(event), duplicate=False)


# ---- scripted mode -----------------------------------------------------------------------
#
# The message hot path must not pay a query per send for departments that are not scripted,
# so each process keeps the set of scripted department ids, per database: read at most every
# SCRIPTED_TTL seconds (inside the writer's transaction), and forgotten at once when this
# process changes a department. Another node's change applies here within SCRIPTED_TTL.

SCRIPTED_TTL = 5.0
_scripted: WeakKeyDictionary[Any, tuple[float, int, frozenset[int]]] = WeakKeyDictionary()
_generation: WeakKeyDictionary[Any, int] = WeakKeyDictionary()


def forget_scripted(ctx: Context) -> None:
    """A department changed: the next send reads the scripted departments again."""
    _generation[ctx.db] = _generation.get(ctx.db, 0) + 1
    _scripted.pop(ctx.db, None)


async def scripted_departments(ctx: Context, conn: AsyncConnection) -> frozenset[int]:
    now = time.monotonic()
    generation = _generation.get(ctx.db, 0)
    hit = _scripted.get(ctx.db)
    if hit is not None and hit[1] == generation and now - hit[0] < SCRIPTED_TTL:
        return hit[2]
    ids = await canned_store.scripted_department_ids(conn)
    if _generation.get(ctx.db, 0) == generation:  # not forgotten while we read
        _scripted[ctx.db] = (now, generation, ids)
    return ids


async def check_free_text_reply(ctx: Context, conn: AsyncConnection, actor: AgentActor, department_id: int) -> None:
    """The one-message path's scripted check: may this agent send free text in this department?"""
    if allowed(actor.role, "chat.reply_unscripted"):
        return
    if department_id not in await scripted_departments(ctx, conn):
        return
    levels = await canned_store.scripted_levels(conn, [(department_id, actor.id)])
    check_free_text_allowed(scripted=True, exempt=False, level=levels.get((department_id, actor.id)))


async def scripted_refusals(
    ctx: Context, conn: AsyncConnection, sends: Iterable[tuple[Any, Any]]
) -> set[tuple[int, int]]:
    """The group commit's scripted check, for a batch of (actor, locked chat row): the
    (department id, agent id) pairs whose free text is refused.

    No query unless the batch holds an agent's reply in a scripted department (then one reads
    those agents' member levels) or the cached set of scripted departments is due a refresh."""
    agents = [(actor, chat) for actor, chat in sends if chat is not None and isinstance(actor, AgentActor)]
    if not agents:
        return set()
    scripted = await scripted_departments(ctx, conn)
    if not scripted:
        return set()
    candidates = {
        (chat.department_id, actor.id)
        for actor, chat in agents
        if chat.department_id in scripted and not allowed(actor.role, "chat.reply_unscripted")
    }
    if not candidates:
        return set()
    levels = await canned_store.scripted_levels(conn, candidates)
    refused = set()
    for pair in candidates:
        try:
            check_free_text_allowed(scripted=True, exempt=False, level=levels.get(pair))
        except ChatRuleError:
            refused.add(pair)
    return refused
