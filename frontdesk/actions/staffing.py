"""Staffing (issue 15, docs/staffing.md "Required agents and coverage"): a department's forecast of
arrivals, its fitted staffing parameters, the agents each hour of a week requires under its goal
(the chat model, with Erlang A and Erlang C beside it), the coverage of that week by the shifts
(and, for past hours, by the agents really online), and the what-if calculator (no history).

The flow: store/staffing_store.hourly_arrivals -> domain/forecast.forecast_hours -> `parameters`
(domain/staffing_fit over store/staffing_store.fit_samples) -> domain/staffing_models.required_agents
per hour and model -> `coverage` (domain/schedule.scheduled_per_hour over
actions/schedule.shifts_for_department, store/staffing_store.online_per_hour).

Who may ask: `staffing.view` (docs/permissions.md): admins and managers any department,
supervisors their own (another one: 403 naming `department`). Reads only: nothing is written.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from frontdesk.actions.context import AgentActor, Context
from frontdesk.actions.schedule import holidays_by_agent, shifts_for_department
from frontdesk.clock import iso, utcnow
from frontdesk.domain.business_hours import parse_business_hours
from frontdesk.domain.chat_rules import ChatRuleError, bad_field
from frontdesk.domain.report_params import check_tz
from frontdesk.domain.schedule import scheduled_per_hour
from frontdesk.permissions import department_scoped, require
from frontdesk.store import department_store, staffing_store

if TYPE_CHECKING:
    from frontdesk.domain.forecast import Forecast

# The models (numpy, scipy, statsmodels) are imported on first use, inside the functions below:
# at the top they added ~12 s of CPU (a minute of wall time on a loaded machine) to every start
# of the server and the CLI, which mostly never staff anything.

VIEW = "staffing.view"
HOUR = timedelta(hours=1)
HISTORY_WEEKS = 12  # the forecast reads at most this many weeks before the hours it forecasts
MAX_WEEKS = 8  # the forecast route: at most this many weeks ahead
MAX_DAYS = 365  # the parameters: fitted over at most this many days
# Fewer samples than these: the documented defaults are used instead of the fit, and the answer says so.
MIN_SERVICE_SAMPLES = 30
MIN_ABANDONED = 5
DEFAULT_MAX_CHATS = 3
DEFAULT_AHT_1 = 420.0  # seconds: a chat's handle time when its agent holds only it
DEFAULT_AHT_GROWTH = 1.2  # each further chat held: 20 % longer
DEFAULT_PATIENCE_S = 180.0
DEFAULT_GOAL = {"service_level": 0.8, "seconds": 60.0, "max_abandon": 0.05}
MODELS = ("chat", "erlang_a", "erlang_c")
# whatif's limits
MAX_WHATIF_HOURS = 168
MAX_ARRIVALS = 10_000.0
MAX_LOADS = 10
OVER_AT_LEAST = 2.0  # over-staffed: scheduled >= required + max(2, 25 % of required)
OVER_SHARE = 0.25

DEFINITIONS = {
    "arrivals": "Chats started in the hour (UTC hour of metric_hours `chats`) plus offline messages left in it.",
    "service_level": (
        "Share of ALL arrivals answered with a queue wait of at most `seconds` (visitors who leave the queue "
        "count as not answered in time). The department's analytics goal `service_level` (target, seconds) "
        "is used with this definition, unconverted; `missed_share` is the maximum abandonment."
    ),
    "abandonment": "Share of arrivals who leave the queue before an agent accepts (the reports' missed).",
    "aht_by_load": (
        "AHT_k: mean seconds a chat holds its agent's slot (accepted -> closed: chat_facts duration_s - "
        "queue_wait_s) while the agent holds k chats (chat_facts concurrency, rounded)."
    ),
    "patience_s": "Mean patience of a waiting visitor (exponential; censored MLE over answered and abandoned waits).",
    "required": (
        "The smallest number of agents meeting the goal in the hour: chat = the chat model (up to m chats per "
        "agent, AHT by load, abandonment); erlang_a = Erlang A (M/M/n+M: abandonment) and erlang_c = Erlang C "
        "(no abandonment), both counting an agent as m servers of AHT_m (the concurrency factor)."
    ),
    "scheduled": "Agents on shift in the hour (a half-covered hour counts 0.5), office holidays left out.",
    "online": "Time-weighted agents of the department online in the hour (past hours only).",
    "status": (
        "closed: the department is closed that hour; under: scheduled < required (chat model); "
        "over: scheduled >= required + max(2, 25 % of required); ok: otherwise."
    ),
}


def _as_bad(exc: ChatRuleError) -> ChatRuleError:
    """A domain error (code "goal", "history"...) as a 400 naming its field."""
    return ChatRuleError("bad_request", exc.message, field=exc.field)


# -- who may ask, which department, which week --------------------------------------------------------
@dataclass(frozen=True, slots=True)
class StaffedDepartment:
    id: int
    name: str
    timezone: str
    hours: Any  # domain/business_hours.BusinessHours


async def staffing_department(conn: AsyncConnection, actor: AgentActor, department_id: int | None) -> StaffedDepartment:
    """The department asked for, if this actor may see its staffing (400 unknown, 403 out of scope)."""
    require(actor.role, VIEW)
    if department_id is None:
        raise bad_field("department", "required")
    row = await staffing_store.department(conn, department_id)
    if row is None:
        raise bad_field("department", "no such department")
    if department_scoped(actor.role, VIEW) and department_id not in await department_store.departments_of_user(
        conn, actor.id
    ):
        raise ChatRuleError(
            "forbidden", "department: you see the staffing of your own departments only", field="department"
        )
    hours = parse_business_hours(row.hours if isinstance(row.hours, dict) and row.hours else None)
    return StaffedDepartment(row.id, row.name, hours.timezone or "UTC", hours)


def parse_week(value: str | None, zone: ZoneInfo, *, now: datetime | None = None) -> date:
    """`week=YYYY-MM-DD`, a Monday (local); None: the Monday of this week in `zone`."""
    if value is None or value == "":
        today = (now or utcnow()).astimezone(zone).date()
        return today - timedelta(days=today.weekday())
    try:
        day = date.fromisoformat(value)
    except (TypeError, ValueError):
        raise bad_field("week", "must be a date YYYY-MM-DD") from None
    if day.weekday() != 0:
        raise bad_field("week", f"must be a Monday ({value} is a {day.strftime('%A')})")
    return day


def week_hours(week: date, zone: ZoneInfo, weeks: int = 1) -> list[datetime]:
    """The real UTC hours from local Monday 00:00 of `week` to local Monday 00:00 `weeks` later
    (a DST week has 167 or 169; a zone off the hour starts at the UTC hour holding local midnight)."""
    start = datetime.combine(week, time(), tzinfo=zone).astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    end = datetime.combine(week + timedelta(days=7 * weeks), time(), tzinfo=zone).astimezone(UTC)
    count = max(0, math.ceil((end - start) / HOUR))
    return [start + i * HOUR for i in range(count)]


def closed_check(dept: StaffedDepartment) -> Callable[[datetime], bool]:
    """Whether the department is closed for the whole UTC hour starting at `at` (business hours
    and their dated exceptions; checked every quarter hour)."""
    hours = dept.hours
    if hours.always_open:
        return lambda _at: False

    def closed(at: datetime) -> bool:
        return not any(hours.is_open(at + timedelta(minutes=m)) for m in (0, 15, 30, 45))

    return closed


def _local(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).isoformat(timespec="minutes")


# -- forecast -----------------------------------------------------------------------------------------
async def arrivals_history(
    conn: AsyncConnection, dept: StaffedDepartment, before: datetime
) -> list[tuple[datetime, float]]:
    """Arrivals per UTC hour from the first hour with any (at most HISTORY_WEEKS weeks back) up to
    `before`, every hour present (0 where none came)."""
    since = before - timedelta(weeks=HISTORY_WEEKS)
    found = await staffing_store.hourly_arrivals(conn, dept.id, since, before)
    if not found:
        return []
    at = min(found)
    out = []
    while at < before:
        out.append((at, found.get(at, 0.0)))
        at += HOUR
    return out


# Forecasts already made, by everything they depend on: the required and coverage pages of one
# week ask for the same forecast; a new hour of history (or other business hours) is a new key.
_FORECASTS: dict[tuple[Any, ...], Forecast] = {}
_FORECASTS_KEPT = 64


def _forecast(
    history: Sequence[tuple[datetime, float]], hours: Sequence[datetime], dept: StaffedDepartment, zone: str
) -> Forecast:
    from frontdesk.domain.forecast import forecast_hours

    if len(history) < 168:
        raise bad_field("department", "no history yet (needs a full week)")
    key = (dept.id, repr(dept.hours), zone, hours[0], len(hours), history[0][0], tuple(n for _at, n in history))
    known = _FORECASTS.get(key)
    if known is not None:
        return known
    try:
        result = forecast_hours(
            history,
            start=hours[0],
            hours=len(hours),
            timezone=zone,
            closed=closed_check(dept),
            history_end=history[-1][0] + HOUR,
        )
    except ChatRuleError as exc:
        raise _as_bad(exc) from None
    if len(_FORECASTS) >= _FORECASTS_KEPT:
        _FORECASTS.pop(next(iter(_FORECASTS)))
    _FORECASTS[key] = result
    return result


async def forecast(
    ctx: Context, actor: AgentActor, *, department_id: int | None, weeks: int = 2, tz: str | None = None
) -> dict[str, Any]:
    """The forecast of arrivals per hour from this week's local Monday, `weeks` weeks, with the
    history it read and its accuracy on held-out weeks (against "same hour last week")."""
    from frontdesk.domain.forecast import backtest

    if not isinstance(weeks, int) or not 1 <= weeks <= MAX_WEEKS:
        raise bad_field("weeks", f"must be a whole number from 1 to {MAX_WEEKS}")
    async with ctx.db.read() as conn:
        dept = await staffing_department(conn, actor, department_id)
        zone_name = tz or dept.timezone
        zone = check_tz(zone_name)
        hours = week_hours(parse_week(None, zone), zone, weeks)
        history = await arrivals_history(conn, dept, hours[0])

    def work() -> tuple[Forecast, dict[str, Any] | None]:
        result = _forecast(history, hours, dept, zone_name)
        if len(history) < 3 * 168:
            return result, None
        try:
            acc = backtest(history, timezone=zone_name, held_out_weeks=2, closed=closed_check(dept))
        except ChatRuleError:
            return result, None
        keys = ("held_out_weeks", "hours", "model_wape", "naive_wape", "model_mae", "naive_mae")
        return result, {k: getattr(acc, k) for k in keys}

    # The fits run in a worker thread: the server answers other requests meanwhile.
    result, accuracy = await asyncio.to_thread(work)
    return {
        "department": {"id": dept.id, "name": dept.name},
        "timezone": zone_name,
        "method": result.method,
        "weeks_used": result.weeks_used,
        "history": [{"at": iso(at), "arrivals": n} for at, n in history],
        "points": [
            {"at": iso(p.at), "local": _local(p.at, zone), "expected": p.expected, "low": p.low, "high": p.high}
            for p in result.points
        ],
        "accuracy": accuracy,
        "definitions": {"arrivals": DEFINITIONS["arrivals"]},
    }


# -- parameters ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Parameters:
    aht_by_load: tuple[float, ...]
    patience_s: float | None
    max_chats: int
    chats: int  # answered chats sampled
    abandoned: int
    days: int
    defaults: tuple[str, ...] = ()  # the parameters taken from the defaults (too few samples)
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "aht_by_load": list(self.aht_by_load),
            "patience_s": self.patience_s,
            "max_chats": self.max_chats,
            "samples": {"chats": self.chats, "abandoned": self.abandoned},
            "days": self.days,
            "defaults": list(self.defaults),
            "notes": list(self.notes),
        }


def default_aht(max_chats: int) -> tuple[float, ...]:
    return tuple(round(DEFAULT_AHT_1 * DEFAULT_AHT_GROWTH**k, 1) for k in range(max_chats))


async def fitted_parameters(conn: AsyncConnection, dept: StaffedDepartment, *, days: int, now: datetime) -> Parameters:
    """AHT_k and patience fitted over the department's chats of the last `days` days (their
    defaults, said in `defaults` and `notes`, where samples are too few)."""
    from frontdesk.domain.staffing_fit import fit_aht_by_load, fit_patience

    samples = await staffing_store.fit_samples(conn, dept.id, now - timedelta(days=days), now)
    m = await staffing_store.max_chats(conn, dept.id) or DEFAULT_MAX_CHATS
    m = max(1, min(MAX_LOADS, m))
    defaults: list[str] = []
    notes: list[str] = []
    if len(samples.service) >= MIN_SERVICE_SAMPLES:
        aht = tuple(float(v) for v in fit_aht_by_load(samples.service, m))
    else:
        aht = default_aht(m)
        defaults.append("aht_by_load")
        notes.append(
            f"aht_by_load: {len(samples.service)} answered chats in {days} days (fewer than {MIN_SERVICE_SAMPLES}); "
            f"the default {DEFAULT_AHT_1:g} s, {round((DEFAULT_AHT_GROWTH - 1) * 100)} % longer per further chat held"
        )
    patience: float | None
    if len(samples.abandoned_waits) >= MIN_ABANDONED:
        patience = fit_patience(samples.answered_waits, samples.abandoned_waits)
    else:
        patience = DEFAULT_PATIENCE_S
        defaults.append("patience_s")
        notes.append(
            f"patience_s: {len(samples.abandoned_waits)} visitors left the queue in {days} days "
            f"(fewer than {MIN_ABANDONED}); the default {DEFAULT_PATIENCE_S:g} s"
        )
    return Parameters(
        aht_by_load=aht,
        patience_s=patience,
        max_chats=len(aht),
        chats=len(samples.service),
        abandoned=len(samples.abandoned_waits),
        days=days,
        defaults=tuple(defaults),
        notes=tuple(notes),
    )


async def parameters(ctx: Context, actor: AgentActor, *, department_id: int | None, days: int = 28) -> dict[str, Any]:
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise bad_field("days", f"must be a whole number from 1 to {MAX_DAYS}")
    async with ctx.db.read() as conn:
        dept = await staffing_department(conn, actor, department_id)
        params = await fitted_parameters(conn, dept, days=days, now=utcnow())
    return {
        "department": {"id": dept.id, "name": dept.name},
        **params.to_json(),
        "definitions": {k: DEFINITIONS[k] for k in ("aht_by_load", "patience_s")},
    }


# -- required agents ----------------------------------------------------------------------------------
async def department_goal(conn: AsyncConnection, department_id: int) -> dict[str, Any]:
    """The staffing goal from the department's analytics goals (defaults where unset)."""
    goals = await staffing_store.goals(conn, department_id)
    goal: dict[str, Any] = {**DEFAULT_GOAL, "defaults": []}
    if "service_level" in goals:
        target, seconds = goals["service_level"]
        goal["service_level"] = target
        goal["seconds"] = float(seconds if seconds is not None else DEFAULT_GOAL["seconds"])
    else:
        goal["defaults"] += ["service_level", "seconds"]
    if "missed_share" in goals:
        goal["max_abandon"] = goals["missed_share"][0]
    else:
        goal["defaults"].append("max_abandon")
    return goal


