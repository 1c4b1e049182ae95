"""Revocation in the actions (issue 10, item 2): `users.active` checked wherever a credential is
resolved, what each way of ending access deletes and publishes (the revocation frame every
node's hub acts on), the last active admin, expiring API tokens, `last_used_at` written at most
once a minute, and a deactivated agent leaving routing as an agent who went offline does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from frontdesk.actions import users
from frontdesk.actions.context import AgentActor
from frontdesk.clock import as_utc, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.store.models import AuthSession, Chat
from tests.actions.routing_support import (
    PASSWORD,
    make_admin,
    make_agent,
    make_department,
    published_frames,
    staff,
    status_of,
)
from tests.actions.routing_support import first_message as start_chat
from tests.actions.support import new_visitor

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def credentials(ctx, agent: AgentActor) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    session, _csrf = await users.do_start_session(ctx=ctx, actor=agent)
    email = await users.list_users(ctx=ctx, actor=agent)
    address = next(u["email"] for u in email if u["id"] == agent.id)
    token = await users.do_create_api_token(ctx=ctx, email=address, label="ci")
    return session, token


def revocations(ctx, agent_id: int) -> list[object]:  # type: ignore[no-untyped-def]
    return [f["credentials"] for f in published_frames(ctx, f"agent:{agent_id}", "revoke")]


async def email_of(ctx, agent: AgentActor) -> str:  # type: ignore[no-untyped-def]
    return next(u["email"] for u in await users.list_users(ctx=ctx, actor=agent) if u["id"] == agent.id)


async def test_deactivation_ends_every_credential_and_every_socket(ctx):
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    session, token = await credentials(ctx, agent)
    assert await users.resolve_credential(ctx=ctx, secret=session, kind="session") is not None
    ctx.published.clear()
    state = await users.do_set_user_active(ctx=ctx, actor=admin, user_id=agent.id, active=False)
    assert state["active"] is False and state["deactivated_at"]
    assert await users.resolve_credential(ctx=ctx, secret=session, kind="session") is None
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is None
    assert revocations(ctx, agent.id) == [None]  # every socket of theirs, whatever it was opened with
    assert await status_of(ctx, agent.id) == "offline"
    with pytest.raises(ChatRuleError) as info:
        await users.authenticate(ctx=ctx, email=await email_of(ctx, agent), password=PASSWORD)
    assert info.value.code == "unauthorized" and "deactivated" in info.value.message
    # A wrong password says nothing about the account.
    assert await users.authenticate(ctx=ctx, email=await email_of(ctx, agent), password="wrong password!") is None
    # Tokens cannot be made for them meanwhile; one made from the command line does not work.
    with pytest.raises(ChatRuleError) as info:
        await users.do_create_token(ctx=ctx, actor=admin, data={"user_id": agent.id})
    assert info.value.code == "conflict"
    cli_token = await users.do_create_api_token(ctx=ctx, email=await email_of(ctx, agent))
    assert await users.resolve_credential(ctx=ctx, secret=cli_token, kind="api") is None
    await users.do_set_user_active(ctx=ctx, actor=admin, user_id=agent.id, active=True)
    assert await users.authenticate(ctx=ctx, email=await email_of(ctx, agent), password=PASSWORD) is not None
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is None  # revoked for good


async def test_a_deactivated_agent_loses_their_offer_and_is_offered_nothing(ctx):
    admin = await make_admin(ctx)
    dept = await make_department(ctx, admin, "revocation")
    agent = await make_agent(ctx, admin)
    await staff(ctx, admin, dept["id"], [agent])
    visitor = await new_visitor(ctx)
    chat_id = await start_chat(ctx, visitor, "revocation")
    await ctx.router.run_once()
    async with ctx.db.read() as conn:
        assert (await conn.execute(select(Chat.offered_to).where(Chat.id == chat_id))).scalar_one() == agent.id
    await users.do_set_user_active(ctx=ctx, actor=admin, user_id=agent.id, active=False)
    await ctx.router.run_once()
    async with ctx.db.read() as conn:
        assert (await conn.execute(select(Chat.offered_to).where(Chat.id == chat_id))).scalar_one() is None
    listed = {u["id"]: u for u in await users.list_users(ctx=ctx, actor=admin)}
    assert listed[agent.id]["active"] is False and listed[agent.id]["status"] == "offline"


async def test_nobody_deactivates_themselves_nor_the_last_active_admin(ctx):
    admin = await make_admin(ctx)
    with pytest.raises(ChatRuleError) as info:
        await users.do_set_user_active(ctx=ctx, actor=admin, user_id=admin.id, active=False)
    assert info.value.code == "conflict"
    # The last active admin stays, even against an admin deactivated a moment ago whose request
    # is still running (the only way two admins can be left with one active).
    second = await make_admin(ctx)
    await users.do_set_user_active(ctx=ctx, actor=admin, user_id=second.id, active=False)
    with pytest.raises(ChatRuleError) as info:
        await users.do_set_user_active(ctx=ctx, actor=second, user_id=admin.id, active=False)
    assert info.value.code == "conflict" and "last active admin" in info.value.message
    await users.do_set_user_active(ctx=ctx, actor=admin, user_id=second.id, active=True)
    agent = await make_agent(ctx, admin)
    with pytest.raises(ChatRuleError) as info:
        await users.do_set_user_active(ctx=ctx, actor=agent, user_id=second.id, active=False)
    assert info.value.code == "forbidden"


async def test_a_new_password_ends_sessions_and_tokens_unless_kept(ctx):
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    session, token = await credentials(ctx, agent)
    ctx.published.clear()
    result = await users.do_set_password(ctx=ctx, email=await email_of(ctx, agent), password="new-password-1")
    assert result["ended_credentials"] == 2
    assert await users.resolve_credential(ctx=ctx, secret=session, kind="session") is None
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is None
    (ended,) = revocations(ctx, agent.id)
    assert sorted(ended) == sorted([users.credential_id(session), users.credential_id(token)])  # type: ignore[arg-type]

    session, token = await credentials(ctx, agent)
    ctx.published.clear()
    await users.do_set_user_password(
        ctx=ctx, actor=admin, user_id=agent.id, data={"password": "new-password-2", "keep_tokens": True}
    )
    assert await users.resolve_credential(ctx=ctx, secret=session, kind="session") is None
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is not None
    assert revocations(ctx, agent.id) == [[users.credential_id(session)]]
    with pytest.raises(ChatRuleError) as info:
        await users.do_set_user_password(ctx=ctx, actor=admin, user_id=agent.id, data={"password": "short"})
    assert info.value.field == "password"
    with pytest.raises(ChatRuleError) as info:
        await users.do_set_user_password(ctx=ctx, actor=agent, user_id=agent.id, data={"password": "long enough!"})
    assert info.value.code == "forbidden"


async def test_logout_ends_only_that_session(ctx):
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    first, token = await credentials(ctx, agent)
    second, _csrf = await users.do_start_session(ctx=ctx, actor=agent)
    ctx.published.clear()
    await users.do_end_session(ctx=ctx, secret=first)
    assert await users.resolve_credential(ctx=ctx, secret=first, kind="session") is None
    assert await users.resolve_credential(ctx=ctx, secret=second, kind="session") is not None
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is not None
    assert revocations(ctx, agent.id) == [[users.credential_id(first)]]


async def test_expired_tokens_are_refused_then_swept_with_their_sockets(ctx):
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    token = await users.do_create_api_token(ctx=ctx, email=await email_of(ctx, agent), expires_days=1)
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is not None
    async with ctx.db.write() as conn:
        await conn.execute(
            update(AuthSession)
            .where(AuthSession.token_hash.startswith(users.credential_id(token)))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await users.resolve_credential(ctx=ctx, secret=token, kind="api") is None
    ctx.published.clear()
    assert await users.do_end_expired_credentials(ctx) == 1
    assert revocations(ctx, agent.id) == [[users.credential_id(token)]]
    assert await users.do_end_expired_credentials(ctx) == 0
    assert await users.list_tokens(ctx=ctx, actor=agent) == []


async def test_last_used_at_is_written_at_most_once_a_minute(ctx):
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    token = await users.do_create_api_token(ctx=ctx, email=await email_of(ctx, agent))
    token_id = users.credential_id(token)

    async def last_used():  # type: ignore[no-untyped-def]
        async with ctx.db.read() as conn:
            value = (
                await conn.execute(select(AuthSession.last_used_at).where(AuthSession.token_hash.startswith(token_id)))
            ).scalar_one()
        return as_utc(value)

    async def set_last_used(value):  # type: ignore[no-untyped-def]
        async with ctx.db.write() as conn:
            await conn.execute(
                update(AuthSession).where(AuthSession.token_hash.startswith(token_id)).values(last_used_at=value)
            )

    assert await last_used() is None
    await users.resolve_credential(ctx=ctx, secret=token, kind="api")
    assert await last_used() is not None
    recent = utcnow() - timedelta(seconds=30)
    await set_last_used(recent)
    await users.resolve_credential(ctx=ctx, secret=token, kind="api")
    assert abs((await last_used() - recent).total_seconds()) < 0.01  # not written again within the minute
    await set_last_used(utcnow() - timedelta(minutes=2))
    await users.resolve_credential(ctx=ctx, secret=token, kind="api")
    assert utcnow() - await last_used() < timedelta(seconds=5)


async def test_tokens_are_listed_and_revoked_by_their_owner_or_an_admin(ctx):
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    other = await make_agent(ctx, admin)
    made = await users.do_create_token(ctx=ctx, actor=agent, data={"label": "crm", "expires_days": 7})
    assert made["id"] == users.credential_id(made["secret"])
    assert [t["id"] for t in await users.list_tokens(ctx=ctx, actor=agent)] == [made["id"]]
    assert await users.list_tokens(ctx=ctx, actor=other) == []
    with pytest.raises(ChatRuleError) as info:
        await users.do_revoke_token(ctx=ctx, actor=other, token_id=made["id"])
    assert info.value.code == "not_found"
    with pytest.raises(ChatRuleError) as info:
        await users.do_create_token(ctx=ctx, actor=agent, data={"user_id": other.id})
    assert info.value.code == "forbidden"
    ctx.published.clear()
    await users.do_revoke_token(ctx=ctx, actor=admin, token_id=made["id"])
    assert revocations(ctx, agent.id) == [[made["id"]]]
    assert await users.resolve_credential(ctx=ctx, secret=made["secret"], kind="api") is None


async def test_only_admins_rename_users(ctx):
    """Item 7: supervisors and managers change max_chats, not names (visitors see them)."""
    admin = await make_admin(ctx)
    agent = await make_agent(ctx, admin)
    for role in ("supervisor", "manager"):
        lead = await make_agent(ctx, admin, role=role, online=False)
        for target in (admin.id, agent.id):
            with pytest.raises(ChatRuleError) as info:
                await users.do_update_user(ctx=ctx, actor=lead, user_id=target, data={"name": "Mallory"})
            assert info.value.code == "forbidden"
        assert (await users.do_update_user(ctx=ctx, actor=lead, user_id=agent.id, data={"max_chats": 5}))[
            "max_chats"
        ] == 5
    renamed = await users.do_update_user(ctx=ctx, actor=admin, user_id=agent.id, data={"name": "New Name"})
    assert renamed["name"] == "New Name"
