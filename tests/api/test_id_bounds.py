"""One id type: an id outside 1 .. 2^63-1 is a 400 naming the field, everywhere an id arrives.

The routes are read from the app itself (every path or query parameter of type int named
`id`, `*_id`, `before` or `after`), so a new route is covered without touching this file. Each
bad value is sent over one raw keep-alive connection, which must then still answer a normal
request (a driver overflow used to be a 500 and a reset connection). Socket frames likewise:
an error frame naming the field, and the socket still answers.
"""

from __future__ import annotations

import asyncio
import json
import re
import socket
import types
from typing import Any, Union, get_args, get_origin
from urllib.parse import urlsplit

import orjson
import pytest
from fastapi.routing import APIRoute

from frontdesk.app import create_app
from frontdesk.config import Settings
from frontdesk.domain.ids import max_id
from frontdesk.permissions import AGENT_FRAME_RULES
from tests.accounts import api_token, make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id

pytestmark = pytest.mark.asyncio(loop_scope="session")

TOO_BIG = [2**63, 2**64]


def too_big(name: str) -> list[int]:
    """Just past the field's range (2^31 for INTEGER-keyed ids), 2^63 and 2^64."""
    return sorted({max_id(name) + 1, *TOO_BIG})


ID_NAME = re.compile(r"(\w+_)?id|before|after")


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return int in get_args(annotation)
    return False


def _params(dependant: Any, where: str) -> list[Any]:
    """The route's parameters in `where`, its dependencies' included (e.g. the archive filters)."""
    own = list(getattr(dependant, f"{where}_params"))
    return own + [p for sub in dependant.dependencies for p in _params(sub, where)]


def _api_routes(routes: list[Any]) -> list[APIRoute]:
    out: list[APIRoute] = []
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included routers
            out += _api_routes(route.original_router.routes)
        elif isinstance(route, APIRoute):
            out.append(route)
    return out


def id_parameters() -> list[tuple[str, str, str, str]]:
    """(method, path, 'path'|'query', name) for every id parameter of every route."""
    app = create_app(Settings(secret_key="test"))
    found = []
    for route in _api_routes(app.routes):
        for where in ("path", "query"):
            for param in _params(route.dependant, where):
                name = param.alias or param.name
                if ID_NAME.fullmatch(name) and _is_int(param.field_info.annotation):
                    for method in sorted(route.methods - {"HEAD"}):
                        found.append((method, route.path, where, name))
    return found


ID_PARAMETERS = id_parameters()


async def test_the_route_walk_finds_the_id_parameters():
    assert len({(m, p) for m, p, _, _ in ID_PARAMETERS}) >= 37  # the 37 operations of the report
    assert ("GET", "/api/v1/chats/{chat_id}", "path", "chat_id") in ID_PARAMETERS
    assert ("GET", "/api/v1/archive/export.csv", "query", "department_id") in ID_PARAMETERS
    assert ("GET", "/api/v1/chats/{chat_id}/messages", "query", "after") in ID_PARAMETERS


