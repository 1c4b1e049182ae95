"""Enrichment: where a visitor is (country, city) and what they browse with (browser, OS,
device), worked out on the server, offline, at connect (docs/architecture/visitors.md, "Tracking").

`Enricher` is the interface the tracking actions use; `enricher_from_settings` builds the default
one: the country from geoip2fast's bundled data file (its update and download functions are never
called), the city from a MaxMind / DB-IP `.mmdb` file when FRONTDESK_GEOIP_CITY_DB names one (read
with maxminddb), the browser, OS and device from the User-Agent with ua-parser and the regexes of
ua-parser-builtins. Lookups are cached (LRU) per address and per User-Agent string. Another source
(a commercial database, a CDN's country header) replaces a part by implementing the protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from frontdesk.config import Settings


@dataclass(frozen=True, slots=True)
class Place:
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    city: str | None = None


@dataclass(frozen=True, slots=True)
class Client:
    browser: str | None = None
    os: str | None = None
    device: str | None = None  # desktop | phone | tablet | bot | other


NOWHERE = Place()
UNKNOWN_CLIENT = Client()


class Enricher(Protocol):
    def place(self, ip: str | None) -> Place: ...

    def client(self, user_agent: str | None) -> Client: ...

    def load(self) -> None:
        """Read data files (slow: call it off the event loop, once); lookups load on demand too."""
        ...


class PlaceSource(Protocol):
    def place(self, ip: str) -> Place: ...

    def load(self) -> None: ...


class ClientSource(Protocol):
    def client(self, user_agent: str) -> Client: ...


def enricher_from_settings(settings: Settings) -> Enricher:
    from frontdesk.enrichment.geo import CityDatabase, CountryData, GeoChain
    from frontdesk.enrichment.standard import StandardEnricher
    from frontdesk.enrichment.useragent import UaParserClients

    sources: list[PlaceSource] = [CountryData()]
    if settings.geoip_city_db:
        sources.insert(0, CityDatabase(settings.geoip_city_db))
    return StandardEnricher(GeoChain(sources), UaParserClients())
