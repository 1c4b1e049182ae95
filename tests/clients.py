"""Protocol clients for tests and benchmarks: a visitor (widget) and an agent (console)."""

from __future__ import annotations

import asyncio
import secrets
import uuid
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect

from tests.frames import Side, frame_problem

# Every frame a test socket receives is checked against the frame catalogue (tests/frames.py);
# what is wrong is kept here and in the socket, and fails the test (Socket.wait_for, and
# tests/conftest.py after each test). A benchmark reusing these clients may turn it off.
CHECK_FRAMES = True
FRAME_PROBLEMS: list[str] = []


def new_client_id() -> str:
    return uuid.uuid4().hex


class Socket:
    """A WebSocket with a buffer of received frames and helpers to wait for one. Each frame
    is checked against the catalogue for its `side` (visitor, agent; None: either)."""

    def __init__(self, ws: ClientConnection, side: Side | None = None) -> None:
        self.ws = ws
        self.side = side
        self.frames: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self._new = asyncio.Condition()
        self._reader = asyncio.create_task(self._read())
        self.closed_code: int | None = None

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                frame = orjson.loads(raw)
                problem = frame_problem(frame, self.side) if CHECK_FRAMES else None
                if problem:
                    self.problems.append(problem)
                    FRAME_PROBLEMS.append(problem)
                async with self._new:
                    self.frames.append(frame)
                    self._new.notify_all()
        except Exception:  # noqa: S110 — closing is reported through closed_code
            pass
        finally:
            self.closed_code = self.ws.close_code
            async with self._new:
                self._new.notify_all()

    async def send(self, frame: dict[str, Any]) -> None:
        await self.ws.send(orjson.dumps(frame).decode())

    async def send_raw(self, text: str) -> None:
        await self.ws.send(text)

    async def wait_for(self, predicate, timeout: float = 5.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        """The first buffered frame (from the start) matching predicate; consumed."""

        async def find() -> dict[str, Any]:
            async with self._new:
                while True:
                    if self.problems:
                        raise AssertionError(f"a frame off the catalogue: {self.problems[0]}")
                    for i, frame in enumerate(self.frames):
                        if predicate(frame):
                            return self.frames.pop(i)
                    if self.closed_code is not None:
                        raise ConnectionError(f"socket closed with {self.closed_code}")
                    await self._new.wait()

        return await asyncio.wait_for(find(), timeout)

    async def wait_type(self, type_: str, timeout: float = 5.0, **fields: Any) -> dict[str, Any]:
        return await self.wait_for(
            lambda f: f.get("type") == type_ and all(f.get(k) == v for k, v in fields.items()), timeout
        )

    async def wait_closed(self, timeout: float = 5.0) -> int | None:
        await asyncio.wait_for(self._reader, timeout)
        return self.closed_code

    async def close(self) -> None:
        await self.ws.close()
        await asyncio.gather(self._reader, return_exceptions=True)


class VisitorClient:
    def __init__(self, base_url: str, origin: str | None = None) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http", "ws", 1) + "/api/v1/widget/ws"
        self.origin = origin
        self.token: str | None = None
        self.visitor: dict[str, Any] | None = None
        self.socket: Socket | None = None
        self.welcome: dict[str, Any] | None = None

    async def register(self) -> None:
        async with httpx.AsyncClient() as http:
            r = await http.post(self.base_url + "/api/v1/widget/visitors", json={})
            r.raise_for_status()
            body = r.json()
        self.token, self.visitor = body["visitor_token"], body["visitor"]

    async def connect(self, page: dict[str, Any] | None = None) -> dict[str, Any]:
        if self.token is None:
            await self.register()
        headers = {"Origin": self.origin} if self.origin else {}
        ws = await connect(self.ws_url, additional_headers=headers, max_size=2**22)
        self.socket = Socket(ws, "visitor")
        await self.socket.send({"type": "hello", "v": 1, "token": self.token, "page": page or {}})
        self.welcome = await self.socket.wait_type("welcome")
        return self.welcome

    async def send(self, text: str, client_id: str | None = None) -> dict[str, Any]:
        cid = client_id or new_client_id()
        assert self.socket
        await self.socket.send({"type": "message.send", "text": text, "client_id": cid})
        return await self.socket.wait_for(
            lambda f: f.get("ref") == cid and f.get("type") in ("ack", "error"), timeout=10
        )

    async def close(self) -> None:
        if self.socket:
            await self.socket.close()


class AgentClient:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.ws_url = base_url.replace("http", "ws", 1) + "/api/v1/agent/ws"
        # A bound, not a speed goal: a staffing answer's first call imports the models (~8 s of
        # CPU) and a loaded CI machine stretches the OpenAPI document past httpx's 5 s default.
        self.http = httpx.AsyncClient(base_url=base_url, timeout=60)
        self.csrf: str | None = None
        self.user: dict[str, Any] | None = None
        self.socket: Socket | None = None

    async def login(self, email: str, password: str) -> None:
        r = await self.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        self.csrf = r.json()["csrf_token"]
        self.user = r.json()["user"]

    async def post(self, path: str, json: Any = None) -> httpx.Response:
        return await self.http.post(path, json=json, headers={"X-CSRF-Token": self.csrf or ""})

    async def connect(self) -> dict[str, Any]:
        cookie = self.http.cookies.get("fd_session")
        ws = await connect(self.ws_url, additional_headers={"Cookie": f"fd_session={cookie}"}, max_size=2**22)
        self.socket = Socket(ws, "agent")
        return await self.socket.wait_type("welcome")

    async def send(self, chat_id: int, text: str, client_id: str | None = None) -> dict[str, Any]:
        cid = client_id or new_client_id()
        assert self.socket
        await self.socket.send({"type": "message.send", "chat_id": chat_id, "text": text, "client_id": cid})
        return await self.socket.wait_for(
            lambda f: f.get("ref") == cid and f.get("type") in ("ack", "error"), timeout=10
        )

    async def close(self) -> None:
        if self.socket:
            await self.socket.close()
        await self.http.aclose()


def make_agent(server, role: str = "agent") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Create a user through the real CLI; returns (email, password)."""
    email = f"{role}-{secrets.token_hex(4)}@example.com"
    password = "pw-" + secrets.token_urlsafe(12)
    server.cli(
        "user",
        "create",
        "--email",
        email,
        "--name",
        f"Agent {email[:10]}",
        "--role",
        role,
        "--password",
        password,
    )
    return email, password
