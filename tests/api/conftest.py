"""API tests talk to a server where an agent is on duty, so visitors can start chats.

Users come from tests/accounts.py (`make_agent`, `login`, `api_token`): one CLI call per
server, then the API, so a module's tests share its server but never its users."""

from __future__ import annotations

import pytest_asyncio

from tests.accounts import make_agent
from tests.clients import AgentClient


@pytest_asyncio.fixture(loop_scope="session", scope="module", autouse=True)
async def duty_agent(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    yield agent
    await agent.close()
