"""Event set-up: create, edit, schedule and delete events and their host organisation."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.errors import Conflict, InvalidInput, NotFound
from forum.fields import clean_slug, clean_text, clean_url, is_slug, slugify
from forum.limits import EVENT_SUMMARY_MAX, EVENT_TITLE_MAX, HOST_ABOUT_MAX, HOST_NAME_MAX, VENUE_MAX
from forum.models import (
    AgendaQuestion,
    Event,
    EventStatus,
    HostOrganisation,
    LiveState,
    Organizer,
    Participant,
    TranscriptVersion,
)
from forum.models.panel import ParticipantRole

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are read aloud and typed
JOIN_CODE_LENGTH = 6
_LANGUAGE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")

# The organizer moves an event between these by hand; live/ended are driven by the live room.
MANUAL_TRANSITIONS: dict[EventStatus, set[EventStatus]] = {
    EventStatus.DRAFT: {EventStatus.SCHEDULED},
    EventStatus.SCHEDULED: {EventStatus.DRAFT},
}


@dataclass(frozen=True)
class EventDetails:
    """What an organizer types about an event and its host."""

    title: str
    starts_at_local: datetime  # wall-clock time at the venue, without tzinfo
    timezone: str
    language: str
    host_name: str
    slug: str | None = None
    summary: str | None = None
    venue: str | None = None
    online_url: str | None = None
    host_website: str | None = None
    host_about: str | None = None


def owned_event(session: Session, organizer: Organizer, event_id: int, *, with_panel: bool = False) -> Event:
    """Return the event if ``organizer`` owns it; otherwise NotFound, so drafts never leak their existence."""
    query = select(Event).where(Event.id == event_id, Event.organizer_id == organizer.id)
    if with_panel:
        query = query.options(selectinload(Event.participants), selectinload(Event.questions))
    event = session.scalar(query)
    if event is None:
        raise NotFound(_("There is no event with that number among your events."))
    return event


def list_organizer_events(session: Session, organizer: Organizer) -> list[Event]:
    """The organizer's events, soonest first."""
    return list(
        session.scalars(
            select(Event).where(Event.organizer_id == organizer.id).order_by(Event.starts_at.desc(), Event.id)
        )
    )


