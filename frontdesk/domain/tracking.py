"""Tracking visitors on the site: the rules, no I/O (docs/architecture/visitors.md, "Tracking").

What the widget sends about the page (URL, title, referrer) is passive metadata from a browser:
cut to its column's size and cleaned of control characters silently, never refused. What a frame
must be (a page view's URL a string, a visible time a whole number) is checked, and a bad frame
answers an error naming the field.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.settings import settings_object
from frontdesk.domain.text import scrub

# A visit ends after this long without activity; the visitor's next connection starts a new one.
VISIT_IDLE = timedelta(minutes=30)
# Visitors with a connected socket: their visits' last_seen_at is refreshed this often (one
# batched UPDATE per node), so "online" = seen within ONLINE_WITHIN (the live view).
HEARTBEAT_SECONDS = 30.0
ONLINE_WITHIN = timedelta(seconds=90)

URL_CHARS = 2000
TITLE_CHARS = 300
REFERRER_CHARS = 2000
LANGUAGE_CHARS = 35
MAX_LANGUAGES = 5
# One page's visible time as a page view records it (an INTEGER column): a day is plenty.
MAX_PAGE_MS = 24 * 3600 * 1000

MODES = ("on", "respect_dnt", "consent", "off")
DEFAULT_TRACKING: dict[str, Any] = {"mode": "on", "truncate_ip": True}
SCREENS = ("phone", "tablet", "desktop")


@dataclass(frozen=True, slots=True)
class Page:
    """A page as stored: url (never empty), title and referrer (None when absent)."""

    url: str
    title: str | None
    referrer: str | None


@dataclass(slots=True)
class VisitState:
    """The in-memory snapshot of a connected visitor's visit, kept on their VisitorSession:
    what the live view's row and the invitation rules read, without a query per page view."""

    visit_id: int
    visitor_id: str
    number: int
    started_at: datetime
    page_url: str | None = None
    page_title: str | None = None
    page_since: datetime | None = None
    page_visible_ms: int = 0  # visible time on the current page so far
    pages: int = 0
    visible_ms: int = 0  # visible time on the site this visit (finished pages + the current one)
    done_ms: int = 0  # the finished pages' share of visible_ms
    referrer: str | None = None
    landing_url: str | None = None
    country: str | None = None
    city: str | None = None
    device: str | None = None
    browser: str | None = None
    os: str | None = None
    language: str | None = None
    screen: str | None = None
    department_id: int | None = None
    last_seen_at: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # room for the invitation rules' own notes

    @property
    def returning(self) -> bool:
        return self.number > 1

    def viewed(self, page: Page, at: datetime, prev_visible_ms: int | None = None) -> None:
        """A new page view: the current page is finished with its visible time."""
        if self.pages:
            finished = max(self.page_visible_ms, prev_visible_ms or 0)
            self.done_ms += finished
        self.page_url, self.page_title, self.page_since = page.url, page.title, at
        self.page_visible_ms = 0
        self.pages += 1
        self.visible_ms = self.done_ms
        self.last_seen_at = at
        if self.landing_url is None:
            self.landing_url = page.url

    def timed(self, page_visible_ms: int, at: datetime) -> None:
        """page.time: the visible time on the current page so far (never goes back)."""
        self.page_visible_ms = max(self.page_visible_ms, page_visible_ms)
        self.visible_ms = self.done_ms + self.page_visible_ms
        self.last_seen_at = at


def clean_page(page: object) -> Page | None:
    """The page of a hello (a full page load): None when there is no usable URL. Never refuses."""
    if not isinstance(page, dict):
        return None
    url = scrub(page.get("url"), max_chars=URL_CHARS)
    if url is None:
        return None
    return Page(
        url=url,
        title=scrub(page.get("title"), max_chars=TITLE_CHARS),
        referrer=scrub(page.get("referrer"), max_chars=REFERRER_CHARS),
    )


def check_page_view(frame: dict[str, Any]) -> tuple[Page, int | None]:
    """A `page.view` frame (a single-page-app navigation): the page and the previous page's
    visible time. Errors name the field; sizes are cut silently."""
    url = frame.get("url")
    if not isinstance(url, str) or not url.strip():
        raise ChatRuleError("bad_request", "url: must be the page's address", field="url")
    for name in ("title", "referrer"):
        value = frame.get(name)
        if value is not None and not isinstance(value, str):
            raise ChatRuleError("bad_request", f"{name}: must be a string or null", field=name)
    page = clean_page(frame)
    if page is None:  # only control characters
        raise ChatRuleError("bad_request", "url: must be the page's address", field="url")
    prev = frame.get("prev_visible_ms")
    return page, None if prev is None else check_visible_ms(prev, "prev_visible_ms")


def check_visible_ms(value: object, name: str = "visible_ms") -> int:
    """A visible time in milliseconds from the widget: a whole number >= 0 (capped at a day)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or value < 0:
        raise ChatRuleError("bad_request", f"{name}: must be a whole number of milliseconds >= 0", field=name)
    if value > MAX_PAGE_MS:
        return MAX_PAGE_MS
    return int(value)


def truncate_ip(address: str | None, *, truncate: bool = True) -> str | None:
    """The address as stored: its /24 (IPv4) or /48 (IPv6) network's first address by default.
    Not an IP address (a test client's name, a Unix socket) -> None."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if not truncate:
        return str(ip)
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def screen_class(value: object) -> str | None:
    """The widget's screen class (phone / tablet / desktop); anything else is not stored."""
    return value if isinstance(value, str) and value in SCREENS else None


def first_language(value: object) -> str | None:
    """navigator.languages as the widget sends it (at most 5): the first usable tag, bounded."""
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return None
    for item in value[:MAX_LANGUAGES]:
        tag = scrub(item, max_chars=LANGUAGE_CHARS)
        if tag:
            return tag
    return None


def should_track(mode: str, *, dnt: bool, gpc: bool, consent: bool | None) -> bool:
    """May this visitor's visit be recorded? `consent`: True when the page said yes, False when
    it said no, None when it said nothing. A page that said no is never tracked."""
    if consent is False or mode == "off":
        return False
    if mode == "respect_dnt":
        return not (dnt or gpc)
    if mode == "consent":
        return consent is True
    return True


def visit_continues(last_seen_at: datetime | None, ended_at: datetime | None, now: datetime) -> bool:
    """Does a connection at `now` continue this visit (seen within VISIT_IDLE, not ended)?"""
    return ended_at is None and last_seen_at is not None and now - last_seen_at < VISIT_IDLE


def idle_cutoff(now: datetime) -> datetime:
    """Visits last seen before this moment (and not connected) are over."""
    return now - VISIT_IDLE


def check_tracking_settings(data: object) -> dict[str, Any]:
    """An admin's changes to the `tracking` setting; errors name the field."""
    data = settings_object(data, DEFAULT_TRACKING)
    out: dict[str, Any] = {}
    if "mode" in data:
        if data["mode"] not in MODES:
            raise ChatRuleError("bad_request", f"mode: must be one of {', '.join(MODES)}", field="mode")
        out["mode"] = data["mode"]
    if "truncate_ip" in data:
        if not isinstance(data["truncate_ip"], bool):
            raise ChatRuleError("bad_request", "truncate_ip: must be true or false", field="truncate_ip")
        out["truncate_ip"] = data["truncate_ip"]
    return out


def header_says_no(value: str | None) -> bool:
    """A `DNT: 1` or `Sec-GPC: 1` request header."""
    return value is not None and value.strip() == "1"
