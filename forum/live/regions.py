"""Live regions: each piece of a live page is one template, rendered by Jinja on the server and by a
Jinja-compatible engine (Nunjucks) in the browser from the same source.

The server renders every region into the first page, so pages read without JavaScript. The browser
keeps the live state (snapshot plus deltas), renders the same templates with the same context and
morphs the page towards the result, so what a person is typing, where their focus is and which
``<details>`` they opened survive every update. Templates therefore use the common ground of the two
engines plus the small filters below, which the browser defines with the same names and meaning
(``static/js/live/regions.js``). Rules (labels, limits, status sets, sort orders) are data handed to
both through the ``ui`` context, never copied into the browser code.

Context of every region template:

``s``      the live state exactly as the wire protocol delivers it (docs/realtime.md);
``ui``     constants of the page: who is looking, action URLs, the CSRF token, limits, status sets, sorts;
``local``  the page's own state that is nobody else's business (chosen sort, a draft's question);
``now``    the current time as an ISO 8601 string (server time; the browser corrects for its clock).
"""

from __future__ import annotations

import functools
import hashlib
import json
import secrets
from datetime import datetime
from functools import cmp_to_key
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app
from flask_babel import get_translations
from flask_wtf.csrf import generate_csrf

from forum import limits as shared_limits
from forum.audience import asking
from forum.formatting import share
from forum.live.messages import client_messages
from forum.models import (
    AUDIENCE_OPEN_STATUSES,
    AWAITING_STATUSES,
    EDITABLE_STATUSES,
    VISIBLE_STATUSES,
    ParticipantRole,
    QuestionStatus,
)

REGION_FOLDER = "live/regions"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def seconds_since(start: str | None, now: str) -> float:
    """Seconds from ``start`` to ``now`` (both ISO 8601), never negative; 0 without a start."""
    if not start:
        return 0.0
    return max(0.0, (_parse_time(now) - _parse_time(start)).total_seconds())


def clock(value: str | None, zone: str) -> str:
    """An ISO 8601 instant as the 24-hour wall-clock time ``HH:MM`` in an IANA time zone."""
    if not value:
        return ""
    return _parse_time(value).astimezone(ZoneInfo(zone)).strftime("%H:%M")


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Items keyed by their id as a string (JSON object keys are strings in both engines)."""
    return {str(item["id"]): item for item in items}


def where(items: list[dict[str, Any]], field: str, values: list[Any]) -> list[dict[str, Any]]:
    """The items whose ``field`` is one of ``values``, in their order."""
    return [item for item in items if item.get(field) in values]


def find(items: list[dict[str, Any]], field: str, value: Any) -> dict[str, Any] | None:
    """The first item whose ``field`` equals ``value``, or None."""
    return next((item for item in items if item.get(field) == value), None)


def order_by(items: list[dict[str, Any]], spec: list[list[str]]) -> list[dict[str, Any]]:
    """Sort by a list of ``[field, "asc" | "desc"]`` keys, as the server's sort definitions say.

    The keys are never null in the protocol (pinned, votes, created_at, id); JavaScript would order a
    null differently, so a sort definition must not use a field that can be."""

    def compare(a: dict[str, Any], b: dict[str, Any]) -> int:
        for field, direction in spec:
            x, y = a.get(field), b.get(field)
            if x == y:
                continue
            result = -1 if x < y else 1
            return -result if direction == "desc" else result
        return 0

    return sorted(items, key=cmp_to_key(compare))


def signed(number: int) -> str:
    """A whole number with its sign: +3, 0, -2."""
    return f"+{number}" if number > 0 else str(number)


def clip(text: str | None, length: int) -> str:
    """At most ``length`` characters of ``text``, with an ellipsis when something was cut."""
    value = text or ""
    return value[:length] + "…" if len(value) > length else value


def chars(text: str | None) -> int:
    """How many characters (code points) ``text`` has; the browser counts the same way."""
    return len(text or "")


FILTERS = {
    "seconds_since": seconds_since,
    "clock": clock,
    "by_id": by_id,
    "where": where,
    "find": find,
    "order_by": order_by,
    "share": share,
    "signed": signed,
    "clip": clip,
    "chars": chars,
}


def region_sources(template_folder: str | Path) -> dict[str, str]:
    """Every region template's source by its template name."""
    folder = Path(template_folder) / REGION_FOLDER
    return {
        f"{REGION_FOLDER}/{path.name}": path.read_text(encoding="utf-8")
        for path in sorted(folder.glob("*.html"))
    }


@functools.cache
def _region_messages(template_folder: str) -> tuple[tuple[str, str | None], ...]:
    """The translatable messages of the region templates: ``(singular, plural or None)``."""
    found: set[tuple[str, str | None]] = set()
    for source in region_sources(template_folder).values():
        for _line, function, message in current_app.jinja_env.extract_translations(source):
            # A call with variables comes as a tuple: (message, None, …) for ``_``, (singular, plural, …)
            # for ``ngettext``.
            if function == "ngettext" and isinstance(message, tuple):
                found.add((str(message[0]), str(message[1])))
            elif isinstance(message, tuple) and isinstance(message[0], str):
                found.add((message[0], None))
            elif isinstance(message, str):
                found.add((message, None))
    return tuple(sorted(found, key=lambda pair: (pair[0], pair[1] or "")))


