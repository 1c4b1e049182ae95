"""Users for tests against a real server, made quickly: one CLI call per server, then the API.

`tests.clients.make_agent` runs `frontdesk user create`: a new Python process that spends ~3.5 s
of CPU (more wall time on a busy machine) importing the app before it writes one row. Here every
user is a `POST /api/v1/users` by a private admin of the server, "the maker", that no test sees:
the same action (`users.do_create_user`), role and default department, at the cost of one
password hash. The maker is the admin `frontdesk serve` creates on its first start and prints to
its log (read back from the log: this also proves that first start), or, where the log shows
none (a cluster's second node) or a test ended that admin's access, an admin made with the real
CLI. Every call makes a new user with a unique e-mail, so tests sharing a module's server never
share users. Plain helper module: no fixtures.
"""

from __future__ import annotations

import re
import secrets

import httpx

from tests.clients import AgentClient
from tests.clients import make_agent as make_agent_with_cli


def _first_start_admin(server) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    """The admin `frontdesk serve` made on its first start, as it printed it to the server's log
    (tests.conftest.ServerProcess keeps stdout there); None if this server printed none."""
    log = getattr(server, "log_path", None)
    if log is None or not log.exists():
        return None
    text = log.read_text(errors="replace")
    email = re.search(r"^\s*E-mail:\s+(\S+)\s*$", text, re.M)
    password = re.search(r"^\s*Password:\s+(\S+)\s*$", text, re.M)
    return (email.group(1), password.group(1)) if email and password else None


class _Maker:
    """The server's private admin, logged in once (a cookie session): the admin the server made
    on its first start when its log shows one that still logs in, else one made with the CLI."""

    def __init__(self, server, first_start: bool = True) -> None:  # type: ignore[no-untyped-def]
        self.http = httpx.Client(base_url=server.base_url, timeout=30)
        found = _first_start_admin(server) if first_start else None
        r = self.http.post("/api/v1/auth/login", json={"email": found[0], "password": found[1]}) if found else None
        if r is None or r.status_code != 200:
            email, password = make_agent_with_cli(server, "admin")
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
        maker = _Maker(server, first_start=not fresh)
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
