"""A discrete-event simulation of a chat desk: visitors arrive, wait, are routed by frontdesk's
own rule (`domain.assignment.choose_agent`), talk, are transferred or escalated, rate, or give up.

Pure: no I/O, no clock. `simulate(config, start, weeks, seed)` returns every chat's timeline, the
routing log, the agents' status changes, invitations and offline messages as plain values; the
demo (actions/demo.py) stores them, and the staffing work can run it with other parameters (all
of them in `SimConfig`). The same config, start, weeks and seed give the same result.

The model, in simulated seconds from `start` (simpy):
- arrivals per department are Poisson, the rate piecewise constant per local hour: `peak_per_hour`
  x `daily[hour]` x `weekly[weekday]` in the department's time zone (DST-correct). While the
  department is closed or nobody is online, a visitor leaves an offline message (`offline_p`) or
  goes away;
- a queued chat is offered to `choose_agent` of the department's online members with room (at its
  required level, minus the agents who let an offer of it expire); the agent accepts after a few
  seconds, or (`offer_expire_p`) lets the offer expire and is set away for a few minutes;
- a visitor waiting gives up after `patience_min_s` plus an exponential patience (mean
  `patience_mean_s`): a missed chat;
- an assigned chat lasts a lognormal time whose mean is `aht_by_load[k - 1]` for an agent holding
  k chats when it is assigned; its messages alternate between agent and visitor over that time;
- a chat's end: closed (mostly by the agent), transferred (to a colleague or another department),
  escalated (back to the queue for a higher level), or dropped (the visitor leaves with the agent's
  last messages unread); a share is rated (mostly well) and a few are reviewed;
- agents work shifts in their time zone (across midnight too; a two-week rota for weekends): online
  at the start, an away break now and then, away at the end until their last chat closes, offline.

The staffing validation (domain/staffing_validation.py) runs the same desk with three switches
whose defaults are the demo's: `handle_distribution` (lognormal | exponential), `messages=False`
(a conversation is its handle time alone: no messages, first-reply wait, closing pause, transfer,
escalation or drop) and `handle_load="current"` (with messages=False: a chat's speed follows the
number of chats its agent holds now, not at assignment; `_Desk.start_work`).
"""

from __future__ import annotations

import dataclasses
import math
import random
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import simpy

from frontdesk.domain.assignment import AgentLoad, choose_agent
from frontdesk.domain.business_hours import BusinessHours, parse_business_hours

Process = Generator[simpy.Event, Any, None]  # a simpy process function's generator

DAY_S = 86400.0
HOUR_S = 3600.0
GRACE_S = 6 * HOUR_S  # after the last arrival: chats finish, night shifts end


@dataclass(frozen=True, slots=True)
class DepartmentSpec:
    slug: str
    name: str
    timezone: str
    hours: Mapping[str, Any]  # the stored business hours shape (domain/business_hours); {} = always open
    peak_per_hour: float  # arrivals per hour at daily[h] = weekly[d] = 1
    daily: tuple[float, ...]  # 24 factors, by local hour
    weekly: tuple[float, ...]  # 7 factors, Monday first


@dataclass(frozen=True, slots=True)
class Shift:
    days: tuple[int, ...]  # local weekdays the shift starts on, 0 = Monday
    start: int  # minutes after local midnight
    minutes: int  # its length: past 1440 - start it crosses midnight
    weeks: tuple[int, ...] = (0, 1)  # the weeks of a two-week rota (ISO week number % 2)


