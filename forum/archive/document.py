"""Reading a record document (see forum/services/record.py): lookups and the per-panelist view."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def people(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in content["moderators"] + content["panelists"]}


def panelist(content: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((p for p in content["panelists"] if p["key"] == key), None)


def label(person: dict[str, Any]) -> str:
    return f"{person['name']} ({person['affiliation']})" if person.get("affiliation") else person["name"]


def local_start(content: dict[str, Any]) -> datetime:
    event = content["event"]
    return datetime.fromisoformat(event["starts_at"].replace("Z", "+00:00")).astimezone(
        ZoneInfo(event["timezone"])
    )


def date_text(content: dict[str, Any]) -> str:
    start = local_start(content)
    return f"{start.day} {start:%B %Y}"


def answers_of(content: dict[str, Any], key: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(question, that panelist's contributions) for every question, in order."""
    return [(q, [c for c in q["contributions"] if c["speaker"] == key]) for q in content["questions"]]


def duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]
