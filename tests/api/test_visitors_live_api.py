"""The live view against a real server (SQLite and PostgreSQL): GET /api/v1/visitors/live and
/journey, greeters marked over PATCH /api/v1/users/{id}, bad input, and the agent socket's
visitors.watch -> visitors.page, live while a visitor connects, browses and leaves."""

from __future__ import annotations

import time

import pytest
from websockets.asyncio.client import connect

from tests.accounts import login, make_agent
from tests.clients import AgentClient, Socket, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def answer(socket, frame: dict) -> dict:
    ref = new_client_id()
    await socket.send({**frame, "ref": ref})
    return await socket.wait_for(lambda f: f.get("ref") == ref, timeout=10)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page_size=1000", "page_size"),
        ("page_size=0", "page_size"),
        ("page=0", "page"),
        ("sort=bogus", "sort"),
        ("sort=--pages", "sort"),
        ("state=sleeping", "state"),
        ("country=DEU", "country"),
        ("returning=maybe", "returning"),
        ("department=0", "department"),
        ("department=2147483648", "department"),  # past the INTEGER key
        ("department=18446744073709551616", "department"),
        ("page=18446744073709551616", "page"),
        ("url=" + "x" * 201, "url"),
    ],
)
async def test_bad_input_is_a_400_naming_the_field(server, query, field):
    admin = await login(server, "admin")
    try:
        r = await admin.http.get(f"/api/v1/visitors/live?{query}")
        assert r.status_code == 400, r.text
        assert r.json()["error"]["field"] == field, r.text
    finally:
        await admin.close()


async def test_the_live_view_and_a_journey_over_http(server):
    admin = await login(server, "admin")
    visitor = VisitorClient(server.base_url)
    await visitor.register()
    try:
        r = await admin.http.get("/api/v1/visitors/live?sort=-pages&page_size=10&state=none&country=de")
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"counters", "total", "page", "page_size", "items"}
        assert set(body["counters"]) == {"online", "chatting", "waiting", "invited"}
        assert (body["page"], body["page_size"]) == (1, 10)
        assert all(item["country"] == "DE" for item in body["items"])
        assert visitor.visitor is not None
        r = await admin.http.get(f"/api/v1/visitors/{visitor.visitor['id']}/journey")
        assert r.status_code == 200, r.text
        assert r.json()["visitor"]["id"] == visitor.visitor["id"] and r.json()["chats"] == []
        r = await admin.http.get("/api/v1/visitors/V-nobody/journey")
        assert r.status_code == 404, r.text
        r = await admin.http.get("/api/v1/visitors/" + "V" * 65 + "/journey")
        assert r.status_code == 400 and r.json()["error"]["field"] == "visitor_id", r.text
    finally:
        await admin.close()


async def test_greeters_are_marked_by_managers_and_then_see_the_live_view(server):
    manager = await login(server, "manager")
    supervisor = await login(server, "supervisor")
    email, password = make_agent(server)
    agent_credentials = {"email": email, "password": password}
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    try:
        assert agent.user is not None
        r = await agent.http.get("/api/v1/visitors/live")
        assert r.status_code == 403, r.text
        me = (await agent.http.get("/api/v1/auth/me")).json()["user"]
        assert (me["greeter"], me["may_view_visitors"]) == (False, False)
        r = await supervisor.http.patch(
            f"/api/v1/users/{agent.user['id']}", json={"greeter": True}, headers={"X-CSRF-Token": supervisor.csrf}
        )
        assert r.status_code == 403, r.text
        r = await manager.http.patch(
            f"/api/v1/users/{agent.user['id']}", json={"greeter": "yes"}, headers={"X-CSRF-Token": manager.csrf}
        )
        assert r.status_code == 400 and r.json()["error"]["field"] == "greeter", r.text
        r = await manager.http.patch(
            f"/api/v1/users/{agent.user['id']}", json={"greeter": True}, headers={"X-CSRF-Token": manager.csrf}
        )
        assert r.status_code == 200 and r.json()["user"]["greeter"] is True, r.text
        listed = (await manager.http.get("/api/v1/users")).json()["users"]
        assert [u["greeter"] for u in listed if u["id"] == agent.user["id"]] == [True]
        me = (await agent.http.get("/api/v1/auth/me")).json()["user"]
        assert (me["greeter"], me["may_view_visitors"]) == (True, True)
        assert (agent.user["greeter"], agent.user["may_view_visitors"]) == (False, False)  # as they logged in
        again = await agent.http.post("/api/v1/auth/login", json=agent_credentials)
        assert (again.json()["user"]["greeter"], again.json()["user"]["may_view_visitors"]) == (True, True)
        r = await agent.http.get("/api/v1/visitors/live")
        assert r.status_code == 200, r.text
        await agent.connect()
        assert agent.socket is not None
        page = await answer(agent.socket, {"type": "visitors.watch", "filter": {}})
        assert page["type"] == "visitors.page", page
    finally:
        for client in (manager, supervisor, agent):
            await client.close()


