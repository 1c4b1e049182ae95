"""One guard for every HTTP route: a NUL character in a path or query parameter is a 400 naming
the parameter, before the route runs (PostgreSQL cannot hold NUL, so it would otherwise be a 500
wherever a filter reaches the database). Bodies are cleaned by the actions
(frontdesk/domain/text.py; docs/architecture/security.md)."""

from __future__ import annotations

from starlette.requests import Request

from frontdesk.domain.text import check_no_nul


async def refuse_nul(request: Request) -> None:
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check_no_nul(value, name)
    for name, value in request.query_params.multi_items():
        check_no_nul(name, "query")
        check_no_nul(value, name)
