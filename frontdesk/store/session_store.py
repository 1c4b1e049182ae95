"""Queries for `auth_sessions`: console sessions and API tokens (the SHA-256 of each secret)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import AuthSession, User

_TOKEN_COLUMNS = (
    AuthSession.token_hash,
    AuthSession.user_id,
    AuthSession.label,
    AuthSession.created_at,
    AuthSession.expires_at,
    AuthSession.last_used_at,
    User.email,
    User.name,
)


async def insert_credential(conn: AsyncConnection, **values: Any) -> None:
    await conn.execute(insert(AuthSession).values(**values))


async def delete_credentials(
    conn: AsyncConnection, user_id: int, *, kinds: Sequence[str], token_hash: str | None = None
) -> list[str]:
    """Delete the user's credentials of `kinds` (or only the one `token_hash`); their hashes."""
    where = [AuthSession.user_id == user_id, AuthSession.kind.in_(kinds)]
    if token_hash is not None:
        where.append(AuthSession.token_hash == token_hash)
    hashes = [r[0] for r in (await conn.execute(select(AuthSession.token_hash).where(*where))).all()]
    await delete_by_hash(conn, hashes)
    return hashes


async def delete_by_hash(conn: AsyncConnection, token_hashes: Sequence[str]) -> None:
    if token_hashes:
        await conn.execute(delete(AuthSession).where(AuthSession.token_hash.in_(list(token_hashes))))


async def session_user_id(conn: AsyncConnection, token_hash: str) -> int | None:
    """The user of a console session, or None."""
    stmt = select(AuthSession.user_id).where(AuthSession.token_hash == token_hash, AuthSession.kind == "session")
    return (await conn.execute(stmt)).scalar_one_or_none()


async def credential(conn: AsyncConnection, token_hash: str, kind: str) -> Any | None:
    """The user behind a credential and the credential's CSRF token, expiry and last use."""
    stmt = (
        select(
            User.id,
            User.name,
            User.role,
            User.active,
            AuthSession.csrf_token,
            AuthSession.expires_at,
            AuthSession.last_used_at,
        )
        .join(User, User.id == AuthSession.user_id)
        .where(AuthSession.token_hash == token_hash, AuthSession.kind == kind)
    )
    return (await conn.execute(stmt)).first()


async def touch_token(conn: AsyncConnection, token_hash: str, now: datetime, every: timedelta) -> None:
    """Set an API token's last use to `now`, unless it was set less than `every` ago."""
    await conn.execute(
        update(AuthSession)
        .where(
            AuthSession.token_hash == token_hash,
            (AuthSession.last_used_at.is_(None)) | (AuthSession.last_used_at < now - every),
        )
        .values(last_used_at=now)
    )


async def expired_credentials(conn: AsyncConnection, now: datetime, limit: int) -> list[Any]:
    """(token_hash, user_id) of sessions and tokens past their expiry."""
    stmt = select(AuthSession.token_hash, AuthSession.user_id).where(AuthSession.expires_at < now).limit(limit)
    return list((await conn.execute(stmt)).all())


async def api_token(conn: AsyncConnection, token_hash: str) -> Any:
    """One API token with its user's e-mail and name."""
    stmt = (
        select(*_TOKEN_COLUMNS).join(User, User.id == AuthSession.user_id).where(AuthSession.token_hash == token_hash)
    )
    return (await conn.execute(stmt)).one()


async def api_tokens(conn: AsyncConnection, *, user_id: int | None = None, email: str | None = None) -> list[Any]:
    """API tokens (with their users' e-mail and name), oldest first: all, or one user's."""
    stmt = select(*_TOKEN_COLUMNS).join(User, User.id == AuthSession.user_id).where(AuthSession.kind == "api")
    if user_id is not None:
        stmt = stmt.where(AuthSession.user_id == user_id)
    if email is not None:
        stmt = stmt.where(User.email == email)
    return list((await conn.execute(stmt.order_by(AuthSession.created_at, AuthSession.token_hash))).all())


async def api_tokens_by_prefix(conn: AsyncConnection, prefix: str) -> list[Any]:
    """(token_hash, user_id) of the API tokens whose hash starts with `prefix`."""
    stmt = select(AuthSession.token_hash, AuthSession.user_id).where(
        AuthSession.kind == "api", AuthSession.token_hash.startswith(prefix)
    )
    return list((await conn.execute(stmt)).all())
