"""One error shape for every HTTP failure, and never a stack trace to a client."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from frontdesk.actions.context import database_unavailable, unavailable_error
from frontdesk.api.uploads import UploadRefused
from frontdesk.domain.chat_rules import ChatRuleError

log = logging.getLogger(__name__)

STATUS = {
    "bad_request": 400,
    "unauthorized": 401,
    "forbidden": 403,
    "scripted": 403,  # scripted mode: free text refused, a canned response would do
    "csrf": 403,
    "not_found": 404,
    "conflict": 409,
    "chat_closed": 409,
    "visitor_gone": 409,  # an invitation to a visitor who has left the site
    "too_large": 413,
    "rate_limited": 429,
    "unavailable": 503,
    "internal": 500,
}
_BY_STATUS = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
    503: "unavailable",
}


def error_response(
    code: str,
    message: str,
    *,
    field: str | None = None,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict = {"code": code, "message": message}
    if field:
        body["field"] = field
    return JSONResponse({"error": body}, status_code=status or STATUS.get(code, 400), headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(ChatRuleError)
    async def _rule(_request: Request, exc: ChatRuleError) -> JSONResponse:
        headers = {"Retry-After": str(max(1, round(exc.retry_after)))} if exc.retry_after else None
        return error_response(exc.code, exc.message, field=exc.field, headers=headers)

    @app.exception_handler(UploadRefused)
    async def _upload(_request: Request, exc: UploadRefused) -> JSONResponse:
        error = exc.error  # the rest of the body is not read: close, so the client stops sending
        return error_response(error.code, error.message, field=error.field, headers={"Connection": "close"})

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path")]
        field = ".".join(loc) or None
        message = f"{field}: {first.get('msg', 'invalid')}" if field else str(first.get("msg", "invalid request"))
        return error_response("bad_request", message, field=field)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _BY_STATUS.get(exc.status_code, "bad_request")
        return error_response(code, str(exc.detail), status=exc.status_code, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _any(_request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            log.warning("database unavailable: %s", type(exc).__name__)
            error = unavailable_error(exc)
            return error_response(error.code, error.message, headers={"Retry-After": "1"})
        log.exception("unhandled error")
        return error_response("internal", "Something went wrong on our side; please retry.")
