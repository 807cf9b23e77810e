"""Publishing the record: numbered immutable versions, corrections with a note, unpublishing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import protocol
from forum.access import organizer_actor
from forum.archive import search
from forum.db import utcnow
from forum.errors import Conflict, InvalidInput, NotFound
from forum.events.events import owned_event
from forum.fields import clean_text, is_slug
from forum.i18n import in_language
from forum.limits import CORRECTION_NOTE_MAX
from forum.live import proceedings
from forum.live.state import announce_event_status
from forum.models import (
    PUBLISHABLE_STATUSES,
    Event,
    EventStatus,
    HostOrganisation,
    Organizer,
    Participant,
    ParticipantRole,
    TranscriptVersion,
)
from forum.publishing.record import build_record


def latest_version(session: Session, event_id: int) -> TranscriptVersion | None:
    return session.scalar(
        select(TranscriptVersion)
        .where(TranscriptVersion.event_id == event_id)
        .order_by(TranscriptVersion.number.desc())
        .limit(1)
    )


def versions(session: Session, event_id: int) -> list[TranscriptVersion]:
    return list(
        session.scalars(
            select(TranscriptVersion)
            .where(TranscriptVersion.event_id == event_id)
            .order_by(TranscriptVersion.number)
        )
    )


def _next_number(previous: TranscriptVersion | None) -> int:
    return (previous.number if previous else 0) + 1


def _version_stamp(
    number: int, now: datetime, note: str | None, earlier: list[TranscriptVersion]
) -> dict[str, Any]:
    """The ``version`` block of a record document: its number, when, why, and the versions before it."""
    return {
        "number": number,
        "published_at": protocol.timestamp(now),
        "correction_note": note,
        "previous_versions": [
            {
                "number": v.number,
                "published_at": protocol.timestamp(v.published_at),
                "correction_note": v.correction_note,
            }
            for v in earlier
        ],
    }


@dataclass(frozen=True)
class Preview:
    event: Event
    content: dict[str, Any]
    number: int


def preview(session: Session, organizer: Organizer, event_id: int) -> Preview:
    """The record as the next version would read if it were published now (nothing is stored)."""
    event = owned_event(session, organizer, event_id)
    content = build_record(session, event_id)
    number = _next_number(latest_version(session, event_id))
    content["version"] = _version_stamp(number, utcnow(), None, [])
    return Preview(event, content, number)


def latest_versions(session: Session, *, limit: int) -> list[tuple[Event, TranscriptVersion]]:
    """The published events whose record changed last, each with its latest version, newest first."""
    rows = session.execute(
        select(Event, TranscriptVersion)
        .join(TranscriptVersion, TranscriptVersion.event_id == Event.id)
        .where(Event.status == EventStatus.PUBLISHED)
        .order_by(TranscriptVersion.published_at.desc())
        .limit(limit)
    ).all()
    latest: dict[int, tuple[Event, TranscriptVersion]] = {}
    for event, version in rows:
        latest.setdefault(event.id, (event, version))
    return list(latest.values())


def search_entries(content: dict[str, Any]) -> list[tuple[str | None, str, str, str]]:
    """The searchable pieces of a record: the event, each question, each answer, each audience question.

    The headings are part of the record, so their fixed words are in the event's language."""
    with in_language(content["event"].get("language")):
        return _search_entries(content)


def _search_entries(content: dict[str, Any]) -> list[tuple[str | None, str, str, str]]:
    people = {p["key"]: p for p in content["moderators"] + content["panelists"]}
    event = content["event"]
    entries: list[tuple[str | None, str, str, str]] = [
        (
            None,
            "event",
            event["title"],
            "\n".join(filter(None, [event["summary"], content["host"]["name"], content["host"]["about"]])),
        ),
    ]
    for question in content["questions"]:
        heading = f"{question['number']}. {question['text']}"
        entries.append(
            (
                question["anchor"],
                "question",
                heading,
                question["prompt"]["text"] if question["prompt"] else "",
            )
        )
        for item in question["contributions"]:
            speaker = people.get(item["speaker"] or "", {})
            label = speaker.get("short_name") or _("Unattributed")
            entries.append((item["anchor"], "answer", f"{label} — {heading}", item["text"]))
        for audience in question["audience_questions"]:
            entries.append(
                (
                    question["anchor"],
                    "audience_question",
                    f"{_('From the audience')} — {heading}",
                    audience["text"],
                )
            )
    return entries


