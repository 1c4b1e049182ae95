"""Users (agents, supervisors, admins), console sessions and API tokens.

Credentials (console sessions and API tokens, both rows of `auth_sessions`) are resolved on
every request (`resolve_credential`) and once when a socket opens. Ending one (logout, a new
password, deactivation, revoking or expiry of a token) deletes its row and publishes a
revocation to the user's `agent:{id}` topic, on which every node closes the sockets opened with
it (realtime/hub.Hub.revoke; docs/architecture/security.md, "Revocation")."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError

from frontdesk.actions import availability
from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, Outbox, unit_of_work
from frontdesk.clock import as_utc, iso, utcnow
from frontdesk.domain import audience
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.ids import is_id
from frontdesk.domain.text import check_no_nul, clean_line, parse_email_address, strip_controls
from frontdesk.permissions import ROLES, allowed, require
from frontdesk.security.passwords import hash_password, verify_password
from frontdesk.security.tokens import hash_secret, new_secret
from frontdesk.store import department_store, session_store, user_store
from frontdesk.wire import revoke_frame

log = logging.getLogger(__name__)

CREDENTIAL_ID_CHARS = 16  # a credential's public id: this many hex digits of its stored SHA-256
TOKEN_ID = re.compile(r"^[0-9a-f]{16}$")
TOUCH_EVERY = timedelta(minutes=1)  # an API token's last_used_at is written at most this often
MAX_TOKEN_DAYS = 3650
MAX_LABEL = 100


def credential_id(secret: str) -> str:
    """The public id of a session or API token: a prefix of its stored hash, never the secret."""
    return hash_secret(secret)[:CREDENTIAL_ID_CHARS]


def _public_id(token_hash: str) -> str:
    return token_hash[:CREDENTIAL_ID_CHARS]


async def end_credentials(
    conn: Any,
    outbox: Outbox,
    user_id: int,
    *,
    kinds: tuple[str, ...] = ("session", "api"),
    token_hash: str | None = None,
    close_all_sockets: bool = False,
) -> list[str]:
    """Delete the user's credentials of `kinds` (or the one `token_hash`) and have every node
    close the sockets opened with them (all of the user's sockets with `close_all_sockets`).
    Returns their public ids. Inside the caller's unit of work: published after commit."""
    hashes = await session_store.delete_credentials(conn, user_id, kinds=kinds, token_hash=token_hash)
    ids = [_public_id(h) for h in hashes]
    if close_all_sockets:
        outbox.add([audience.agent_topic(user_id)], revoke_frame(None))
    elif ids:
        outbox.add([audience.agent_topic(user_id)], revoke_frame(ids))
    return ids


def check_new_user(email: str, name: str, role: str) -> tuple[str, str, str]:
    email = parse_email_address(email, "email").lower()  # the one parser (domain/text.py)
    name = clean_line(name, "name")  # NUL: a 400; controls and bidi overrides removed
    if not 1 <= len(name) <= 100:
        raise ChatRuleError("bad_request", "name: must be 1 to 100 characters", field="name")
    if role not in ROLES:
        raise ChatRuleError("bad_request", f"role: must be one of {', '.join(ROLES)}", field="role")
    return email, name, role


async def do_create_user(
    *,
    ctx: Context,
    email: str,
    name: str,
    role: str,
    password: str,
    departments: list[str] | None = None,
    actor: AgentActor | None = None,
) -> dict[str, Any]:
    """A new user, working in `departments` (slugs) or, when none are named, the default one."""
    email, name, role = check_new_user(email, name, role)
    try:
        password_hash = await asyncio.to_thread(hash_password, password)
    except ValueError as exc:
        raise ChatRuleError("bad_request", str(exc), field="password") from None
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            user_id = await user_store.insert_user(
                conn, email=email, name=name, role=role, password_hash=password_hash, created_at=utcnow()
            )
            if departments:
                for slug in departments:
                    dept = await department_store.department_by_slug(conn, clean_line(slug, "departments"))
                    if dept is None:
                        raise ChatRuleError("bad_request", f"departments: no department {slug!r}", field="departments")
                    await department_store.add_member(conn, dept.id, user_id)
            else:
                dept = await department_store.default_department(conn)
                if dept is not None:
                    await department_store.add_member(conn, dept.id, user_id)
            await record_audit(conn, actor, "user.create", ("user", user_id), {"role": role})  # actor None: the CLI
    except IntegrityError:
        raise ChatRuleError("conflict", f"email: a user with {email} already exists", field="email") from None
    return {"id": user_id, "email": email, "name": name, "role": role}


async def _new_password_hash(password: object) -> str:
    """Argon2 takes ~0.3 s of CPU: off the event loop (it releases the GIL), so sockets keep flowing."""
    if not isinstance(password, str):
        raise ChatRuleError("bad_request", "password: is required", field="password")
    try:
        return await asyncio.to_thread(hash_password, password)
    except ValueError as exc:
        raise ChatRuleError("bad_request", str(exc), field="password") from None


async def _set_password(
    ctx: Context, who: int | str, password_hash: str, *, keep_tokens: bool, actor: AgentActor | None
) -> dict[str, Any]:
    """A new password (for the user of that id, or that e-mail) ends every console session of
    the user and, unless `keep_tokens`, every API token; the sockets opened with them close at
    once, on every node."""
    async with unit_of_work(ctx) as (conn, outbox):
        if isinstance(who, str):
            user_id = await user_store.user_id_by_email(conn, who)
        else:
            user_id = who if await user_store.user_exists(conn, who) else None
        if user_id is None:
            raise ChatRuleError("not_found", "No such user.")
        await user_store.set_password_hash(conn, user_id, password_hash)
        kinds = ("session",) if keep_tokens else ("session", "api")
        ended = await end_credentials(conn, outbox, user_id, kinds=kinds)
        await record_audit(conn, actor, "user.password", ("user", user_id), {"kept_tokens": keep_tokens})
    return {"id": user_id, "ended_credentials": len(ended), "kept_tokens": keep_tokens}


async def do_set_password(*, ctx: Context, email: str, password: str, keep_tokens: bool = False) -> dict[str, Any]:
    """The CLI's `frontdesk user password`."""
    password_hash = await _new_password_hash(password)
    try:
        return await _set_password(ctx, email.strip().lower(), password_hash, keep_tokens=keep_tokens, actor=None)
    except ChatRuleError as exc:
        if exc.code == "not_found":
            raise ChatRuleError("not_found", f"no user with e-mail {email}") from None
        raise


async def do_set_user_password(
    *, ctx: Context, actor: AgentActor, user_id: int, data: dict[str, Any]
) -> dict[str, Any]:
    """An admin sets a user's password (`PUT /api/v1/users/{id}/password`); their own too."""
    require(actor.role, "user.manage")
    unknown = sorted(set(data) - {"password", "keep_tokens"})
    if unknown:
        raise ChatRuleError("bad_request", f"{unknown[0]}: is not a field of this request", field=unknown[0])
    keep_tokens = data.get("keep_tokens", False)
    if not isinstance(keep_tokens, bool):
        raise ChatRuleError("bad_request", "keep_tokens: must be true or false", field="keep_tokens")
    password_hash = await _new_password_hash(data.get("password"))
    return await _set_password(ctx, user_id, password_hash, keep_tokens=keep_tokens, actor=actor)


async def count_users(*, ctx: Context) -> int:
    async with ctx.db.read() as conn:
        return 1 if await user_store.any_user(conn) else 0


def login_email(value: str) -> str:
    """The address to look a user up by: NUL is a 400 naming `email`; a well-formed address is
    normalised like a new user's (IDNA domain, lowercase); anything else is looked up as typed
    (lowercase, trimmed) and simply finds nobody."""
    check_no_nul(value, "email")
    try:
        return parse_email_address(value, "email").lower()
    except ChatRuleError:
        return strip_controls(value).strip().lower()


async def authenticate(*, ctx: Context, email: object, password: object) -> AgentActor | None:
    if not isinstance(email, str) or not isinstance(password, str) or len(password) > 1024:
        return None
    async with ctx.db.read() as conn:
        row = await user_store.login_row(conn, login_email(email))
    verified = await asyncio.to_thread(verify_password, row.password_hash if row else None, password)
    if not verified or row is None:
        return None
    if not row.active:  # told only to whoever knows the password: they learn why, nobody else does
        raise ChatRuleError("unauthorized", "This account is deactivated; ask an administrator.")
    return AgentActor(id=row.id, name=row.name, role=row.role)


async def do_start_session(*, ctx: Context, actor: AgentActor) -> tuple[str, str]:
    """A console login: returns (cookie secret, CSRF token)."""
    secret, csrf = new_secret(), secrets.token_urlsafe(24)
    now = utcnow()
    async with unit_of_work(ctx) as (conn, _outbox):
        await session_store.insert_credential(
            conn,
            token_hash=hash_secret(secret),
            kind="session",
            user_id=actor.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(days=ctx.settings.session_days),
        )
        await record_audit(conn, actor, "auth.login", ("user", actor.id))
    return secret, csrf


async def do_end_session(*, ctx: Context, secret: str) -> None:
    """Logout: this session ends, and so do the sockets opened with it (other tabs logged in
    separately, and API tokens, stay)."""
    token_hash = hash_secret(secret)
    async with unit_of_work(ctx) as (conn, outbox):
        user_id = await session_store.session_user_id(conn, token_hash)
        if user_id is not None:
            await end_credentials(conn, outbox, user_id, kinds=("session",), token_hash=token_hash)


def check_token_fields(label: object, expires_days: object) -> tuple[str | None, int | None]:
    if label is not None:
        label = clean_line(label, "label") or None
        if label is not None and len(label) > MAX_LABEL:
            raise ChatRuleError("bad_request", f"label: must be at most {MAX_LABEL} characters", field="label")
    if expires_days is not None and (
        not isinstance(expires_days, int) or isinstance(expires_days, bool) or not 1 <= expires_days <= MAX_TOKEN_DAYS
    ):
        raise ChatRuleError(
            "bad_request", f"expires_days: must be a whole number from 1 to {MAX_TOKEN_DAYS}", field="expires_days"
        )
    return label, expires_days


async def _insert_token(conn: Any, user_id: int, label: str | None, expires_days: int | None) -> tuple[str, Any]:
    secret = "fdt_" + new_secret()
    now = utcnow()
    expires = now + timedelta(days=expires_days) if expires_days else None
    await session_store.insert_credential(
        conn,
        token_hash=hash_secret(secret),
        kind="api",
        user_id=user_id,
        label=label,
        created_at=now,
        expires_at=expires,
    )
    return secret, now


async def do_create_api_token(
    *, ctx: Context, email: str, label: str | None = None, expires_days: int | None = None
) -> str:
    """The CLI's `frontdesk token create`: the secret, shown once."""
    label, expires_days = check_token_fields(label, expires_days)
    async with unit_of_work(ctx) as (conn, _outbox):
        user_id = await user_store.user_id_by_email(conn, email.strip().lower())
        if user_id is None:
            raise ChatRuleError("not_found", f"no user with e-mail {email}")
        secret, _now = await _insert_token(conn, user_id, label, expires_days)
    return secret


def _token(row: Any) -> dict[str, Any]:
    return {
        "id": _public_id(row.token_hash),
        "user": {"id": row.user_id, "email": row.email, "name": row.name},
        "label": row.label,
        "created_at": iso(row.created_at),
        "expires_at": iso(row.expires_at) if row.expires_at else None,
        "last_used_at": iso(row.last_used_at) if row.last_used_at else None,
    }


def _check_token_owner(actor: AgentActor, user_id: object) -> int:
    """Whose tokens: your own (token.manage_own), anyone's with token.manage."""
    if user_id is None:
        return actor.id
    if not is_id(user_id, field="user_id"):
        raise ChatRuleError("bad_request", "user_id: must be a user's id", field="user_id")
    if user_id != actor.id:
        require(actor.role, "token.manage")
    return user_id


async def do_create_token(*, ctx: Context, actor: AgentActor, data: dict[str, Any]) -> dict[str, Any]:
    """A new API token for yourself, or (admins) for `user_id`; the secret is in the answer only."""
    require(actor.role, "token.manage_own")
    unknown = sorted(set(data) - {"label", "expires_days", "user_id"})
    if unknown:
        raise ChatRuleError("bad_request", f"{unknown[0]}: is not a field of this request", field=unknown[0])
    user_id = _check_token_owner(actor, data.get("user_id"))
    label, expires_days = check_token_fields(data.get("label"), data.get("expires_days"))
    async with unit_of_work(ctx) as (conn, _outbox):
        owner = await user_store.owner(conn, user_id)
        if owner is None:
            raise ChatRuleError("not_found", "No such user.", field="user_id")
        if not owner.active:
            raise ChatRuleError("conflict", "That user is deactivated.", field="user_id")
        secret, _now = await _insert_token(conn, user_id, label, expires_days)
        await record_audit(conn, actor, "token.create", ("user", user_id), {"token": credential_id(secret)})
        row = await session_store.api_token(conn, hash_secret(secret))
    return {**_token(row), "secret": secret}


async def list_tokens(*, ctx: Context, actor: AgentActor, user_id: object = None) -> list[dict[str, Any]]:
    """API tokens (never their secrets): your own; admins everyone's, or one user's."""
    require(actor.role, "token.manage_own")
    owner = None
    if user_id is not None or not allowed(actor.role, "token.manage"):
        owner = _check_token_owner(actor, user_id)
    async with ctx.db.read() as conn:
        rows = await session_store.api_tokens(conn, user_id=owner)
    return [_token(r) for r in rows]


async def _revoke_token(ctx: Context, actor: AgentActor | None, token_id: object) -> dict[str, Any]:
    if not isinstance(token_id, str) or not TOKEN_ID.match(token_id):
        raise ChatRuleError("bad_request", "token_id: must be a token's id (16 hex digits)", field="token_id")
    async with unit_of_work(ctx) as (conn, outbox):
        rows = await session_store.api_tokens_by_prefix(conn, token_id)
        # Someone else's token is "not found" unless you may manage everyone's.
        if actor is not None and not allowed(actor.role, "token.manage"):
            rows = [r for r in rows if r.user_id == actor.id]
        if not rows:
            raise ChatRuleError("not_found", "No such API token.")
        if len(rows) > 1:  # 64 bits of a hash: practically never
            raise ChatRuleError("conflict", "Several tokens have that id; revoke them from the command line.")
        token_hash, user_id = rows[0]
        await end_credentials(conn, outbox, user_id, kinds=("api",), token_hash=token_hash)
        await record_audit(conn, actor, "token.revoke", ("user", user_id), {"token": token_id})
    return {"id": token_id, "revoked": True}


async def do_revoke_token(*, ctx: Context, actor: AgentActor, token_id: object) -> dict[str, Any]:
    """Revoke an API token: it stops working at once, and sockets opened with it close."""
    require(actor.role, "token.manage_own")
    return await _revoke_token(ctx, actor, token_id)


async def do_revoke_token_cli(*, ctx: Context, token_id: str) -> dict[str, Any]:
    """The CLI's `frontdesk token revoke ID`."""
    return await _revoke_token(ctx, None, token_id.strip().lower())


async def list_tokens_cli(*, ctx: Context, email: str | None = None) -> list[dict[str, Any]]:
    """The CLI's `frontdesk token list`: every API token, or one user's."""
    async with ctx.db.read() as conn:
        rows = await session_store.api_tokens(conn, email=email.strip().lower() if email else None)
    return [_token(r) for r in rows]


async def do_end_expired_credentials(ctx: Context, *, limit: int = 500) -> int:
    """A job: delete sessions and API tokens past their expiry and close their sockets."""
    now = utcnow()
    async with ctx.db.read() as conn:  # most passes find nothing: no write transaction for them
        if not await session_store.expired_credentials(conn, now, 1):
            return 0
    async with unit_of_work(ctx) as (conn, outbox):
        rows = await session_store.expired_credentials(conn, now, limit)
        if not rows:
            return 0
        await session_store.delete_by_hash(conn, [r.token_hash for r in rows])
        by_user: dict[int, list[str]] = defaultdict(list)
        for token_hash, user_id in rows:
            by_user[user_id].append(_public_id(token_hash))
        for user_id, ids in sorted(by_user.items()):
            outbox.add([audience.agent_topic(user_id)], revoke_frame(ids))
    return len(rows)


async def _touch_token(ctx: Context, token_hash: str, last_used: datetime | None, now: datetime) -> None:
    """Record that an API token was used, at most once a minute (one cheap write)."""
    if last_used is not None and now - last_used < TOUCH_EVERY:
        return
    try:
        async with unit_of_work(ctx) as (conn, _outbox):
            await session_store.touch_token(conn, token_hash, now, TOUCH_EVERY)
    except Exception as exc:  # a timestamp is not worth failing the request for
        log.info("could not record an API token's use: %s", type(exc).__name__)


async def resolve_credential(*, ctx: Context, secret: str, kind: str) -> tuple[AgentActor, str | None] | None:
    """The user behind a session cookie or API token, with the session's CSRF token."""
    if not secret or not isinstance(secret, str) or len(secret) > 200:
        return None
    token_hash = hash_secret(secret)
    async with ctx.db.read() as conn:
        row = await session_store.credential(conn, token_hash, kind)
    if row is None or not row.active:
        return None
    now = utcnow()
    expires = as_utc(row.expires_at)
    if expires is not None and expires < now:
        return None
    if kind == "api":
        await _touch_token(ctx, token_hash, as_utc(row.last_used_at), now)
    return AgentActor(id=row.id, name=row.name, role=row.role), row.csrf_token


async def list_users(*, ctx: Context, actor: AgentActor) -> list[dict[str, Any]]:
    require(actor.role, "user.list")
    async with ctx.db.read() as conn:
        rows = await user_store.all_users(conn)
        held = await department_store.loads(conn, [r.id for r in rows])
        memberships = await department_store.memberships(conn)
    connected = await ctx.presence.connected_agents()
    depts: dict[int, list[dict[str, int]]] = {}
    for user_id, dept_id, level in memberships:
        depts.setdefault(user_id, []).append({"id": dept_id, "level": level})
    return [
        {
            "id": r.id,
            "email": r.email,
            "name": r.name,
            "role": r.role,
            "status": r.status,
            "connected": r.id in connected,
            "max_chats": r.max_chats,
            "active_chats": held.get(r.id, 0),
            "departments": depts.get(r.id, []),
            "active": bool(r.active),  # deactivated: cannot log in, offered nothing, no transfers to them
            "greeter": bool(r.greeter),  # agents: may see the live view and invite visitors
            "office_id": r.office_id,  # staffing: the office they work from (its zone and holidays)
        }
        for r in rows
    ]


async def do_create_user_as(*, ctx: Context, actor: AgentActor, data: dict[str, Any]) -> dict[str, Any]:
    require(actor.role, "user.manage")
    for field in ("email", "name", "password"):
        if not isinstance(data.get(field), str):
            raise ChatRuleError("bad_request", f"{field}: is required", field=field)
    departments = data.get("departments")
    if departments is not None and (
        not isinstance(departments, list) or not all(isinstance(d, str) for d in departments)
    ):
        raise ChatRuleError("bad_request", "departments: must be a list of department slugs", field="departments")
    return await do_create_user(
        ctx=ctx,
        email=data["email"],
        name=data["name"],
        role=data.get("role", "agent"),
        password=data["password"],
        departments=departments,
        actor=actor,
    )


async def do_update_user(*, ctx: Context, actor: AgentActor, user_id: int, data: dict[str, Any]) -> dict[str, Any]:
    require(actor.role, "user.update")
    unknown = set(data) - {"max_chats", "name", "greeter"}
    if unknown:
        name = sorted(unknown)[0]
        raise ChatRuleError("bad_request", f"{name}: cannot be changed here", field=name)
    if "name" in data:  # the name visitors see: only admins rename others (your own: /api/v1/profile)
        require(actor.role, "user.rename")
    if "greeter" in data:  # an agent who may see the live view and invite visitors
        require(actor.role, "user.greeter")
    values: dict[str, Any] = {}
    if "max_chats" in data:
        value = data["max_chats"]
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 50:
            raise ChatRuleError("bad_request", "max_chats: must be a whole number from 1 to 50", field="max_chats")
        values["max_chats"] = value
    if "name" in data:
        name = clean_line(data["name"], "name")  # NUL: a 400; controls and bidi overrides removed
        if not 1 <= len(name) <= 100:
            raise ChatRuleError("bad_request", "name: must be 1 to 100 characters", field="name")
        values["name"] = name
    if "greeter" in data:
        if not isinstance(data["greeter"], bool):
            raise ChatRuleError("bad_request", "greeter: must be true or false", field="greeter")
        values["greeter"] = data["greeter"]
    async with unit_of_work(ctx) as (conn, _outbox):
        if values.get("greeter"):
            target = await user_store.user_settings(conn, user_id)
            if target is not None and target.role != "agent":
                raise ChatRuleError(
                    "bad_request",
                    "greeter: only agents are marked as greeters (leads see the visitors anyway)",
                    field="greeter",
                )
        if values:
            if not await user_store.update_user(conn, user_id, values):
                raise ChatRuleError("not_found", "No such user.")
            await record_audit(conn, actor, "user.update", ("user", user_id), {"changed": values})
        row = await user_store.user_settings(conn, user_id)
    if row is None:
        raise ChatRuleError("not_found", "No such user.")
    ctx.router.kick(None)  # more room may let waiting chats move
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "role": row.role,
        "max_chats": row.max_chats,
        "greeter": bool(row.greeter),
    }


