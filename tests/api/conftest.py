"""API tests talk to a server where an agent is on duty, so visitors can start chats."""

from __future__ import annotations

import pytest_asyncio

from tests.clients import AgentClient, make_agent


@pytest_asyncio.fixture(loop_scope="session", scope="module", autouse=True)
async def duty_agent(server):
    email, password = make_agent(server)
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    yield agent
    await agent.close()
