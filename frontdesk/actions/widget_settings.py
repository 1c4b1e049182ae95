"""The widget's texts and pre-chat form, stored in `settings` and edited by admins."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import select

from frontdesk.actions.context import Context
from frontdesk.store.models import Setting

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
}


async def widget_config(*, ctx: Context) -> dict[str, Any]:
    async with ctx.db.read() as conn:
        stored = (await conn.execute(select(Setting.value).where(Setting.key == "widget"))).scalar_one_or_none()
    config = copy.deepcopy(DEFAULT_WIDGET)
    if isinstance(stored, dict):
        config.update({k: v for k, v in stored.items() if k in DEFAULT_WIDGET})
    return config
