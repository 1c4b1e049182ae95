"""Users for tests against a real server, made quickly: one CLI call per server, then the API.

`tests.clients.make_agent` runs `frontdesk user create`: a new Python process that spends ~3.5 s
of CPU (more wall time on a busy machine) importing the app before it writes one row. Here each
server's first user is still made with that real CLI (a private admin, "the maker", that no test
sees), and every other user is a `POST /api/v1/users` by the maker: the same action
(`users.do_create_user`), role and default department, at the cost of one password hash. Every
call makes a new user with a unique e-mail, so tests sharing a module's server never share users.
Plain helper module: no fixtures.
"""

from __future__ import annotations

import secrets

import httpx

from tests.clients import AgentClient
from tests.clients import make_agent as make_agent_with_cli


class _Maker:
    """The server's private admin, logged in once (a cookie session)."""

    def __init__(self, server) -> None:  # type: ignore[no-untyped-def]
        email, password = make_agent_with_cli(server, "admin")
        self.http = httpx.Client(base_url=server.base_url, timeout=30)
        r = self.http.post("/api/v1/auth/login", json={"email": email, "password": password})
        r.raise_for_status()
        self.csrf = r.json()["csrf_token"]

    def post(self, path: str, body: dict) -> httpx.Response:
        return self.http.post(path, json=body, headers={"X-CSRF-Token": self.csrf})


def _maker(server, fresh: bool = False) -> _Maker:  # type: ignore[no-untyped-def]
    maker = getattr(server, "_test_maker", None)
    if maker is None or fresh:
        if maker is not None:
            maker.http.close()
        maker = _Maker(server)
        server._test_maker = maker
    return maker


def make_agent(server, role: str = "agent", departments: list[str] | None = None) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A new user with `role` (in `departments` by slug, else the default one); returns
    (email, password). Synchronous, like the CLI helper it replaces."""
    email = f"{role}-{secrets.token_hex(4)}@example.com"
    password = "pw-" + secrets.token_urlsafe(12)
    body: dict = {"email": email, "name": f"Agent {email[:10]}", "role": role, "password": password}
    if departments is not None:
        body["departments"] = departments
    r = _maker(server).post("/api/v1/users", body)
    if r.status_code == 401:  # a test (or generated request) ended the maker's session: a new one
        r = _maker(server, fresh=True).post("/api/v1/users", body)
    assert r.status_code == 201, r.text
    return email, password


async def login(server, role: str = "agent") -> AgentClient:  # type: ignore[no-untyped-def]
    """A new user with `role`, logged in (cookie session, CSRF token); not connected."""
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    return client


async def api_token(server, role: str = "admin") -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A new user with `role` and an API token of theirs made through the API: (email, secret)."""
    email, password = make_agent(server, role)
    client = AgentClient(server.base_url)
    await client.login(email, password)
    r = await client.post("/api/v1/tokens", json={"label": "tests"})
    assert r.status_code == 201, r.text
    await client.close()
    return email, r.json()["token"]["secret"]
