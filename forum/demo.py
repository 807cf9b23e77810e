"""Load the demo panel from a TOML file in ``seeds/`` through the ordinary services.

Going through the services means the demo obeys the same rules as an event typed in by hand.
A seed file describes one panel and makes up to two events from it: the demo itself (published at
once when ``[publish] record`` is true, so the archive has a real record) and, when the file has a
``[rehearsal]`` section, a scheduled copy whose live room a newcomer can start straight away.
Loading is idempotent: an event whose slug exists already is left alone.
"""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts import accounts
from forum.db import utcnow
from forum.errors import InvalidInput
from forum.events import agenda, contributions, events, invitations, panel
from forum.models import Event, EventStatus, Organizer, Participant, ParticipantRole
from forum.publishing import publishing

# Builds an absolute link from an endpoint and its values; the CLI supplies one for the configured address.
LinkBuilder = Callable[..., str]


@dataclass(frozen=True)
class InvitedPerson:
    """Someone on the rehearsal's panel and the invitation link issued for them."""

    display_name: str
    role: str
    token: str


@dataclass(frozen=True)
class RehearsalResult:
    """The rehearsal event, and the links issued when it was created (none when it existed already)."""

    event_id: int
    slug: str
    title: str
    join_code: str
    starts_at: datetime
    timezone: str
    created: bool
    invited: tuple[InvitedPerson, ...] = ()

    def describe(self, link: LinkBuilder, organizer_email: str) -> str:
        local = self.starts_at.astimezone(ZoneInfo(self.timezone))
        lines = [
            (
                f"Created the rehearsal event '{self.title}', scheduled for "
                f"{local:%A %d %B %Y, %H:%M} ({self.timezone}). Its live room can be started now:"
            )
            if self.created
            else f"The rehearsal event '{self.slug}' is already loaded; nothing changed. Its links:"
        ]
        for person in self.invited:
            if person.role == ParticipantRole.MODERATOR:
                label = f"Moderator console for {person.display_name}, no sign-in needed"
            else:
                label = f"Live page of {person.role} {person.display_name}, no sign-in needed"
            lines.append(f"  {label}: {link('live.invite_console', token=person.token)}")
        lines += [
            f"  Organizer console, after signing in as {organizer_email}: "
            f"{link('live.organizer_console', event_id=self.event_id)}",
            f"  Audience page: {link('audience.event_page', slug=self.slug)}",
            f"  Projector: {link('live.projector', slug=self.slug)}",
            f"  Audience join code {self.join_code}, short join link: "
            f"{link('site.short_join', code=self.join_code)}",
        ]
        if self.created and self.invited:
            lines.append(
                "  Invitation links are shown only this once; anyone holding one acts as that person. "
                "New links can be issued on the event's page."
            )
        elif not self.created:
            lines.append(
                f"  Invitation links for the moderator and panelists are issued on the event's page: "
                f"{link('events.event_overview', event_id=self.event_id)}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class DemoResult:
    event_slug: str
    created: bool
    organizer_email: str
    organizer_password: str | None = None
    rehearsal: RehearsalResult | None = None
    published: bool = False

    def describe(self, link: LinkBuilder) -> str:
        if not self.created:
            lines = [f"The demo event '{self.event_slug}' is already loaded; nothing changed."]
        elif self.published:
            lines = [
                f"Loaded the demo event '{self.event_slug}'. Its published record: "
                f"{link('archive.record', slug=self.event_slug)}"
            ]
        else:
            lines = [
                f"Loaded the demo event '{self.event_slug}'. Its public page: "
                f"{link('audience.event_page', slug=self.event_slug)}"
            ]
        if self.organizer_password:
            lines.append(
                f"Demo organizer: {self.organizer_email} with password {self.organizer_password} "
                "(change it with: flask --app app forum set-password EMAIL)"
            )
        if self.rehearsal is not None:
            lines.append(self.rehearsal.describe(link, self.organizer_email))
        return "\n".join(lines)


def read_seed(path: Path) -> dict[str, Any]:
    """Parse a seed file; a malformed file is reported with its line, not as a traceback."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise InvalidInput(f"The seed file {path.name} cannot be read: {error}") from None


def _demo_organizer(session: Session, spec: dict[str, Any]) -> tuple[Organizer, str | None]:
    email = accounts.normalise_email(spec["email"])
    organizer = session.scalar(select(Organizer).where(Organizer.email == email))
    if organizer is not None:
        return organizer, None
    password = secrets.token_urlsafe(12)
    organizer = accounts.register_organizer(
        session, email=email, display_name=spec["display_name"], password=password
    )
    return organizer, password


def _existing(session: Session, slug: str) -> Event | None:
    return session.scalar(select(Event).where(Event.slug == slug))


def _scheduled_event(
    session: Session,
    organizer: Organizer,
    seed: dict[str, Any],
    *,
    title: str,
    slug: str,
    summary: str | None,
    starts_at_local: datetime,
) -> tuple[Event, dict[str, Participant]]:
    """Create an event with the seed's host, panel, agenda and prepared answers, and schedule it."""
    event_spec, host_spec = seed["event"], seed["host"]
    event = events.create_event(
        session,
        organizer,
        events.EventDetails(
            title=title,
            slug=slug,
            summary=summary,
            starts_at_local=starts_at_local,
            timezone=event_spec["timezone"],
            language=event_spec["language"],
            venue=event_spec.get("venue"),
            online_url=event_spec.get("online_url"),
            host_name=host_spec["name"],
            host_website=host_spec.get("website"),
            host_about=host_spec.get("about"),
        ),
    )
    by_short_name: dict[str, Participant] = {}
    for person in seed.get("participants", []):
        participant = panel.add_participant(
            session,
            organizer,
            event.id,
            panel.ParticipantDetails(
                role=person["role"],
                display_name=person["display_name"],
                short_name=person.get("short_name"),
                affiliation=person.get("affiliation"),
            ),
        )
        by_short_name[participant.short_name] = participant
    for item in seed.get("questions", []):
        question = agenda.add_question(session, organizer, event.id, item["text"])
        for short_name, text in item.get("answers", {}).items():
            if short_name not in by_short_name:
                raise InvalidInput(f"The seed file gives an answer for unknown panelist {short_name!r}.")
            contributions.save_prepared_answer(session, by_short_name[short_name], question.id, text)
    events.change_status(session, organizer, event.id, EventStatus.SCHEDULED)
    return event, by_short_name


def _rehearsal_start(spec: dict[str, Any], timezone: str, now: datetime) -> datetime:
    """The wall-clock start: ``starts_in_days`` after today at the venue, at ``starts_at_time``."""
    try:
        zone = ZoneInfo(timezone)
        at = spec.get("starts_at_time", "14:00")
        at = at if isinstance(at, time) else time.fromisoformat(at)  # TOML has a time type of its own
        days = int(spec.get("starts_in_days", 1))
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise InvalidInput(
            "The seed file's [rehearsal] section needs starts_in_days as a whole number and "
            "starts_at_time as HH:MM, and [event] a time zone such as Asia/Seoul."
        ) from None
    return datetime.combine(now.astimezone(zone).date() + timedelta(days=days), at)


def _rehearsal_result(
    event: Event, *, created: bool, invited: tuple[InvitedPerson, ...] = ()
) -> RehearsalResult:
    return RehearsalResult(
        event_id=event.id,
        slug=event.slug,
        title=event.title,
        join_code=event.join_code,
        starts_at=event.starts_at,
        timezone=event.timezone,
        created=created,
        invited=invited,
    )


def _load_rehearsal(
    session: Session, organizer: Organizer, seed: dict[str, Any], now: datetime
) -> RehearsalResult:
    spec = seed["rehearsal"]
    slug = spec["slug"]
    existing = _existing(session, slug)
    if existing is not None:
        return _rehearsal_result(existing, created=False)
    event, by_short_name = _scheduled_event(
        session,
        organizer,
        seed,
        title=spec["title"],
        slug=slug,
        summary=spec.get("summary"),
        starts_at_local=_rehearsal_start(spec, seed["event"]["timezone"], now),
    )
    # The moderator's link opens the console without an account; the panelist's shows the panelist's side.
    people = [p for p in by_short_name.values() if p.role == ParticipantRole.MODERATOR][:1]
    panelist = spec.get("panelist_link")
    if panelist:
        if panelist not in by_short_name:
            raise InvalidInput(f"The seed file's rehearsal names unknown panelist {panelist!r}.")
        people.append(by_short_name[panelist])
    invited = tuple(
        InvitedPerson(
            display_name=person.display_name,
            role=person.role,
            token=invitations.issue_invitation(session, organizer, event.id, person.id)[1],
        )
        for person in people
    )
    return _rehearsal_result(event, created=True, invited=invited)


def find_rehearsal(session: Session, path: Path) -> RehearsalResult | None:
    """The seed file's rehearsal event if it is loaded already, without changing anything."""
    spec = read_seed(path).get("rehearsal")
    event = _existing(session, spec["slug"]) if isinstance(spec, dict) and spec.get("slug") else None
    return _rehearsal_result(event, created=False) if event is not None else None


REQUIRED_ENTRIES = (
    ("organizer", "email"),
    ("organizer", "display_name"),
    ("host", "name"),
    ("event", "title"),
    ("event", "slug"),
    ("event", "starts_at"),
    ("event", "timezone"),
    ("event", "language"),
)


def _check_entries(seed: dict[str, Any]) -> None:
    """Refuse a seed file that lacks an entry, naming it, before anything is written."""
    required = REQUIRED_ENTRIES + (
        (("rehearsal", "title"), ("rehearsal", "slug")) if "rehearsal" in seed else ()
    )
    for section, key in required:
        if not isinstance(seed.get(section), dict) or key not in seed[section]:
            raise InvalidInput(f"The seed file lacks the {key!r} entry of its [{section}] section.")


def load_demo(session: Session, path: Path, now: datetime | None = None) -> DemoResult:
    """Create the demo organizer and the events described in ``path``: the demo and its rehearsal."""
    seed = read_seed(path)
    _check_entries(seed)
    event_spec = seed["event"]
    slug = event_spec["slug"]
    demo_exists = _existing(session, slug) is not None
    rehearsal = seed.get("rehearsal")
    rehearsal_event = _existing(session, rehearsal["slug"]) if rehearsal else None
    if demo_exists and (rehearsal is None or rehearsal_event is not None):
        return DemoResult(
            event_slug=slug,
            created=False,
            organizer_email=accounts.normalise_email(seed["organizer"]["email"]),
            rehearsal=_rehearsal_result(rehearsal_event, created=False) if rehearsal_event else None,
        )

    organizer, password = _demo_organizer(session, seed["organizer"])
    published = False
    if not demo_exists:
        event, _ = _scheduled_event(
            session,
            organizer,
            seed,
            title=event_spec["title"],
            slug=slug,
            summary=event_spec.get("summary"),
            starts_at_local=_demo_start(event_spec["starts_at"]),
        )
        if seed.get("publish", {}).get("record"):
            publishing.publish(session, organizer, event.id)
            published = True
    return DemoResult(
        event_slug=slug,
        created=not demo_exists,
        organizer_email=organizer.email,
        organizer_password=password,
        published=published,
        rehearsal=_load_rehearsal(session, organizer, seed, now or utcnow()) if rehearsal else None,
    )


def _demo_start(value: str | datetime) -> datetime:
    if isinstance(value, datetime):  # an unquoted TOML date-time
        return value
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise InvalidInput(
            f"The seed file's starts_at {value!r} is not a date and time such as 2024-11-23T14:00."
        ) from None
