"""Typed path and query parameters shared by every route (one id type: frontdesk/domain/ids.py).

    async def get_chat(chat_id: PathId, ...)                  # /chats/{chat_id}
    async def get_tag(tag_id: SmallPathId, ...)               # /tags/{tag_id}
    async def list_x(department_id: SmallQueryId = None, ...) # ?department_id=
    async def page(after: Cursor = 0, ...)               # ?after= (a seq; 0 = from the start)

A value outside its column's range (1 .. 2**63 - 1, or 1 .. 2**31 - 1 for the INTEGER keys in
domain/ids.SMALL_ID_FIELDS) is a 400 naming the parameter,
answered before the route runs, so it never reaches a driver. `Day`/`DayOrMoment` are the strict
date filters (ISO 8601 only, domain/dates.py).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from pydantic import Field

from frontdesk.domain.ids import MAX_ID, MAX_SMALL_ID

PathId = Annotated[int, Path(ge=1, le=MAX_ID, description="an id (1 .. 2^63-1)")]
QueryId = Annotated[int | None, Query(ge=1, le=MAX_ID, description="an id (1 .. 2^63-1)")]
# Ids of users, departments, canned responses, tags, scorecard criteria (INTEGER keys,
# domain/ids.SMALL_ID_FIELDS): user_id, agent_id, department_id, canned_id, tag_id...
SmallPathId = Annotated[int, Path(ge=1, le=MAX_SMALL_ID, description="an id (1 .. 2^31-1)")]
SmallQueryId = Annotated[int | None, Query(ge=1, le=MAX_SMALL_ID, description="an id (1 .. 2^31-1)")]
# Paging: `before` an id (the next page starts below it), `after` a seq or id (0: from the start).
Before = Annotated[int | None, Query(ge=1, le=MAX_ID, description="the next page: ids below this one")]
Cursor = Annotated[int, Query(ge=0, le=MAX_ID, description="only what comes after this seq (0: from the start)")]
# Ids inside request bodies (pydantic models): `to_agent_id: BodyId | None = None`.
BodyId = Annotated[int, Field(ge=1, le=MAX_ID, description="an id (1 .. 2^63-1)")]
SmallBodyId = Annotated[int, Field(ge=1, le=MAX_SMALL_ID, description="an id (1 .. 2^31-1)")]
