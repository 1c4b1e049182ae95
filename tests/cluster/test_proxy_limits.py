"""The shipped nginx config's limits (deploy/nginx.conf, run by harness.Nginx as in the cluster
tests): uploads up to the app's attachment limit pass, other bodies past 64 KB are refused by
nginx itself, oversized heads too, and /metrics is not reachable through the proxy.

One node on SQLite behind nginx: these are the proxy's rules, not the cluster's."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import httpx
import pytest
import pytest_asyncio

from tests.accounts import make_agent
from tests.clients import AgentClient, VisitorClient, new_client_id
from tests.cluster.harness import Nginx, nginx_binary
from tests.conftest import ServerProcess

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(nginx_binary() is None, reason="needs nginx (FRONTDESK_TEST_NGINX)"),
]


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def proxied(tmp_path_factory: pytest.TempPathFactory):
    data_dir = tmp_path_factory.mktemp("proxied-node")
    node = ServerProcess(data_dir, f"sqlite:///{data_dir / 'frontdesk.db'}")
    await node.start()
    # Under /tmp, not pytest's 700 directories: nginx's workers write request bodies there.
    prefix = Path(tempfile.mkdtemp(prefix="fd-nginx.", dir="/tmp"))
    nginx = Nginx(nginx_binary(), prefix, [node.port])  # type: ignore[arg-type]
    try:
        await nginx.start()
        email, password = make_agent(node)
        agent = AgentClient(nginx.base_url)
        await agent.login(email, password)
        await agent.connect()  # on duty, so a visitor's chat can start
        yield node, nginx
        await agent.close()
    finally:
        await nginx.stop()
        await node.stop()
        shutil.rmtree(prefix, ignore_errors=True)


async def test_an_eight_megabyte_attachment_passes_through_nginx(proxied):
    node, nginx = proxied
    visitor = VisitorClient(nginx.base_url)  # socket and upload through the proxy
    await visitor.connect()
    assert (await visitor.send("the log file follows"))["type"] == "ack"
    data = b"line of a long log file\n" * (8 * 1024 * 1024 // 24)
    async with httpx.AsyncClient(base_url=nginx.base_url, timeout=60) as http:
        r = await http.post(
            "/api/v1/widget/attachments",
            files={"file": ("server.log", data, "text/plain")},
            data={"client_id": new_client_id()},
            headers={"X-Visitor-Token": visitor.token or ""},
        )
        assert r.status_code == 201, r.text[:300]
        att = r.json()["event"]["data"]["attachment"]
        assert att["size"] == len(data) > 8_000_000
        got = await http.get(f"/api/v1/widget/attachments/{att['id']}", headers={"X-Visitor-Token": visitor.token})
        assert got.status_code == 200 and got.content == data
    await visitor.close()


async def test_a_large_body_elsewhere_is_refused_by_nginx(proxied):
    node, nginx = proxied
    body = b'{"name": "' + b"x" * (70 * 1024) + b'"}'
    async with httpx.AsyncClient(base_url=nginx.base_url) as http:
        r = await http.post("/api/v1/widget/visitors", content=body, headers={"Content-Type": "application/json"})
        assert r.status_code == 413
        assert r.headers["content-type"].startswith("text/html") and "nginx" in r.text  # nginx's page: not passed on
        # A small body still goes through.
        assert (await http.post("/api/v1/widget/visitors", json={})).status_code == 201


async def test_oversized_heads_are_refused_by_nginx(proxied):
    node, nginx = proxied
    async with httpx.AsyncClient(base_url=nginx.base_url) as http:
        r = await http.get("/healthz", headers={"X-Big": "b" * (20 * 1024)})
        assert r.status_code in (400, 431, 494), r.status_code
        many = {f"X-Many-{i}": "m" * 15_000 for i in range(6)}
        assert (await http.get("/healthz", headers=many)).status_code in (400, 431, 494)
        assert (await http.get("/healthz", headers={"Cookie": "c=" + "x" * 8000})).status_code == 200


async def test_metrics_are_not_served_through_the_proxy(proxied):
    node, nginx = proxied
    async with httpx.AsyncClient() as http:
        r = await http.get(nginx.base_url + "/metrics")
        assert r.status_code == 403 and r.headers["content-type"].startswith("text/html")  # nginx's, not the app's
        assert (await http.get(node.base_url + "/metrics")).status_code == 200  # on the node's machine