def _goal(goal: Mapping[str, Any]) -> Any:
    from frontdesk.domain.staffing_models import Goal

    return Goal(service_level=goal["service_level"], seconds=goal["seconds"], max_abandon=goal["max_abandon"])


def _prediction(p: Any) -> dict[str, Any]:
    return {
        k: getattr(p, k)
        for k in ("agents", "service_level", "abandonment", "avg_wait_s", "occupancy", "prob_wait", "meets")
    }


class _Solver:
    """required_agents per (model, arrivals), remembered: a week repeats many arrival values (0 above all)."""

    def __init__(
        self, aht: Sequence[float], patience: float | None, goal: Mapping[str, Any], concurrency: float | None
    ):
        self.aht = tuple(aht)
        self.patience = patience
        self.goal = _goal(goal)
        self.concurrency = concurrency
        self.known: dict[tuple[str, float], Any] = {}

    def solve(self, model: str, arrivals: float) -> Any:
        from frontdesk.domain.staffing_models import Load, required_agents

        key = (model, round(arrivals, 3))
        if key not in self.known:
            load = Load(arrivals_per_hour=key[1], aht_by_load=self.aht, patience_s=self.patience)
            kwargs: dict[str, Any] = {}
            if model == "erlang_c" and self.concurrency is not None:
                kwargs["concurrency"] = self.concurrency
            try:
                self.known[key] = required_agents(model, load, self.goal, **kwargs)
            except ChatRuleError as exc:
                raise _as_bad(exc) from None
        return self.known[key]


