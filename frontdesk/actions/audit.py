"""The audit log: who did what and when. `record_audit` is called by other actions inside their
own transaction, so an entry exists exactly when the change it records was committed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import AgentActor, Context
from frontdesk.clock import iso, utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.permissions import require
from frontdesk.store import audit_store

Target = tuple[str, object] | None
MAX_PAGE = 200


async def record_audit(
    conn: AsyncConnection,
    actor: AgentActor | None,
    action: str,
    target: Target = None,
    details: dict[str, Any] | None = None,
    *,
    at: datetime | None = None,
) -> None:
    """One entry. `actor` None is the system (the retention job). `details` must not hold
    visitors' personal data: the log outlives what it describes."""
    await audit_store.insert_entry(
        conn,
        at=at or utcnow(),
        actor_id=actor.id if actor else None,
        actor_name=actor.name if actor else None,
        action=action,
        target_type=target[0] if target else None,
        target_id=None if target is None or target[1] is None else str(target[1])[:64],
        details=details or {},
    )


def entry_payload(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": iso(row.at),
        "actor": None
        if row.actor_id is None and row.actor_name is None
        else {"id": row.actor_id, "name": row.actor_name},
        "action": row.action,
        "target": None if row.target_type is None else {"type": row.target_type, "id": row.target_id},
        "details": row.details or {},
    }


async def list_audit(
    *,
    ctx: Context,
    actor: AgentActor,
    action: str | None = None,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    before: int | None = None,
    limit: int = 50,
) -> dict[str, Any]:
    """Newest first; `action` matches exactly or, ending in ".", as a prefix ("visitor.")."""
    require(actor.role, "audit.read")
    if since is not None and until is not None and since >= until:
        raise ChatRuleError("bad_request", "until: must be after since", field="until")
    limit = max(1, min(limit, MAX_PAGE))
    async with ctx.db.read() as conn:
        rows = await audit_store.list_entries(
            conn,
            action=action,
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            since=since,
            until=until,
            before=before,
            limit=limit + 1,
        )
    more = len(rows) > limit
    rows = rows[:limit]
    return {"entries": [entry_payload(r) for r in rows], "next_before": rows[-1].id if more else None}
