"""Who is acting in a live room, and what each role may do there.

Organizers are recognised by their sign-in, invited moderators, scribes and panelists by their
invitation token, and everyone else is audience: no account and no personal data.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.limits import JOIN_CODE_MAX
from forum.live.protocol import Stream
from forum.models import Event, Invitation, Organizer, Participant
from forum.services import invitations
from forum.services.fields import is_slug


class Capability(enum.StrEnum):
    MODERATE = "moderate"  # run the session and moderate the audience
    CAPTURE = "capture"  # record and correct contributions
    ANSWER = "answer"  # write one's own answer (panelists)
    PARTICIPATE = "participate"  # ask, vote, report, answer polls (the audience)


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    "organizer": frozenset({Capability.MODERATE, Capability.CAPTURE}),
    "moderator": frozenset({Capability.MODERATE, Capability.CAPTURE}),
    "scribe": frozenset({Capability.CAPTURE}),
    "panelist": frozenset({Capability.ANSWER}),
    "audience": frozenset({Capability.PARTICIPATE}),
}

_REFUSALS = {
    Capability.MODERATE: _l("Only the moderator or the organizer can do that."),
    Capability.CAPTURE: _l("Only a scribe, the moderator or the organizer can record contributions."),
    Capability.ANSWER: _l("Only panelists can write answers."),
    Capability.PARTICIPATE: _l("Asking, voting and reporting are for the audience."),
}


@dataclass(frozen=True)
class LiveActor:
    """The identity behind one live connection or one live HTTP action."""

    event_id: int
    role: str
    participant_id: int | None = None
    organizer_id: int | None = None
    label: str = "audience"
    invitation_id: int | None = None  # the link an invited person joined with, checked again on every action
    audience_token_hash: str | None = None  # the browser's identity, hashed (audience only)
    network_key: str | None = None  # keyed, daily-rotated hash of the address, for rate limits only

    @property
    def stream(self) -> Stream:
        if Capability.MODERATE in self.capabilities:
            return Stream.STAFF
        return Stream.CREW if Capability.CAPTURE in self.capabilities else Stream.PUBLIC

    @property
    def capabilities(self) -> frozenset[Capability]:
        return ROLE_CAPABILITIES[self.role]

    def require(self, capability: Capability) -> None:
        """Refuse with a clear message unless this actor's role carries ``capability``."""
        if capability not in self.capabilities:
            raise PermissionDenied(str(_REFUSALS[capability]))


def _open_event(event: Event | None, viewer: Organizer | None) -> Event:
    if event is None or not event.visible_to(viewer.id if viewer is not None else None):
        raise NotFound(_("There is no live room for this event."))
    return event


_CODE_SEPARATORS = str.maketrans("-\u2010\u2011\u2013\u2014", "     ")


def event_by_slug_or_code(
    session: Session, *, slug: str | None = None, code: str | None = None
) -> Event | None:
    """Find an event by its slug or by its audience join code (case, spaces and hyphens ignored)."""
    if slug:
        return session.scalar(select(Event).where(Event.slug == slug)) if is_slug(slug) else None
    if code:
        # Codes never contain hyphens; people and phone keyboards add them when grouping ("K7M-2QX").
        normalised = "".join(code.translate(_CODE_SEPARATORS).split()).upper()
        if not normalised.isalnum() or len(normalised) > JOIN_CODE_MAX:
            return None
        return session.scalar(select(Event).where(func.upper(Event.join_code) == normalised))
    return None


def organizer_actor(organizer: Organizer, event: Event) -> LiveActor:
    return LiveActor(
        event_id=event.id, role="organizer", organizer_id=organizer.id, label=organizer.display_name
    )


def participant_actor(person: Participant, invitation_id: int | None = None) -> LiveActor:
    return LiveActor(
        event_id=person.event_id,
        role=person.role.value,
        participant_id=person.id,
        invitation_id=invitation_id,
        label=f"{person.display_name} ({person.role.value})",
    )


def resolve_actor(
    session: Session,
    *,
    slug: str | None,
    invite_token: str | None,
    organizer: Organizer | None,
    audience_token_hash: str | None = None,
    audience_token_malformed: bool = False,
    network_key: str | None = None,
) -> LiveActor:
    """Work out who is joining which event's live room.

    An invitation token wins (it names the event itself, and invited people may enter even a draft's
    room); then the event's owner; then anyone else as audience. Others cannot see a draft's room.
    An audience connection that presents a malformed identity token is refused at once, rather than
    when it first tries to take part; one that presents none may still follow the room.
    """
    if invite_token:
        invitation = invitations.invitation_for_token(session, invite_token)
        person = invitation.participant
        if slug and session.scalar(select(Event.slug).where(Event.id == person.event_id)) != slug:
            raise PermissionDenied(_("This invitation belongs to another event."))
        return participant_actor(person, invitation.id)
    event = _open_event(event_by_slug_or_code(session, slug=slug), organizer)
    if organizer is not None and organizer.id == event.organizer_id:
        return organizer_actor(organizer, event)
    if audience_token_malformed:
        raise InvalidInput(
            _("Your audience identity is not valid. Open the event page again to get a new one."),
            code="invalid_identity",
            fields={"audience": "Use 22 to 128 letters, digits, '-' or '_'."},
        )
    return audience_actor(event, audience_token_hash, network_key)


def audience_actor(event: Event, audience_token_hash: str | None, network_key: str | None) -> LiveActor:
    return LiveActor(
        event_id=event.id, role="audience", audience_token_hash=audience_token_hash, network_key=network_key
    )


def confirm(session: Session, actor: LiveActor) -> None:
    """Refuse an open connection whose invitation was withdrawn, or whose person left or changed role."""
    if actor.invitation_id is None:
        return
    invitation = session.get(Invitation, actor.invitation_id)
    person = session.get(Participant, actor.participant_id) if actor.participant_id else None
    if (
        invitation is None
        or invitation.revoked_at is not None
        or person is None
        or person.role.value != actor.role
    ):
        raise PermissionDenied(
            _("Your invitation link was withdrawn or your role changed. Ask the organizer for a new link."),
            code="access_revoked",
        )
