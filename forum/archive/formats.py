"""Exports of a record document: plain text in the layout of a published panel summary, Markdown,
JSON and PDF. The HTML page is a template (templates/archive/); the PDF is that page printed by
WeasyPrint.

Every fixed phrase of an export is in the event's language, whatever the reader's interface language:
each export function renders inside ``in_language(event language)``.
"""

from __future__ import annotations

import functools
import html
import json
import re
import string
from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import ngettext

from forum.archive.document import (
    answers_of,
    date_text,
    label,
    panelist,
    paragraphs,
    people,
    plain_text_marks,
)
from forum.formatting import duration
from forum.i18n import in_language
from forum.publishing.record import delivery_label

FORMATS = ("md", "txt", "json", "pdf")
MEDIA_TYPES = {
    "md": "text/markdown; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "pdf": "application/pdf",
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
}


Export = TypeVar("Export", bound=Callable[..., str])


def in_event_language(export: Export) -> Export:
    """Render an export's fixed phrases in the language of the record's event."""

    @functools.wraps(export)
    def wrapper(content: dict[str, Any], *args: Any) -> str:
        with in_language(content["event"].get("language")):
            return export(content, *args)

    return wrapper  # type: ignore[return-value]


def _names(people_: list[dict[str, Any]]) -> str:
    return ", ".join(label(p) for p in people_)


def _panel_lines(content: dict[str, Any]) -> list[str]:
    lines = []
    if content["moderators"]:
        lines.append(_("- Moderation: %(names)s", names=_names(content["moderators"])))
    if content["panelists"]:
        lines.append(_("- Panelist: %(names)s", names=_names(content["panelists"])))
    return lines


def _version_line(content: dict[str, Any]) -> list[str]:
    version = content.get("version")
    if not version or version["number"] == 1:
        return []
    number, published, note = version["number"], version["published_at"][:10], version["correction_note"]
    if note:
        return [
            _(
                "(Version %(number)s, published %(date)s. Correction: %(note)s)",
                number=number,
                date=published,
                note=note,
            )
        ]
    return [_("(Version %(number)s, published %(date)s)", number=number, date=published)]


def _about(content: dict[str, Any]) -> list[str]:
    about = content["host"].get("about")
    return [_("*About the host: %(text)s", text=" ".join(paragraphs(about)))] if about else []


def _votes(count: int) -> str:
    return ngettext("%(num)s vote", "%(num)s votes", count)


def _speaker_name(who: dict[str, dict[str, Any]], key: str | None) -> str:
    return who.get(key or "", {}).get("short_name") or _("Unattributed")


def _moderator_name(speaker: dict[str, Any] | None) -> str:
    return speaker["short_name"] if speaker else _("Moderator")


def _poll_line(poll: dict[str, Any]) -> str:
    parts = []
    for option in poll["options"]:
        share = f"{option['share']:g}"
        if "change" in option:
            change = f"{option['change']:+g}"
            part = _(
                "%(option)s %(share)s%% (%(votes)s), %(change)s points",
                option=option["label"],
                share=share,
                votes=option["votes"],
                change=change,
            )
        else:
            part = f"{option['label']} {share}% ({option['votes']})"
        parts.append(part)
    results = "; ".join(parts)
    if poll["phase"] == "before":
        line = _(
            "Poll (before the discussion): %(prompt)s — %(results)s.", prompt=poll["prompt"], results=results
        )
    elif poll["phase"] == "after":
        line = _(
            "Poll (after the discussion): %(prompt)s — %(results)s.", prompt=poll["prompt"], results=results
        )
    else:
        line = _("Poll: %(prompt)s — %(results)s.", prompt=poll["prompt"], results=results)
    return f"{line} " + ngettext("%(num)s vote.", "%(num)s votes.", poll["total"])


def _audience_line(audience: dict[str, Any]) -> str:
    votes, text = _votes(audience["votes"]), audience["text"]
    if audience["name"]:
        return _(
            "Audience question (%(name)s, %(votes)s): %(text)s", name=audience["name"], votes=votes, text=text
        )
    return _("Audience question (%(votes)s): %(text)s", votes=votes, text=text)