def _aware_start(details: EventDetails) -> tuple[datetime, str]:
    try:
        zone = ZoneInfo(details.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        message = _("Choose a time zone from the list, such as Asia/Seoul or Europe/Berlin.")
        raise InvalidInput(message, fields={"timezone": message}) from None
    local = details.starts_at_local
    if local.tzinfo is not None:
        local = local.replace(tzinfo=None)
    if not 1990 <= local.year <= 2200:
        message = _("Enter a start date between %(first)s and %(last)s.", first=1990, last=2200)
        raise InvalidInput(message, fields={"starts_at": message})
    return local.replace(tzinfo=zone), details.timezone


def _clean_language(value: str) -> str:
    language = (value or "").strip()
    if not _LANGUAGE_RE.match(language):
        message = _("Choose the language the debate is held in.")
        raise InvalidInput(message, fields={"language": message})
    return language


def _resolve_host(session: Session, organizer: Organizer, details: EventDetails) -> HostOrganisation:
    name = clean_text(
        details.host_name, field="host_name", label=_("Host organisation"), max_length=HOST_NAME_MAX
    )
    website = clean_url(details.host_website, field="host_website", label=_("Host website"))
    about = clean_text(
        details.host_about,
        field="host_about",
        label=_("About the host"),
        max_length=HOST_ABOUT_MAX,
        required=False,
        multiline=True,
    )
    hosts = session.scalars(select(HostOrganisation).where(HostOrganisation.organizer_id == organizer.id))
    host = next((h for h in hosts if h.name.casefold() == (name or "").casefold()), None)
    if host is None:
        host = HostOrganisation(organizer_id=organizer.id, name=name)
        session.add(host)
    host.name = name or host.name
    host.website = website
    host.about = about
    session.flush()
    return host


def _slug_taken(session: Session, slug: str, exclude_event_id: int | None) -> bool:
    query = select(func.count()).select_from(Event).where(Event.slug == slug)
    if exclude_event_id is not None:
        query = query.where(Event.id != exclude_event_id)
    return bool(session.scalar(query))


def _unique_slug(session: Session, base: str) -> str:
    candidate, n = base, 2
    while _slug_taken(session, candidate, None):
        suffix = f"-{n}"
        candidate = base[: 80 - len(suffix)] + suffix
        n += 1
    return candidate


def new_join_code(session: Session) -> str:
    """A short code, unique among events, that the audience types to join."""
    while True:
        code = "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))
        if not session.scalar(select(func.count()).select_from(Event).where(Event.join_code == code)):
            return code


def _apply_details(session: Session, organizer: Organizer, event: Event, details: EventDetails) -> None:
    event.title = clean_text(details.title, field="title", label=_("Title"), max_length=EVENT_TITLE_MAX) or ""
    event.summary = clean_text(
        details.summary,
        field="summary",
        label=_("Summary"),
        max_length=EVENT_SUMMARY_MAX,
        required=False,
        multiline=True,
    )
    event.starts_at, event.timezone = _aware_start(details)
    event.local_year = details.starts_at_local.year
    event.venue = clean_text(
        details.venue, field="venue", label=_("Venue"), max_length=VENUE_MAX, required=False
    )
    event.online_url = clean_url(details.online_url, field="online_url", label=_("Online link"))
    event.language = _clean_language(details.language)
    if event.status != EventStatus.DRAFT and not (event.venue or event.online_url):
        message = _("A scheduled event needs a venue or an online link so people know where to go.")
        raise InvalidInput(message, fields={"venue": message})
    event.host = _resolve_host(session, organizer, details)


def create_event(session: Session, organizer: Organizer, details: EventDetails) -> Event:
    """Create a draft event owned by ``organizer``; the slug comes from the title unless one is given."""
    event = Event(organizer_id=organizer.id, status=EventStatus.DRAFT)
    _apply_details(session, organizer, event, details)
    if details.slug and details.slug.strip():
        slug = clean_slug(details.slug)
        if _slug_taken(session, slug, None):
            message = _("The web address name “%(slug)s” is already used by another event.", slug=slug)
            raise Conflict(message, fields={"slug": message})
        event.slug = slug
    else:
        event.slug = _unique_slug(session, slugify(event.title))
    event.join_code = new_join_code(session)
    session.add(event)
    session.flush()
    session.add(LiveState(event_id=event.id))
    session.flush()
    return event


def update_event(session: Session, organizer: Organizer, event_id: int, details: EventDetails) -> Event:
    """Change an event's details; a new slug must be free. Only the owner may do this."""
    event = owned_event(session, organizer, event_id)
    _apply_details(session, organizer, event, details)
    if details.slug and details.slug.strip():
        slug = clean_slug(details.slug)
        if slug != event.slug:
            if _slug_taken(session, slug, event.id):
                message = _("The web address name “%(slug)s” is already used by another event.", slug=slug)
                raise Conflict(message, fields={"slug": message})
            event.slug = slug
    session.flush()
    return event


def readiness_problems(session: Session, event: Event) -> list[str]:
    """What still stops the event from being scheduled, in words an organizer can act on."""
    problems: list[str] = []
    roles = [
        role
        for (role,) in session.execute(select(Participant.role).where(Participant.event_id == event.id)).all()
    ]
    if ParticipantRole.MODERATOR not in roles:
        problems.append(_("Name a moderator."))
    if ParticipantRole.PANELIST not in roles:
        problems.append(_("Add at least one panelist."))
    question_count = session.scalar(
        select(func.count()).select_from(AgendaQuestion).where(AgendaQuestion.event_id == event.id)
    )
    if not question_count:
        problems.append(_("Write at least one question for the agenda."))
    if not (event.venue or event.online_url):
        problems.append(_("Give a venue or an online link."))
    return problems


def status_word(status: EventStatus) -> str:
    """An event's stage as a word inside a sentence ("draft", "초안")."""
    words = {
        EventStatus.DRAFT: _("draft"),
        EventStatus.SCHEDULED: _("scheduled"),
        EventStatus.LIVE: _("live"),
        EventStatus.ENDED: _("ended"),
        EventStatus.PUBLISHED: _("published"),
    }
    return words.get(status, status.value)


def change_status(session: Session, organizer: Organizer, event_id: int, new_status: EventStatus) -> Event:
    """Schedule a ready draft, or take a scheduled event back to draft; other moves are refused."""
    event = owned_event(session, organizer, event_id)
    allowed = MANUAL_TRANSITIONS.get(event.status, set())
    if new_status not in allowed:
        raise Conflict(
            _(
                "An event that is %(current)s cannot be set to %(wanted)s from here.",
                current=status_word(event.status),
                wanted=status_word(new_status),
            )
        )
    if new_status == EventStatus.SCHEDULED:
        problems = readiness_problems(session, event)
        if problems:
            raise Conflict(_("The event is not ready to schedule: %(problems)s", problems=" ".join(problems)))
    event.status = new_status
    session.flush()
    return event


def delete_event(session: Session, organizer: Organizer, event_id: int) -> None:
    """Delete a draft event with everything in it; events that were announced are kept."""
    event = owned_event(session, organizer, event_id)
    if event.status != EventStatus.DRAFT:
        raise Conflict(_("Only draft events can be deleted. Move the event back to draft first."))
    session.delete(event)
    session.flush()


def visible_event(session: Session, slug: str, viewer: Organizer | None) -> Event:
    """An event's public face: anyone may see it once scheduled; a draft only its owner."""
    if not is_slug(slug):
        raise NotFound(_("There is no public event at this address."))
    event = session.scalar(
        select(Event)
        .options(selectinload(Event.participants), selectinload(Event.questions))
        .where(Event.slug == slug)
    )
    if event is None or not event.visible_to(viewer.id if viewer is not None else None):
        raise NotFound(_("There is no public event at this address."))
    return event


# Public listings for the home page: one bounded query each, drafts never included.
LISTING_LIMIT = 6
# A scheduled event stays under "Upcoming" for a while after its start time: debates often start late,
# and the room may still be about to open. After that an event that never went live is stale.
UPCOMING_GRACE = timedelta(hours=12)


@dataclass(frozen=True)
class PublicListings:
    """What the home page lists: running sessions, coming events, and recently published records."""

    live: list[Event]
    upcoming: list[Event]
    records: list[Event]


def public_listings(session: Session, now: datetime, limit: int = LISTING_LIMIT) -> PublicListings:
    """Live, upcoming and recently published public events, at most ``limit`` of each; never drafts.

    Records are ordered by their latest version, so a corrected record comes back to the top.
    """
    live = session.scalars(
        select(Event).where(Event.status == EventStatus.LIVE).order_by(Event.starts_at, Event.id).limit(limit)
    ).all()
    upcoming = session.scalars(
        select(Event)
        .where(Event.status == EventStatus.SCHEDULED, Event.starts_at >= now - UPCOMING_GRACE)
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).all()
    latest = (
        select(TranscriptVersion.event_id, func.max(TranscriptVersion.published_at).label("published_at"))
        .group_by(TranscriptVersion.event_id)
        .subquery()
    )
    records = session.scalars(
        select(Event)
        .join(latest, latest.c.event_id == Event.id)
        .where(Event.status == EventStatus.PUBLISHED)
        .order_by(latest.c.published_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()
    return PublicListings(live=list(live), upcoming=list(upcoming), records=list(records))