@dataclass(slots=True)
class RequiredWeek:
    """What `required_hours` answers: per real UTC hour of the local week."""

    department_id: int
    timezone: str
    week: date
    hours: list[datetime]
    closed: list[bool]
    arrivals: list[float]  # the forecast's expected arrivals
    required: dict[str, list[int]]  # per model
    predicted: list[dict[str, Any]]  # the chat model's prediction at its required n
    goal: dict[str, Any]
    parameters: Parameters

    @property
    def start(self) -> datetime:
        return self.hours[0]

    def agent_hours(self) -> dict[str, int]:
        return {m: sum(v) for m, v in self.required.items()}


async def required_hours(
    conn: AsyncConnection, department: int | StaffedDepartment, week: date, *, tz: str | None = None, days: int = 28
) -> RequiredWeek:
    """The agents each hour of the local week starting Monday `week` requires (forecast x fitted
    parameters x goal), per model. No permission check here (the callers check): PLANNER calls it
    with a department id. ChatRuleError naming `department` when there is no full week of history."""
    if isinstance(department, StaffedDepartment):
        dept = department
    else:
        row = await staffing_store.department(conn, department)
        if row is None:
            raise bad_field("department", "no such department")
        bh = parse_business_hours(row.hours if isinstance(row.hours, dict) and row.hours else None)
        dept = StaffedDepartment(row.id, row.name, bh.timezone or "UTC", bh)
    zone_name = tz or dept.timezone
    zone = check_tz(zone_name)
    hours = week_hours(week, zone)
    now = utcnow()
    history = await arrivals_history(conn, dept, min(hours[0], now.replace(minute=0, second=0, microsecond=0)))
    predicted = await asyncio.to_thread(_forecast, history, hours, dept, zone_name)
    # The parameters of this week and those to come: the latest (as /parameters answers them); of
    # a week already over: as they were at its start, like its forecast.
    fitted_until = now if hours[-1] + HOUR > now else hours[0]
    params = await fitted_parameters(conn, dept, days=days, now=fitted_until)
    goal = await department_goal(conn, dept.id)
    closed_at = closed_check(dept)
    solver = _Solver(params.aht_by_load, params.patience_s, goal, None)
    closed = [closed_at(at) for at in hours]
    arrivals = [0.0 if shut else max(0.0, float(p.expected)) for p, shut in zip(predicted.points, closed, strict=True)]

    def solve_week() -> tuple[dict[str, list[int]], list[dict[str, Any]]]:
        required: dict[str, list[int]] = {m: [] for m in MODELS}
        chat_predictions = []
        for a in arrivals:
            for m in MODELS:
                p = solver.solve(m, a)
                required[m].append(int(p.agents))
                if m == "chat":
                    chat_predictions.append(_prediction(p))
        return required, chat_predictions

    required, chat_predictions = await asyncio.to_thread(solve_week)
    return RequiredWeek(
        department_id=dept.id,
        timezone=zone_name,
        week=week,
        hours=hours,
        closed=closed,
        arrivals=arrivals,
        required=required,
        predicted=chat_predictions,
        goal=goal,
        parameters=params,
    )


