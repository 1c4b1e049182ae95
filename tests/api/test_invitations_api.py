"""Invitations over a real server and real sockets: an agent invites a visitor over HTTP and the
visitor's socket gets the frame; the visitor answers and the chat starts from the invitation,
assigned to the inviter; another visitor dismisses theirs; 409 for a visitor who has left; the
rules' API with bad input named by field; the simulator and the report."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from tests.accounts import login
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGE = {"url": "https://shop.example/pricing", "title": "Pricing", "referrer": ""}


async def online(agent: AgentClient) -> None:
    await agent.connect()
    r = await agent.http.put("/api/v1/auth/me/status", json={"status": "online"}, headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 200, r.text


async def invite(agent: AgentClient, visitor: VisitorClient, **body: object) -> dict:
    assert visitor.visitor
    r = await agent.post(f"/api/v1/visitors/{visitor.visitor['id']}/invitations", json=body or {"text": "Hi there"})
    assert r.status_code == 201, r.text
    return r.json()["invitation"]


async def test_an_invited_visitor_answers_and_chats_with_the_inviter(server):
    admin = await login(server, "admin")
    await online(admin)
    visitor = VisitorClient(server.base_url)
    await visitor.connect(PAGE)
    assert visitor.welcome and visitor.welcome["invitation"] is None
    sent = await invite(admin, visitor, text="Can I help with the plans?")
    assert sent["outcome"] == "pending" and sent["agent"]["name"] == admin.user["name"]
    frame = await visitor.socket.wait_type("invitation", timeout=10)
    assert frame["invitation"]["id"] == sent["id"]
    assert frame["invitation"]["text"] == "Can I help with the plans?"
    # A reload shows it again.
    tab = VisitorClient(server.base_url)
    tab.token, tab.visitor = visitor.token, visitor.visitor
    welcome = await tab.connect(PAGE)
    assert welcome["invitation"]["id"] == sent["id"]
    await visitor.socket.send({"type": "invitation.shown", "invitation_id": sent["id"]})
    cid = new_client_id()
    await visitor.socket.send(
        {"type": "message.send", "text": "Yes, which plan?", "client_id": cid, "invitation_id": sent["id"]}
    )
    ack = await visitor.socket.wait_for(lambda f: f.get("ref") == cid, timeout=10)
    assert ack["type"] == "ack", ack
    assert ack["event"]["text"] == "Yes, which plan?"
    closed = await tab.socket.wait_type("invitation.closed", timeout=10)
    assert closed == {"type": "invitation.closed", "invitation_id": sent["id"], "reason": "accepted"}
    chat = (await admin.http.get(f"/api/v1/chats/{ack['chat_id']}")).json()
    assert chat["status"] == "active" and chat["assignee"]["id"] == admin.user["id"]
    events = (await admin.http.get(f"/api/v1/chats/{ack['chat_id']}/messages")).json()["events"]
    assert [(e["kind"], e["author"]["type"], e["text"]) for e in events[:3]] == [
        ("chat.started", "system", ""),
        ("message", "agent", "Can I help with the plans?"),
        ("message", "visitor", "Yes, which plan?"),
    ]
    assert events[1]["data"] == {"invitation_id": sent["id"]}
    # The agent hears the new chat as theirs.
    await admin.socket.wait_for(lambda f: f.get("type") == "event" and f.get("chat_id") == ack["chat_id"], timeout=10)
    await tab.close()
    await visitor.close()
    await admin.close()


async def test_a_dismissed_invitation_is_recorded_and_reported(server):
    manager = await login(server, "manager")
    visitor = VisitorClient(server.base_url)
    await visitor.connect(PAGE)
    sent = await invite(manager, visitor)
    await visitor.socket.wait_type("invitation", timeout=10)
    await visitor.socket.send({"type": "invitation.shown", "invitation_id": sent["id"]})
    await visitor.socket.send({"type": "invitation.dismiss", "invitation_id": sent["id"]})
    closed = await visitor.socket.wait_type("invitation.closed", timeout=10)
    assert closed["reason"] == "dismissed"
    r = await manager.http.get("/api/v1/reports/invitations")
    assert r.status_code == 200, r.text
    (mine,) = [a for a in r.json()["agents"] if a["agent_id"] == manager.user["id"]]
    assert (mine["sent"], mine["shown"], mine["dismissed"], mine["acceptance_rate"]) == (1, 1, 1, 0.0)
    await visitor.socket.send({"type": "invitation.dismiss", "invitation_id": "x"})
    error = await visitor.socket.wait_type("error", timeout=10)
    assert error["field"] == "invitation_id"
    await visitor.close()
    await manager.close()


async def test_a_visitor_who_left_is_a_409(server):
    manager = await login(server, "manager")
    visitor = VisitorClient(server.base_url)
    await visitor.connect(PAGE)
    await invite(manager, visitor)
    await visitor.close()
    assert visitor.visitor
    for _ in range(100):  # the server notices the socket closing
        r = await manager.post(f"/api/v1/visitors/{visitor.visitor['id']}/invitations", json={"text": "Hi"})
        if r.status_code != 201:
            break
        await asyncio.sleep(0.05)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "visitor_gone"
    r = await manager.post("/api/v1/visitors/V-nobody/invitations", json={"text": "Hi"})
    assert r.status_code == 404
    r = await manager.post(f"/api/v1/visitors/{visitor.visitor['id']}/invitations", json={"text": "Hi", "tone": 1})
    assert r.status_code == 400 and r.json()["error"]["field"] == "tone"
    agent = await login(server, "agent")  # not a greeter
    r = await agent.post(f"/api/v1/visitors/{visitor.visitor['id']}/invitations", json={"text": "Hi"})
    assert r.status_code == 403
    await manager.close()
    await agent.close()


async def test_rules_over_http(server):
    admin = await login(server, "admin")
    slug = f"inv{secrets.token_hex(3)}"
    dept = (await admin.post("/api/v1/departments", json={"slug": slug, "name": slug})).json()["department"]
    rule = {
        "department_id": dept["id"],
        "name": "Pricing, 5 s",
        "conditions": [{"field": "url", "op": "matches", "value": "/pricing*"}, {"field": "time_on_page", "value": 5}],
        "action": {"text": "Questions about our plans?", "delay_s": 0},
    }
    r = await admin.post("/api/v1/invitation-rules", json=rule)
    assert r.status_code == 201, r.text
    first = r.json()["rule"]
    assert first["caps"]["once_per_visit"] is True and first["position"] == 0
    second = (await admin.post("/api/v1/invitation-rules", json={**rule, "name": "Second"})).json()["rule"]
    r = await admin.http.get(f"/api/v1/invitation-rules/{first['id']}")
    assert r.status_code == 200 and r.json()["rule"]["name"] == "Pricing, 5 s"
    r = await admin.http.put(
        f"/api/v1/invitation-rules/{first['id']}", json={"enabled": False}, headers={"X-CSRF-Token": admin.csrf}
    )
    assert r.status_code == 200 and r.json()["rule"]["enabled"] is False
    r = await admin.post(
        "/api/v1/invitation-rules/reorder", json={"department_id": dept["id"], "rule_ids": [second["id"], first["id"]]}
    )
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["rules"]] == [second["id"], first["id"]]
    r = await admin.http.get("/api/v1/invitation-rules", params={"department": dept["id"]})
    assert [x["id"] for x in r.json()["rules"]] == [second["id"], first["id"]]
    r = await admin.post("/api/v1/invitation-rules/simulate", json={"department_id": dept["id"], "rule": rule})
    assert r.status_code == 200, r.text
    assert r.json()["days"] == 7 and len(r.json()["per_hour"]) == 24
    r = await admin.http.delete(f"/api/v1/invitation-rules/{first['id']}", headers={"X-CSRF-Token": admin.csrf})
    assert r.status_code == 200
    assert (await admin.http.get(f"/api/v1/invitation-rules/{first['id']}")).status_code == 404
    await admin.close()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"conditions": [{"field": "pages", "value": 2}, {"field": "url", "value": "/a"}, {"field": "url"}]},
            "conditions[2].value",
        ),
        ({"conditions": [{"field": "url", "value": "*" * 11}]}, "conditions[0].value"),
        ({"conditions": [{"field": "colour", "value": 1}]}, "conditions[0].field"),
        ({"action": {"text": "Hi", "as": "agent"}}, "action.agent_id"),
        ({"gates": {"max_wait_s": "soon"}}, "gates.max_wait_s"),
        ({"caps": {"min_days_between": 400}}, "caps.min_days_between"),
        ({"name": ""}, "name"),
        ({"surprise": 1}, "surprise"),
        ({"department_id": 999_999}, "department_id"),
    ],
)
async def test_bad_rules_are_400s_naming_the_field(server, change, field):
    admin = await login(server, "admin")
    body = {"department_id": 1, "name": "x", "action": {"text": "Hi"}, **change}
    r = await admin.post("/api/v1/invitation-rules", json=body)
    assert r.status_code == 400, r.text
    assert r.json()["error"]["field"] == field, r.text
    r = await admin.post(
        "/api/v1/invitation-rules/simulate", json={"department_id": body["department_id"], "rule": body}
    )
    assert r.status_code == 400, r.text
    await admin.close()


async def test_report_bad_input(server):
    manager = await login(server, "manager")
    r = await manager.http.get("/api/v1/reports/invitations", params={"from": "yesterday"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "from"
    r = await manager.http.get("/api/v1/reports/invitations", params={"from": "2026-12-01", "to": "2026-11-01"})
    assert r.status_code == 400
    r = await manager.post("/api/v1/invitation-rules/reorder", json={"department_id": 1, "rule_ids": [1, 1]})
    assert r.status_code == 400 and r.json()["error"]["field"] == "rule_ids"
    await manager.close()


async def test_a_rule_invites_a_browsing_visitor_after_time_on_the_page(server):
    """Tracking's page view (the hello's page) reaches the rules (actions/tracking ->
    invitations.on_activity); "time on page 1 s" fires a second later without another frame."""
    admin = await login(server, "admin")
    departments = (await admin.http.get("/api/v1/departments")).json()["departments"]
    probe = secrets.token_hex(4)
    rule = {
        "department_id": departments[0]["id"],  # the default department: the page sets none
        "name": f"Probe {probe}",
        "conditions": [{"field": "url", "value": f"/auto-{probe}*"}, {"field": "time_on_page", "value": 1}],
        "gates": {"accepting": False},
        "action": {"text": f"Hello {probe}"},
    }
    r = await admin.post("/api/v1/invitation-rules", json=rule)
    assert r.status_code == 201, r.text
    rule_id = r.json()["rule"]["id"]
    visitor = VisitorClient(server.base_url)
    started = asyncio.get_running_loop().time()
    await visitor.connect({"url": f"https://shop.example/auto-{probe}/pricing", "title": "Pricing", "referrer": ""})
    frame = await visitor.socket.wait_type("invitation", timeout=10)
    assert frame["invitation"]["text"] == f"Hello {probe}" and frame["invitation"]["agent"] is None
    assert asyncio.get_running_loop().time() - started >= 1.0
    r = await admin.http.get("/api/v1/reports/invitations")
    (mine,) = [x for x in r.json()["rules"] if x["rule_id"] == rule_id]
    assert (mine["name"], mine["sent"], mine["pending"]) == (f"Probe {probe}", 1, 1)
    await visitor.close()
    await admin.close()
