"""Users (agents, supervisors, admins), console sessions and API tokens."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.text import check_no_nul, clean_line, parse_email_address, strip_controls
from frontdesk.permissions import ROLES, require
from frontdesk.security.passwords import hash_password, verify_password
from frontdesk.security.tokens import hash_secret, new_secret
from frontdesk.store import department_store
from frontdesk.store.models import AuthSession, DepartmentMember, User


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
        password_hash = hash_password(password)
    except ValueError as exc:
        raise ChatRuleError("bad_request", str(exc), field="password") from None
    try:
        async with ctx.db.write() as conn:
            result = await conn.execute(
                insert(User)
                .values(email=email, name=name, role=role, password_hash=password_hash, created_at=utcnow())
                .returning(User.id)
            )
            user_id = int(result.scalar_one())
            if departments:
                for slug in departments:
                    dept = await department_store.department_by_slug(conn, slug)
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


async def do_set_password(*, ctx: Context, email: str, password: str) -> None:
    try:
        password_hash = hash_password(password)
    except ValueError as exc:
        raise ChatRuleError("bad_request", str(exc), field="password") from None
    async with ctx.db.write() as conn:
        result = await conn.execute(
            update(User).where(User.email == email.strip().lower()).values(password_hash=password_hash)
        )
        if result.rowcount == 0:
            raise ChatRuleError("not_found", f"no user with e-mail {email}")
        # A new password ends every console session of that user.
        user_id = (await conn.execute(select(User.id).where(User.email == email.strip().lower()))).scalar_one()
        await conn.execute(delete(AuthSession).where(AuthSession.user_id == user_id, AuthSession.kind == "session"))


async def count_users(*, ctx: Context) -> int:
    async with ctx.db.read() as conn:
        return len((await conn.execute(select(User.id).limit(1))).all())


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
        row = (
            await conn.execute(
                select(User.id, User.name, User.role, User.password_hash).where(User.email == login_email(email))
            )
        ).first()
    if not verify_password(row.password_hash if row else None, password) or row is None:
        return None
    return AgentActor(id=row.id, name=row.name, role=row.role)


async def do_start_session(*, ctx: Context, actor: AgentActor) -> tuple[str, str]:
    """A console login: returns (cookie secret, CSRF token)."""
    secret, csrf = new_secret(), secrets.token_urlsafe(24)
    now = utcnow()
    async with ctx.db.write() as conn:
        await conn.execute(
            insert(AuthSession).values(
                token_hash=hash_secret(secret),
                kind="session",
                user_id=actor.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + timedelta(days=ctx.settings.session_days),
            )
        )
        await record_audit(conn, actor, "auth.login", ("user", actor.id))
    return secret, csrf


async def do_end_session(*, ctx: Context, secret: str) -> None:
    async with ctx.db.write() as conn:
        await conn.execute(delete(AuthSession).where(AuthSession.token_hash == hash_secret(secret)))


async def do_create_api_token(*, ctx: Context, email: str, label: str | None = None) -> str:
    async with ctx.db.write() as conn:
        user_id = (await conn.execute(select(User.id).where(User.email == email.strip().lower()))).scalar_one_or_none()
        if user_id is None:
            raise ChatRuleError("not_found", f"no user with e-mail {email}")
        secret = "fdt_" + new_secret()
        await conn.execute(
            insert(AuthSession).values(
                token_hash=hash_secret(secret), kind="api", user_id=user_id, label=label, created_at=utcnow()
            )
        )
    return secret


async def resolve_credential(*, ctx: Context, secret: str, kind: str) -> tuple[AgentActor, str | None] | None:
    """The user behind a session cookie or API token, with the session's CSRF token."""
    if not secret or len(secret) > 200:
        return None
    async with ctx.db.read() as conn:
        row = (
            await conn.execute(
                select(User.id, User.name, User.role, AuthSession.csrf_token, AuthSession.expires_at)
                .join(User, User.id == AuthSession.user_id)
                .where(AuthSession.token_hash == hash_secret(secret), AuthSession.kind == kind)
            )
        ).first()
    if row is None:
        return None
    expires = as_utc(row.expires_at)
    if expires is not None and expires < utcnow():
        return None
    return AgentActor(id=row.id, name=row.name, role=row.role), row.csrf_token


async def list_users(*, ctx: Context, actor: AgentActor) -> list[dict[str, Any]]:
    require(actor.role, "user.list")
    async with ctx.db.read() as conn:
        rows = (
            await conn.execute(
                select(User.id, User.email, User.name, User.role, User.status, User.max_chats).order_by(User.id)
            )
        ).all()
        held = await department_store.loads(conn, [r.id for r in rows])
        memberships = (
            await conn.execute(select(DepartmentMember.user_id, DepartmentMember.department_id, DepartmentMember.level))
        ).all()
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
    unknown = set(data) - {"max_chats", "name"}
    if unknown:
        name = sorted(unknown)[0]
        raise ChatRuleError("bad_request", f"{name}: cannot be changed here", field=name)
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
    async with ctx.db.write() as conn:
        if values:
            result = await conn.execute(update(User).where(User.id == user_id).values(**values))
            if result.rowcount == 0:
                raise ChatRuleError("not_found", "No such user.")
            await record_audit(conn, actor, "user.update", ("user", user_id), {"changed": values})
        row = (
            await conn.execute(
                select(User.id, User.email, User.name, User.role, User.max_chats).where(User.id == user_id)
            )
        ).first()
    if row is None:
        raise ChatRuleError("not_found", "No such user.")
    ctx.router.kick(None)  # more room may let waiting chats move
    return {"id": row.id, "email": row.email, "name": row.name, "role": row.role, "max_chats": row.max_chats}
