"""Enrichment (frontdesk/enrichment): the real geoip2fast data and ua-parser regexes, no mocks."""

from __future__ import annotations

import pytest

from frontdesk.config import Settings
from frontdesk.enrichment import Client, Place, enricher_from_settings
from frontdesk.enrichment.geo import CityDatabase, GeoChain
from frontdesk.enrichment.standard import StandardEnricher
from frontdesk.enrichment.useragent import UaParserClients
from tests.enrichment.mmdb import write_city_db

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Mobile Safari/537.36"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
WINDOWS_EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(scope="module")
def enricher():
    found = enricher_from_settings(Settings())
    found.load()
    return found


def test_a_public_address_has_a_country(enricher):
    assert enricher.place("8.8.8.8") == Place(country="US")
    assert enricher.place("81.2.69.160").country == "GB"
    assert enricher.place("2a03:2880:f10c:83:face:b00c:0:25de").country is not None  # IPv6 too


@pytest.mark.parametrize("address", ["10.1.2.3", "127.0.0.1", "192.168.0.1", "::1", "not an ip", "", None])
def test_private_and_bad_addresses_have_no_place(enricher, address):
    assert enricher.place(address) == Place()


@pytest.mark.parametrize(
    ("user_agent", "client"),
    [
        (CHROME_ANDROID, Client(browser="Chrome", os="Android", device="phone")),
        (IPAD, Client(browser="Safari", os="iOS", device="tablet")),
        (WINDOWS_EDGE, Client(browser="Edge", os="Windows", device="desktop")),
        (GOOGLEBOT, Client(browser="Googlebot", os=None, device="bot")),
        ("", Client()),
        (None, Client()),
    ],
)
def test_the_user_agent_gives_browser_os_and_device(enricher, user_agent, client):
    assert enricher.client(user_agent) == client


class Counting:
    """A place source that counts its lookups: the provider interface, and the cache in front."""

    def __init__(self) -> None:
        self.calls = 0

    def load(self) -> None:
        return None

    def place(self, ip: str) -> Place:
        self.calls += 1
        return Place(country="NL", city="Utrecht")


def test_another_source_replaces_the_bundled_one_and_lookups_are_cached():
    source = Counting()
    enricher = StandardEnricher(GeoChain([source]), UaParserClients())
    assert enricher.place("203.0.113.5") == Place(country="NL", city="Utrecht")
    assert enricher.place("203.0.113.5") == Place(country="NL", city="Utrecht")
    assert source.calls == 1


def test_a_missing_city_database_leaves_countries_working(tmp_path):
    enricher = enricher_from_settings(Settings(geoip_city_db=str(tmp_path / "missing.mmdb")))
    enricher.load()  # logged, not raised
    assert enricher.place("8.8.8.8").country == "US"
    assert isinstance(GeoChain([CityDatabase(str(tmp_path / "missing.mmdb"))]).place("8.8.8.8"), Place)


def test_the_city_comes_from_the_operators_mmdb_file_and_countries_still_from_the_bundled_data(tmp_path):
    path = write_city_db(tmp_path / "city.mmdb", "81.2.69.0/24", country="GB", city="London")
    enricher = enricher_from_settings(Settings(geoip_city_db=str(path)))
    enricher.load()
    assert enricher.place("81.2.69.160") == Place(country="GB", city="London")
    assert enricher.place("8.8.8.8") == Place(country="US")  # not in the file: geoip2fast answers
    assert enricher.place("10.0.0.1") == Place()