@in_event_language
def text_full(content: dict[str, Any]) -> str:
    """The whole record: every speaker's answers under each numbered question."""
    who = people(content)
    event = content["event"]
    lines = [
        _(
            "On %(date)s, the panel discussion “%(title)s” was hosted by “%(host)s”.",
            date=date_text(content),
            title=event["title"],
            host=content["host"]["name"],
        ),
        *_panel_lines(content),
        *_version_line(content),
        _("Here is the record of the main questions discussed during the debate:"),
    ]
    for question in content["questions"]:
        lines.append(f"{question['number']}. {question['text']}")
        if question["prompt"]:
            speaker = question["prompt"]["speaker"]
            lines.append(
                _(
                    "%(name)s (moderator): %(text)s",
                    name=_moderator_name(speaker),
                    text=" ".join(paragraphs(question["prompt"]["text"])),
                )
            )
        said = question["contributions"]
        for item, mark in zip(said, plain_text_marks(said), strict=True):
            name = _speaker_name(who, item["speaker"])
            first, *rest = paragraphs(item["text"]) or [""]
            lines.append(f"{name} ({mark}): {first}" if mark else f"{name}: {first}")
            lines.extend(rest)
        lines.extend(_audience_line(audience) for audience in question["audience_questions"])
        lines.extend(_poll_line(poll) for poll in question["polls"])
    for audience in content["general_audience_questions"]:
        lines.append(
            _(
                "Audience question (general, %(votes)s): %(text)s",
                votes=_votes(audience["votes"]),
                text=audience["text"],
            )
        )
    timed = [p for p in content["panelists"] if p.get("speaking_seconds")]
    if timed:
        times = ", ".join(f"{p['short_name']} {duration(p['speaking_seconds'])}" for p in timed)
        lines.append(_("Speaking time: %(times)s", times=times))
    lines.extend(_about(content))
    return "\n".join(lines) + "\n"


