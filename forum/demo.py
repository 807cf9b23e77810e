"""Load the demo panel from a TOML file in ``seeds/`` through the ordinary services.

Going through the services means the demo obeys the same rules as an event typed in by hand.
Loading is idempotent: when an event with the demo's slug exists, nothing is changed.
"""

from __future__ import annotations

import secrets
import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.errors import InvalidInput
from forum.models import Event, EventStatus, Organizer
from forum.services import accounts, agenda, contributions, events, panel, publishing


@dataclass(frozen=True)
class DemoResult:
    event_slug: str
    created: bool
    organizer_email: str
    organizer_password: str | None = None

    def describe(self) -> str:
        if not self.created:
            return f"The demo event '{self.event_slug}' is already loaded; nothing changed."
        lines = [f"Loaded the demo event '{self.event_slug}'; its record is at /archive/{self.event_slug}."]
        if self.organizer_password:
            lines.append(
                f"Demo organizer: {self.organizer_email} with password {self.organizer_password} "
                "(change it with: flask --app app forum set-password EMAIL)"
            )
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


def load_demo(session: Session, path: Path) -> DemoResult:
    """Create the demo organizer, event, panel, agenda and answers described in ``path``."""
    seed = read_seed(path)
    try:
        event_spec, host_spec = seed["event"], seed["host"]
        slug = event_spec["slug"]
    except KeyError as missing:
        raise InvalidInput(f"The seed file lacks the {missing} entry.") from None
    organizer_email = seed["organizer"]["email"]
    if session.scalar(select(Event.id).where(Event.slug == slug)) is not None:
        return DemoResult(event_slug=slug, created=False, organizer_email=organizer_email)

    organizer, password = _demo_organizer(session, seed["organizer"])
    event = events.create_event(
        session,
        organizer,
        events.EventDetails(
            title=event_spec["title"],
            slug=slug,
            summary=event_spec.get("summary"),
            starts_at_local=datetime.fromisoformat(event_spec["starts_at"]),
            timezone=event_spec["timezone"],
            language=event_spec["language"],
            venue=event_spec.get("venue"),
            online_url=event_spec.get("online_url"),
            host_name=host_spec["name"],
            host_website=host_spec.get("website"),
            host_about=host_spec.get("about"),
        ),
    )
    by_short_name = {}
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
    if seed.get("publish", {}).get("record"):
        publishing.publish(session, organizer, event.id)
    return DemoResult(
        event_slug=slug, created=True, organizer_email=organizer.email, organizer_password=password
    )
