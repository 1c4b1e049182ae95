"""What a visitor browses with: ua-parser (with the ua-parser-builtins regexes) plus a device class."""

from __future__ import annotations

from frontdesk.enrichment import Client

BOT_WORDS = ("bot", "crawler", "spider", "headless", "slurp", "curl", "wget", "python-requests")
DESKTOP_OS = ("Windows", "Mac OS X", "macOS", "Linux", "Ubuntu", "Fedora", "Chrome OS", "FreeBSD", "Debian")
TABLET_WORDS = ("ipad", "tablet", "kindle", "silk", "playbook", "nexus 7", "nexus 9", "nexus 10")


def _short(value: str | None, limit: int = 60) -> str | None:
    if not value or value == "Other":
        return None
    return value[:limit]


def browser_name(family: str | None) -> str | None:
    """`Chrome Mobile` / `Mobile Safari` -> `Chrome` / `Safari`: the device class says mobile."""
    if not family or family == "Other":
        return None
    words = [w for w in family.split() if w != "Mobile"]
    return _short(" ".join(words) or family)


def device_class(user_agent: str, os_family: str | None, device_family: str | None, brand: str | None) -> str:
    """desktop | phone | tablet | bot | other, from the parsed families and the raw string."""
    lowered = user_agent.lower()
    device = (device_family or "").lower()
    if device == "spider" or any(word in lowered for word in BOT_WORDS):
        return "bot"
    if "tablet" in (brand or "").lower() or any(word in device or word in lowered for word in TABLET_WORDS):
        return "tablet"
    if os_family == "Android":
        return "phone" if "mobile" in lowered else "tablet"  # Android tablets leave out "Mobile"
    if os_family in ("iOS", "Windows Phone", "BlackBerry OS", "KaiOS") or device in ("iphone", "ipod"):
        return "phone"
    if os_family in DESKTOP_OS or (os_family or "").startswith("Windows"):
        return "desktop"
    return "other"


class UaParserClients:
    def __init__(self) -> None:
        from ua_parser import parse

        self._parse = parse

    def client(self, user_agent: str) -> Client:
        result = self._parse(user_agent)
        os_family = result.os.family if result.os else None
        device_family = result.device.family if result.device else None
        brand = result.device.brand if result.device else None
        return Client(
            browser=browser_name(result.user_agent.family if result.user_agent else None),
            os=_short(os_family),
            device=device_class(user_agent, os_family, device_family, brand),
        )
