"""The API explorer (/api/v1/docs) loads nothing from another host: Swagger UI's pinned files are
served from here, started by a script file, under a Content-Security-Policy of this origin only."""

from __future__ import annotations

import re

import httpx
import pytest

from frontdesk.app import create_app
from frontdesk.config import Settings

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALLOWED_SOURCES = {"'self'", "'none'", "data:"}


@pytest.fixture(autouse=True)
def duty_agent() -> None:
    """In-process app, no server: this module needs no agent on duty (conftest's is replaced)."""


def client(tmp_path, **settings) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=tmp_path, secret_key="test-secret", **settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://frontdesk.test")


def sources(csp: str) -> set[str]:
    return {token for directive in csp.split(";") for token in directive.split()[1:]}


async def test_the_docs_page_references_no_other_host(tmp_path):
    async with client(tmp_path) as http:
        page = await http.get("/api/v1/docs")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert sources(page.headers["content-security-policy"]) <= ALLOWED_SOURCES
        assert "<script>" not in page.text and "http:" not in page.text and "https:" not in page.text
        urls = re.findall(r'(?:src|href)="([^"]*)"', page.text)
        assert len(urls) == 4, urls  # icon, stylesheet, Swagger UI, our start script
        for url in urls:
            assert url.startswith("/") and not url.startswith("//"), url
            asset = await http.get(url)
            assert asset.status_code == 200 and asset.content, url
            assert sources(asset.headers["content-security-policy"]) <= ALLOWED_SOURCES
        start = await http.get("/api/v1/docs/init.js")
        assert "/api/v1/openapi.json" in start.text and "validatorUrl: null" in start.text
        # Only the files the page uses; no OAuth2 redirect page; the document itself stays.
        for path in (
            "/api/v1/docs/swagger-editor-bundle.js",
            "/api/v1/docs/oauth2-redirect.html",
            "/docs/oauth2-redirect",
        ):
            r = await http.get(path)
            assert r.status_code == 404, path
        assert (await http.get("/api/v1/docs/..%2F..%2Fconfig.py")).status_code == 404
        assert (await http.get("/api/v1/openapi.json")).json()["openapi"]


async def test_the_docs_page_can_be_turned_off(tmp_path):
    async with client(tmp_path, api_docs=False) as http:
        assert (await http.get("/api/v1/docs")).status_code == 404
        assert (await http.get("/api/v1/docs/swagger-ui-bundle.js")).status_code == 404
        assert (await http.get("/api/v1/openapi.json")).status_code == 200
