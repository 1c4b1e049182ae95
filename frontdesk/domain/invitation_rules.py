"""Automatic invitations: the rule model, its validation and its evaluation. Pure: no I/O.

A department's rules are tried in order (`position`); the first enabled rule whose conditions
hold, whose caps allow it and whose gates are open fires. A rule whose conditions and caps hold
but whose gate is shut is remembered as the reason nothing fired (an outcome `blocked`).

Stored shape (`invitation_rules` row, what the API takes and returns):

    {"name": "Pricing, 30 s",
     "enabled": true,
     "conditions": [{"field": "url", "op": "matches", "value": "/pricing*"},
                    {"field": "time_on_page", "op": "gte", "value": 30}],
     "gates": {"accepting": true, "free_slot": true, "max_wait_s": null},
     "action": {"text": "Questions about our plans?", "as": "team", "agent_id": null, "delay_s": 0},
     "caps": {"once_per_visit": true, "min_days_between": 0, "quiet_after_chat_min": 30}}

Conditions (every one must hold; each field has one operator):

| field | op | value |
| --- | --- | --- |
| url | matches | a glob (`*` any characters, `?` one), case-insensitive; see below |
| title | contains | text, case-insensitive |
| time_on_page, time_on_site | gte | seconds |
| pages | gte | page views this visit |
| returning | is | true / false |
| referrer_domain | is | a host: the referrer's host or a subdomain of it |
| country | in | ISO 3166 two-letter codes |
| device | in | desktop, phone, tablet, other |
| language | prefix | language tags: `en` matches en, en-GB... |
| schedule | within | {"days": ["mon", ...], "from": "09:00", "to": "17:30"} in the department's time zone |

A glob starting with `/` is matched against the URL's path and query, any other against the
whole URL. Globs are never regular expressions: a pattern is split at its `*` into literal segments (with
`?` for one character) matched left to right, O(len(url) * len(pattern)), no backtracking.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from frontdesk.domain.chat_rules import bad_field

MAX_RULES_PER_DEPARTMENT = 50
MAX_CONDITIONS = 20
MAX_PATTERN = 300
MAX_STARS = 10
MAX_TEXT = 1000
MAX_NAME = 100
MAX_DELAY_S = 600
MAX_SECONDS = 86_400
MAX_LIST = 50
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEVICES = ("desktop", "phone", "tablet", "other")
RULES_TOPIC = "invitation_rules"  # bus topic: a department's rules changed (every node forgets its copy)

# field -> its one operator
OPS: dict[str, str] = {
    "url": "matches",
    "title": "contains",
    "time_on_page": "gte",
    "time_on_site": "gte",
    "pages": "gte",
    "returning": "is",
    "referrer_domain": "is",
    "country": "in",
    "device": "in",
    "language": "prefix",
    "schedule": "within",
}

# Why nothing fired: a gate (recorded as an invitation with outcome `blocked`) ...
GATE_CLOSED = "department_closed"  # the department does not accept chats now
GATE_NO_SLOT = "no_free_slot"  # nobody has a free slot
GATE_WAIT = "wait_too_long"  # the wait estimate is over the rule's limit
# ... or a cap (not recorded: the visitor simply is not invited again).
CAP_VISIT = "once_per_visit"
CAP_DAYS = "min_days_between"
CAP_IN_CHAT = "in_chat"
CAP_AFTER_CHAT = "after_chat"


# ---- globs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Glob:
    """A compiled glob: literal segments between `*`s (`?` = any one character)."""

    source: str
    segments: tuple[str, ...]  # len = stars + 1
    on_path: bool  # starts with "/": matched against path + query

    def matches(self, url: str) -> bool:
        subject = url.lower()
        if self.on_path:
            parts = urlsplit(subject)
            subject = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        return glob_match(self.segments, subject)


def compile_glob(pattern: object, path: str = "pattern") -> Glob:
    if not isinstance(pattern, str) or not pattern.strip():
        raise bad_field(path, "must be a non-empty text such as /pricing* or *example.com/docs/*")
    if len(pattern) > MAX_PATTERN:
        raise bad_field(path, f"must be at most {MAX_PATTERN} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in pattern):
        raise bad_field(path, "must not contain control characters")
    source = pattern.strip()
    lowered = source.lower()
    if lowered.count("*") > MAX_STARS:
        raise bad_field(path, f"at most {MAX_STARS} * wildcards")
    return Glob(source, tuple(lowered.split("*")), source.startswith("/"))


def _segment_at(subject: str, segment: str, at: int) -> bool:
    if "?" not in segment:
        return subject.startswith(segment, at)
    if at + len(segment) > len(subject):
        return False
    return all(p == "?" or p == subject[at + i] for i, p in enumerate(segment))


def _find(subject: str, segment: str, start: int, end: int) -> int:
    """The leftmost position >= start where `segment` matches and ends by `end`, or -1.
    Literal text is found by str.find; a segment with `?` is anchored on its longest literal
    piece, each candidate checked once."""
    if "?" not in segment:
        return subject.find(segment, start, end)
    offset, anchor, at = 0, "", 0
    for piece in segment.split("?"):
        if len(piece) > len(anchor):
            offset, anchor = at, piece
        at += len(piece) + 1
    if not anchor:  # only ?s: any characters will do
        return start if start + len(segment) <= end else -1
    tail = len(segment) - offset - len(anchor)
    pos = subject.find(anchor, start + offset, end - tail)
    while pos >= 0:
        if _segment_at(subject, segment, pos - offset):
            return pos - offset
        pos = subject.find(anchor, pos + 1, end - tail)
    return -1


def glob_match(segments: Sequence[str], subject: str) -> bool:
    """Whether the subject matches segments joined by `*`. Greedy-leftmost is exact for `*`:
    each middle segment is taken at its first fit after the previous one."""
    if len(segments) == 1:
        return len(subject) == len(segments[0]) and _segment_at(subject, segments[0], 0)
    first, *middle, last = segments
    if not _segment_at(subject, first, 0):
        return False
    pos, end = len(first), len(subject) - len(last)
    if end < pos or not _segment_at(subject, last, end):
        return False
    for segment in middle:
        at = _find(subject, segment, pos, end)
        if at < 0:
            return False
        pos = at + len(segment)
    return True


# ---- the model ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Condition:
    field: str
    value: Any  # checked: str, int, bool, frozenset[str], Glob or (days, from_min, to_min)


@dataclass(frozen=True, slots=True)
class Gates:
    accepting: bool = True
    free_slot: bool = False
    max_wait_s: int | None = None


@dataclass(frozen=True, slots=True)
class Action:
    text: str
    as_: str = "team"
    agent_id: int | None = None
    delay_s: int = 0


@dataclass(frozen=True, slots=True)
class Caps:
    once_per_visit: bool = True
    min_days_between: int = 0
    quiet_after_chat_min: int = 30


@dataclass(frozen=True, slots=True)
class Rule:
    id: int
    department_id: int
    position: int
    name: str
    enabled: bool
    conditions: tuple[Condition, ...]
    gates: Gates
    action: Action
    caps: Caps


# ---- validation --------------------------------------------------------------------------


def _int(value: object, path: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise bad_field(path, f"must be a whole number from {low} to {high}")
    return value


def _bool(value: object, path: str) -> bool:
    if not isinstance(value, bool):
        raise bad_field(path, "must be true or false")
    return value


def _line(value: object, path: str, max_len: int, *, multiline: bool = False) -> str:
    if not isinstance(value, str):
        raise bad_field(path, "must be a text")
    if "\x00" in value:
        raise bad_field(path, "must not contain NUL characters")
    allowed = "\n" if multiline else ""
    text = "".join(ch for ch in value if ch in allowed or not (ord(ch) < 32 or ord(ch) == 127)).strip()
    if not text:
        raise bad_field(path, "must not be empty")
    if len(text) > max_len:
        raise bad_field(path, f"must be at most {max_len} characters")
    return text


def _strings(value: object, path: str, check: Any) -> list[str]:
    if not isinstance(value, list) or not value or len(value) > MAX_LIST:
        raise bad_field(path, f"must be a list of 1 to {MAX_LIST} values")
    out: list[str] = []
    for i, item in enumerate(value):
        out.append(check(item, f"{path}[{i}]"))
    return sorted(set(out))


def _country(value: object, path: str) -> str:
    if not isinstance(value, str) or len(value) != 2 or not value.isascii() or not value.isalpha():
        raise bad_field(path, "must be a two-letter country code such as NO")
    return value.upper()


def _device(value: object, path: str) -> str:
    if value not in DEVICES:
        raise bad_field(path, f"must be one of {', '.join(DEVICES)}")
    return str(value)


def _language(value: object, path: str) -> str:
    if not isinstance(value, str) or not 2 <= len(value) <= 35:
        raise bad_field(path, "must be a language tag such as en or pt-BR")
    if not all(part.isascii() and part.isalnum() for part in value.split("-")):
        raise bad_field(path, "must be a language tag such as en or pt-BR")
    return value.lower()


def _domain(value: object, path: str) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 253:
        raise bad_field(path, "must be a host name such as google.com")
    host = value.strip().lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    labels = host.split(".")
    if not host or not all(
        label and len(label) <= 63 and all(c.isalnum() or c == "-" for c in label) for label in labels
    ):
        raise bad_field(path, "must be a host name such as google.com")
    return host


def _minutes(value: object, path: str) -> int:
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":" or not (value[:2] + value[3:]).isdigit():
        raise bad_field(path, "times must look like 09:30")
    h, m = int(value[:2]), int(value[3:])
    if not (m < 60 and (h < 24 or (h == 24 and m == 0))):
        raise bad_field(path, f"{value} is not a time of day")
    return h * 60 + m


def _schedule(value: object, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise bad_field(path, 'must be {"days": [...], "from": "09:00", "to": "17:00"}')
    unknown = sorted(set(value) - {"days", "from", "to"})
    if unknown:
        raise bad_field(f"{path}.{unknown[0]}", "unknown field")
    days = _strings(value.get("days"), f"{path}.days", lambda d, p: d if d in DAYS else _raise(p, "must be mon..sun"))
    start = _minutes(value.get("from"), f"{path}.from")
    end = _minutes(value.get("to"), f"{path}.to")
    if start >= end:
        raise bad_field(f"{path}.to", "must be later than from")
    return {"days": [d for d in DAYS if d in days], "from": value["from"], "to": value["to"]}


def _raise(path: str, message: str) -> str:
    raise bad_field(path, message)


def _condition_value(name: str, value: object, path: str) -> Any:
    """The stored (JSON) form of one condition's value, checked."""
    if name == "url":
        return compile_glob(value, path).source
    if name == "title":
        return _line(value, path, 300)
    if name in ("time_on_page", "time_on_site"):
        return _int(value, path, 0, MAX_SECONDS)
    if name == "pages":
        return _int(value, path, 1, 10_000)
    if name == "returning":
        return _bool(value, path)
    if name == "referrer_domain":
        return _domain(value, path)
    if name == "country":
        return _strings(value, path, _country)
    if name == "device":
        return _strings(value, path, _device)
    if name == "language":
        return _strings(value, path, _language)
    return _schedule(value, path)  # schedule