@dataclass(frozen=True, slots=True)
class AgentSpec:
    name: str
    email: str
    departments: tuple[str, ...]  # slugs
    timezone: str  # the shifts' time zone
    shifts: tuple[Shift, ...] = ()
    max_chats: int = 3
    level: int = 1  # their tier in each of their departments
    role: str = "agent"


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Every parameter of the model (durations in seconds, shares 0-1)."""

    departments: tuple[DepartmentSpec, ...]
    agents: tuple[AgentSpec, ...]
    aht_by_load: tuple[float, ...] = (420.0, 510.0, 620.0, 750.0)  # mean handle time, index k-1 for k chats held
    handle_sigma: float = 0.55  # lognormal spread of handle times
    first_reply_s: float = 20.0  # mean time from assignment to the agent's first reply, one chat held
    patience_min_s: float = 20.0  # nobody gives up sooner
    patience_mean_s: float = 150.0  # mean time a waiting visitor stays beyond that (exponential)
    accept_s: tuple[float, float] = (2.0, 12.0)  # an offer is accepted after this long (uniform)
    offer_timeout_s: float = 30.0
    offer_expire_p: float = 0.01
    transfer_p: float = 0.05
    escalation_p: float = 0.03
    drop_p: float = 0.05
    visitor_closes_p: float = 0.25  # of the chats ended normally, the visitor closes them
    rating_p: float = 0.35
    rating_weights: tuple[float, ...] = (0.05, 0.04, 0.07, 0.22, 0.62)  # scores 1..5
    comment_p: float = 0.3
    review_p: float = 0.03
    invitation_rate: float = 0.6  # invitations sent per chat arrival (while open and staffed)
    invitation_accept_p: float = 0.12
    offline_p: float = 0.3
    break_p: float = 0.6  # a shift has an away break
    agent_gap_s: float = 80.0  # mean gap before an agent's message after the first reply
    visitor_gap_s: float = 100.0  # mean gap before a visitor's message
    # The staffing validation's switches (docs/staffing.md, "Validation against the simulator"); the
    # defaults are the demo's desk, and leave its history exactly as it was.
    handle_distribution: str = "lognormal"  # lognormal (spread handle_sigma) | exponential
    handle_load: str = "assignment"  # assignment | current (needs messages=False): see _Desk.start_work
    messages: bool = True  # False: a conversation is its handle time alone (see _Desk.bare_conversation)


@dataclass(slots=True)
class SimMessage:
    at: datetime
    kind: str  # an EventKind value: message, chat.started, chat.assigned, ...
    author: str  # visitor | agent | system
    agent: int | None = None  # index into config.agents
    body: str = ""
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SimChat:
    number: int
    department: str  # where it ended
    visitor_name: str
    visitor_email: str | None
    page_url: str
    page_title: str
    created_at: datetime
    queued_at: datetime | None = None
    assigned_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None  # visitor | agent | system
    assignee: int | None = None
    missed: bool = False
    dropped: bool = False
    required_level: int = 1
    invitation: int | None = None  # index into SimResult.invitations
    rating: int | None = None
    rating_comment: str | None = None
    rated_at: datetime | None = None
    review: tuple[int, float, str] | None = None  # (reviewer agent index, score 0-5, comment)
    read_seq: int = 0  # the last seq the visitor saw
    load_at_assignment: int | None = None  # chats the first agent held with this one
    messages: list[SimMessage] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SimRouting:
    at: datetime
    kind: str  # queued | offered | offer_expired | assigned | transferred | escalated | missed | offline_ticket
    department: str | None
    chat: int | None  # SimChat.number
    agent: int | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SimStatus:
    at: datetime
    agent: int
    status: str  # online | away | offline
    reason: str  # connected | disconnected | manual | offer_expired | assigned | closed | transferred
    load: int  # chats held after the change


@dataclass(slots=True)
class SimInvitation:
    number: int
    department: str
    visitor_name: str
    page_url: str
    created_at: datetime
    outcome: str  # accepted | dismissed | expired
    outcome_at: datetime
    text: str
    chat: int | None = None


@dataclass(frozen=True, slots=True)
class SimOffline:
    at: datetime
    department: str
    name: str
    email: str
    body: str


@dataclass(slots=True)
class SimResult:
    config: SimConfig
    start: datetime
    end: datetime  # arrivals stop here; the timelines may run up to GRACE_S later (not past `until`)
    seed: int
    chats: list[SimChat]
    routing: list[SimRouting]
    statuses: list[SimStatus]
    invitations: list[SimInvitation]
    offline: list[SimOffline]


# ---------------------------------------------------------------------------------------------
# What people write. The lines are chosen by the seeded generator, so they are part of the result.

TOPICS: dict[str, tuple[tuple[str, str], ...]] = {
    "support": (
        ("I can't log in to my account, it says my password is wrong.", "/account/login"),
        ("The app keeps crashing when I upload a photo.", "/help/app"),
        ("How do I export my data to a spreadsheet?", "/help/export"),
        ("My order status has said 'processing' for three days.", "/orders"),
        ("I never got the confirmation e-mail.", "/account/confirm"),
        ("Is there a way to add a second user to my account?", "/account/team"),
        ("The page is blank after the latest update.", "/dashboard"),
    ),
    "sales": (
        ("What's the difference between the Team and Business plans?", "/pricing"),
        ("Do you offer a discount for non-profits?", "/pricing"),
        ("Can I get a demo for my team next week?", "/demo"),
        ("We need 40 seats - is there volume pricing?", "/pricing/enterprise"),
        ("Does the Business plan include single sign-on?", "/features/sso"),
    ),
    "billing": (
        ("I was charged twice this month.", "/billing/invoices"),
        ("How do I change the card on file?", "/billing/payment"),
        ("Can I get an invoice with our VAT number on it?", "/billing/invoices"),
        ("I'd like a refund for the annual plan I bought by mistake.", "/billing/refunds"),
    ),
}
AGENT_LINES = (
    "Thanks for waiting! Let me look into that for you.",
    "Could you tell me the e-mail address on the account?",
    "I see it now - one moment please.",
    "I've fixed that on our side; could you try again?",
    "Here is a link to the guide: it walks through every step.",
    "That's a good question - let me check with the team.",
    "Is there anything else I can help you with?",
    "Great, I'm glad that worked!",
    "I've sent you an e-mail with the details.",
)
VISITOR_LINES = (
    "Sure, it's the one I signed up with.",
    "OK, one second.",
    "It still does the same thing.",
    "That worked, thank you!",
    "Thanks, that's what I needed.",
    "Could you send me that by e-mail?",
    "Hmm, I don't see that option.",
    "Perfect.",
    "No, that's all. Have a nice day!",
)
GOOD_COMMENTS = ("Quick and friendly, thanks!", "Solved my problem in minutes.", "Very helpful.", "Great service.")
BAD_COMMENTS = ("I waited far too long.", "Didn't solve my problem.", "I had to explain everything twice.")
FIRST_NAMES = (
    "Anna", "Ben", "Chloe", "David", "Elif", "Farid", "Grace", "Hiro", "Isabel", "Jamal", "Kerstin",
    "Liam", "Maja", "Noah", "Olivia", "Pedro", "Quinn", "Rosa", "Sami", "Tuva", "Umar", "Vera",
    "Wen", "Ximena", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = ("Andersen", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Hansen", "Ito", "Jensen")
ESCALATION_REASONS = ("technical", "billing", "complaint", "sales", "not_in_script")
INVITATION_TEXT = "Hi! Questions about {what}? We're here to help."


# ---------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Agent:
    index: int
    spec: AgentSpec
    status: str = "offline"
    on_shift: bool = False
    held: int = 0  # assigned chats
    offers: int = 0  # chats offered, not yet accepted
    last_assigned_at: datetime | None = None
    work: dict[int, float] = field(default_factory=dict)  # handle_load="current": chat number -> work left
    work_at: float = 0.0  # when `work` was last brought up to date
    work_token: int = 0  # the completion scheduled with this token is the valid one


@dataclass(slots=True)
class _Chat:
    sim: SimChat
    topic: str
    status: str = "queued"  # queued | active | closed
    offered_to: int | None = None
    exclude: set[int] = field(default_factory=set)
    answered: bool = False
    assigned: simpy.Event | None = None  # fired when an agent takes it (the visitor stops waiting)
    segments: int = 0


class _Desk:
    def __init__(
        self, config: SimConfig, start: datetime, weeks: int, seed: int, until: datetime | None = None
    ) -> None:
        if not config.aht_by_load:
            raise ValueError("aht_by_load: at least one handle time")
        if config.handle_distribution not in ("lognormal", "exponential"):
            raise ValueError("handle_distribution: lognormal or exponential")
        if config.handle_load not in ("assignment", "current"):
            raise ValueError("handle_load: assignment or current")
        if config.handle_load == "current" and config.messages:
            raise ValueError("handle_load: current needs messages=False")
        if not config.messages and (config.transfer_p or config.escalation_p or config.drop_p):
            raise ValueError("messages: a bare conversation has no transfers, escalations or drops (set them to 0)")
        self.config = config
        self.start = start.astimezone(UTC)
        self.end_s = weeks * 7 * DAY_S if until is None else (until - self.start).total_seconds()
        self.cut = until is not None  # the run stops at end_s: no grace, the unfinished left out
        self.rng = random.Random(seed)
        self.env = simpy.Environment()
        self.departments = {d.slug: d for d in config.departments}
        self.hours: dict[str, BusinessHours] = {
            d.slug: parse_business_hours({"timezone": d.timezone, **dict(d.hours)}) for d in config.departments
        }
        self.agents = [_Agent(i, spec) for i, spec in enumerate(config.agents)]
        self.members: dict[str, list[_Agent]] = {d.slug: [] for d in config.departments}
        for agent in self.agents:
            for slug in agent.spec.departments:
                self.members[slug].append(agent)
        self.queues: dict[str, list[_Chat]] = {d.slug: [] for d in config.departments}
        self.chats: list[SimChat] = []
        self.routing: list[SimRouting] = []
        self.statuses: list[SimStatus] = []
        self.invitations: list[SimInvitation] = []
        self.offline: list[SimOffline] = []
        self.open_chats: dict[int, _Chat] = {}

    # -- time
    def at(self, seconds: float | None = None) -> datetime:
        return self.start + timedelta(seconds=self.env.now if seconds is None else seconds)

    def rate(self, dept: DepartmentSpec, seconds: float) -> float:
        local = self.at(seconds).astimezone(ZoneInfo(dept.timezone))
        return dept.peak_per_hour * dept.daily[local.hour] * dept.weekly[local.weekday()] / HOUR_S

    # -- records
    def log(self, kind: str, chat: _Chat | None, department: str | None, agent: int | None = None, **data: Any) -> None:
        number = chat.sim.number if chat is not None else None
        self.routing.append(SimRouting(self.at(), kind, department, number, agent, data))

    def set_status(self, agent: _Agent, status: str, reason: str) -> None:
        agent.status = status
        self.statuses.append(SimStatus(self.at(), agent.index, status, reason, agent.held))

    def event(self, chat: _Chat, kind: str, author: str = "system", agent: int | None = None, **kw: Any) -> int:
        chat.sim.messages.append(SimMessage(self.at(), kind, author, agent, **kw))
        return len(chat.sim.messages)

    def staffed(self, slug: str) -> bool:
        return any(a.status == "online" for a in self.members[slug])

    # -- arrivals
    def arrivals(self, dept: DepartmentSpec) -> Process:
        """Piecewise-constant Poisson: within a local hour the rate is fixed, so an exponential
        gap that runs past the hour's end is drawn again from there (memoryless)."""
        while self.env.now < self.end_s:
            hour_end = min((math.floor(self.env.now / HOUR_S) + 1) * HOUR_S, self.end_s)
            rate = self.rate(dept, self.env.now)
            gap = self.rng.expovariate(rate) if rate > 0 else math.inf
            if self.env.now + gap >= hour_end:
                yield self.env.timeout(hour_end - self.env.now)
                continue
            yield self.env.timeout(gap)
            self.arrive(dept)
            if self.rng.random() < self.config.invitation_rate:
                self.invite(dept)

    def arrive(self, dept: DepartmentSpec, invitation: SimInvitation | None = None) -> None:
        topic_line, page = self.rng.choice(TOPICS.get(dept.slug, TOPICS["support"]))
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        email = f"{name.lower().replace(' ', '.')}@example.com"
        now = self.at()
        if not self.hours[dept.slug].is_open(now) or not self.staffed(dept.slug):
            if invitation is None and self.rng.random() < self.config.offline_p:
                self.offline.append(SimOffline(now, dept.slug, name, email, topic_line))
                self.log("offline_ticket", None, dept.slug)
            return
        sim = SimChat(
            number=len(self.chats) + 1,
            department=dept.slug,
            visitor_name=name,
            visitor_email=email if self.rng.random() < 0.6 else None,
            page_url=f"https://shop.example.com{page}",
            page_title=page.strip("/").replace("/", " - ").title() or "Home",
            created_at=now,
            queued_at=now,
        )
        if invitation is not None:
            sim.invitation = invitation.number - 1
            invitation.chat = sim.number
        self.chats.append(sim)
        chat = _Chat(sim, topic_line)
        self.open_chats[sim.number] = chat
        self.event(chat, "chat.started")
        self.event(chat, "message", "visitor", body=topic_line)
        self.log("queued", chat, dept.slug)
        self.enqueue(chat)
        self.env.process(self.visitor_waits(chat, first=True))
        self.dispatch(dept.slug)

    def invite(self, dept: DepartmentSpec) -> None:
        if not self.hours[dept.slug].is_open(self.at()) or not self.staffed(dept.slug):
            return
        topic_line, page = self.rng.choice(TOPICS.get(dept.slug, TOPICS["support"]))
        accepted = self.rng.random() < self.config.invitation_accept_p
        outcome = "accepted" if accepted else ("dismissed" if self.rng.random() < 0.45 else "expired")
        delay = self.rng.uniform(5, 60) if outcome != "expired" else 120.0
        invitation = SimInvitation(
            number=len(self.invitations) + 1,
            department=dept.slug,
            visitor_name=f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}",
            page_url=f"https://shop.example.com{page}",
            created_at=self.at(),
            outcome=outcome,
            outcome_at=self.at(self.env.now + delay),
            text=INVITATION_TEXT.format(what=dept.name.lower()),
        )
        self.invitations.append(invitation)
        if accepted:
            self.env.process(self.accept_invitation(dept, invitation, delay))

    def accept_invitation(self, dept: DepartmentSpec, invitation: SimInvitation, delay: float) -> Process:
        yield self.env.timeout(delay)
        self.arrive(dept, invitation)
        if invitation.chat is None:  # closed meanwhile: the visitor found nobody
            invitation.outcome = "expired"

    # -- waiting
    def visitor_waits(self, chat: _Chat, *, first: bool) -> Process:
        chat.assigned = self.env.event()
        mean = self.config.patience_mean_s * (1 if first else 2)  # answered once: more patient
        patience = self.env.timeout(self.config.patience_min_s + self.rng.expovariate(1 / mean))
        yield chat.assigned | patience
        if chat.status != "queued":
            return
        self.unqueue(chat)
        if chat.offered_to is not None:
            self.withdraw_offer(chat)
        waited = (self.env.now - self._seconds(chat.sim.queued_at)) if chat.sim.queued_at else None
        missed = not chat.answered
        self.event(chat, "chat.closed", data={"by": "visitor", **({"reason": "missed"} if missed else {})})
        if missed:
            self.log("missed", chat, chat.sim.department, waited_seconds=waited)
        self.close(chat, by="visitor", missed=missed)

    def _seconds(self, at: datetime) -> float:
        return (at - self.start).total_seconds()

    def unqueue(self, chat: _Chat) -> None:
        queue = self.queues[chat.sim.department]
        if chat in queue:
            queue.remove(chat)

    def enqueue(self, chat: _Chat) -> None:
        """First come, first served: an escalated chat keeps its place (queued_at)."""
        queue = self.queues[chat.sim.department]
        queue.append(chat)
        queue.sort(key=lambda c: (c.sim.queued_at or c.sim.created_at, c.sim.number))

    # -- routing
    def loads(self, slug: str) -> list[AgentLoad]:
        return [
            AgentLoad(
                agent_id=a.index,
                available=a.status == "online" and a.on_shift,
                active=a.held + a.offers,
                max_chats=a.spec.max_chats,
                last_assigned_at=a.last_assigned_at,
                level=a.spec.level,
            )
            for a in self.members[slug]
        ]

    def dispatch(self, slug: str) -> None:
        for chat in list(self.queues[slug]):
            if chat.offered_to is not None:
                continue
            loads = self.loads(slug)
            if not any(a.room > 0 for a in loads):
                return
            chosen = choose_agent(loads, exclude=frozenset(chat.exclude), min_level=chat.sim.required_level)
            if chosen is None:
                continue
            agent = self.agents[chosen.agent_id]
            agent.offers += 1
            agent.last_assigned_at = self.at()
            chat.offered_to = agent.index
            self.log("offered", chat, slug, agent.index)
            self.env.process(self.offer(chat, agent))

    def dispatch_all(self, agent: _Agent) -> None:
        for slug in agent.spec.departments:
            self.dispatch(slug)

    def withdraw_offer(self, chat: _Chat) -> None:
        agent = self.agents[chat.offered_to] if chat.offered_to is not None else None
        chat.offered_to = None
        if agent is not None:
            agent.offers -= 1
            self.dispatch_all(agent)

    def offer(self, chat: _Chat, agent: _Agent) -> Process:
        expires = self.rng.random() < self.config.offer_expire_p
        yield self.env.timeout(self.config.offer_timeout_s if expires else self.rng.uniform(*self.config.accept_s))
        if chat.offered_to != agent.index or chat.status != "queued":
            return  # the visitor left meanwhile
        if expires:
            chat.offered_to = None
            chat.exclude.add(agent.index)
            agent.offers -= 1
            self.log("offer_expired", chat, chat.sim.department, agent.index)
            self.set_status(agent, "away", "offer_expired")
            self.env.process(self.back_from_away(agent, self.rng.uniform(180, 480)))
            self.dispatch(chat.sim.department)
            return
        agent.offers -= 1
        self.assign(chat, agent)

    def back_from_away(self, agent: _Agent, after: float) -> Process:
        yield self.env.timeout(after)
        if agent.on_shift and agent.status == "away":
            self.set_status(agent, "online", "manual")
            self.dispatch_all(agent)

    def assign(self, chat: _Chat, agent: _Agent) -> None:
        sim = chat.sim
        waited = self.env.now - self._seconds(sim.queued_at) if sim.queued_at else None
        chat.status, chat.offered_to = "active", None
        unqueue_at = sim.department
        self.unqueue(chat)
        sim.assignee, sim.assigned_at = agent.index, self.at()
        agent.held += 1
        if sim.load_at_assignment is None:
            sim.load_at_assignment = agent.held
        self.event(chat, "chat.assigned", data={"agent": {"id": agent.index, "name": agent.spec.name}})
        self.log("assigned", chat, unqueue_at, agent.index, waited_seconds=waited)
        self.set_status(agent, agent.status, "assigned")
        if chat.assigned is not None and not chat.assigned.triggered:
            chat.assigned.succeed()
        self.start_conversation(chat, agent)

    # -- talking
    def start_conversation(self, chat: _Chat, agent: _Agent) -> None:
        if self.config.messages:
            self.env.process(self.conversation(chat, agent))
        elif self.config.handle_load == "current":
            self.start_work(chat, agent)
        else:
            self.env.process(self.bare_conversation(chat, agent))

    def aht(self, load: int) -> float:
        table = self.config.aht_by_load
        return table[min(load, len(table)) - 1]

    def handle_seconds(self, load: int, mean: float | None = None) -> float:
        """A handle time of mean `aht(load)` (or `mean`), drawn from `handle_distribution`."""
        mean = self.aht(load) if mean is None else mean
        if self.config.handle_distribution == "exponential":
            return self.rng.expovariate(1 / mean)
        sigma = self.config.handle_sigma
        return self.rng.lognormvariate(math.log(mean) - sigma * sigma / 2, sigma)

    def bare_conversation(self, chat: _Chat, agent: _Agent) -> Process:
        """messages=False, handle_load="assignment": the chat holds its slot for one handle time
        (mean `aht(k)`, k = the chats its agent holds with it at assignment), then the agent
        closes it. No first-reply wait, messages, closing pause, transfer, escalation or drop."""
        chat.segments += 1
        chat.answered = True
        yield self.env.timeout(self.handle_seconds(agent.held))
        if chat.status != "active" or chat.sim.assignee != agent.index:
            return
        self.end_bare(chat, agent)

    def end_bare(self, chat: _Chat, agent: _Agent) -> None:
        self.event(chat, "chat.closed", data={"by": "agent"})
        self.release(agent, chat, "closed")
        self.close(chat, by="agent")

    def start_work(self, chat: _Chat, agent: _Agent) -> None:
        """handle_load="current" (messages=False): a chat needs an amount of work of mean 1 (from
        `handle_distribution`), done at speed 1 / aht(k) while its agent holds k chats — k now,
        not at assignment, so every chat an agent holds slows down when another arrives and
        speeds up when one ends. With exponential work the agent's chats end at total rate
        k / aht(k), the chat model's birth-death rates."""
        chat.segments += 1
        chat.answered = True
        self.drain(agent)
        agent.work[chat.sim.number] = self.handle_seconds(1, mean=1.0)
        self.schedule_work(agent)

    def drain(self, agent: _Agent) -> None:
        """Bring the work left on the agent's chats up to now, at the speed their count set."""
        if agent.work:
            done = (self.env.now - agent.work_at) / self.aht(len(agent.work))
            for number in agent.work:
                agent.work[number] -= done
        agent.work_at = self.env.now

    def schedule_work(self, agent: _Agent) -> None:
        """The agent's next chat to end (the least work left) ends after that work at the current
        speed, unless the agent's load changes first (a newer token makes this one stale)."""
        agent.work_token += 1
        if not agent.work:
            return
        token = agent.work_token
        left = min(agent.work.values())
        done = self.env.timeout(max(0.0, left) * self.aht(len(agent.work)))
        done.callbacks.append(lambda _event: self.work_done(agent, token))

    def work_done(self, agent: _Agent, token: int) -> None:
        if token != agent.work_token:
            return
        self.drain(agent)
        number = min(agent.work, key=lambda n: (agent.work[n], n))
        del agent.work[number]
        self.schedule_work(agent)
        chat = self.open_chats[number]
        self.end_bare(chat, agent)

    def conversation(self, chat: _Chat, agent: _Agent) -> Process:
        cfg = self.config
        chat.segments += 1
        load = agent.held
        length = self.handle_seconds(load)
        spent = 0.0
        first = min(300.0, max(3.0, self.rng.expovariate(1 / (cfg.first_reply_s * (1 + 0.5 * (load - 1))))))
        yield self.env.timeout(first)
        if chat.status != "active" or chat.sim.assignee != agent.index:
            return
        chat.answered = True
        self.say(chat, agent, self.rng.choice(AGENT_LINES[:2]) if chat.segments == 1 else "Hi, I'm taking over.")
        spent += first
        author = "visitor"
        while spent < length:
            gap = self.rng.expovariate(1 / (cfg.visitor_gap_s if author == "visitor" else cfg.agent_gap_s))
            gap = min(gap, 1500.0)
            yield self.env.timeout(gap)
            spent += gap
            if author == "visitor":
                self.event(chat, "message", "visitor", body=self.rng.choice(VISITOR_LINES))
            else:
                self.say(chat, agent, self.rng.choice(AGENT_LINES[2:]))
            author = "agent" if author == "visitor" or self.rng.random() < 0.2 else "visitor"
        u = self.rng.random()
        if u < cfg.transfer_p and chat.segments < 3:
            if self.transfer(chat, agent):
                return
        elif u < cfg.transfer_p + cfg.escalation_p and chat.segments < 3:
            if self.escalate(chat, agent):
                return
        elif u < cfg.transfer_p + cfg.escalation_p + cfg.drop_p:
            read = len(chat.sim.messages)
            self.say(chat, agent, "Are you still there?")
            yield self.env.timeout(self.rng.uniform(60, 240))
            self.say(chat, agent, "I'll close this chat now - write again any time.")
            chat.sim.read_seq = read
            chat.sim.dropped = True
            yield self.env.timeout(self.rng.uniform(5, 60))
            self.event(chat, "chat.closed", data={"by": "visitor"})
            self.release(agent, chat, "closed")
            self.close(chat, by="visitor")
            return
        if self.rng.random() < cfg.visitor_closes_p:
            yield self.env.timeout(self.rng.uniform(5, 40))
            self.event(chat, "chat.closed", data={"by": "visitor"})
            by = "visitor"
        else:
            self.say(chat, agent, "Thanks for contacting us - have a great day!")
            yield self.env.timeout(self.rng.uniform(10, 60))
            self.event(chat, "chat.closed", data={"by": "agent"})
            by = "agent"
        self.release(agent, chat, "closed")
        self.close(chat, by=by)

    def say(self, chat: _Chat, agent: _Agent, body: str) -> None:
        self.event(chat, "message", "agent", agent.index, body=body)

    def release(self, agent: _Agent, chat: _Chat, reason: str) -> None:
        agent.held -= 1
        self.set_status(agent, agent.status, reason)
        if not agent.on_shift and agent.held == 0 and agent.offers == 0 and agent.status != "offline":
            self.set_status(agent, "offline", "disconnected")
        self.dispatch_all(agent)

    def transfer(self, chat: _Chat, agent: _Agent) -> bool:
        sim = chat.sim
        from_agent = {"id": agent.index, "name": agent.spec.name}
        others = [s for s in self.departments if s != sim.department and self.staffed(s)]
        if others and self.rng.random() < 0.6:
            target = self.rng.choice(others)
            dept = self.departments[target]
            self.event(
                chat,
                "chat.transferred",
                data={
                    "from_agent": from_agent,
                    "to_agent": None,
                    "to_department": {"slug": dept.slug, "name": dept.name},
                },
            )
            self.log("transferred", chat, target, None, from_agent_id=agent.index, from_department=sim.department)
            sim.department, sim.required_level, sim.queued_at, sim.assignee = target, 1, self.at(), None
            chat.status = "queued"
            chat.exclude = set()
            self.release(agent, chat, "transferred")
            self.enqueue(chat)
            self.env.process(self.visitor_waits(chat, first=False))
            self.dispatch(target)
            return True
        mates = [
            a
            for a in self.members[sim.department]
            if a is not agent and a.status == "online" and a.on_shift and a.held + a.offers < a.spec.max_chats
        ]
        if not mates:
            return False
        mate = self.rng.choice(mates)
        self.event(
            chat,
            "chat.transferred",
            data={
                "from_agent": from_agent,
                "to_agent": {"id": mate.index, "name": mate.spec.name},
                "to_department": None,
            },
        )
        self.log(
            "transferred", chat, sim.department, mate.index, from_agent_id=agent.index, from_department=sim.department
        )
        self.release(agent, chat, "transferred")
        sim.assignee, sim.assigned_at = mate.index, self.at()
        mate.held += 1
        mate.last_assigned_at = self.at()
        self.set_status(mate, mate.status, "assigned")
        self.start_conversation(chat, mate)
        return True

    def escalate(self, chat: _Chat, agent: _Agent) -> bool:
        sim = chat.sim
        to_level = max(sim.required_level, agent.spec.level) + 1
        if not any(a.spec.level >= to_level for a in self.members[sim.department]):
            return False
        reason = self.rng.choice(ESCALATION_REASONS)
        self.event(
            chat,
            "chat.escalated",
            data={"from_agent": {"id": agent.index, "name": agent.spec.name}, "to_level": to_level},
        )
        self.event(chat, "note", "agent", agent.index, body=f"Escalated to level {to_level}: {reason}.")
        self.log(
            "escalated",
            chat,
            sim.department,
            agent.index,
            reason=reason,
            detail=None,
            from_level=max(sim.required_level, agent.spec.level),
            to_level=to_level,
        )
        sim.required_level, sim.assignee = to_level, None
        chat.status = "queued"
        self.release(agent, chat, "transferred")
        self.enqueue(chat)
        self.env.process(self.visitor_waits(chat, first=False))
        self.dispatch(sim.department)
        return True

    def close(self, chat: _Chat, *, by: str, missed: bool = False) -> None:
        sim = chat.sim
        chat.status = "closed"
        sim.closed_at, sim.closed_by, sim.missed = self.at(), by, missed
        self.open_chats.pop(sim.number, None)
        if not sim.dropped:
            sim.read_seq = len(sim.messages)
        if chat.answered and self.rng.random() < self.config.rating_p:
            weights = list(self.config.rating_weights)
            waited_long = (
                sim.assigned_at is not None
                and sim.queued_at is not None
                and (sim.assigned_at - sim.queued_at) > timedelta(minutes=2)
            )
            if waited_long or sim.dropped:
                weights = [w * f for w, f in zip(weights, (3, 2, 1.5, 1, 0.6), strict=False)]
            sim.rating = self.rng.choices(range(1, len(weights) + 1), weights)[0]
            sim.rated_at = self.at(self.env.now + self.rng.uniform(2, 30))
            if self.rng.random() < self.config.comment_p:
                sim.rating_comment = self.rng.choice(GOOD_COMMENTS if sim.rating >= 4 else BAD_COMMENTS)
        if chat.answered and sim.assignee is not None and self.rng.random() < self.config.review_p:
            reviewers = [a.index for a in self.agents if a.spec.role in ("supervisor", "manager")]
            if reviewers:
                score = round(min(5.0, max(0.0, self.rng.gauss(3.9, 0.8))), 2)
                sim.review = (self.rng.choice(reviewers), score, "Clear answers; remember to confirm the fix.")

    # -- shifts
    def shift_instances(self, spec: AgentSpec) -> list[tuple[float, float]]:
        zone = ZoneInfo(spec.timezone)
        first = self.start.astimezone(zone).date() - timedelta(days=1)
        last = self.at(self.end_s).astimezone(zone).date()
        out: list[tuple[float, float]] = []
        day = first
        while day <= last:
            for shift in spec.shifts:
                if day.weekday() in shift.days and day.isocalendar()[1] % 2 in shift.weeks:
                    begin = _local(day, shift.start, zone)
                    start_s = (begin - self.start).total_seconds()
                    end_s = start_s + shift.minutes * 60
                    if end_s > 0 and start_s < self.end_s:
                        out.append((max(0.0, start_s), end_s))
            day += timedelta(days=1)
        out.sort()
        return out

    def works(self, agent: _Agent) -> Process:
        for start_s, end_s in self.shift_instances(agent.spec):
            if start_s > self.env.now:
                yield self.env.timeout(start_s - self.env.now)
            if end_s <= self.env.now:
                continue
            agent.on_shift = True
            self.set_status(agent, "online", "connected")
            self.dispatch_all(agent)
            if self.rng.random() < self.config.break_p and end_s - self.env.now > 3 * HOUR_S:
                yield self.env.timeout(self.rng.uniform(0.35, 0.6) * (end_s - self.env.now))
                if agent.status == "online":
                    self.set_status(agent, "away", "manual")
                    yield self.env.timeout(self.rng.uniform(600, 1500))
                    if agent.status == "away":
                        self.set_status(agent, "online", "manual")
                        self.dispatch_all(agent)
            if end_s > self.env.now:
                yield self.env.timeout(end_s - self.env.now)
            agent.on_shift = False
            if agent.held or agent.offers:
                if agent.status != "away":
                    self.set_status(agent, "away", "manual")  # finishing their chats, taking no new ones
            else:
                self.set_status(agent, "offline", "disconnected")

    def days(self, on_day: Callable[[int, int], None]) -> Process:
        """Tell `on_day(days simulated, days in all)` as the simulation passes each midnight."""
        total = round(self.end_s / DAY_S)
        for day in range(1, total + 1):
            yield self.env.timeout(DAY_S)
            on_day(day, total)

    def run(self, on_day: Callable[[int, int], None] | None = None) -> None:
        for dept in self.config.departments:
            self.env.process(self.arrivals(dept))
        for agent in self.agents:
            if agent.spec.shifts:
                self.env.process(self.works(agent))
        if on_day is not None:
            self.env.process(self.days(on_day))
        if self.cut:
            self.env.run(until=self.end_s)
            self.cut_here()
            return
        self.env.run(until=self.end_s + GRACE_S)
        for chat in list(self.open_chats.values()):  # what the grace did not end: closed by the system
            if chat.status == "active" and chat.sim.assignee is not None:
                self.agents[chat.sim.assignee].held -= 1
            self.event(chat, "chat.closed", data={"by": "system"})
            self.close(chat, by="system", missed=not chat.answered)
        for agent in self.agents:
            if agent.status != "offline":
                agent.held = agent.offers = 0
                self.set_status(agent, "offline", "disconnected")

    def cut_here(self) -> None:
        """The history stops now (end_s): nothing in it is dated later. The chats still open are
        left out with their routing rows (an invitation that started one stays accepted, without
        a chat), a rating the visitor would give later is not given, an invitation still shown
        is left out, and the agents still online or away go offline now. Chats and invitations
        are numbered again from 1 (the store relies on it)."""
        end = self.at(self.end_s)
        kept = [c for c in self.chats if c.number not in self.open_chats]
        chat_number = {c.number: n for n, c in enumerate(kept, start=1)}
        invitations = [i for i in self.invitations if i.outcome_at <= end]
        invitation_index = {i.number - 1: n for n, i in enumerate(invitations)}
        for n, inv in enumerate(invitations, start=1):
            inv.number = n
            inv.chat = chat_number.get(inv.chat) if inv.chat is not None else None
        for chat in kept:
            chat.number = chat_number[chat.number]
            if chat.invitation is not None:
                chat.invitation = invitation_index.get(chat.invitation)
            if chat.rated_at is not None and chat.rated_at > end:
                chat.rating = chat.rating_comment = chat.rated_at = None
        self.routing = [
            dataclasses.replace(r, chat=chat_number[r.chat] if r.chat is not None else None)
            for r in self.routing
            if r.chat is None or r.chat in chat_number
        ]
        self.chats, self.invitations = kept, invitations
        self.open_chats = {}
        for agent in self.agents:
            if agent.status != "offline":
                agent.held = agent.offers = 0
                self.set_status(agent, "offline", "disconnected")


