"""The OpenAPI document (`/api/v1/openapi.json`): FastAPI's, corrected to say what the server does.

FastAPI describes the routes, parameters and typed models. This step adds what it cannot know,
derived from the same tables the server obeys, so the document cannot drift from the code:

- one error shape, the `Error` component (`{"error": {"code", "message", "field"?}}`,
  api/errors.py), for every error answer; FastAPI's 422 (never sent: validation answers 400)
  and its validation schemas are removed;
- the error codes each operation can answer: 400 where the request carries input; 401 for every
  route that needs a login and 403 for every route guarded by an action (both from
  permissions.ROUTE_RULES), and for writes a cookie session makes without its CSRF header;
  404 where the path, a query parameter or a body field names something (`*_id`,
  `department`); 409 for writes; 413 where there is a body (64 KB) or an upload; 429 where a
  rate limit applies (RATE_LIMITED); 503 everywhere (the database is away);
- the security schemes (Bearer API token, session cookie, visitor token) per operation;
- optional query parameters as their plain type (a query string cannot carry `null`);
- uploads as `multipart/form-data`, and non-JSON answers (CSV, JSON Lines, HTML, text, files)
  with their own media type and no JSON alternative, where the route declares it with
  `responses=` (see `file_answer`).

tests/api/test_openapi_conformance.py runs schemathesis against a live server with this
document and fails on any 5xx, undocumented status or content type, or body that does not match.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from frontdesk.domain.ids import MAX_SMALL_ID, SMALL_ID_FIELDS
from frontdesk.permissions import ROUTE_RULES, RULES

ERROR_REF = {"$ref": "#/components/schemas/Error"}
WRITE_METHODS = {"post", "put", "patch", "delete"}

# Where a rate limit can answer 429 (api/auth.py, api/widget.py, api/attachments.py).
RATE_LIMITED = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/widget/visitors"),
    ("POST", "/api/v1/widget/offline"),
    ("POST", "/api/v1/widget/attachments"),
}
# Uploads read the request themselves (api/uploads.py): multipart/form-data, their own size limit.
UPLOADS = {
    ("POST", "/api/v1/chats/{chat_id}/attachments"): "one `file`, optionally `client_id` (a retry is safe)",
    ("POST", "/api/v1/widget/attachments"): "one `file`, optionally `client_id` (a retry is safe)",
    ("PUT", "/api/v1/profile/avatar"): "one `file`: a PNG, JPEG, GIF or WebP image",
}
# Writes that cannot conflict with anything stored (everything else documents 409).
NO_CONFLICT = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("PUT", "/api/v1/auth/me/status"),
    ("POST", "/api/v1/widget/visitors"),
    ("POST", "/api/v1/widget/offline"),
    ("PATCH", "/api/v1/profile"),
    ("PUT", "/api/v1/profile/avatar"),
    ("DELETE", "/api/v1/profile/avatar"),
    ("PUT", "/api/v1/settings/widget"),
    ("PUT", "/api/v1/settings/privacy"),
}
# Public routes that check a credential anyway (a wrong password is a 401).
CREDENTIAL_CHECKED = {("POST", "/api/v1/auth/login")}
# Widget routes that need the visitor's token (X-Visitor-Token header).
VISITOR_TOKEN = {
    ("POST", "/api/v1/widget/attachments"),
    ("GET", "/api/v1/widget/attachments/{file_id}"),
}
# Widget routes refused (403) to a page whose Origin may not embed the widget.
WIDGET_ORIGIN_CHECKED = {
    ("POST", "/api/v1/widget/visitors"),
    ("POST", "/api/v1/widget/offline"),
    ("POST", "/api/v1/widget/attachments"),
}

ERRORS: dict[str, str] = {
    "400": "Bad request: a parameter or the body is invalid (`field` names it).",
    "401": "Not logged in: no, an invalid, expired or revoked credential.",
    "403": "Forbidden: the role may not do this here (or a cookie session wrote without its CSRF header).",
    "404": "Not found (or not visible to the caller).",
    "409": "Conflict with the current state (the chat has ended, another agent took it, a name is taken...).",
    "413": "The request body is too large.",
    "429": "Too many requests; the `Retry-After` header says when to retry.",
    "503": "The database is unavailable for a moment; retry after `Retry-After` seconds.",
}
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "string"}}}

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "machine-readable: bad_request, unauthorized, forbidden, csrf, scripted, "
                    "not_found, conflict, chat_closed, too_large, rate_limited, unavailable",
                },
                "message": {"type": "string", "description": "for people"},
                "field": {"type": "string", "description": "the parameter or body field at fault"},
            },
        }
    },
}
SECURITY_SCHEMES = {
    "apiToken": {"type": "http", "scheme": "bearer", "description": "an API token (`frontdesk token create`)"},
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "fd_session",
        "description": "the console's login session; writes also need the X-CSRF-Token header",
    },
    "visitorToken": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Visitor-Token",
        "description": "the widget's visitor token (POST /api/v1/widget/visitors)",
    },
}


def file_answer(*media_types: str, description: str = "a file") -> dict[int | str, dict[str, Any]]:
    """For `responses=` on a route whose 200 is not JSON: e.g. file_answer("text/csv"). The
    media types without parameters (`text/csv`, not `text/csv; charset=utf-8`)."""
    content = {m.split(";")[0].strip(): {"schema": {"type": "string", "format": "binary"}} for m in media_types}
    return {200: {"description": description, "content": content}}


# A parameter or body field that names a stored thing (an unknown one is a 404).
NAMES_SOMETHING = re.compile(r"(\w+_)?ids?|department|user")


def _names_something(op: dict[str, Any], path: str, schemas: dict[str, Any]) -> bool:
    if "{" in path:
        return True
    if any(p.get("in") == "query" and NAMES_SOMETHING.fullmatch(p.get("name", "")) for p in op.get("parameters", [])):
        return True
    body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    ref = body.get("$ref", "")
    if ref.startswith("#/components/schemas/"):
        body = schemas.get(ref.rsplit("/", 1)[1], {})
    return any(NAMES_SOMETHING.fullmatch(name) for name in body.get("properties", {}))


def _rule(method: str, path: str) -> str | None:
    return ROUTE_RULES.get((method.upper(), path))


def _query_without_null(schema: dict[str, Any]) -> dict[str, Any]:
    """`anyOf: [X, {type: null}]` -> X (with the outer title, description, default kept)."""
    options = schema.get("anyOf")
    if not isinstance(options, list):
        return schema
    rest = [o for o in options if o != {"type": "null"}]
    if len(rest) == len(options) or len(rest) != 1:
        return schema
    out = {k: v for k, v in schema.items() if k != "anyOf"}
    out.update(rest[0])
    if out.get("default", 0) is None:
        del out["default"]
    return out


def _error(code: str, headers: bool = False) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": ERRORS[code], "content": {"application/json": {"schema": ERROR_REF}}}
    if headers:
        answer["headers"] = RETRY_AFTER
    return answer


def _fix_operation(method: str, path: str, op: dict[str, Any], schemas: dict[str, Any]) -> None:
    key = (method.upper(), path)
    rule = _rule(method, path)
    responses: dict[str, Any] = op.setdefault("responses", {})
    responses.pop("422", None)

    for parameter in op.get("parameters", []):
        if parameter.get("in") == "query" and "schema" in parameter:
            parameter["schema"] = _query_without_null(parameter["schema"])

    if key in UPLOADS:
        op["requestBody"] = {
            "required": True,
            "description": UPLOADS[key],
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            "client_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$"},
                        },
                    }
                }
            },
        }

    # Non-JSON answers: a route that declares another media type for 200 has no JSON alternative.
    for status, answer in responses.items():
        content = answer.get("content") or {}
        json_schema = content.get("application/json", {}).get("schema", False)
        if status.startswith("2") and len(content) > 1 and json_schema in ({}, None):
            del content["application/json"]

    has_input = bool(op.get("parameters")) or "requestBody" in op
    needs_login = rule not in (None, "public", "visitor")
    errors: dict[str, bool] = {}  # code -> with Retry-After
    if has_input:
        errors["400"] = False
    if needs_login or key in VISITOR_TOKEN or key in CREDENTIAL_CHECKED:
        errors["401"] = False
    if (rule in RULES) or (rule == "authenticated" and method in WRITE_METHODS) or key in WIDGET_ORIGIN_CHECKED:
        errors["403"] = False
    if _names_something(op, path, schemas):
        errors["404"] = False
    if method in WRITE_METHODS and key not in NO_CONFLICT:
        errors["409"] = False
    if "requestBody" in op or key in UPLOADS:
        errors["413"] = False
    if key in RATE_LIMITED:
        errors["429"] = True
    errors["503"] = True
    for code, retry in errors.items():
        responses.setdefault(code, _error(code, retry))

    if needs_login:
        op["security"] = [{"apiToken": []}, {"session": []}]
    elif key in VISITOR_TOKEN:
        op["security"] = [{"visitorToken": []}]


def _small_ids(node: Any, small: bool = False) -> None:
    """Integers named like an INTEGER-keyed id (domain/ids.SMALL_ID_FIELDS) are at most
    2^31 - 1 wherever they appear (body and response models), as the actions check."""
    if isinstance(node, list):
        for item in node:
            _small_ids(item, small)
        return
    if not isinstance(node, dict):
        return
    if small and node.get("type") == "integer" and node.get("maximum", MAX_SMALL_ID + 1) > MAX_SMALL_ID:
        node["maximum"] = MAX_SMALL_ID
        if "2^63-1" in node.get("description", ""):
            node["description"] = node["description"].replace("2^63-1", "2^31-1")
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            for name, prop in value.items():
                _small_ids(prop, name in SMALL_ID_FIELDS)
        elif key in ("anyOf", "oneOf", "allOf", "items"):
            _small_ids(value, small)
        elif isinstance(value, dict | list) and key != "properties":
            _small_ids(value, False)


def fix_document(schema: dict[str, Any]) -> dict[str, Any]:
    """Apply the corrections above to a document FastAPI generated (in place; returned)."""
    components = schema.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            if method in {"get", "put", "post", "delete", "patch", "head", "options"}:
                _fix_operation(method, path, op, schemas)
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    _small_ids(schemas)
    components["securitySchemes"] = SECURITY_SCHEMES
    return schema


def install(app: FastAPI) -> None:
    """Serve the corrected document (built once, on the first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                openapi_version=app.openapi_version,
                description=app.description,
                routes=app.routes,
                tags=app.openapi_tags,
                servers=app.servers,
            )
            app.openapi_schema = fix_document(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
