"""store/report_store.rollup_sums_local: the roll-ups grouped by local day and by local weekday x
hour in SQL, per stretch of one UTC offset (ReportRange.stretches), give the same sums as the UTC
hour rows grouped in Python by their local day / weekday and hour - on SQLite and PostgreSQL,
across both daylight-saving changes and in a half-hour zone (docs/performance.md "Reports")."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert

from frontdesk.domain.report_params import ReportRange
from frontdesk.store import report_store
from frontdesk.store.models import metric_hours

COLUMNS = ("chats", "missed", "queue_wait_sum", "queue_wait_b3")


def _rows() -> list[dict[str, Any]]:
    """An hour row every 5 hours (two departments) from December to December, with sums that
    differ per hour, so a row put in the wrong day or cell changes a sum."""
    out, at, i = [], datetime(2025, 12, 20, tzinfo=UTC), 0
    while at < datetime(2026, 12, 10, tzinfo=UTC):
        for dept in (1, 2):
            i += 1
            out.append({"hour_at": at, "department_id": dept, "agent_id": 0, "chats": i % 17 + 1,
                        "missed": i % 3, "queue_wait_sum": i * 0.5, "queue_wait_b3": i % 5})  # fmt: skip
        at += timedelta(hours=5)
    return out


@pytest.mark.parametrize("tz", ["Europe/Oslo", "America/New_York", "Asia/Kolkata", "UTC"])
async def test_local_days_and_cells_summed_in_sql_match_the_hour_rows(ctx, tz: str):
    async with ctx.db.write() as conn:
        await conn.execute(insert(metric_hours), _rows())
    rng = ReportRange(datetime(2025, 12, 24).date(), datetime(2026, 12, 6).date(), tz)
    async with ctx.db.read() as conn:
        hours = await report_store.rollup_sums(
            conn, hour_from=rng.hour_from, hour_to=rng.hour_to, department_ids=(1,), agent_id=None,
            columns=COLUMNS, group_by=("hour_at",),
        )  # fmt: skip
        days = await report_store.rollup_sums_local(
            conn, stretches=rng.stretches(), by="day", department_ids=(1,), agent_id=None, columns=COLUMNS
        )
        cells = await report_store.rollup_sums_local(
            conn, stretches=rng.stretches(), by="cell", department_ids=(1,), agent_id=None, columns=COLUMNS
        )

    def by_python(key) -> dict[Any, dict[str, float]]:  # type: ignore[no-untyped-def]
        out: dict[Any, dict[str, float]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0.0))
        for row in hours:
            for c in COLUMNS:
                out[key(row["hour_at"])][c] += row[c]
        return {k: {c: round(v, 6) for c, v in sums.items()} for k, sums in out.items()}

    def by_sql(rows: list[dict[str, Any]]) -> dict[Any, dict[str, float]]:
        out: dict[Any, dict[str, float]] = defaultdict(lambda: dict.fromkeys(COLUMNS, 0.0))
        for row in rows:  # a day cut by an offset change comes in two rows
            for c in COLUMNS:
                out[row["key"]][c] += row[c]
        return {k: {c: round(v, 6) for c, v in sums.items()} for k, sums in out.items()}

    expected_days = by_python(lambda at: rng.bucket_key(at, "day"))
    expected_cells = by_python(lambda at: (rng.local(at).weekday(), rng.local(at).hour))
    assert len(expected_days) > 300 and len(expected_cells) >= 100
    assert by_sql(days) == expected_days
    assert by_sql(cells) == expected_cells
    assert len(days) <= len(expected_days) + 2  # a few hundred rows, not one per hour