def _local(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """A wall-clock time on a local date, as an aware UTC instant (a skipped time moves forward)."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minutes)
    aware = naive.replace(tzinfo=zone)
    back = aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if back != naive:  # in the hour a DST change skips
        aware = (naive + timedelta(hours=1)).replace(tzinfo=zone)
    return aware.astimezone(UTC)


def simulate(
    config: SimConfig,
    start: datetime,
    weeks: int,
    seed: int,
    *,
    until: datetime | None = None,
    on_day: Callable[[int, int], None] | None = None,
) -> SimResult:
    """Run the desk for `weeks` weeks of arrivals from `start` (aware); deterministic per seed.
    `until` (aware, after `start`): arrivals run up to it instead, and the history stops there
    (`_Desk.cut_here`: the chats still open then are left out, nothing is dated later), so
    `SimResult.end` is `until`; the same config, start, until and seed give the same result.
    `on_day(done, total)` is told each simulated day (a progress bar); it changes nothing."""
    if weeks < 1:
        raise ValueError("weeks: at least 1")
    if until is not None and until <= start:
        raise ValueError("until: after start")
    desk = _Desk(config, start, weeks, seed, until)
    desk.run(on_day)
    return SimResult(
        config=config,
        start=desk.start,
        end=desk.at(desk.end_s),
        seed=seed,
        chats=desk.chats,
        routing=desk.routing,
        statuses=desk.statuses,
        invitations=desk.invitations,
        offline=desk.offline,
    )


# ---------------------------------------------------------------------------------------------
# The demo's desk: three departments in three time zones, twelve agents and two leads.

_WEEKDAYS = (0, 1, 2, 3, 4)
_OFFICE_DAILY = (
    0.02, 0.01, 0.01, 0.01, 0.02, 0.05, 0.12, 0.3, 0.6, 0.85, 1.0, 0.95,
    0.8, 0.85, 0.95, 0.9, 0.75, 0.6, 0.45, 0.35, 0.28, 0.2, 0.1, 0.05,
)  # fmt: skip
_WEEK = (1.0, 0.95, 0.9, 0.9, 0.8, 0.35, 0.25)


def _h(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def demo_config() -> SimConfig:
    """The history `frontdesk demo` writes (docs/architecture/analytics.md)."""
    late = [["00:00", "01:00"], ["07:00", "24:00"]]
    support = DepartmentSpec(
        slug="support",
        name="Support",
        timezone="Europe/Oslo",
        hours={
            "weekly": {
                "mon": [["07:00", "24:00"]],
                "tue": late,
                "wed": late,
                "thu": late,
                "fri": late,
                "sat": [["00:00", "01:00"], ["09:00", "17:00"]],
                "sun": [["09:00", "17:00"]],
            }
        },
        peak_per_hour=26.0,
        daily=_OFFICE_DAILY,
        weekly=_WEEK,
    )
    sales = DepartmentSpec(
        slug="sales",
        name="Sales",
        timezone="America/New_York",
        hours={"weekly": {d: [["08:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
        peak_per_hour=10.0,
        daily=_OFFICE_DAILY,
        weekly=(0.9, 1.0, 1.0, 0.95, 0.75, 0.3, 0.2),
    )
    billing = DepartmentSpec(
        slug="billing",
        name="Billing",
        timezone="Europe/London",
        hours={"weekly": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}},
        peak_per_hour=6.0,
        daily=_OFFICE_DAILY,
        weekly=(1.2, 1.0, 0.9, 0.9, 1.0, 0.3, 0.2),
    )
    oslo, ny, london = "Europe/Oslo", "America/New_York", "Europe/London"

    def day(start: str, hours: float, days: tuple[int, ...] = _WEEKDAYS, weeks: tuple[int, ...] = (0, 1)) -> Shift:
        return Shift(days=days, start=_h(start), minutes=int(hours * 60), weeks=weeks)

    def agent(name: str, depts: tuple[str, ...], tz: str, shifts: tuple[Shift, ...], **kw: Any) -> AgentSpec:
        email = name.lower().replace(" ", ".") + "@demo.example.com"
        return AgentSpec(name=name, email=email, departments=depts, timezone=tz, shifts=shifts, **kw)

    weekend_a = day("09:00", 8, days=(5, 6), weeks=(0,))
    weekend_b = day("09:00", 8, days=(5, 6), weeks=(1,))
    agents = (
        agent("Ingrid Berg", ("support",), oslo, (day("07:00", 8),), level=2, max_chats=3),
        agent("Ola Nordmann", ("support",), oslo, (day("07:00", 8),), max_chats=2),
        agent("Sofie Dahl", ("support",), oslo, (day("09:00", 8),), max_chats=3),
        agent("Jonas Lie", ("support",), oslo, (day("11:00", 8),), max_chats=2),
        agent("Lars Moen", ("support",), oslo, (day("17:00", 8),), max_chats=3),  # 17:00-01:00
        agent("Nora Bakken", ("support",), oslo, (day("09:00", 8, (1, 2, 3)), weekend_a), max_chats=2),
        agent("Kari Solberg", ("support", "billing"), oslo, (day("13:00", 8, (0, 1, 2)), weekend_b), max_chats=2),
        agent("Mike Johnson", ("sales",), ny, (day("08:00", 8),), max_chats=2),
        agent("Ashley Carter", ("sales",), ny, (day("10:00", 8),), level=2, max_chats=3),
        agent("Dan Rivera", ("sales", "support"), ny, (day("08:00", 6, (0, 1, 2, 3)),), max_chats=3),
        agent("Priya Shah", ("billing",), london, (day("09:00", 8),), max_chats=2),
        agent("Tom Hughes", ("billing",), london, (day("09:00", 8, (0, 1, 2, 3)),), level=2, max_chats=2),
        agent(
            "Emma Haugen",
            ("support", "billing"),
            oslo,
            (day("15:00", 8, (0, 1, 2, 3)),),
            level=2,
            max_chats=2,
            role="supervisor",
        ),
        agent("Maria Lopez", ("support", "sales", "billing"), oslo, (), role="manager"),
    )
    return SimConfig(departments=(support, sales, billing), agents=agents)