def catalogue() -> dict[str, str]:
    """The region templates' messages in the interface's language, for the browser's engine (only those
    whose translation differs). A plural's singular and plural forms map to the counts 1 and 2."""
    translations = get_translations()
    result: dict[str, str] = {}
    for singular, plural in _region_messages(str(current_app.template_folder)):
        if plural is None:
            pairs = [(singular, translations.gettext(singular))]
        else:
            pairs = [
                (singular, translations.ngettext(singular, plural, 1)),
                (plural, translations.ngettext(singular, plural, 2)),
            ]
        result.update((message, text) for message, text in pairs if text != message)
    return result


def sources_digest(template_folder: str | Path) -> str:
    """SHA-256 over the region templates, as ``static/js/live/compile-regions.mjs`` writes it into the
    precompiled bundle's first line; the two differ when a template changed without ``make regions``."""
    digest = hashlib.sha256()
    for name, source in region_sources(template_folder).items():
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()


def wire(data: Any) -> Any:
    """The state as a browser receives it: through JSON, so both engines see the same types and keys."""
    return json.loads(json.dumps(data))


def init_app(app: Flask) -> None:
    """Give Jinja the filters the region templates use (``_``/``ngettext`` come from Flask-Babel; the
    browser's engine gets the same functions and the page's ``catalogue``)."""
    for name, function in FILTERS.items():
        app.add_template_filter(function, name)


# --- What the pages hand to the templates -----------------------------------------------------------------


def limits() -> dict[str, int]:
    """Length limits of what people type in the live room, as the services enforce them."""
    return {
        "question": shared_limits.AUDIENCE_QUESTION_MAX,
        "name": shared_limits.AUDIENCE_NAME_MAX,
        "report_reason": shared_limits.REPORT_REASON_MAX,
        "rejection_reason": shared_limits.REJECTION_REASON_MAX,
        "contribution": shared_limits.CONTRIBUTION_MAX,
        "agenda_question": shared_limits.AGENDA_QUESTION_MAX,
        "poll_option": shared_limits.POLL_OPTION_MAX,
        "board_page": shared_limits.BOARD_SNAPSHOT_QUESTIONS,
    }


def statuses() -> dict[str, list[str]]:
    """The status sets the regions sort things by, from the models and services that define them."""
    board = sorted(s.value for s in VISIBLE_STATUSES)
    return {
        "board": board,
        "queue": sorted(s.value for s in AWAITING_STATUSES),
        "editable": sorted(s.value for s in EDITABLE_STATUSES),
        "mine_off_board": sorted(
            s.value for s in QuestionStatus if s.value not in board and s is not QuestionStatus.MERGED
        ),
        "open_events": sorted(s.value for s in AUDIENCE_OPEN_STATUSES),
        "speakers": [ParticipantRole.PANELIST.value, ParticipantRole.MODERATOR.value],
    }


# How lists are ordered: ``[field, "asc" | "desc"]`` keys, applied by ``order_by`` in both engines.
SORTS: dict[str, Any] = {
    "votes": [["pinned", "desc"], ["votes", "desc"], ["created_at", "asc"], ["id", "asc"]],
    "newest": [["pinned", "desc"], ["created_at", "desc"], ["id", "desc"]],
    "queue": [["created_at", "asc"], ["id", "asc"]],
    "by_id": [["id", "asc"]],
    "board_choices": ["votes", "newest"],
}


# After losing the connection, a browser waits 1 s, then twice as long after each failed attempt, up to
# 10 s, each wait moved by up to half its length at random: after a restart, thousands of phones come back
# spread over seconds instead of all at once.
RECONNECT_BACKOFF = {"reconnectionDelay": 1_000, "reconnectionDelayMax": 10_000, "randomizationFactor": 0.5}


def connection_options() -> dict[str, Any]:
    """The options the browser's Socket.IO client connects with (static/js/live/client.js)."""
    transports = current_app.config.get("LIVE_TRANSPORTS") or ["polling", "websocket"]
    return {"transports": list(transports), **RECONNECT_BACKOFF}


def page_context(
    snapshot: dict[str, Any],
    *,
    page: str,
    act_url: str,
    links: dict[str, str] | None = None,
    local: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The context a live page renders its regions with, and hands to its browser code as JSON."""
    state = wire(snapshot)
    ui = {
        "page": page,
        "caps": state["you"]["capabilities"],
        "act": act_url,
        "csrf": generate_csrf(),
        "client_id": secrets.token_hex(12),
        "limits": limits(),
        "statuses": statuses(),
        "sorts": SORTS,
        "links": links or {},
        "messages": client_messages(),
        "word_list_reason": asking.WORD_LIST_REASON,
        "catalogue": catalogue(),
        # How the browser connects: the transports (FORUM_LIVE_TRANSPORTS) and its reconnection backoff.
        "connection": connection_options(),
    }
    return {"s": state, "ui": ui, "local": local or {}, "now": state["server_time"]}