async def test_watch_frames_are_checked_and_refused_to_agents_who_are_not_greeters(server):
    admin = await login(server, "admin")
    agent = await login(server)
    try:
        for client in (admin, agent):
            await client.connect()
        assert admin.socket is not None and agent.socket is not None
        for frame, field in [
            ({"filter": {"state": "sleeping"}}, "filter.state"),
            ({"filter": {"colour": "red"}}, "filter.colour"),
            ({"filter": "all"}, "filter"),
            ({"page_size": 1000}, "page_size"),
            ({"sort": "bogus"}, "sort"),
        ]:
            error = await answer(admin.socket, {"type": "visitors.watch", **frame})
            assert (error["type"], error["code"], error["field"]) == ("error", "bad_request", field), error
        refused = await answer(agent.socket, {"type": "visitors.watch", "filter": {}})
        assert (refused["type"], refused["code"]) == ("error", "forbidden"), refused
        page = await answer(admin.socket, {"type": "visitors.watch", "filter": {}, "sort": "-time_on_site"})
        assert page["type"] == "visitors.page" and page["page_size"] == 50
    finally:
        await admin.close()
        await agent.close()


async def warm_up(server) -> None:  # type: ignore[no-untyped-def]
    """A first visitor through the server's tracking, which loads its enrichment data once (a
    fraction of a second, much more on a busy machine): not what the timing below measures."""
    first = VisitorClient(server.base_url)
    await first.register()
    first.socket = Socket(await connect(first.ws_url), "visitor")
    await first.socket.send({"type": "hello", "v": 1, "token": first.token, "page": {"url": "https://shop.example/"}})
    await first.socket.wait_type("welcome", timeout=60)
    await first.close()


async def test_a_visitor_who_connects_appears_in_the_watching_managers_page_within_two_seconds(server):
    await warm_up(server)
    manager = await login(server, "manager")
    await manager.connect()
    assert manager.socket is not None
    url = f"https://shop.example/pricing?probe={new_client_id()}"
    ref = new_client_id()
    await manager.socket.send({"type": "visitors.watch", "ref": ref, "filter": {"url": url}, "page_size": 5})
    first = await manager.socket.wait_for(lambda f: f.get("type") == "visitors.page" and f.get("ref") == ref)
    assert first["items"] == [] and first["total"] == 0
    visitor = VisitorClient(server.base_url)
    try:
        await visitor.connect({"url": url, "title": "Pricing", "referrer": "https://www.google.com/"})
        welcomed = time.monotonic()  # the visit is open; its page view is in the node's next batch
        seen = await manager.socket.wait_for(
            lambda f: f.get("type") == "visitors.page" and f.get("total") == 1, timeout=5
        )
        took = time.monotonic() - welcomed
        assert took < 2.0, f"the visitor showed in the live view {took:.2f} s after their welcome"
        (item,) = seen["items"]
        assert visitor.visitor is not None and item["visitor_id"] == visitor.visitor["id"]
        assert item["page"]["url"] == url and item["page"]["title"] == "Pricing" and item["state"] == "none"
        # Their chat starts: the chat's summary announces it (no page view needed), within 2 s.
        assert (await visitor.send("Which plan is for me?"))["type"] == "ack"
        asked = time.monotonic()
        waiting = await manager.socket.wait_for(
            lambda f: f.get("type") == "visitors.page" and f["items"] and f["items"][0]["state"] == "waiting",
            timeout=5,
        )
        assert time.monotonic() - asked < 2.0 and waiting["counters"]["waiting"] >= 1
        # Nothing changed for this page: no page is sent again (the next change is the visitor leaving).
        manager.socket.frames.clear()
        await visitor.close()
        gone = await manager.socket.wait_for(
            lambda f: f.get("type") == "visitors.page" and f.get("total") == 0, timeout=5
        )
        assert gone["items"] == []
        # After unwatch, nothing more.
        await manager.socket.send({"type": "visitors.unwatch"})
        again = VisitorClient(server.base_url)
        await again.connect({"url": url, "title": "Pricing"})
        await manager.socket.send({"type": "ping"})
        await manager.socket.wait_type("pong")
        time_to_wait = 2.0
        await again.close()
        with pytest.raises(TimeoutError):
            await manager.socket.wait_for(lambda f: f.get("type") == "visitors.page", timeout=time_to_wait)
    finally:
        await visitor.close()
        await manager.close()
