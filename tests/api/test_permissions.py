"""Every route has a rule (frontdesk/permissions.py: ROUTE_RULES), and every rule is checked
with every role against a real server: a new route without a rule fails here."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from starlette.routing import Mount, Route

from frontdesk.actions.context import Context
from frontdesk.app import create_app
from frontdesk.bus.memory import InProcessBus
from frontdesk.config import Settings
from frontdesk.permissions import AGENT_FRAME_RULES, ROLES, ROUTE_RULES, RULES, allowed
from frontdesk.realtime.agent_socket import AgentSession
from frontdesk.realtime.hub import Hub
from frontdesk.store.db import Database
from tests.accounts import make_agent
from tests.clients import AgentClient, new_client_id

# A body each route accepts as well-formed, so the answer is about permission, not shape.
BODIES = {
    ("POST", "/api/v1/chats/{chat_id}/messages"): {"text": "hello", "client_id": "perm-test-0001"},
    ("POST", "/api/v1/chats/{chat_id}/notes"): {"text": "note", "client_id": "perm-test-0002"},
    ("POST", "/api/v1/chats/{chat_id}/transfer"): {"to_department_id": 1},
    ("POST", "/api/v1/departments"): {"slug": "perm-test", "name": "Perm"},
    ("PATCH", "/api/v1/departments/{department_id}"): {"description": "x"},
    ("PUT", "/api/v1/departments/{department_id}/members"): {"members": []},
    ("PUT", "/api/v1/settings/widget"): {"title": "Hello"},
    ("PUT", "/api/v1/settings/privacy"): {"retention_days": 0},
    ("PUT", "/api/v1/settings/tracking"): {"mode": "on"},
    ("POST", "/api/v1/users"): {"email": "perm@example.com", "name": "P", "password": "short"},
    ("PATCH", "/api/v1/users/{user_id}"): {"max_chats": 3},
    ("PUT", "/api/v1/users/{user_id}/password"): {"password": "perm-test-password"},
    ("POST", "/api/v1/tokens"): {"label": "perm-test"},
    ("PUT", "/api/v1/auth/me/status"): {"status": "online"},
    ("POST", "/api/v1/chats/{chat_id}/whispers"): {"text": "psst", "client_id": "perm-test-0003"},
    ("POST", "/api/v1/chats/{chat_id}/annotations"): {"seq": 1, "text": "note"},
    ("PUT", "/api/v1/departments/{department_id}/scorecard"): {"criteria": [{"name": "Tone", "weight": 1}]},
    ("PUT", "/api/v1/departments/{department_id}/goals"): {"goals": []},
    ("PUT", "/api/v1/chats/{chat_id}/review"): {"scores": []},
    ("POST", "/api/v1/chats/{chat_id}/escalate"): {"reason": "billing"},
    ("POST", "/api/v1/tags"): {"name": "perm-test"},
    ("PATCH", "/api/v1/tags/{tag_id}"): {"name": "perm-test-2"},
    ("POST", "/api/v1/visitors/{visitor_id}/invitations"): {"text": "Hello"},
    # department 999999 does not exist: a scoped role gets 400 (not 403) once allowed at all
    ("POST", "/api/v1/invitation-rules"): {"department_id": 999999, "name": "perm", "action": {"text": "Hi"}},
    ("PUT", "/api/v1/invitation-rules/{rule_id}"): {"name": "perm"},
    ("POST", "/api/v1/invitation-rules/reorder"): {"department_id": 999999, "rule_ids": []},
    ("POST", "/api/v1/invitation-rules/simulate"): {
        "department_id": 999999,
        "rule": {"name": "perm", "action": {"text": "Hi"}},
    },
    # staffing (issue 15; api/schedule.py)
    ("POST", "/api/v1/staffing/offices"): {"name": "Perm office", "timezone": "UTC"},
    ("PATCH", "/api/v1/staffing/offices/{office_id}"): {"name": "Perm office 2"},
    ("PUT", "/api/v1/staffing/offices/{office_id}/holidays"): {"holidays": []},
    ("PUT", "/api/v1/staffing/agents/{agent_id}/office"): {"office_id": None},
    ("POST", "/api/v1/staffing/shifts"): {"agent_id": 999999, "weekday": 0, "start": "09:00", "minutes": 60},
    ("PATCH", "/api/v1/staffing/shifts/{shift_id}"): {"minutes": 60},
    ("POST", "/api/v1/staffing/rotations"): {
        "name": "Perm rotation",
        "pattern": [[{"weekday": 0, "start": "09:00", "minutes": 60}]],
    },
    ("POST", "/api/v1/staffing/rotations/{rotation_id}/apply"): {"agents": [999999]},
    # department 999999 does not exist: managers get 400 once allowed (api/plans.py)
    ("POST", "/api/v1/staffing/plans"): {"department_id": 999999, "offices": [999999]},
    # staffing reads (issue 15; api/staffing.py)
    ("POST", "/api/v1/staffing/whatif"): {"arrivals": [1], "aht_by_load": [300]},
}

# A frame each agent socket handler accepts as well-formed (on a chat that does not exist), so
# the answer is about permission. Frames not listed get {"chat_id": 999999}.
FRAMES: dict[str, dict] = {
    "ping": {},
    "message.send": {"chat_id": 999999, "text": "hi"},
    "typing": {"chat_id": 999999, "typing": True},
    "sync": {"chat_id": 999999, "after": 0},
    "status.set": {"status": "online"},
    "monitor.start": {},
    "monitor.stop": {},
    "whisper.send": {"chat_id": 999999, "text": "psst"},
    "visitors.watch": {"filter": {}, "page_size": 10},
    "visitors.unwatch": {},
}


def app_routes() -> set[tuple[str, str]]:
    app = create_app(Settings(data_dir="/tmp/frontdesk-permissions-test"))
    found: set[tuple[str, str]] = set()

    def walk(routes) -> None:  # type: ignore[no-untyped-def]
        for r in routes:
            if hasattr(r, "original_router"):  # FastAPI's included routers
                walk(r.original_router.routes)
            elif isinstance(r, APIWebSocketRoute):
                found.add(("WS", r.path))
            elif isinstance(r, Mount):
                found.add(("GET", r.path))
            elif isinstance(r, APIRoute | Route):
                for method in r.methods or ():
                    if method == "HEAD" and "GET" in r.methods and r.path != "/console/":
                        continue  # Starlette adds HEAD to every GET
                    found.add((method, r.path))

    walk(app.routes)
    return found


def test_every_route_has_a_rule_and_every_rule_a_route():
    routes = app_routes()
    assert routes - set(ROUTE_RULES) == set(), "routes without a permission rule"
    assert set(ROUTE_RULES) - routes == set(), "rules for routes that no longer exist"
    for rule in ROUTE_RULES.values():
        assert rule in ("public", "visitor", "authenticated") or rule in RULES, rule


def test_every_agent_socket_frame_has_a_rule(tmp_path):
    ctx = Context(
        db=Database(f"sqlite:///{tmp_path / 'x.db'}"), settings=Settings(data_dir=tmp_path), bus=InProcessBus()
    )
    session = AgentSession(None, ctx, Hub())  # type: ignore[arg-type] — only its handler table is read
    assert set(session.handlers) == set(AGENT_FRAME_RULES)
    for rule in AGENT_FRAME_RULES.values():
        assert rule == "authenticated" or rule in RULES


@pytest.mark.asyncio(loop_scope="session")
async def test_every_rule_with_every_role(server):
    clients = {}
    for role in ROLES:
        email, password = make_agent(server, role)
        clients[role] = AgentClient(server.base_url)
        await clients[role].login(email, password)
    anonymous = httpx.AsyncClient(base_url=server.base_url, timeout=60)  # a bound, not a speed goal
    # Visitor routes that touch a visitor's data want the widget's token (no agent login).
    visitor = (await anonymous.post("/api/v1/widget/visitors", json={})).json()["visitor_token"]
    try:
        # Logging out ends the session the rest of the walk uses: it goes last.
        walk = sorted(ROUTE_RULES.items(), key=lambda item: (item[0][1] == "/api/v1/auth/logout", item[0]))
        for (method, path), rule in walk:
            if method in ("WS", "HEAD") or path.startswith("/console/static"):
                continue
            url = re.sub(r"\{[a-z_]+\}", "999999", path)
            body = BODIES.get((method, path))
            token = {"X-Visitor-Token": visitor} if rule == "visitor" else {}
            no_login = await anonymous.request(method, url, json=body, headers=token)
            if rule in ("public", "visitor"):
                assert no_login.status_code not in (401, 403), (method, path, no_login.text)
                continue
            assert no_login.status_code == 401, (method, path, no_login.status_code)
            for role, client in clients.items():
                r = await client.http.request(method, url, json=body, headers={"X-CSRF-Token": client.csrf})
                expected_forbidden = rule != "authenticated" and not allowed(role, rule)
                if expected_forbidden:
                    assert r.status_code == 403, (role, method, path, r.status_code, r.text)
                else:
                    assert r.status_code != 403, (role, method, path, r.text)
                    assert r.status_code != 401, (role, method, path, r.text)
    finally:
        await anonymous.aclose()
        for client in clients.values():
            await client.close()


@pytest.mark.asyncio(loop_scope="session")
async def test_every_agent_socket_frame_with_every_role(server):
    """Each frame of AGENT_FRAME_RULES, sent by each role over a real socket: `forbidden`
    exactly for the roles its rule leaves out."""
    for role in ROLES:
        email, password = make_agent(server, role)
        client = AgentClient(server.base_url)
        await client.login(email, password)
        await client.connect()
        assert client.socket is not None
        try:
            for frame_type, rule in sorted(AGENT_FRAME_RULES.items()):
                ref = new_client_id()
                frame = {
                    "type": frame_type,
                    "ref": ref,
                    "client_id": ref,
                    **FRAMES.get(frame_type, {"chat_id": 999999}),
                }
                await client.socket.send(frame)
                await client.socket.send({"type": "ping"})
                await client.socket.wait_type("pong")  # frames are handled in order: any answer came first
                if frame_type == "ping":  # its own pong too, or it would answer the next frame's wait
                    await client.socket.wait_type("pong")
                errors = [f for f in client.socket.frames if f.get("type") == "error" and f.get("ref") == ref]
                client.socket.frames.clear()
                forbidden = [e for e in errors if e.get("code") == "forbidden"]
                if rule != "authenticated" and not allowed(role, rule):
                    assert forbidden, (role, frame_type, errors)
                else:
                    assert not forbidden, (role, frame_type, errors)
                    assert not [e for e in errors if e.get("code") in ("bad_request", "internal")], (
                        role,
                        frame_type,
                        errors,
                    )
        finally:
            await client.close()


def test_the_documented_table_says_what_the_rules_say():
    """docs/permissions.md has a row for every rule, with ✓ (every department), `own` (their
    own departments), `greeter` (users marked as greeters), `self` (their own figures only) or
    nothing for each role, as RULES has it."""
    from pathlib import Path

    from frontdesk.permissions import GREETER, SCOPED, SELF

    doc = (Path(__file__).parents[2] / "docs" / "permissions.md").read_text()
    header = "| action | " + " | ".join(ROLES) + " | notes |"
    assert header in doc, f"the table's header must be {header!r}"
    documented: dict[str, list[str]] = {}
    for line in doc[doc.index(header) :].splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip("|").split("|")]
        for action in re.findall(r"`([a-z_.]+)`", cells[0]):
            documented[action] = cells[1 : 1 + len(ROLES)]
    assert set(RULES) - set(documented) == set(), "rules missing from docs/permissions.md"
    assert set(documented) - set(RULES) == set(), "documented rules that do not exist"
    for action, rule in RULES.items():
        expected = [
            "✓"
            if r in rule
            else "own"
            if r + SCOPED in rule
            else "greeter"
            if r + GREETER in rule
            else "self"
            if r + SELF in rule
            else ""
            for r in ROLES
        ]
        assert documented[action] == expected, (action, documented[action], expected)
