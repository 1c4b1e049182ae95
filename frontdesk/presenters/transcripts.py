"""Transcripts for people: one chat as plain text or a standalone HTML page, the bulk exports'
CSV rows and JSON lines (actions/archive.py), and the plain-text transcript a visitor asks to be
e-mailed (actions/satisfaction.py)."""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import orjson

from frontdesk.clock import as_utc
from frontdesk.domain.archive_query import csv_cell
from frontdesk.domain.chat_rules import EventKind
from frontdesk.wire import chat_summary, event_payload


def archive_event(row: Any) -> dict[str, Any]:
    """A stored event for agents: the wire payload, with the internal flag spelled out."""
    return {**event_payload(row), "internal": bool(row.internal)}


def transcript_plain(chat: Mapping[str, Any], events: list[dict[str, Any]]) -> str:
    """Plain text a person can read or paste into an e-mail; internal events marked."""
    lines = [f"Chat #{chat['id']} with {visitor_label(chat)} — started {chat['created_at']}", ""]
    for event in events:
        who, what = describe(event, chat)
        when = (event["created_at"] or "")[11:19]
        if who is None:
            lines.append(f"[{when}] — {what}")
        else:
            mark = f"({event['kind']}, agents only) " if event.get("internal") else ""
            file = "[file] " if (event.get("data") or {}).get("attachment") else ""  # the text is its name
            lines.append(f"[{when}] {mark}{who}: {file}{what}")
    return "\n".join(lines) + "\n"


def visitor_label(chat: Mapping[str, Any]) -> str:
    visitor = chat["visitor"]
    return visitor.get("name") or f"Visitor {str(visitor['id'])[:8]}"


def describe(event: dict[str, Any], chat: Mapping[str, Any]) -> tuple[str | None, str]:
    """(who, what) of an event for a person to read: who is None for lifecycle events."""
    kind, data, author = event["kind"], event.get("data") or {}, event["author"]
    if event["text"]:
        if author["type"] == "visitor":
            who = author.get("name") or visitor_label(chat)
        elif author["type"] == "agent":
            who = author.get("name") or "Agent"
        else:
            who = "frontdesk"
        return who, event["text"]
    agent = (data.get("agent") or {}).get("name") or "An agent"
    if kind == "chat.started":
        return None, "Chat started"
    if kind == "chat.assigned":
        return None, f"{agent} joined the chat"
    if kind == "chat.closed":
        return None, f"Chat closed by {data.get('by', 'the system')}"
    if kind == "chat.transferred":
        target = (data.get("to_agent") or {}).get("name") or (data.get("to_department") or {}).get("name") or "?"
        return None, f"Transferred to {target}"
    if kind in ("chat.joined", "chat.left"):
        return None, f"{agent} {'joined' if kind == 'chat.joined' else 'left'} the chat"
    if kind == "chat.taken_over":
        before = (data.get("from_agent") or {}).get("name")
        return None, f"{agent} took over the chat" + (f" from {before}" if before else "")
    return None, kind.replace("chat.", "").replace("_", " ").capitalize()


_HTML_STYLE = """
body{font:15px/1.5 -apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1f27;background:#f4f5f7;margin:0}
main{max-width:760px;margin:24px auto;background:#fff;border:1px solid #e3e5e9;border-radius:12px;padding:24px 28px}
h1{font-size:20px;margin:0 0 4px} .meta{color:#6b7280;font-size:13px;margin:0 0 20px}
ol{list-style:none;margin:0;padding:0} li{margin:0 0 12px} .who{font-weight:600}
time{color:#9aa0aa;font-size:12px;margin-left:6px}
.text{white-space:pre-wrap;overflow-wrap:anywhere;margin:2px 0 0} .sys{color:#6b7280;font-size:13px;text-align:center}
.internal{background:#fff6e6;border-left:3px solid #b45309;padding:6px 10px;border-radius:6px}
.tag{font-size:11px;font-weight:700;color:#b45309;text-transform:uppercase;margin-left:6px}
"""


