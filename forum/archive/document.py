"""Reading a record document (see forum/services/record.py): lookups and the per-panelist view."""

from __future__ import annotations

from typing import Any

from forum.archive.language import day
from forum.publishing.record import delivery_label


def people(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["key"]: p for p in content["moderators"] + content["panelists"]}


def panelist(content: dict[str, Any], key: str) -> dict[str, Any] | None:
    return next((p for p in content["panelists"] if p["key"] == key), None)


def label(person: dict[str, Any]) -> str:
    return f"{person['name']} ({person['affiliation']})" if person.get("affiliation") else person["name"]


def date_text(content: dict[str, Any]) -> str:
    """The record's date as the current language (the event's) writes it: "23 November 2024"."""
    return day(content["event"]["starts_at"], content["event"]["timezone"])


def answers_of(content: dict[str, Any], key: str) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """(question, that panelist's contributions) for every question, in order."""
    return [(q, [c for c in q["contributions"] if c["speaker"] == key]) for q in content["questions"]]


def paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def plain_text_marks(items: list[dict[str, Any]]) -> list[str | None]:
    """The delivery label each contribution of one question carries in the plain-text layout.

    A written answer is always marked. Words said in the session are marked only where the same speaker
    also has a written answer under the question: elsewhere the summary layout stays as it was, and
    where both meet, every part is marked so the importer can tell where each one ends.
    """
    written = {item["speaker"] for item in items if item.get("delivery") == "written"}
    marks: list[str | None] = []
    for item in items:
        way = item.get("delivery")
        shown = way == "written" or (way == "said" and item["speaker"] in written)
        marks.append(delivery_label(way) if shown else None)
    return marks