def check_conditions(value: object, path: str = "conditions") -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad_field(path, "must be a list of {field, op, value}")
    if len(value) > MAX_CONDITIONS:
        raise bad_field(path, f"at most {MAX_CONDITIONS} conditions")
    out = []
    for i, item in enumerate(value):
        here = f"{path}[{i}]"
        if not isinstance(item, dict):
            raise bad_field(here, "must be an object {field, op, value}")
        unknown = sorted(set(item) - {"field", "op", "value"})
        if unknown:
            raise bad_field(f"{here}.{unknown[0]}", "unknown key")
        name = item.get("field")
        if name not in OPS:
            raise bad_field(f"{here}.field", f"must be one of {', '.join(OPS)}")
        op = item.get("op", OPS[name])
        if op != OPS[name]:
            raise bad_field(f"{here}.op", f"{name} takes the operator {OPS[name]}")
        if "value" not in item:
            raise bad_field(f"{here}.value", "is required")
        out.append({"field": name, "op": op, "value": _condition_value(name, item["value"], f"{here}.value")})
    return out


def _object(value: object, path: str, keys: Iterable[str]) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise bad_field(path, "must be an object")
    unknown = sorted(set(value) - set(keys))
    if unknown:
        raise bad_field(f"{path}.{unknown[0]}", "unknown field")
    return value


