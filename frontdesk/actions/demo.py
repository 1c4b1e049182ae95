"""`frontdesk demo`: fill the database with a simulated history (domain/simulation.py) so every
report has something to show; then compute its figures (actions/facts.py).

The history runs from UTC midnight `weeks` weeks before today up to now: today's chats are those
that started and finished before now (domain/simulation.simulate's `until`). The demo's chats are
marked (their visitors' ids start with `demo-`) and the `demo` setting holds {seed, weeks, start,
end, chats} (end: the day it was loaded, UTC). Loading the same seed and weeks again on the same
UTC day changes nothing; on a later day, or with another seed, it replaces the demo's history
(its departments and users stay), ending at the new now. A database with chats the demo did not
make is refused unless `force`.

With the history it writes the staffing data (issue 15, docs/staffing.md): the offices of
DEMO_OFFICES (each agent works from the office of their shifts' time zone; the manager from none),
each agent's simulated shifts as recurring `shifts` rows (`demo_staffing`), one office holiday,
and one shift left out on purpose (UNSCHEDULED) so that the coverage view has an under-staffed
hour every week."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from frontdesk.actions.context import Context, unit_of_work
from frontdesk.actions.facts import do_update_due_facts
from frontdesk.clock import utcnow
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.schedule import week_index
from frontdesk.domain.simulation import SimConfig, demo_config, simulate
from frontdesk.security.passwords import hash_password
from frontdesk.store import demo_store, setting_store

DEMO_PASSWORD = "frontdesk-demo"  # noqa: S105 - every demo user's, printed by the command (not a secret)
SETTING = "demo"
MAX_WEEKS = 52
FACTS_BATCH = 500

# The demo's offices (name, time zone): three zones, so a plan for Oslo and New York follows the sun.
DEMO_OFFICES: tuple[tuple[str, str], ...] = (
    ("Oslo", "Europe/Oslo"),
    ("New York", "America/New_York"),
    ("London", "Europe/London"),
)
HOLIDAY_OFFICE = "Oslo"
HOLIDAY_NAME = "Staff day (demo)"  # the Wednesday of the week after next: the coming week stays whole
# Each demo shift staffs one department: Support for Support's members (so a plan for Support
# re-plans all of their shifts), else the agent's first department.
SHIFTS_FIRST_FOR = "support"
# Left out of the schedule on purpose (agent, local weekday): Lars Moen's Wednesday 17:00-01:00
# shift, so Support's Wednesday 23:00 and Thursday 00:00 (Oslo) have nobody scheduled while open.
UNSCHEDULED: tuple[str, int] = ("Lars Moen", 2)

# (phase, done, total): phases are simulating, writing, computing figures.
ProgressFn = Callable[[str, int, int], None]


def _quiet(_phase: str, _done: int, _total: int) -> None:
    return None


def demo_start(now: datetime, weeks: int) -> datetime:
    """The first day (UTC midnight) of the history: `weeks` weeks before today's; the history
    runs from there up to `now`."""
    today = datetime.combine(now.astimezone(UTC).date(), time(), tzinfo=UTC)
    return today - timedelta(days=7 * weeks)


def demo_day(now: datetime) -> str:
    """The UTC day a history loaded at `now` ends on (the setting's `end`)."""
    return now.astimezone(UTC).date().isoformat()


def demo_staffing(
    config: SimConfig, now: datetime
) -> tuple[list[str | None], list[dict[str, Any]], tuple[str, date, str]]:
    """The staffing rows for the demo's agents: each agent's office name (the office of their
    shifts' time zone, None without shifts), their simulated shifts as `shifts` rows (one per
    weekday; `agent` is the index into config.agents, `department` a slug: SHIFTS_FIRST_FOR for
    its members, else the agent's first department) and the holiday (office name, day, name).

    The simulation's two-week rota runs on ISO week numbers (% 2); a row's cycle runs on
    domain/schedule.week_index (% 2). The two differ by a constant within an ISO year, so each
    rota shift's cycle_week is set from the agent's current local week: the coming weeks keep the
    simulated rota (after a 53-week ISO year it swaps, which a real rota would not notice)."""
    offices = {timezone: name for name, timezone in DEMO_OFFICES}
    office_of: list[str | None] = []
    rows: list[dict[str, Any]] = []
    for index, agent in enumerate(config.agents):
        office_of.append(offices.get(agent.timezone) if agent.shifts else None)
        today = now.astimezone(ZoneInfo(agent.timezone)).date()
        monday = today - timedelta(days=today.weekday())
        shift_by = (week_index(monday) - monday.isocalendar()[1]) % 2
        staffs = SHIFTS_FIRST_FOR if SHIFTS_FIRST_FOR in agent.departments else agent.departments[0]
        for shift in agent.shifts:
            rota = tuple(sorted(set(shift.weeks)))
            cycles = [(1, 0)] if rota == (0, 1) else [(2, (week + shift_by) % 2) for week in rota]
            for weekday in shift.days:
                if (agent.name, weekday) == UNSCHEDULED:
                    continue
                for cycle_weeks, cycle_week in cycles:
                    rows.append(
                        {
                            "agent": index,
                            "department": staffs,
                            "timezone": agent.timezone,
                            "weekday": weekday,
                            "start_minute": shift.start,
                            "minutes": shift.minutes,
                            "cycle_weeks": cycle_weeks,
                            "cycle_week": cycle_week,
                        }
                    )
    zone = ZoneInfo(dict(DEMO_OFFICES)[HOLIDAY_OFFICE])
    today = now.astimezone(zone).date()
    holiday = today - timedelta(days=today.weekday()) + timedelta(days=14 + 2)
    return office_of, rows, (HOLIDAY_OFFICE, holiday, HOLIDAY_NAME)


def _check(weeks: object, seed: object) -> tuple[int, int]:
    if not isinstance(weeks, int) or isinstance(weeks, bool) or not 1 <= weeks <= MAX_WEEKS:
        raise ChatRuleError("bad_request", f"weeks: must be a whole number from 1 to {MAX_WEEKS}", field="weeks")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ChatRuleError("bad_request", "seed: must be a whole number, 0 or more", field="seed")
    return weeks, seed


async def do_load_demo(
    ctx: Context,
    *,
    weeks: int,
    seed: int,
    force: bool = False,
    progress: ProgressFn | None = None,
    config: SimConfig | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Write `weeks` weeks of simulated history (and today's up to `now`); returns a summary:
    chats, agents, departments, the users (e-mail, role) and their password, `unchanged` when the
    same seed and weeks were loaded already today (UTC)."""
    weeks, seed = _check(weeks, seed)
    report = progress or _quiet
    config = config or demo_config()
    now = now or utcnow()
    async with ctx.db.read() as conn:
        foreign = await demo_store.foreign_chats(conn)
        current = await setting_store.setting(conn, SETTING)
        demo_chats = await demo_store.demo_chat_count(conn)
    if foreign and not force:
        raise ChatRuleError(
            "conflict",
            f"force: the database has {foreign} chats the demo did not make; "
            "use --force to add the demo history beside them",
            field="force",
        )
    summary: dict[str, Any] = {
        "seed": seed,
        "weeks": weeks,
        "departments": [d.name for d in config.departments],
        "users": [{"email": a.email, "name": a.name, "role": a.role} for a in config.agents],
        "offices": [{"name": name, "timezone": timezone} for name, timezone in DEMO_OFFICES],
        "password": DEMO_PASSWORD,
    }
    if (
        isinstance(current, dict)
        and current.get("seed") == seed
        and current.get("weeks") == weeks
        and current.get("chats") == demo_chats
        and current.get("end") == demo_day(now)
    ):
        facts = await _compute_facts(ctx, demo_chats, report)  # in case an earlier run was cut short
        return {**summary, "unchanged": True, "chats": demo_chats, "start": current.get("start"), "facts": facts}

    start = demo_start(now, weeks)
    days = 7 * weeks + 1  # and today, up to now
    report("simulating", 0, days)
    result = await asyncio.to_thread(
        lambda: simulate(
            config, start, weeks, seed, until=now, on_day=lambda done, _total: report("simulating", done, days)
        )
    )
    report("simulating", days, days)
    password_hash = await asyncio.to_thread(hash_password, DEMO_PASSWORD)  # once, for every demo user

    total = demo_store.row_count(result)
    written = 0

    def wrote(rows: int) -> None:
        nonlocal written
        written += rows
        report("writing", written, total)

    report("writing", 0, total)
    async with unit_of_work(ctx) as (conn, _outbox):
        owned = current.get("departments", []) if isinstance(current, dict) else []
        departments = await demo_store.ensure_departments(conn, config, now, owned)
        users = await demo_store.ensure_users(conn, config, departments, password_hash, now)
        await demo_store.remove_history(conn, config, departments, users)
        counts = await demo_store.write_history(
            conn, result, departments=departments, users=users, now=now, progress=wrote
        )
        office_ids = await demo_store.ensure_offices(conn, DEMO_OFFICES, now)
        office_of, shift_rows, (holiday_office, holiday_day, holiday_name) = demo_staffing(config, now)
        counts |= await demo_store.write_staffing(
            conn,
            users=users,
            office_of=[office_ids[name] if name else None for name in office_of],
            shifts=[{**row, "department": departments[row["department"]]} for row in shift_rows],
            holidays=[(office_ids[holiday_office], holiday_day, holiday_name)],
            now=now,
        )
        value = {
            "seed": seed,
            "weeks": weeks,
            "start": result.start.date().isoformat(),
            "end": demo_day(result.end),
            "chats": counts["chats"],
            "departments": sorted(departments.values()),
        }
        await setting_store.put_setting(conn, SETTING, value, exists=current is not None)

    facts = await _compute_facts(ctx, counts["chats"], report)
    return {
        **summary,
        "unchanged": False,
        "chats": counts["chats"],
        "counts": counts,
        "start": value["start"],
        "end": value["end"],
        "facts": facts,
    }


async def _compute_facts(ctx: Context, chats: int, report: ProgressFn) -> int:
    """Facts and roll-ups of the chats that have none (actions/facts), batch by batch; how many."""
    facts = 0
    rounds = chats // FACTS_BATCH + 3  # a bound: each chat is due once
    for _ in range(rounds):
        done = await do_update_due_facts(ctx, limit=FACTS_BATCH)
        if not done:
            break
        if not facts:
            report("computing figures", 0, chats)
        facts += done
        report("computing figures", min(facts, chats), chats)
    return facts