async def do_set_user_active(*, ctx: Context, actor: AgentActor, user_id: int, active: bool) -> dict[str, Any]:
    """Deactivate a user (they keep their history but cannot log in; every session, API token
    and open socket of theirs ends at once, they go offline and are offered nothing) or
    reactivate them (they log in again with their password). Not yourself, not the last
    active admin. Users are never deleted: chats, messages and the audit log name them."""
    require(actor.role, "user.manage")
    if user_id == actor.id and not active:
        raise ChatRuleError("conflict", "You cannot deactivate yourself.")
    now = utcnow()
    async with unit_of_work(ctx) as (conn, outbox):
        target = await user_store.user_for_activation(conn, user_id)
        if target is None:
            raise ChatRuleError("not_found", "No such user.")
        if bool(target.active) != active:
            if not active and target.role == "admin":
                admins = await user_store.active_admin_ids(conn)
                if len(admins) <= 1:
                    raise ChatRuleError("conflict", "This is the last active admin; make someone else admin first.")
            await user_store.set_active(conn, user_id, active, now)
            if not active:
                await end_credentials(conn, outbox, user_id, close_all_sockets=True)
            await record_audit(conn, actor, "user.reactivate" if active else "user.deactivate", ("user", user_id))
        changed = bool(target.active) != active
    if changed and not active:
        # As when an agent's consoles are gone: offline, offers taken back; chats in progress stay
        # theirs for a lead to transfer (availability.do_set_agent_status).
        await availability.do_set_agent_status(ctx, user_id, "offline", reason="deactivated")
    async with ctx.db.read() as conn:
        row = await user_store.user_activity(conn, user_id)
    return {
        "id": row.id,
        "email": row.email,
        "name": row.name,
        "role": row.role,
        "active": bool(row.active),
        "deactivated_at": iso(row.deactivated_at) if row.deactivated_at else None,
    }
