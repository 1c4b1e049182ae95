"""The API explorer at /api/v1/docs: Swagger UI, served from this server, never from a CDN.

Swagger UI's files come from the `swagger-ui-py` package, pinned in pyproject.toml (so the
version we serve is the one we tested); only the files the page needs are served, with our
own start script (web/docs/init.js) instead of an inline one. The page's Content-Security-Policy
allows this origin only (and data: images, which Swagger UI's stylesheet uses for its icons).
There is no OAuth2 redirect page: the API uses cookies and Bearer tokens, not OAuth2 flows.
FRONTDESK_API_DOCS=false turns the page off; /api/v1/openapi.json stays.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from frontdesk.domain.chat_rules import ChatRuleError

DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
INIT = Path(__file__).resolve().parents[1] / "web" / "docs" / "init.js"
ASSETS = {
    "swagger-ui.css": "text/css; charset=utf-8",
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "favicon-32x32.png": "image/png",
}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>frontdesk API</title>
<link rel="icon" type="image/png" href="/api/v1/docs/favicon-32x32.png">
<link rel="stylesheet" href="/api/v1/docs/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/api/v1/docs/swagger-ui-bundle.js"></script>
<script src="/api/v1/docs/init.js"></script>
</body>
</html>
"""

router = APIRouter(include_in_schema=False)


def swagger_ui_dir() -> Path:
    """The package's folder of Swagger UI files, found without importing the package (its
    __init__ pulls in framework glue we do not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed (a dependency in pyproject.toml)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


def _headers() -> dict[str, str]:
    return {"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-cache"}


@router.get("/api/v1/docs")
async def docs_page() -> HTMLResponse:
    return HTMLResponse(PAGE, headers=_headers())


@router.get("/api/v1/docs/{asset}")
async def docs_asset(asset: str) -> FileResponse:
    if asset == "init.js":
        return FileResponse(INIT, media_type="text/javascript; charset=utf-8", headers=_headers())
    if asset not in ASSETS:
        raise ChatRuleError("not_found", "No such file.")
    return FileResponse(swagger_ui_dir() / asset, media_type=ASSETS[asset], headers=_headers())
