"""plotly.js for the console's charts is served from this server (api/vendor.py): the installed
package's bundle, gzipped for browsers that accept it, revalidated by ETag, under the console's
Content-Security-Policy."""

from __future__ import annotations

import gzip

import httpx
import pytest

from frontdesk.api.vendor import PLOTLY_PATH, accepts_gzip, plotly_file
from frontdesk.app import create_app
from frontdesk.config import Settings


@pytest.fixture(autouse=True)
def duty_agent() -> None:
    """In-process app, no server: this module needs no agent on duty (conftest's is replaced)."""


def client(tmp_path) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=tmp_path, secret_key="test-secret"))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://frontdesk.test")


@pytest.mark.asyncio(loop_scope="session")
async def test_plotly_is_the_installed_bundle_gzipped_and_revalidated(tmp_path):
    raw = plotly_file().read_bytes()
    assert b"plotly.js" in raw[:200]
    async with client(tmp_path) as http:
        r = await http.get(PLOTLY_PATH, headers={"Accept-Encoding": "gzip, deflate"})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/javascript")
        assert r.headers["content-encoding"] == "gzip"
        assert "script-src 'self'" in r.headers["content-security-policy"]  # the console's policy
        assert r.content == raw  # httpx undid the gzip: the same bytes as the package's file
        assert int(r.headers["content-length"]) < len(raw) // 2  # sent compressed
        etag = r.headers["etag"]

        plain = await http.get(PLOTLY_PATH, headers={"Accept-Encoding": "identity"})
        assert plain.status_code == 200 and "content-encoding" not in plain.headers
        assert plain.content == raw and plain.headers["etag"] == etag

        again = await http.get(PLOTLY_PATH, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        assert gzip.decompress(await _raw_body(http, '"something-else"')) == raw  # another ETag: the file


async def _raw_body(http: httpx.AsyncClient, etag: str) -> bytes:
    """The response body as sent (still gzipped), not decoded by httpx."""
    async with http.stream("GET", PLOTLY_PATH, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}) as r:
        assert r.status_code == 200
        return b"".join([chunk async for chunk in r.aiter_raw()])


def test_accept_encoding():
    assert accepts_gzip("gzip, deflate, br")
    assert accepts_gzip("br;q=1.0, gzip;q=0.8")
    assert accepts_gzip("*")
    assert not accepts_gzip("")
    assert not accepts_gzip("identity")
    assert not accepts_gzip("br, gzip;q=0")
