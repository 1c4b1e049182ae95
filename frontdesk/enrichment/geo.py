"""Where an address is: the country from geoip2fast's bundled data, the city from an .mmdb file."""

from __future__ import annotations

import ipaddress
import logging
import warnings
from typing import Any

from frontdesk.enrichment import NOWHERE, Place, PlaceSource

log = logging.getLogger(__name__)

# geoip2fast ships IPv4-only and IPv4+IPv6 data files inside its package; this one covers both.
COUNTRY_DATA_FILE = "geoip2fast-ipv6.dat.gz"


def public_address(ip: str) -> str | None:
    """The address in canonical form when it can be anywhere (not private, loopback, reserved)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address) if address.is_global else None


class CountryData:
    """geoip2fast's in-memory country table (loaded from the package's own data file; ~0.2 s,
    ~40 MiB). Only its `lookup` is used: never `update_all` / `update_file`."""

    def __init__(self, data_file: str = COUNTRY_DATA_FILE) -> None:
        self.data_file = data_file
        self._geo: Any = None

    def load(self) -> None:
        if self._geo is None:
            with warnings.catch_warnings():  # its module has regexes in plain strings (SyntaxWarning)
                warnings.simplefilter("ignore")
                from geoip2fast import GeoIP2Fast  # type: ignore[import-untyped]

            self._geo = GeoIP2Fast(geoip2fast_data_file=self.data_file)

    def place(self, ip: str) -> Place:
        address = public_address(ip)
        if address is None:
            return NOWHERE
        self.load()
        code = self._geo.lookup(address).country_code
        # geoip2fast answers "--" (private or not found) or "" (invalid) instead of raising.
        if isinstance(code, str) and len(code) == 2 and code.isalpha():
            return Place(country=code.upper())
        return NOWHERE


class CityDatabase:
    """A MaxMind GeoIP2/GeoLite2 City or DB-IP City Lite `.mmdb` file the operator supplies."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._reader: Any = None

    def load(self) -> None:
        if self._reader is None:
            import maxminddb

            self._reader = maxminddb.open_database(self.path)

    def place(self, ip: str) -> Place:
        address = public_address(ip)
        if address is None:
            return NOWHERE
        self.load()
        record = self._reader.get(address)
        if not isinstance(record, dict):
            return NOWHERE
        country = (record.get("country") or {}).get("iso_code")
        names = (record.get("city") or {}).get("names") or {}
        city = names.get("en") or next(iter(names.values()), None)
        return Place(
            country=country.upper() if isinstance(country, str) and len(country) == 2 else None,
            city=city[:100] if isinstance(city, str) and city else None,
        )


class GeoChain:
    """Sources in order: the first country and the first city found win (the city file first,
    then the bundled country data for addresses it does not know)."""

    def __init__(self, sources: list[PlaceSource]) -> None:
        self.sources = sources

    def load(self) -> None:
        for source in self.sources:
            try:
                source.load()
            except Exception:  # a missing or broken .mmdb: the other sources still answer
                log.exception("enrichment: cannot load %s", type(source).__name__)

    def place(self, ip: str) -> Place:
        country = city = None
        for source in self.sources:
            try:
                found = source.place(ip)
            except Exception:
                log.exception("enrichment: %s failed for an address", type(source).__name__)
                continue
            country = country or found.country
            city = city or found.city
            if country and city:
                break
        return Place(country=country, city=city)
