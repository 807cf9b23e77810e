"""Exports of a record document: plain text in the layout of a published panel summary, Markdown,
JSON and PDF. The HTML page is a template (templates/archive/); the PDF is that page printed by
WeasyPrint."""

from __future__ import annotations

import json
from typing import Any

from forum.archive.document import (
    answers_of,
    date_text,
    duration,
    label,
    panelist,
    paragraphs,
    people,
    plain_text_marks,
)
from forum.services.record import delivery_label

FORMATS = ("md", "txt", "json", "pdf")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
}


def _panel_lines(content: dict[str, Any]) -> list[str]:
    lines = []
    if content["moderators"]:
        lines.append("- Moderation: " + ", ".join(label(p) for p in content["moderators"]))
    if content["panelists"]:
        lines.append("- Panelist: " + ", ".join(label(p) for p in content["panelists"]))
    return lines


def _version_line(content: dict[str, Any]) -> list[str]:
    version = content.get("version")
    if not version or version["number"] == 1:
        return []
    line = f"(Version {version['number']}, published {version['published_at'][:10]}"
    return [line + (f". Correction: {version['correction_note']})" if version["correction_note"] else ")")]


def _about(content: dict[str, Any]) -> list[str]:
    about = content["host"].get("about")
    return [f"*About the host: {' '.join(paragraphs(about))}"] if about else []


def _poll_line(poll: dict[str, Any]) -> str:
    phase = {"before": " (before the discussion)", "after": " (after the discussion)"}.get(poll["phase"], "")
    parts = []
    for option in poll["options"]:
        part = f"{option['label']} {option['share']:g}% ({option['votes']})"
        if "change" in option:
            part += f", {option['change']:+g} points"
        parts.append(part)
    return f"Poll{phase}: {poll['prompt']} — " + "; ".join(parts) + f". {poll['total']} votes."


def text_full(content: dict[str, Any]) -> str:
    """The whole record: every speaker's answers under each numbered question."""
    who = people(content)
    event = content["event"]
    lines = [
        f"On {date_text(content)}, the panel discussion “{event['title']}” "
        f"was hosted by “{content['host']['name']}”.",
        *_panel_lines(content),
        *_version_line(content),
        "Here is the record of the main questions discussed during the debate:",
    ]
    for question in content["questions"]:
        lines.append(f"{question['number']}. {question['text']}")
        if question["prompt"]:
            speaker = question["prompt"]["speaker"]
            lines.append(
                f"{speaker['short_name'] if speaker else 'Moderator'} (moderator): "
                + " ".join(paragraphs(question["prompt"]["text"]))
            )
        said = question["contributions"]
        for item, mark in zip(said, plain_text_marks(said), strict=True):
            name = who.get(item["speaker"] or "", {}).get("short_name", "Unattributed")
            first, *rest = paragraphs(item["text"]) or [""]
            lines.append(f"{name} ({mark}): {first}" if mark else f"{name}: {first}")
            lines.extend(rest)
        for audience in question["audience_questions"]:
            by = f"{audience['name']}, " if audience["name"] else ""
            lines.append(f"Audience question ({by}{audience['votes']} votes): {audience['text']}")
        lines.extend(_poll_line(poll) for poll in question["polls"])
    for audience in content["general_audience_questions"]:
        lines.append(f"Audience question (general, {audience['votes']} votes): {audience['text']}")
    timed = [p for p in content["panelists"] if p.get("speaking_seconds")]
    if timed:
        lines.append(
            "Speaking time: "
            + ", ".join(f"{p['short_name']} {duration(p['speaking_seconds'])}" for p in timed)
        )
    lines.extend(_about(content))
    return "\n".join(lines) + "\n"


def text_panelist(content: dict[str, Any], key: str) -> str:
    """One panelist's answers, in the layout of a published panel summary."""
    person = panelist(content, key)
    if person is None:
        raise KeyError(key)
    event = content["event"]
    lines = [
        f"On {date_text(content)}, {label(person)} took part as a panelist in the discussion "
        f"“{event['title']}” hosted by “{content['host']['name']}”.",
        *_panel_lines(content),
        *_version_line(content),
        f"Here are {person['short_name']}'s answers to the main questions discussed during the debate:",
    ]
    for question, items in answers_of(content, key):
        if not items:
            continue
        lines.append(f"{question['number']}. {question['text']}")
        for item, mark in zip(items, plain_text_marks(items), strict=True):
            parts = paragraphs(item["text"])
            if mark:
                # The mark opens the answer's first paragraph; services/importer.py reads it back.
                parts = [f"({mark}) {parts[0] if parts else ''}".rstrip(), *parts[1:]]
            lines.extend(parts)
    lines.extend(_about(content))
    return "\n".join(lines) + "\n"


def _md_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("#", "\\#")