def check_gates(value: object) -> dict[str, Any]:
    data = _object(value, "gates", ("accepting", "free_slot", "max_wait_s"))
    wait = data.get("max_wait_s")
    return {
        "accepting": _bool(data.get("accepting", True), "gates.accepting"),
        "free_slot": _bool(data.get("free_slot", False), "gates.free_slot"),
        "max_wait_s": None if wait is None else _int(wait, "gates.max_wait_s", 1, 3600),
    }


def check_action(value: object) -> dict[str, Any]:
    if value is None:
        raise bad_field("action", "is required")
    data = _object(value, "action", ("text", "as", "agent_id", "delay_s"))
    if "text" not in data:
        raise bad_field("action.text", "is required")
    text = _line(data["text"], "action.text", MAX_TEXT, multiline=True)
    shown_as = data.get("as", "team")
    if shown_as not in ("team", "agent"):
        raise bad_field("action.as", "must be team or agent")
    agent_id = data.get("agent_id")
    if shown_as == "agent":
        agent_id = _int(agent_id, "action.agent_id", 1, 2**31 - 1)
    elif agent_id is not None:
        raise bad_field("action.agent_id", "only with as: agent")
    return {
        "text": text,
        "as": shown_as,
        "agent_id": agent_id,
        "delay_s": _int(data.get("delay_s", 0), "action.delay_s", 0, MAX_DELAY_S),
    }


