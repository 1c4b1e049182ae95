"""Frames are built only in the frame catalogue (frontdesk/wire), read from the source with `ast`.

A frame is a dict with a `"type"` naming what it is: a dict literal `{"type": "...", ...}`,
`dict(type="...")` or `frame["type"] = "..."` anywhere in frontdesk/ outside frontdesk/wire is
one built by hand, unless its type is plainly something else: a JSON-schema or OpenAPI
fragment (`"object"`, `"string"`, `"apiKey"`...) or an ASGI message (`"http.response.start"`).
Any other string - a catalogue frame type or a new one - fails the test: add a builder to
frontdesk/wire/frames.py and call it.

BUILT_ELSEWHERE is the allow-list (file -> why); it is empty and should stay so. An entry whose
file no longer builds a frame fails the test, so the list can only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

from frontdesk.wire import CATALOGUE
from tests.architecture.source import PACKAGE, parse, python_files, rel

WIRE = PACKAGE / "wire"
BUILT_ELSEWHERE: dict[str, str] = {}

JSON_SCHEMA_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}
OPENAPI_SECURITY_TYPES = {"http", "apiKey", "oauth2", "openIdConnect", "mutualTLS"}
ASGI_PREFIXES = ("http.", "websocket.", "lifespan.")


def is_frame_type(value: object) -> bool:
    """Whether a constant `"type"` value names a frame (as opposed to a schema type or an
    ASGI message). Every catalogue type does, and so does any string not known to be else."""
    if not isinstance(value, str):
        return False
    if value in CATALOGUE:
        return True
    return not (value in JSON_SCHEMA_TYPES or value in OPENAPI_SECURITY_TYPES or value.startswith(ASGI_PREFIXES))


def _constant(node: ast.AST | None) -> object:
    return node.value if isinstance(node, ast.Constant) else None


def hand_built_frames(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, frame type) for every frame the module builds by hand."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if _constant(key) == "type" and is_frame_type(_constant(value)):
                    found.append((node.lineno, str(_constant(value))))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "dict":
            for keyword in node.keywords:
                if keyword.arg == "type" and is_frame_type(_constant(keyword.value)):
                    found.append((node.lineno, str(_constant(keyword.value))))
        elif isinstance(node, ast.Assign) and is_frame_type(_constant(node.value)):
            for target in node.targets:
                if isinstance(target, ast.Subscript) and _constant(target.slice) == "type":
                    found.append((node.lineno, str(_constant(node.value))))
    return sorted(found)


def offenders(paths: list[Path]) -> dict[str, list[tuple[int, str]]]:
    found = {}
    for path in paths:
        if path.is_relative_to(WIRE):
            continue
        frames = hand_built_frames(parse(path))
        if frames:
            found[rel(path)] = frames
    return found


def test_frames_are_built_only_in_the_catalogue() -> None:
    found = offenders(python_files("frontdesk"))
    unexcused = {file: frames for file, frames in found.items() if file not in BUILT_ELSEWHERE}
    assert not unexcused, (
        "frames built by hand (file: [(line, type)]): use a builder of frontdesk/wire/frames.py "
        f"(add one for a new frame type): {unexcused}"
    )
    stale = sorted(set(BUILT_ELSEWHERE) - set(found))
    assert not stale, f"BUILT_ELSEWHERE entries that no longer build a frame: remove them: {stale}"


def test_the_check_sees_each_way_of_building_a_frame() -> None:
    source = """
a = {"type": "event", "seq": 1}
b = dict(type="pong")
c = {}
c["type"] = "brand.new"
d = {"type": "object", "properties": {}}
e = {"type": "http.response.start", "status": 200}
f = {"type": row.kind}
"""
    assert hand_built_frames(ast.parse(source)) == [(2, "event"), (3, "pong"), (5, "brand.new")]