async def required(
    ctx: Context, actor: AgentActor, *, department_id: int | None, week: str | None = None, tz: str | None = None
) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        dept = await staffing_department(conn, actor, department_id)
        zone = check_tz(tz or dept.timezone)
        result = await required_hours(conn, dept, parse_week(week, zone), tz=tz)
    return {
        "department": {"id": dept.id, "name": dept.name},
        "timezone": result.timezone,
        "week": result.week.isoformat(),
        "goal": result.goal,
        "parameters": result.parameters.to_json(),
        "hours": [
            {
                "at": iso(at),
                "local": _local(at, zone),
                "closed": result.closed[i],
                "arrivals": result.arrivals[i],
                "required": {m: result.required[m][i] for m in MODELS},
                "predicted": {"chat": result.predicted[i]},
            }
            for i, at in enumerate(result.hours)
        ],
        "agent_hours": result.agent_hours(),
        "definitions": {k: DEFINITIONS[k] for k in ("arrivals", "service_level", "abandonment", "required")},
    }


# -- coverage -----------------------------------------------------------------------------------------
def coverage_status(closed: bool, required_n: float, scheduled: float) -> str:
    if closed:
        return "closed"
    if scheduled < required_n:
        return "under"
    if scheduled >= required_n + max(OVER_AT_LEAST, OVER_SHARE * required_n):
        return "over"
    return "ok"


