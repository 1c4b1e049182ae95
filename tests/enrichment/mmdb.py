"""A one-network MaxMind DB (.mmdb) file for tests, written from the format's specification
(search tree of 24-bit records, a 16-byte separator, the data section, then the metadata
marker and map), so the city lookup is tested with the real `maxminddb` reader and no download."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"


def _encode(value: Any) -> bytes:
    """The MaxMind DB data encoding, for the few types a city record and the metadata need.
    Integers are given as (kind, n) with kind u16, u32 or u64."""
    if isinstance(value, str):
        raw = value.encode()
        assert len(raw) < 29, "short strings only"
        return bytes([(2 << 5) | len(raw)]) + raw
    if isinstance(value, dict):
        out = bytes([(7 << 5) | len(value)])
        for key, item in value.items():
            out += _encode(key) + _encode(item)
        return out
    if isinstance(value, list):  # an extended type (11): the control byte's type is 0
        out = bytes([len(value), 11 - 7])
        for item in value:
            out += _encode(item)
        return out
    kind, number = value
    width = {"u16": 2, "u32": 4, "u64": 8}[kind]
    raw = number.to_bytes(width, "big").lstrip(b"\0")
    if kind == "u64":  # extended type 9
        return bytes([len(raw), 9 - 7]) + raw
    return bytes([({"u16": 5, "u32": 6}[kind] << 5) | len(raw)]) + raw


def write_city_db(path: Path, network: str, *, country: str, city: str) -> Path:
    """An IPv4 database in which only `network` has a record: {country.iso_code, city.names.en}."""
    net = ipaddress.ip_network(network)
    bits = format(int(net.network_address), "032b")[: net.prefixlen]
    node_count = net.prefixlen  # one node per bit of the prefix
    no_data, data_at = node_count, node_count + 16  # the record's data at offset 0
    tree = b""
    for depth, bit in enumerate(bits):
        onward = data_at if depth == node_count - 1 else depth + 1
        left, right = (onward, no_data) if bit == "0" else (no_data, onward)
        tree += left.to_bytes(3, "big") + right.to_bytes(3, "big")
    record = {"city": {"names": {"en": city}}, "country": {"iso_code": country}}
    metadata = {
        "node_count": ("u32", node_count),
        "record_size": ("u16", 24),
        "ip_version": ("u16", 4),
        "database_type": "Frontdesk-Test-City",
        "languages": ["en"],
        "binary_format_major_version": ("u16", 2),
        "binary_format_minor_version": ("u16", 0),
        "build_epoch": ("u64", 1_700_000_000),
        "description": {"en": "tests"},
    }
    path.write_bytes(tree + b"\0" * 16 + _encode(record) + METADATA_MARKER + _encode(metadata))
    return path
