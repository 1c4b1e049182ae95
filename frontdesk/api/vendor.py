"""Third-party browser files the console loads, served from this server (never from a CDN).

plotly.js comes from the `plotly` package (a dependency in pyproject.toml), which ships the
minified bundle as package data: the version served is the one installed. The console loads it
only where it draws a chart (web/console/invite_rules.js: the rule simulator and the invitation
report), by adding a <script> for /console/vendor/plotly.min.js; it runs under the console's
Content-Security-Policy (script-src 'self', no eval). The bundle is 4.8 MB; browsers that accept
gzip get a copy compressed once per process (about 1.4 MB), and an ETag lets them revalidate
with a 304 instead of fetching it again.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import importlib.util
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

PLOTLY_PATH = "/console/vendor/plotly.min.js"

router = APIRouter(include_in_schema=False)


def plotly_file() -> Path:
    """plotly.min.js inside the installed package, found without importing the package (its
    __init__ is slow and pulls in what the server never uses)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("plotly is not installed (a dependency in pyproject.toml)")
    return Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"


@lru_cache(maxsize=1)
def _plotly() -> tuple[bytes, bytes, str]:
    """The bundle, its gzipped copy and its ETag (read and compressed once per process)."""
    raw = plotly_file().read_bytes()
    return raw, gzip.compress(raw, compresslevel=6), f'"{hashlib.sha256(raw).hexdigest()[:32]}"'


def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header allows gzip (and does not refuse it with q=0)."""
    for part in accept_encoding.lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip()
            return not (q.startswith("q=") and q[2:].strip() in ("0", "0.0", "0.00", "0.000"))
    return False


@router.get(PLOTLY_PATH)
async def plotly_js(request: Request) -> Response:
    raw, packed, etag = await asyncio.to_thread(_plotly)  # the first call reads and compresses
    headers = {"ETag": etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if accepts_gzip(request.headers.get("accept-encoding", "")):
        headers["Content-Encoding"] = "gzip"
        return Response(packed, media_type="text/javascript; charset=utf-8", headers=headers)
    return Response(raw, media_type="text/javascript; charset=utf-8", headers=headers)