async def coverage(
    ctx: Context, actor: AgentActor, *, department_id: int | None, week: str | None = None, tz: str | None = None
) -> dict[str, Any]:
    """Required (chat model) vs scheduled vs online (past hours) for each hour of a local week."""
    now = utcnow()
    async with ctx.db.read() as conn:
        dept = await staffing_department(conn, actor, department_id)
        zone = check_tz(tz or dept.timezone)
        result = await required_hours(conn, dept, parse_week(week, zone), tz=tz)
        shifts = await shifts_for_department(conn, dept.id)
        holidays = await holidays_by_agent(conn, sorted({s.agent_id for s in shifts}))
        members = await staffing_store.member_ids(conn, dept.id)
        past = sum(1 for at in result.hours if at + HOUR <= now)
        online = await staffing_store.online_per_hour(conn, members, result.start, past)
    scheduled = scheduled_per_hour(shifts, result.start, len(result.hours), holidays)
    rows = []
    totals = {"required": 0.0, "scheduled": 0.0, "online": 0.0, "under_hours": 0, "over_hours": 0, "short": 0.0}
    for i, at in enumerate(result.hours):
        need = result.required["chat"][i]
        status = coverage_status(result.closed[i], need, scheduled[i])
        local = at.astimezone(zone)
        seen = round(online[i], 3) if i < past else None
        rows.append(
            {
                "at": iso(at),
                "local": local.isoformat(timespec="minutes"),
                "weekday": local.weekday(),
                "hour": local.hour,
                "arrivals": result.arrivals[i],
                "required": need,
                "scheduled": scheduled[i],
                "online": seen,
                "status": status,
            }
        )
        totals["required"] += need
        totals["scheduled"] += scheduled[i]
        totals["online"] += seen or 0.0
        totals["under_hours"] += status == "under"
        totals["over_hours"] += status == "over"
        if status == "under":
            totals["short"] += need - scheduled[i]
    return {
        "department": {"id": dept.id, "name": dept.name},
        "timezone": result.timezone,
        "week": result.week.isoformat(),
        "goal": result.goal,
        "hours": rows,
        "totals": totals,
        "definitions": {
            k: DEFINITIONS[k] for k in ("required", "scheduled", "online", "status", "service_level", "arrivals")
        },
    }


