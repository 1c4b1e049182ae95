"""The OpenAPI document is built from typed models (frontdesk/api/schemas.py): every JSON
request body and response has a real schema, responses let unknown keys through, bodies refuse
them, and a typed route sends what the action returned (no key added, none dropped)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import Field

from frontdesk.api.schemas import In, Out, Patch, typed_router
from frontdesk.app import create_app
from frontdesk.config import Settings


@pytest.fixture(scope="module")
def document(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi"), secret_key="test-secret"))
    return app.openapi()


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if method in ("get", "post", "put", "patch", "delete")
    ]


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _objects(document: dict[str, Any], schema: Any, seen: set[str]) -> list[tuple[str, dict[str, Any]]]:
    """Every object schema reachable from `schema` (by component name, each once)."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, dict):
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            if name not in seen:
                seen.add(name)
                target = document["components"]["schemas"][name]
                if target.get("type") == "object":
                    found.append((name, target))
                found += _objects(document, target, seen)
            return found
        for value in schema.values():
            found += _objects(document, value, seen)
    elif isinstance(schema, list):
        for value in schema:
            found += _objects(document, value, seen)
    return found


def test_every_json_response_has_a_typed_schema(document: dict[str, Any]) -> None:
    bare = []
    for method, path, op in _operations(document):
        for status, response in op["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if not status.startswith("2") or not schema:
                continue  # no body (204), or a file (a transcript, an export, an upload)
            resolved = _resolve(document, schema)
            if not resolved.get("properties") and "anyOf" not in resolved:
                bare.append(f"{method} {path} {status}")
    assert bare == []


def test_every_json_request_body_is_a_model_that_refuses_unknown_fields(document: dict[str, Any]) -> None:
    untyped, open_ended = [], []
    for method, path, op in _operations(document):
        schema = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
        if schema is None:
            continue
        resolved = _resolve(document, schema)
        if not resolved.get("properties"):
            untyped.append(f"{method} {path}")
        elif resolved.get("additionalProperties") is not False:
            open_ended.append(f"{method} {path}")
    assert untyped == [] and open_ended == []


def test_response_objects_let_unknown_keys_through(document: dict[str, Any]) -> None:
    """A response model must never drop a field the console reads that it does not list."""
    closed = set()
    for _method, _path, op in _operations(document):
        for status, response in op["responses"].items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if status.startswith("2") and schema is not None:
                for name, obj in _objects(document, schema, set()):
                    if obj.get("additionalProperties") is not True:
                        closed.add(name)
    assert closed == set()


def test_shared_shapes_are_documented(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    summary = schemas["ChatSummary"]
    assert {"id", "status", "visitor", "assignee", "department", "tags", "required_level"} <= set(summary["required"])
    assert summary["properties"]["status"]["enum"] == ["queued", "active", "closed"]
    event = schemas["Event"]
    assert {"chat_id", "seq", "kind", "author", "text", "client_id", "data", "created_at"} <= set(event["required"])
    # Nullable is said, not hidden: a chat without an agent has `assignee: null`.
    assert {"type": "null"} in summary["properties"]["assignee"]["anyOf"]
    # A PATCH body: every field optional, none unknown.
    user_patch = schemas["UserPatch"]
    assert "required" not in user_patch and user_patch["additionalProperties"] is False
    # Limits the actions enforce are in the document.
    assert schemas["TagBody"]["properties"]["name"]["maxLength"] == 40
    assert schemas["DepartmentPatch"]["properties"]["offer_timeout_seconds"]["maximum"] == 600


# ---- the models' behaviour, on a small app ------------------------------------------------------
class _Item(Out):
    id: int
    note: str | None = None  # sometimes absent


class _Body(In):
    count: int


class _Change(Patch):
    name: str = Field(None)


def _app() -> TestClient:
    router = typed_router()

    @router.get("/item", response_model=_Item)
    async def item() -> dict:
        return {"id": 1, "console_only": "kept"}

    @router.post("/body")
    async def body(data: _Body) -> dict:
        return data.model_dump()

    @router.patch("/change")
    async def change(data: _Change) -> dict:
        return data.model_dump(exclude_unset=True)

    app = FastAPI()
    app.include_router(router)
    return TestClient(app)


def test_a_typed_route_sends_what_the_action_returned() -> None:
    # `note` was not returned: it stays absent (no `null` added); an unlisted key passes through.
    assert _app().get("/item").json() == {"id": 1, "console_only": "kept"}


def test_bodies_are_strict_and_closed_but_patch_leaves_unknown_fields_to_the_action() -> None:
    client = _app()
    assert client.post("/body", json={"count": 2}).json() == {"count": 2}
    assert client.post("/body", json={"count": "2"}).status_code == 422  # no conversion
    assert client.post("/body", json={"count": 2, "extra": 1}).status_code == 422
    # A PATCH body hands unknown fields to the action, which refuses them in its own words.
    assert client.patch("/change", json={"email": "x"}).json() == {"email": "x"}
    assert client.patch("/change", json={}).json() == {}