def publish(
    session: Session, organizer: Organizer, event_id: int, correction_note: str | None = None
) -> TranscriptVersion:
    """Publish the record as its next version. Versions after the first need a correction note."""
    event = owned_event(session, organizer, event_id)
    if event.status == EventStatus.LIVE:
        raise Conflict(_("End the live session before publishing its record."))
    if event.status not in PUBLISHABLE_STATUSES:
        raise Conflict(_("An event that is %(status)s cannot be published.", status=event.status.value))
    previous = latest_version(session, event.id)
    note = clean_text(
        correction_note,
        field="correction_note",
        label=_("Correction note"),
        max_length=CORRECTION_NOTE_MAX,
        required=False,
        multiline=True,
    )
    if previous is not None and not note:
        message = _("Say what this new version corrects; readers see the note on the record.")
        raise InvalidInput(message, fields={"correction_note": message})
    number = _next_number(previous)
    content = build_record(session, event.id)
    now = utcnow()
    content["version"] = _version_stamp(number, now, note, versions(session, event.id))
    version = TranscriptVersion(
        event_id=event.id,
        number=number,
        content=content,
        correction_note=note,
        published_at=now,
        published_by=organizer.display_name,
    )
    session.add(version)
    event.status = EventStatus.PUBLISHED
    session.flush()
    search.replace_entries(session, event.id, search_entries(content))
    announce_event_status(session, event)
    return version


def unpublish(session: Session, organizer: Organizer, event_id: int) -> None:
    """Hide the record (every version) from the archive; publishing again makes a new version."""
    event = owned_event(session, organizer, event_id)
    if event.status != EventStatus.PUBLISHED:
        raise Conflict(_("The record is not published."))
    event.status = EventStatus.ENDED
    search.remove_entries(session, event.id)
    session.flush()
    announce_event_status(session, event)
    # Unpublished means not public anywhere: the live transcript leaves audience screens too (and the
    # moderator cannot show it again until the record is published again).
    proceedings.set_feed(session, organizer_actor(organizer, event), False)


@dataclass
class ArchiveListing:
    """The archive's index: the published events a filter keeps, and every choice the filters offer."""

    events: list[Event]
    panel: dict[int, list[str]]  # event id -> its panelists' names
    hosts: list[str]
    panelists: list[str]
    years: list[int]


def archive_listing(
    session: Session, *, host: str = "", panelist: str = "", year: str = ""
) -> ArchiveListing:
    """Published events, newest first, filtered in SQL by host name, a panelist's name and the year the
    event took place at its venue (its own time zone, not the server's)."""
    published = Event.status == EventStatus.PUBLISHED
    query = select(Event).where(published).order_by(Event.starts_at.desc(), Event.id.desc())
    if host:
        query = query.join(HostOrganisation, HostOrganisation.id == Event.host_id).where(
            HostOrganisation.name == host
        )
    if panelist:
        query = query.where(
            select(Participant.id)
            .where(
                Participant.event_id == Event.id,
                Participant.role == ParticipantRole.PANELIST,
                Participant.display_name == panelist,
            )
            .exists()
        )
    if year:
        query = query.where(Event.local_year == (int(year) if year.isdigit() and len(year) == 4 else -1))
    events = list(session.scalars(query))
    panel: dict[int, list[str]] = {}
    everyone = session.execute(
        select(Participant.event_id, Participant.display_name)
        .join(Event, Event.id == Participant.event_id)
        .where(published, Participant.role == ParticipantRole.PANELIST)
        .order_by(Participant.position, Participant.id)
    ).all()
    for event_id, name in everyone:
        panel.setdefault(event_id, []).append(name)
    hosts = session.scalars(
        select(HostOrganisation.name)
        .join(Event, Event.host_id == HostOrganisation.id)
        .where(published)
        .distinct()
    ).all()
    years = session.scalars(select(Event.local_year).where(published).distinct()).all()
    return ArchiveListing(
        events=events,
        panel=panel,
        hosts=sorted(hosts),
        panelists=sorted({name for names in panel.values() for name in names}),
        years=sorted(years, reverse=True),
    )


def published_event(session: Session, slug: str) -> Event:
    """A published event by slug, for readers; anything else is NotFound."""
    event = session.scalar(select(Event).where(Event.slug == slug)) if is_slug(slug) else None
    if event is None or event.status != EventStatus.PUBLISHED:
        raise NotFound(_("There is no published record at this address."))
    return event


def readable_version(
    session: Session, slug: str, number: int | None = None
) -> tuple[Event, TranscriptVersion]:
    """The current (or a numbered) version of a published record."""
    event = published_event(session, slug)
    if number is None:
        version = latest_version(session, event.id)
    else:
        version = session.scalar(
            select(TranscriptVersion).where(
                TranscriptVersion.event_id == event.id, TranscriptVersion.number == number
            )
        )
    if version is None:
        raise NotFound(_("This record has no such version."))
    return event, version