def check_caps(value: object) -> dict[str, Any]:
    data = _object(value, "caps", ("once_per_visit", "min_days_between", "quiet_after_chat_min"))
    return {
        "once_per_visit": _bool(data.get("once_per_visit", True), "caps.once_per_visit"),
        "min_days_between": _int(data.get("min_days_between", 0), "caps.min_days_between", 0, 365),
        "quiet_after_chat_min": _int(data.get("quiet_after_chat_min", 30), "caps.quiet_after_chat_min", 0, 10_080),
    }


RULE_FIELDS = ("name", "enabled", "conditions", "gates", "action", "caps")


def check_rule(data: object, *, partial: bool = False) -> dict[str, Any]:
    """A rule's column values (name, enabled, conditions, gates, action, caps), checked; every
    error names its field path (`conditions[2].value: ...`). `partial`: only the keys given."""
    if not isinstance(data, dict):
        raise bad_field("rule", "must be an object")
    unknown = sorted(set(data) - set(RULE_FIELDS) - {"department_id"})
    if unknown:
        raise bad_field(unknown[0], "unknown field")
    if not partial:
        for required in ("name", "action"):
            if required not in data:
                raise bad_field(required, "is required")
    out: dict[str, Any] = {}
    if "name" in data:
        out["name"] = _line(data["name"], "name", MAX_NAME)
    if "enabled" in data or not partial:
        out["enabled"] = _bool(data.get("enabled", True), "enabled")
    if "conditions" in data or not partial:
        out["conditions"] = check_conditions(data.get("conditions", []))
    if "gates" in data or not partial:
        out["gates"] = check_gates(data.get("gates"))
    if "action" in data:
        out["action"] = check_action(data["action"])
    if "caps" in data or not partial:
        out["caps"] = check_caps(data.get("caps"))
    return out


def _compiled(name: str, value: Any) -> Any:
    if name == "url":
        return compile_glob(value)
    if name == "title":
        return str(value).lower()
    if name in ("country", "device", "language"):
        return frozenset(value)
    if name == "schedule":
        days = frozenset(DAYS.index(d) for d in value["days"])
        return (days, _minutes(value["from"], "from"), _minutes(value["to"], "to"))
    return value


def rule_from_row(row: Any) -> Rule:
    """The evaluable rule from a stored row (values checked when it was saved)."""
    action = row.action or {}
    gates = row.gates or {}
    caps = row.caps or {}
    return Rule(
        id=row.id,
        department_id=row.department_id,
        position=row.position,
        name=row.name,
        enabled=bool(row.enabled),
        conditions=tuple(Condition(c["field"], _compiled(c["field"], c["value"])) for c in row.conditions or ()),
        gates=Gates(bool(gates.get("accepting", True)), bool(gates.get("free_slot", False)), gates.get("max_wait_s")),
        action=Action(
            action.get("text", ""), action.get("as", "team"), action.get("agent_id"), int(action.get("delay_s", 0))
        ),
        caps=Caps(
            bool(caps.get("once_per_visit", True)),
            int(caps.get("min_days_between", 0)),
            int(caps.get("quiet_after_chat_min", 30)),
        ),
    )


# ---- evaluation --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Visit:
    """What the rules see of a visitor's visit (actions build it from the socket's VisitState)."""

    url: str = ""
    title: str = ""
    page_since: datetime | None = None
    started_at: datetime | None = None
    pages: int = 1
    returning: bool = False
    referrer: str = ""
    country: str | None = None
    device: str | None = None
    language: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    """The visitor's past, for the caps."""

    invited_this_visit: bool = False
    last_invited_at: datetime | None = None
    in_chat: bool = False
    last_chat_ended_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Capacity:
    """The department now, for the gates."""

    accepting: bool = True
    free_slots: int = 0
    wait_estimate_s: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    fired: Rule | None = None
    blocked: Rule | None = None  # the first rule a gate stopped (when none fired)
    reason: str | None = None  # the gate that stopped `blocked`
    recheck_in_s: float | None = None  # when a time condition of some rule will next hold
    skipped: dict[int, str] = field(default_factory=dict)  # rule id -> the cap that skipped it


