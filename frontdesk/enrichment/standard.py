"""The default Enricher: a place source and a client source behind LRU caches."""

from __future__ import annotations

import threading
from functools import lru_cache

from frontdesk.enrichment import NOWHERE, UNKNOWN_CLIENT, Client, ClientSource, Place, PlaceSource

CACHE_SIZE = 50_000
MAX_USER_AGENT = 500  # what visitors.user_agent keeps; longer strings are not real browsers


class StandardEnricher:
    def __init__(self, places: PlaceSource, clients: ClientSource, *, cache_size: int = CACHE_SIZE) -> None:
        self.places, self.clients = places, clients
        self._loaded = False
        self._lock = threading.Lock()
        self._place = lru_cache(maxsize=cache_size)(self._lookup_place)
        self._client = lru_cache(maxsize=cache_size)(self._lookup_client)

    def load(self) -> None:
        with self._lock:
            if not self._loaded:
                self.places.load()
                self._loaded = True

    def place(self, ip: str | None) -> Place:
        if not ip:
            return NOWHERE
        if not self._loaded:
            self.load()
        return self._place(ip)

    def client(self, user_agent: str | None) -> Client:
        if not user_agent:
            return UNKNOWN_CLIENT
        return self._client(user_agent[:MAX_USER_AGENT])

    def _lookup_place(self, ip: str) -> Place:
        return self.places.place(ip)

    def _lookup_client(self, user_agent: str) -> Client:
        return self.clients.client(user_agent)