class RawConnection:
    """HTTP/1.1 over one TCP connection, to see that it stays open between requests."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.host = f"{parts.hostname}:{parts.port}"
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=10)
        self.buffer = b""

    def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b"", *, head_only: bool = False
    ) -> tuple[int, bytes]:
        lines = [f"{method} {target} HTTP/1.1", f"Host: {self.host}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        while b"\r\n\r\n" not in self.buffer:
            self._read()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        status = int(head.split(b" ", 2)[1])
        if head_only:  # e.g. a streamed download: the connection is not used again
            return status, b""
        fields = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:])
        fields = {k.lower(): v for k, v in fields.items()}
        assert b"content-length" in fields, f"an error answer is not streamed: {head!r}"
        length = int(fields[b"content-length"])
        while len(self.buffer) < length:
            self._read()
        payload, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, payload

    def _read(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the keep-alive connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


def _target(path: str, where: str, name: str, value: int) -> str:
    filled = re.sub(r"\{(\w+)\}", lambda m: str(value) if (where, m[1]) == ("path", name) else "1", path)
    return filled + (f"?{name}={value}" if where == "query" else "")


def check_routes(base_url: str, token: str) -> list[str]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    wrong: list[str] = []
    conn = RawConnection(base_url)
    try:
        for method, path, where, name in ID_PARAMETERS:
            for value in too_big(name):
                status, body = conn.request(method, _target(path, where, name, value), headers, b"{}")
                error = orjson.loads(body).get("error", {}) if body.startswith(b"{") else {}
                if status != 400 or error.get("field") != name:
                    wrong.append(f"{method} {path} {where} {name}={value}: {status} {body[:200]!r}")
                status, _ = conn.request("GET", "/api/v1/auth/me", headers)  # the same connection
                assert status == 200
    finally:
        conn.close()
    return wrong


async def test_ids_out_of_range_are_a_400_naming_the_field_on_every_route(server):
    _email, token = await api_token(server, "admin")
    wrong = await asyncio.to_thread(check_routes, server.base_url, token)
    assert not wrong, "\n".join(wrong)


async def test_a_bad_export_filter_is_refused_before_the_download_starts(server):
    _email, token = await api_token(server, "admin")
    conn = RawConnection(server.base_url)
    try:
        for target, field in (
            (f"/api/v1/archive/export.csv?agent_id={2**63}", "agent_id"),
            (f"/api/v1/archive/export.jsonl?tag_id={2**64}", "tag_id"),
            ("/api/v1/archive/export.csv?to=0.5", "to"),
            ("/api/v1/archive/export.jsonl?from=1700000000", "from"),
            ("/api/v1/archive/search?to=0.5", "to"),
            ("/api/v1/reports/satisfaction?to=0.5", "to"),
            ("/api/v1/audit?to=0.5", "to"),
            ("/api/v1/audit?from=2026-W01", "from"),
            ("/api/v1/reports/review-scores?to=0.5", "to"),
            ("/api/v1/archive/search?from=9999-12-31T23:59-01:00", "from"),
        ):
            status, body = conn.request("GET", target, {"Authorization": f"Bearer {token}"})
            assert status == 400, (target, body)
            assert orjson.loads(body)["error"]["field"] == field, (target, body)
        good = "/api/v1/archive/export.csv?to=2026-11-30"
        status, _ = conn.request("GET", good, {"Authorization": f"Bearer {token}"}, head_only=True)
        assert status == 200
    finally:
        conn.close()


# The id fields of each agent frame (frames without ids are listed with none, so a new frame
# type fails the coverage check below until someone decides).
AGENT_FRAME_IDS: dict[str, list[str]] = {
    "ping": [],
    "status.set": [],
    "monitor.stop": [],
    "message.send": ["chat_id", "canned_id"],
    "typing": ["chat_id"],
    "sync": ["chat_id", "after"],
    "chat.accept": ["chat_id"],
    "chat.decline": ["chat_id"],
    "chat.close": ["chat_id"],
    "monitor.start": ["department_id"],
    "watch": ["chat_id"],
    "unwatch": ["chat_id"],
    "whisper.send": ["chat_id"],
    "visitors.watch": ["page", "page_size"],  # filter.department past its range: test_visitors_live_api
    "visitors.unwatch": [],
}
VISITOR_FRAME_IDS: dict[str, list[str]] = {
    "sync": ["chat_id", "after"],
    "chat.rate": ["chat_id"],
    "transcript.email": ["chat_id"],
    "invitation.shown": ["invitation_id"],
    "invitation.dismiss": ["invitation_id"],
    "message.send": ["invitation_id"],
    "read": ["seq"],  # a chat's seq (INTEGER): past 2^31 - 1 refused even without an open chat
}


def frame_with(kind: str, field: str, value: int) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": kind, "chat_id": 1, "after": 0, "ref": "r1", "client_id": new_client_id()}
    frame.update({"text": "hi", "rating": 1, "email": "a@example.com", "typing": True})
    frame[field] = value
    return frame


async def test_every_agent_frame_is_listed():
    assert set(AGENT_FRAME_IDS) >= set(AGENT_FRAME_RULES), set(AGENT_FRAME_RULES) - set(AGENT_FRAME_IDS)


async def _errors_then_pong(sock, frames: list[tuple[dict[str, Any], str]]) -> None:  # type: ignore[no-untyped-def]
    for frame, field in frames:
        await sock.send_raw(json.dumps(frame))  # the standard library writes any integer
        error = await sock.wait_type("error")
        assert error["code"] == "bad_request" and error.get("field") == field, (frame, error)
        await sock.send({"type": "ping"})
        await sock.wait_type("pong")  # still open and answering


async def test_socket_frames_refuse_ids_out_of_range_and_stay_open(server):
    email, password = make_agent(server, "admin")
    agent = AgentClient(server.base_url)
    await agent.login(email, password)
    await agent.connect()
    frames = [(frame_with(k, f, v), f) for k, fields in AGENT_FRAME_IDS.items() for f in fields for v in too_big(f)]
    for start in range(0, len(frames), 8):  # 20 bad frames close a socket: a fresh one every 8
        await _errors_then_pong(agent.socket, frames[start : start + 8])
        await agent.socket.close()
        await agent.connect()
    await agent.close()

    visitor = VisitorClient(server.base_url)
    await visitor.connect()
    frames = [(frame_with(k, f, v), f) for k, fields in VISITOR_FRAME_IDS.items() for f in fields for v in too_big(f)]
    await _errors_then_pong(visitor.socket, frames)
    answer = await visitor.send("still here")
    assert answer["type"] == "ack", answer
    await visitor.close()