def _md_header(content: dict[str, Any], title_suffix: str = "") -> list[str]:
    event = content["event"]
    where = f" · {event['venue']}" if event.get("venue") else ""
    lines = [
        f"# {_md_escape(event['title'])}{title_suffix}",
        "",
        f"*Hosted by {_md_escape(content['host']['name'])} · {date_text(content)}{where}*",
        "",
    ]
    if content["moderators"]:
        lines += ["**Moderation:** " + ", ".join(_md_escape(label(p)) for p in content["moderators"]), ""]
    if content["panelists"]:
        lines += ["**Panelists:** " + ", ".join(_md_escape(label(p)) for p in content["panelists"]), ""]
    version = content.get("version")
    if version and version["number"] > 1:
        lines += [
            f"> Version {version['number']}, published {version['published_at'][:10]}. "
            f"Correction: {_md_escape(version['correction_note'] or '')}",
            "",
        ]
    return lines


def _md_about(content: dict[str, Any]) -> list[str]:
    about = content["host"].get("about")
    return ["## About the host", "", *(f"{_md_escape(p)}\n" for p in paragraphs(about))] if about else []


def markdown_full(content: dict[str, Any]) -> str:
    who = people(content)
    lines = _md_header(content)
    for question in content["questions"]:
        lines += [
            f'<a id="{question["anchor"]}"></a>',
            "",
            f"## {question['number']}. {_md_escape(question['text'])}",
            "",
        ]
        if question["prompt"]:
            speaker = question["prompt"]["speaker"]
            lines += [
                f"**{_md_escape(speaker['short_name']) if speaker else 'Moderator'} (moderator):** "
                + _md_escape(" ".join(paragraphs(question["prompt"]["text"]))),
                "",
            ]
        for item in question["contributions"]:
            name = who.get(item["speaker"] or "", {}).get("short_name", "Unattributed")
            shown = delivery_label(item.get("delivery"))
            delivered = f" *({shown})*" if shown else ""
            approved = " *(approved by the speaker)*" if item["approved_by_speaker"] else ""
            lines += [
                f'<a id="{item["anchor"]}"></a>',
                "",
                f"**{_md_escape(name)}**{delivered}{approved}",
                "",
            ]
            lines += [f"{_md_escape(p)}\n" for p in paragraphs(item["text"])]
        if question["audience_questions"]:
            lines += ["### From the audience", ""]
            lines += [
                f"- {_md_escape(a['text'])} — {_md_escape(a['name'] or 'anonymous')} ({a['votes']} votes)"
                for a in question["audience_questions"]
            ] + [""]
        for poll in question["polls"]:
            lines += [
                f"### Poll: {_md_escape(poll['prompt'])}"
                + (f" ({poll['phase']} the discussion)" if poll["phase"] != "single" else ""),
                "",
                "| Option | Votes | Share | Change |",
                "| --- | ---: | ---: | ---: |",
            ]
            for option in poll["options"]:
                change = f"{option['change']:+g} pts" if "change" in option else ""
                lines.append(
                    f"| {_md_escape(option['label'])} | {option['votes']} | {option['share']:g}% | {change} |"
                )
            lines.append("")
    timed = [p for p in content["panelists"] if p.get("speaking_seconds")]
    if timed:
        lines += (
            ["## Speaking time", ""]
            + [f"- {_md_escape(p['short_name'])}: {duration(p['speaking_seconds'])}" for p in timed]
            + [""]
        )
    lines += _md_about(content)
    return "\n".join(lines).rstrip() + "\n"


def markdown_panelist(content: dict[str, Any], key: str) -> str:
    person = panelist(content, key)
    if person is None:
        raise KeyError(key)
    lines = _md_header(content, f" — {_md_escape(person['short_name'])}'s answers")
    lines += [
        f"Here are {_md_escape(person['short_name'])}'s answers "
        "to the main questions discussed during the debate.",
        "",
    ]
    for question, items in answers_of(content, key):
        if not items:
            continue
        lines += [
            f'<a id="{items[0]["anchor"]}"></a>',
            "",
            f"## {question['number']}. {_md_escape(question['text'])}",
            "",
        ]
        for item in items:
            if shown := delivery_label(item.get("delivery")):
                lines += [f"*({shown})*", ""]
            lines += [f"{_md_escape(p)}\n" for p in paragraphs(item["text"])]
    lines += _md_about(content)
    return "\n".join(lines).rstrip() + "\n"


def json_full(content: dict[str, Any]) -> str:
    return json.dumps(content, ensure_ascii=False, indent=2) + "\n"


def json_panelist(content: dict[str, Any], key: str) -> str:
    person = panelist(content, key)
    if person is None:
        raise KeyError(key)
    view = {k: v for k, v in content.items() if k != "questions"}
    view["panelist"] = person
    view["questions"] = [
        {**{k: q[k] for k in ("number", "anchor", "text")}, "contributions": items}
        for q, items in answers_of(content, key)
        if items
    ]
    return json.dumps(view, ensure_ascii=False, indent=2) + "\n"
