"""The widget's texts and pre-chat form, stored in `settings` and edited by admins."""

from __future__ import annotations

import copy
import re
from typing import Any

from frontdesk.actions.audit import record_audit
from frontdesk.actions.context import AgentActor, Context, unit_of_work
from frontdesk.domain.chat_rules import ChatRuleError
from frontdesk.domain.satisfaction import DEFAULT_RATING_SETTINGS, check_rating_settings
from frontdesk.domain.settings import settings_object
from frontdesk.domain.text import clean_line, clean_text
from frontdesk.permissions import require
from frontdesk.store import department_store, setting_store

DEFAULT_WIDGET: dict[str, Any] = {
    "title": "Chat with us",
    "greeting": "Hi! How can we help you today?",
    "accent_color": "#2563eb",
    "prechat": {
        "enabled": True,
        "fields": [
            {"name": "name", "label": "Your name", "required": False},
            {"name": "email", "label": "E-mail", "required": False},
            {"name": "department", "label": "Topic", "required": True},
            {"name": "question", "label": "How can we help?", "required": True},
        ],
    },
    # After a chat ends: ask for a rating (thumbs or 1-5 stars), offer the transcript by e-mail.
    "rating": dict(DEFAULT_RATING_SETTINGS),
}


async def widget_config(*, ctx: Context) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        stored = await setting_store.setting(conn, "widget")
    config = copy.deepcopy(DEFAULT_WIDGET)
    if isinstance(stored, dict):
        config.update({k: v for k, v in stored.items() if k in DEFAULT_WIDGET})
    return config


PRECHAT_FIELDS = ("name", "email", "department", "question")
HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


def check_widget_settings(data: object) -> dict[str, Any]:
    """Validate what an admin sends; errors name the field (`prechat.fields[1].required`)."""
    data = settings_object(data, DEFAULT_WIDGET)
    out: dict[str, Any] = {}
    for key, limit in (("title", 60), ("greeting", 300)):
        if key in data:
            value = clean_text(data[key], key, multiline=key == "greeting").strip()  # NUL: a 400
            if not 1 <= len(value) <= limit:
                raise ChatRuleError("bad_request", f"{key}: must be 1 to {limit} characters", field=key)
            out[key] = value
    if "accent_color" in data:
        if not isinstance(data["accent_color"], str) or not HEX_COLOR.fullmatch(data["accent_color"]):
            raise ChatRuleError("bad_request", "accent_color: must look like #2563eb", field="accent_color")
        out["accent_color"] = data["accent_color"]
    if "rating" in data:
        out["rating"] = check_rating_settings(data["rating"])
    if "prechat" in data:
        prechat = data["prechat"]
        if not isinstance(prechat, dict):
            raise ChatRuleError("bad_request", "prechat: must be an object", field="prechat")
        enabled = prechat.get("enabled", True)
        if not isinstance(enabled, bool):
            raise ChatRuleError("bad_request", "prechat.enabled: must be true or false", field="prechat.enabled")
        fields = prechat.get("fields", [])
        if not isinstance(fields, list):
            raise ChatRuleError("bad_request", "prechat.fields: must be a list", field="prechat.fields")
        seen: set[str] = set()
        clean = []
        for i, f in enumerate(fields):
            here = f"prechat.fields[{i}]"
            if not isinstance(f, dict) or f.get("name") not in PRECHAT_FIELDS:
                raise ChatRuleError(
                    "bad_request", f"{here}.name: must be one of {', '.join(PRECHAT_FIELDS)}", field=f"{here}.name"
                )
            if f["name"] in seen:
                raise ChatRuleError("bad_request", f"{here}.name: {f['name']} is listed twice", field=f"{here}.name")
            seen.add(f["name"])
            label = clean_line(f.get("label", f["name"].title()), f"{here}.label")
            if not 1 <= len(label) <= 60:
                raise ChatRuleError("bad_request", f"{here}.label: must be 1 to 60 characters", field=f"{here}.label")
            required = f.get("required", False)
            if not isinstance(required, bool):
                raise ChatRuleError("bad_request", f"{here}.required: must be true or false", field=f"{here}.required")
            clean.append({"name": f["name"], "label": label, "required": required})
        out["prechat"] = {"enabled": enabled, "fields": clean}
    return out


async def do_update_widget_settings(*, ctx: Context, actor: AgentActor, data: object) -> dict[str, Any]:
    require(actor.role, "settings.manage")
    values = check_widget_settings(data)
    async with unit_of_work(ctx) as (conn, _outbox):
        stored = await setting_store.setting(conn, "widget", lock=True)
        merged = {**(stored if isinstance(stored, dict) else {}), **values}
        await setting_store.put_setting(conn, "widget", merged, exists=stored is not None)
        await record_audit(conn, actor, "settings.update", ("settings", "widget"), {"changed": sorted(values)})
    return await widget_config(ctx=ctx)


async def check_prechat(*, ctx: Context, frame: dict[str, Any]) -> None:
    """The server enforces the form's required fields too, not only the widget."""
    config = await widget_config(ctx=ctx)
    if not config["prechat"].get("enabled", True):
        return
    keys = {"name": "name", "email": "email", "department": "department", "question": "text"}
    async with ctx.db.read() as conn:
        only_one = len(await department_store.all_departments(conn)) == 1
    for f in config["prechat"]["fields"]:
        if f["name"] == "department" and only_one:
            continue  # nothing to choose: the widget does not ask
        value = frame.get(keys[f["name"]])
        if f["required"] and (not isinstance(value, str) or not value.strip()):
            raise ChatRuleError("bad_request", f"{f['name']}: {f['label']} is required", field=f["name"])
