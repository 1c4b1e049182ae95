"""Queries of the analytics reports (issue 14; docs/architecture/analytics.md "Reports").

The figures come from `metric_hours` (hourly roll-ups per department x agent: sums in SQL, one
query per report) or, for ranges of at most `EXACT_LIMIT` chats, from the per-chat rows of
`chat_facts`; drill-downs read `chat_facts` joined to chats, visitors, users and departments.
Every range is of UTC hour rows: [hour_from, hour_to) (domain/report_params.ReportRange).
The caller owns the transaction.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.store.models import Department, User


async def department_timezone(conn: AsyncConnection, department_id: int) -> tuple[bool, str | None]:
    """Whether the department exists, and the time zone of its business hours (None: none set)."""
    row = (await conn.execute(select(Department.hours).where(Department.id == department_id))).first()
    if row is None:
        return False, None
    hours = row[0] if isinstance(row[0], dict) else {}
    tz = hours.get("timezone")
    return True, tz if isinstance(tz, str) and tz else None


async def user_exists(conn: AsyncConnection, user_id: int) -> bool:
    return (await conn.execute(select(User.id).where(User.id == user_id))).first() is not None