def referrer_host(referrer: str) -> str:
    try:
        host = (urlsplit(referrer).hostname or "").lower()
    except ValueError:
        return ""
    return host[4:] if host.startswith("www.") else host


def _seconds(now: datetime, since: datetime | None) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())


def condition_holds(cond: Condition, visit: Visit, now: datetime, zone: ZoneInfo | None) -> bool:
    name, value = cond.field, cond.value
    if name == "url":
        return bool(value.matches(visit.url))
    if name == "title":
        return str(value) in visit.title.lower()
    if name == "time_on_page":
        return bool(_seconds(now, visit.page_since) >= value)
    if name == "time_on_site":
        return bool(_seconds(now, visit.started_at) >= value)
    if name == "pages":
        return bool(visit.pages >= value)
    if name == "returning":
        return visit.returning is value
    if name == "referrer_domain":
        host = referrer_host(visit.referrer)
        return host == value or host.endswith("." + value)
    if name == "country":
        return (visit.country or "").upper() in value
    if name == "device":
        return (visit.device or "other") in value
    if name == "language":
        lang = (visit.language or "").lower()
        return any(lang == p or lang.startswith(p + "-") for p in value)
    days, start, end = value  # schedule
    local = now.astimezone(zone) if zone is not None else now
    minute = local.hour * 60 + local.minute
    return local.weekday() in days and start <= minute < end


def _time_left(cond: Condition, visit: Visit, now: datetime) -> float | None:
    """Seconds until a time condition holds (None: not a time condition)."""
    if cond.field == "time_on_page":
        return float(cond.value) - _seconds(now, visit.page_since)
    if cond.field == "time_on_site":
        return float(cond.value) - _seconds(now, visit.started_at)
    return None


def cap_refusal(caps: Caps, history: History, now: datetime) -> str | None:
    if history.in_chat:
        return CAP_IN_CHAT
    if caps.once_per_visit and history.invited_this_visit:
        return CAP_VISIT
    last = history.last_invited_at
    if caps.min_days_between and last is not None and _seconds(now, last) < caps.min_days_between * 86_400:
        return CAP_DAYS
    ended = history.last_chat_ended_at
    if caps.quiet_after_chat_min and ended is not None and _seconds(now, ended) < caps.quiet_after_chat_min * 60:
        return CAP_AFTER_CHAT
    return None


def gate_refusal(gates: Gates, capacity: Capacity) -> str | None:
    """Only while the department accepts chats; only while an agent has a free slot, or (either
    one, when both are set) the wait estimate is at most max_wait_s."""
    if gates.accepting and not capacity.accepting:
        return GATE_CLOSED
    if not gates.free_slot and gates.max_wait_s is None:
        return None
    if gates.free_slot and capacity.free_slots > 0:
        return None
    if gates.max_wait_s is not None:
        wait = capacity.wait_estimate_s
        if wait is not None and wait <= gates.max_wait_s:
            return None
        return GATE_WAIT
    return GATE_NO_SLOT


def evaluate(
    rules: Sequence[Rule],
    visit: Visit,
    now: datetime,
    capacity: Capacity,
    *,
    history: History | None = None,
    timezone: str | None = None,
) -> Decision:
    """The first rule (by position) that fires for this visit now, or the first one a gate
    stopped, and when to look again if only time conditions were short."""
    history = history or History()
    zone = _zone(timezone)
    recheck: float | None = None
    blocked: tuple[Rule, str] | None = None
    skipped: dict[int, str] = {}
    for rule in sorted(rules, key=lambda r: (r.position, r.id)):
        if not rule.enabled:
            continue
        waiting = 0.0
        holds = True
        for cond in rule.conditions:
            left = _time_left(cond, visit, now)
            if left is not None:
                if left > 0:
                    waiting = max(waiting, left)
                continue
            if not condition_holds(cond, visit, now, zone):
                holds = False
                break
        if not holds:
            continue
        refusal = cap_refusal(rule.caps, history, now)
        if refusal is not None:
            skipped[rule.id] = refusal
            continue
        if waiting > 0:
            recheck = waiting if recheck is None else min(recheck, waiting)
            continue
        gate = gate_refusal(rule.gates, capacity)
        if gate is None:
            return Decision(fired=rule, recheck_in_s=recheck, skipped=skipped)
        if blocked is None:
            blocked = (rule, gate)
    if blocked is not None:
        return Decision(blocked=blocked[0], reason=blocked[1], recheck_in_s=recheck, skipped=skipped)
    return Decision(recheck_in_s=None if recheck is None else math.ceil(recheck * 1000) / 1000, skipped=skipped)