def transcript_html(chat: Mapping[str, Any], events: list[dict[str, Any]]) -> str:
    """A standalone page: every value escaped, no script, styles inline."""
    e = html.escape
    department = (chat.get("department") or {}).get("name") or ""
    agent = (chat.get("assignee") or {}).get("name") or "—"
    items = []
    for event in events:
        who, what = describe(event, chat)
        when = e(event["created_at"] or "")
        if who is None:
            items.append(f'<li class="sys">{e(what)} <time datetime="{when}">{when[11:19]}</time></li>')
            continue
        internal = event.get("internal")
        tag = '<span class="tag">internal</span>' if internal else ""
        items.append(
            f'<li class="{"internal" if internal else "msg"}"><span class="who">{e(who)}</span>{tag}'
            f'<time datetime="{when}">{when[11:19]}</time><p class="text">{e(what)}</p></li>'
        )
    title = f"Chat #{chat['id']} with {visitor_label(chat)}"
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{e(title)}</title>'
        f"<style>{_HTML_STYLE}</style></head><body><main><h1>{e(title)}</h1>"
        f'<p class="meta">{e(department)} · agent {e(agent)} · started {e(chat["created_at"] or "")}'
        f"{' · closed ' + e(chat['closed_at']) if chat.get('closed_at') else ''}</p>"
        f"<ol>{''.join(items)}</ol></main></body></html>\n"
    )


CSV_COLUMNS = (
    "chat_id", "chat_started_at", "chat_closed_at", "status", "department", "agent", "visitor_id",
    "visitor_name", "visitor_email", "rating", "tags", "seq", "at", "kind", "author_type", "author",
    "internal", "text",
)  # fmt: skip


def csv_line(values: Any) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(values)
    return buffer.getvalue().encode()


def csv_chat(row: Any, events: list[Any]) -> bytes:
    chat: Mapping[str, Any] = chat_summary(row)
    rating = (chat.get("rating") or {}).get("score")
    tags = ", ".join(t["name"] for t in chat.get("tags") or [])
    head = [
        chat["id"],
        chat["created_at"],
        chat["closed_at"],
        chat["status"],
        csv_cell(chat["department"]["name"]),
        csv_cell((chat["assignee"] or {}).get("name")),
        chat["visitor"]["id"],
        csv_cell(chat["visitor"]["name"]),
        csv_cell(chat["visitor"]["email"]),
        rating if rating is not None else "",
        csv_cell(tags),
    ]
    lines = []
    for e in events:
        event = archive_event(e)
        who, what = describe(event, chat)
        lines.append(
            csv_line(
                [
                    *head,
                    event["seq"],
                    event["created_at"],
                    event["kind"],
                    event["author"]["type"],
                    csv_cell(who or ""),
                    "yes" if event["internal"] else "no",
                    csv_cell(what),
                ]
            )
        )
    return b"".join(lines)


def jsonl_chat(row: Any, events: list[Any]) -> bytes:
    return orjson.dumps({"chat": chat_summary(row), "events": [archive_event(e) for e in events]}) + b"\n"


# -- the transcript a visitor asks for by e-mail ---------------------------------------------------
def visitor_transcript(chat: Any, events: list[Any]) -> str:
    """The transcript as the visitor saw it. `events` are already without internal ones (notes,
    whispers); only kinds the visitor is shown are written, so a new internal kind stays out."""
    lines = [f"Your chat #{chat.id} with {chat.department_name}", f"Started {_when(chat.created_at)} (UTC)", ""]
    for e in events:
        if getattr(e, "internal", False):  # never, by the query: a second lock on the door
            continue
        at = _when(e.created_at)[11:]
        if e.kind == EventKind.MESSAGE and e.author_type in ("visitor", "agent"):
            who = "You" if e.author_type == "visitor" else (e.author_name or "Support")
            lines.append(f"[{at}] {who}: {e.body}")
        elif e.kind == EventKind.CHAT_ASSIGNED:
            lines.append(f"[{at}] — {((e.data or {}).get('agent') or {}).get('name') or 'An agent'} joined the chat")
        elif e.kind == EventKind.CHAT_CLOSED:
            lines.append(f"[{at}] — the chat ended")
    lines += ["", "This transcript was sent because you asked for it in the chat window."]
    return "\n".join(lines) + "\n"


def _when(value: datetime | None) -> str:
    moment = as_utc(value)
    return moment.strftime("%Y-%m-%d %H:%M") if moment else ""