@in_event_language
def text_panelist(content: dict[str, Any], key: str) -> str:
    """One panelist's answers, in the layout of a published panel summary."""
    person = panelist(content, key)
    if person is None:
        raise KeyError(key)
    event = content["event"]
    lines = [
        _(
            "On %(date)s, %(person)s took part as a panelist in the discussion “%(title)s” "
            "hosted by “%(host)s”.",
            date=date_text(content),
            person=label(person),
            title=event["title"],
            host=content["host"]["name"],
        ),
        *_panel_lines(content),
        *_version_line(content),
        _(
            "Here are %(name)s's answers to the main questions discussed during the debate:",
            name=person["short_name"],
        ),
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


# CommonMark lets every ASCII punctuation character be escaped with a backslash, and an escaped character is
# always literal text: no emphasis, link, image, autolink, raw HTML, entity, code span or table cell border
# can start from it. People's text is escaped that way (angle brackets and ampersands as entities), except
# for the few marks that can never begin markup in the middle of a line ("(" only opens a link after "]",
# "!" an image before "["), kept so the raw file stays readable. Each text is also put on one line, so a
# field can never begin a block (a heading, a list, a quote, a fence) of its own.
_MD_READABLE = frozenset(".,?!'\";:/%-()")
_MD_ESCAPES = {ord(c): "\\" + c for c in string.punctuation if c not in _MD_READABLE} | {
    # Angle brackets and ampersands as entities instead: every Markdown flavour reads those, also the ones
    # (such as Python-Markdown) that take a backslash before "<" literally and HTML after it.
    ord("<"): "&lt;",
    ord(">"): "&gt;",
    ord("&"): "&amp;",
}
# ...but at the start of a line "-", "1." and "1)" begin a list item.
_MD_LIST_MARK = re.compile(r"^(\d*)([-.)])")


def _md_escape(text: str) -> str:
    """People's text as inert Markdown: it renders as exactly these characters in any CommonMark or
    GitHub-flavoured renderer."""
    one_line = " ".join(text.split())
    return _MD_LIST_MARK.sub(r"\1\\\2", one_line.translate(_MD_ESCAPES))


def _md_anchor(anchor: str) -> str:
    return f'<a id="{html.escape(anchor, quote=True)}"></a>'


def _md_header(content: dict[str, Any], title_suffix: str = "") -> list[str]:
    event = content["event"]
    where = f" · {_md_escape(event['venue'])}" if event.get("venue") else ""
    hosted = _("Hosted by %(host)s", host=_md_escape(content["host"]["name"]))
    lines = [
        f"# {_md_escape(event['title'])}{title_suffix}",
        "",
        f"*{hosted} · {date_text(content)}{where}*",
        "",
    ]
    if content["moderators"]:
        names = ", ".join(_md_escape(label(p)) for p in content["moderators"])
        lines += [f"**{_('Moderation:')}** {names}", ""]
    if content["panelists"]:
        names = ", ".join(_md_escape(label(p)) for p in content["panelists"])
        lines += [f"**{_('Panelists:')}** {names}", ""]
    version = content.get("version")
    if version and version["number"] > 1:
        notice = _(
            "Version %(number)s, published %(date)s. Correction: %(note)s",
            number=version["number"],
            date=version["published_at"][:10],
            note=_md_escape(version["correction_note"] or ""),
        )
        lines += [f"> {notice}", ""]
    return lines


def _md_about(content: dict[str, Any]) -> list[str]:
    about = content["host"].get("about")
    if not about:
        return []
    return [f"## {_('About the host')}", "", *(f"{_md_escape(p)}\n" for p in paragraphs(about))]


@in_event_language
def markdown_full(content: dict[str, Any]) -> str:
    who = people(content)
    lines = _md_header(content)
    for question in content["questions"]:
        lines += [
            _md_anchor(question["anchor"]),
            "",
            f"## {question['number']}. {_md_escape(question['text'])}",
            "",
        ]
        if question["prompt"]:
            speaker = question["prompt"]["speaker"]
            said_by = _("%(name)s (moderator):", name=_md_escape(_moderator_name(speaker)))
            lines += [
                f"**{said_by}** " + _md_escape(" ".join(paragraphs(question["prompt"]["text"]))),
                "",
            ]
        for item in question["contributions"]:
            name = _speaker_name(who, item["speaker"])
            shown = delivery_label(item.get("delivery"))
            delivered = f" *({shown})*" if shown else ""
            approved = f" *({_('approved by the speaker')})*" if item["approved_by_speaker"] else ""
            lines += [
                _md_anchor(item["anchor"]),
                "",
                f"**{_md_escape(name)}**{delivered}{approved}",
                "",
            ]
            lines += [f"{_md_escape(p)}\n" for p in paragraphs(item["text"])]
        if question["audience_questions"]:
            lines += [f"### {_('From the audience')}", ""]
            for a in question["audience_questions"]:
                by = _md_escape(a["name"] or _("anonymous"))
                lines.append(f"- {_md_escape(a['text'])} — {by} ({_votes(a['votes'])})")
            lines.append("")
        for poll in question["polls"]:
            prompt = _md_escape(poll["prompt"])
            if poll["phase"] == "before":
                heading = _("Poll: %(prompt)s (before the discussion)", prompt=prompt)
            elif poll["phase"] == "after":
                heading = _("Poll: %(prompt)s (after the discussion)", prompt=prompt)
            else:
                heading = _("Poll: %(prompt)s", prompt=prompt)
            columns = (_("Option"), _("Votes"), _("Share"), _("Change"))
            lines += [
                f"### {heading}",
                "",
                "| " + " | ".join(columns) + " |",
                "| --- | ---: | ---: | ---: |",
            ]
            for option in poll["options"]:
                difference = f"{option['change']:+g}" if "change" in option else None
                change = _("%(change)s pts", change=difference) if difference else ""
                lines.append(
                    f"| {_md_escape(option['label'])} | {option['votes']} | {option['share']:g}% | {change} |"
                )
            lines.append("")
    timed = [p for p in content["panelists"] if p.get("speaking_seconds")]
    if timed:
        lines += (
            [f"## {_('Speaking time')}", ""]
            + [f"- {_md_escape(p['short_name'])}: {duration(p['speaking_seconds'])}" for p in timed]
            + [""]
        )
    lines += _md_about(content)
    return "\n".join(lines).rstrip() + "\n"


@in_event_language
def markdown_panelist(content: dict[str, Any], key: str) -> str:
    person = panelist(content, key)
    if person is None:
        raise KeyError(key)
    name = _md_escape(person["short_name"])
    lines = _md_header(content, " — " + _("%(name)s's answers", name=name))
    lines += [
        _("Here are %(name)s's answers to the main questions discussed during the debate.", name=name),
        "",
    ]
    for question, items in answers_of(content, key):
        if not items:
            continue
        lines += [
            _md_anchor(items[0]["anchor"]),
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
