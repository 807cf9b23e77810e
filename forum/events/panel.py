"""The panel of an event: moderator, panelists and scribes, in the order they are introduced."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import outbox, protocol
from forum.db import get_in_event
from forum.errors import Conflict, InvalidInput
from forum.events.events import owned_event
from forum.fields import clean_text
from forum.limits import PARTICIPANT_AFFILIATION_MAX, PARTICIPANT_NAME_MAX, PARTICIPANT_SHORT_NAME_MAX
from forum.models import Contribution, Organizer, Participant, ParticipantRole
from forum.protocol import Change, participant_room


@dataclass(frozen=True)
class ParticipantDetails:
    """What an organizer types about a person on the panel."""

    role: str
    display_name: str
    short_name: str | None = None
    affiliation: str | None = None


def _clean(details: ParticipantDetails) -> tuple[ParticipantRole, str, str, str | None]:
    try:
        role = ParticipantRole(details.role)
    except ValueError:
        message = _("Choose moderator, panelist or scribe.")
        raise InvalidInput(message, fields={"role": message}) from None
    name = (
        clean_text(
            details.display_name, field="display_name", label=_("Name"), max_length=PARTICIPANT_NAME_MAX
        )
        or ""
    )
    short = clean_text(
        details.short_name,
        field="short_name",
        label=_("Short name"),
        max_length=PARTICIPANT_SHORT_NAME_MAX,
        required=False,
    )
    if short is None:
        short = name[:PARTICIPANT_SHORT_NAME_MAX].rstrip()
    affiliation = clean_text(
        details.affiliation,
        field="affiliation",
        label=_("Affiliation"),
        max_length=PARTICIPANT_AFFILIATION_MAX,
        required=False,
    )
    return role, name, short, affiliation


def announce_panel(session: Session, event_id: int) -> None:
    """Tell every screen of the event who is on the panel now."""
    people = session.scalars(
        select(Participant)
        .where(Participant.event_id == event_id)
        .order_by(Participant.role, Participant.position, Participant.id)
    )
    outbox.announce(
        session, event_id, Change.PANEL, {"panel": [protocol.participant(p) for p in people]}, public=True
    )


def _same_role(session: Session, event_id: int, role: ParticipantRole) -> list[Participant]:
    return list(
        session.scalars(
            select(Participant)
            .where(Participant.event_id == event_id, Participant.role == role)
            .order_by(Participant.position, Participant.id)
        )
    )


def _check_short_name_free(session: Session, event_id: int, short: str, exclude_id: int | None) -> None:
    # Short names label answers in the record ("Kimmy's answers"), so they must tell people apart.
    others = session.scalars(select(Participant).where(Participant.event_id == event_id))
    for other in others:
        if other.id != exclude_id and other.short_name.casefold() == short.casefold():
            message = _(
                "“%(short)s” is already the short name of %(name)s; pick another.",
                short=short,
                name=other.display_name,
            )
            raise Conflict(message, fields={"short_name": message})


def owned_participant(
    session: Session, organizer: Organizer, event_id: int, participant_id: int
) -> Participant:
    """Return a participant of an event the organizer owns; NotFound otherwise."""
    owned_event(session, organizer, event_id)
    participant = get_in_event(
        session, Participant, participant_id, event_id, _("That person is not on this event's panel.")
    )
    return participant


def add_participant(
    session: Session, organizer: Organizer, event_id: int, details: ParticipantDetails
) -> Participant:
    """Add a person to the event's panel, after the others of the same role."""
    owned_event(session, organizer, event_id)
    role, name, short, affiliation = _clean(details)
    _check_short_name_free(session, event_id, short, None)
    position = len(_same_role(session, event_id, role)) + 1
    participant = Participant(
        event_id=event_id,
        role=role,
        display_name=name,
        short_name=short,
        affiliation=affiliation,
        position=position,
    )
    session.add(participant)
    session.flush()
    announce_panel(session, event_id)
    return participant


def update_participant(
    session: Session, organizer: Organizer, event_id: int, participant_id: int, details: ParticipantDetails
) -> Participant:
    """Change a participant's name, affiliation or role."""
    participant = owned_participant(session, organizer, event_id, participant_id)
    role, name, short, affiliation = _clean(details)
    _check_short_name_free(session, event_id, short, participant.id)
    if role != participant.role:
        outbox.evict(session, participant_room(participant.id))  # their open screens were for the old role
        old_role = participant.role
        participant.role = role
        participant.position = len(_same_role(session, event_id, role)) + 1
        session.flush()
        _renumber(session, event_id, old_role)
    participant.display_name = name
    participant.short_name = short
    participant.affiliation = affiliation
    session.flush()
    announce_panel(session, event_id)
    return participant


def _renumber(session: Session, event_id: int, role: ParticipantRole) -> None:
    for index, person in enumerate(_same_role(session, event_id, role), start=1):
        person.position = index


def remove_participant(session: Session, organizer: Organizer, event_id: int, participant_id: int) -> None:
    """Take someone off the panel; refused once anything they said or wrote is on record."""
    participant = owned_participant(session, organizer, event_id, participant_id)
    said = session.scalar(
        select(func.count()).select_from(Contribution).where(Contribution.participant_id == participant.id)
    )
    if said:
        raise Conflict(
            ngettext(
                "%(name)s has %(num)s recorded contribution. "
                "Remove it from the record first, so nothing is left without a speaker.",
                "%(name)s has %(num)s recorded contributions. "
                "Remove those from the record first, so nothing is left without a speaker.",
                said,
                name=participant.display_name,
            )
        )
    role = participant.role
    outbox.evict(session, participant_room(participant.id))
    session.delete(participant)
    session.flush()
    _renumber(session, event_id, role)
    session.flush()
    announce_panel(session, event_id)


def move_participant(
    session: Session, organizer: Organizer, event_id: int, participant_id: int, offset: int
) -> Participant:
    """Move a participant up (negative offset) or down among people of the same role."""
    participant = owned_participant(session, organizer, event_id, participant_id)
    people = _same_role(session, event_id, participant.role)
    index = people.index(participant)
    target = max(0, min(len(people) - 1, index + offset))
    people.insert(target, people.pop(index))
    for position, person in enumerate(people, start=1):
        person.position = position
    session.flush()
    announce_panel(session, event_id)
    return participant