# -- what-if (no history, no database) ----------------------------------------------------------------
def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def check_whatif(body: Mapping[str, Any]) -> dict[str, Any]:
    """The what-if question, each bad value a 400 naming its field."""
    arrivals = body.get("arrivals")
    if not isinstance(arrivals, list) or not 1 <= len(arrivals) <= MAX_WHATIF_HOURS:
        raise bad_field("arrivals", f"must be a list of 1 to {MAX_WHATIF_HOURS} numbers (arrivals per hour)")
    hours = []
    for i, v in enumerate(arrivals):
        n = _number(v)
        if n is None or not 0 <= n <= MAX_ARRIVALS:
            raise bad_field(f"arrivals[{i}]", f"must be a number from 0 to {MAX_ARRIVALS:,.0f}")
        hours.append(n)
    aht = body.get("aht_by_load")
    if not isinstance(aht, list) or not 1 <= len(aht) <= MAX_LOADS:
        raise bad_field("aht_by_load", f"must be a list of 1 to {MAX_LOADS} handle times in seconds (AHT_1 .. AHT_m)")
    loads = []
    for i, v in enumerate(aht):
        n = _number(v)
        if n is None or n <= 0 or n > 86_400:
            raise bad_field(f"aht_by_load[{i}]", "must be a number of seconds above 0 (at most 86,400)")
        loads.append(n)
    patience = body.get("patience_s")
    if patience is not None:
        patience = _number(patience)
        if patience is None or patience <= 0:
            raise bad_field("patience_s", "must be a number of seconds above 0, or null (visitors never leave)")
    goal_in = body.get("goal", {})
    if not isinstance(goal_in, dict):
        raise bad_field("goal", "must be an object {service_level, seconds, max_abandon}")
    unknown = sorted(set(goal_in) - {"service_level", "seconds", "max_abandon"})
    if unknown:
        raise bad_field(f"goal.{unknown[0]}", "unknown field")
    goal: dict[str, float | None] = dict(DEFAULT_GOAL)
    if "service_level" in goal_in:
        level = _number(goal_in["service_level"])
        if level is None or not 0 < level <= 1:
            raise bad_field("goal.service_level", "must be a share above 0 and at most 1")
        goal["service_level"] = level
    if "seconds" in goal_in:
        seconds = _number(goal_in["seconds"])
        if seconds is None or seconds < 0 or seconds > 86_400:
            raise bad_field("goal.seconds", "must be a number of seconds, 0 or more")
        goal["seconds"] = seconds
    if "max_abandon" in goal_in:
        if goal_in["max_abandon"] is None:
            goal["max_abandon"] = None
        else:
            share = _number(goal_in["max_abandon"])
            if share is None or not 0 < share <= 1:
                raise bad_field("goal.max_abandon", "must be a share above 0 and at most 1, or null")
            goal["max_abandon"] = share
    if (goal["service_level"] or 0) >= 1 and goal["seconds"] == 0:
        raise bad_field("goal.seconds", "100 % within 0 s cannot be met; allow some seconds or a lower service level")
    concurrency = body.get("concurrency")
    if concurrency is not None:
        concurrency = _number(concurrency)
        if concurrency is None or not 0 < concurrency <= MAX_LOADS:
            raise bad_field("concurrency", f"must be a number above 0 and at most {MAX_LOADS}, or null (m)")
    return {"arrivals": hours, "aht_by_load": loads, "patience_s": patience, "goal": goal, "concurrency": concurrency}