def _zone(name: str | None) -> ZoneInfo | None:
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return None


def matches_conditions(rule: Rule, visit: Visit, now: datetime, timezone: str | None = None) -> bool:
    """Every condition of the rule holds (time ones included) — the simulator's test."""
    zone = _zone(timezone)
    return all(condition_holds(c, visit, now, zone) for c in rule.conditions)


# ---- the simulator -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimPage:
    at: datetime
    url: str
    title: str
    visible_ms: int | None  # time visible on that page, when it was recorded


@dataclass(frozen=True, slots=True)
class SimVisit:
    visitor_id: str
    number: int
    started_at: datetime
    referrer: str
    country: str | None
    device: str | None
    language: str | None
    pages: tuple[SimPage, ...]


@dataclass(frozen=True, slots=True)
class Simulation:
    visits: int
    matched_visits: int
    invitations: int
    per_hour: list[float]  # average invitations in each hour of the day (department's time), 0-23
    peak_per_hour: int  # the busiest single clock hour of the period


def _time_needed(rule: Rule) -> tuple[float, float]:
    on_page = max((c.value for c in rule.conditions if c.field == "time_on_page"), default=0)
    on_site = max((c.value for c in rule.conditions if c.field == "time_on_site"), default=0)
    return float(on_page), float(on_site)


def simulate(rule: Rule, visits: Sequence[SimVisit], *, days: int, timezone: str | None = None) -> Simulation:
    """What the rule would have done over stored visits: for each page view, the first moment
    every condition holds (time ones from when the page was opened: at + time_on_page, and
    started_at + time_on_site) — if the visitor was still on that page then (until the next
    page view, or for the last page its recorded visible time) — plus the action's delay.
    Caps: once per visit (else once per page view), at most once every min_days_between per
    visitor. Gates and quiet-after-chat are not replayed (the department's capacity at the
    time is not stored): the counts are what the rule would have sent with its gates open."""
    zone = _zone(timezone)
    on_page, on_site = _time_needed(rule)
    static = Rule(
        rule.id,
        rule.department_id,
        rule.position,
        rule.name,
        True,
        tuple(c for c in rule.conditions if c.field not in ("time_on_page", "time_on_site")),
        rule.gates,
        rule.action,
        rule.caps,
    )
    last_invited: dict[str, datetime] = {}
    hours: dict[int, int] = {}
    clock_hours: dict[tuple[int, int, int, int], int] = {}
    matched = invitations = 0
    for v in sorted(visits, key=lambda v: v.started_at):
        hit = False
        for i, page in enumerate(v.pages):
            if i + 1 < len(v.pages):
                until = v.pages[i + 1].at
            else:
                until = page.at + timedelta(milliseconds=page.visible_ms or 0)
            when = max(page.at + timedelta(seconds=on_page), v.started_at + timedelta(seconds=on_site))
            if when > until or (when == until and (on_page or on_site)):
                continue
            facts = Visit(
                page.url,
                page.title,
                page.at,
                v.started_at,
                i + 1,
                v.number > 1,
                v.referrer,
                v.country,
                v.device,
                v.language,
            )
            if not matches_conditions(static, facts, when, timezone):
                continue
            previous = last_invited.get(v.visitor_id)
            days_cap = rule.caps.min_days_between * 86_400
            if previous is not None and days_cap and (when - previous).total_seconds() < days_cap:
                continue
            hit = True
            invitations += 1
            sent = when + timedelta(seconds=rule.action.delay_s)
            last_invited[v.visitor_id] = sent
            local = sent.astimezone(zone) if zone is not None else sent
            hours[local.hour] = hours.get(local.hour, 0) + 1
            key = (local.year, local.month, local.day, local.hour)
            clock_hours[key] = clock_hours.get(key, 0) + 1
            if rule.caps.once_per_visit:
                break
        matched += hit
    per_hour = [round(hours.get(h, 0) / max(1, days), 2) for h in range(24)]
    return Simulation(len(visits), matched, invitations, per_hour, max(clock_hours.values(), default=0))