async def whatif(actor: AgentActor, body: Mapping[str, Any]) -> dict[str, Any]:
    """Agents per model for each hour's arrivals, side by side; needs no history."""
    require(actor.role, VIEW)
    return await asyncio.to_thread(answer_whatif, check_whatif(body))


def answer_whatif(q: Mapping[str, Any]) -> dict[str, Any]:
    """The what-if answer of a checked question (check_whatif)."""
    solver = _Solver(q["aht_by_load"], q["patience_s"], q["goal"], q["concurrency"])
    hours = []
    agent_hours = dict.fromkeys(MODELS, 0)
    for a in q["arrivals"]:
        models = {}
        for m in MODELS:
            p = solver.solve(m, a)
            models[m] = _prediction(p)
            agent_hours[m] += int(p.agents)
        hours.append({"arrivals": a, "models": models})
    return {
        "goal": q["goal"],
        "aht_by_load": q["aht_by_load"],
        "patience_s": q["patience_s"],
        "concurrency": q["concurrency"],
        "hours": hours,
        "agent_hours": agent_hours,
        "definitions": {k: DEFINITIONS[k] for k in ("service_level", "abandonment", "required")},
    }


__all__ = [
    "DEFINITIONS",
    "Parameters",
    "RequiredWeek",
    "StaffedDepartment",
    "coverage",
    "forecast",
    "parameters",
    "required",
    "required_hours",
    "whatif",
]
