"""Letting someone into a live room: finding the event by slug or join code, working out who is joining
(invitation, owner or audience), and checking an invited person again on every action."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from forum import rate_limits
from forum.access import Actor, audience_actor, organizer_actor, participant_actor
from forum.db import read_columns
from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.events import invitations
from forum.fields import is_slug
from forum.limits import JOIN_CODE_MAX
from forum.models import Event, EventStatus, Invitation, Organizer, Participant, event_visible

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


def event_for_code(session: Session, code: str, network_key: str | None) -> Event | None:
    """The public event a join code names, or None. Wrong codes count against the caller's network (the
    "join" limit), and once too many were tried every attempt from there waits, so codes cannot be guessed
    one after another; right ones never count, because a whole room may join from one address."""
    if not code.strip():
        return None
    rate_limits.ensure_room("join", network_key)
    event = event_by_slug_or_code(session, code=code)
    if event is None or not event.visible_to():
        rate_limits.enforce("join", network_key)
        return None
    return event


@dataclass(frozen=True)
class Room:
    """What admitting a connection needs of its event, read without building an ORM ``Event`` (with its
    host joined): a crowd connecting at once pays for one small row each."""

    id: int
    organizer_id: int
    status: EventStatus


# Built once: a thousand phones connecting compile nothing and construct no statement.
_ROOM_BY_SLUG = select(Event.id, Event.organizer_id, Event.status).where(Event.slug == bindparam("slug"))


def _open_room(session: Session, slug: str | None, viewer: Organizer | None) -> Room:
    found = read_columns(session, _ROOM_BY_SLUG, {"slug": slug}).first() if slug and is_slug(slug) else None
    room = Room(*found) if found is not None else None
    if room is None or not event_visible(room.status, room.organizer_id, viewer.id if viewer else None):
        raise NotFound(_("There is no live room for this event."))
    return room


def resolve_actor(
    session: Session,
    *,
    slug: str | None,
    invite_token: str | None,
    organizer: Organizer | None,
    audience_token_hash: str | None = None,
    audience_token_malformed: bool = False,
    network_key: str | None = None,
) -> Actor:
    """Work out who is joining which event's live room.

    An invitation token wins (it names the event itself, and invited people may enter even a draft's
    room); then the event's owner; then anyone else as audience. Others cannot see a draft's room.
    An audience connection that presents a malformed or unsigned identity token is refused at once, rather
    than when it first tries to take part; one that presents none may still follow the room.
    """
    if invite_token:
        invitation = invitations.invitation_for_token(session, invite_token)
        person = invitation.participant
        if slug and session.scalar(select(Event.slug).where(Event.id == person.event_id)) != slug:
            raise PermissionDenied(_("This invitation belongs to another event."))
        return participant_actor(person, invitation.id)
    event = _open_room(session, slug, organizer)
    if organizer is not None and organizer.id == event.organizer_id:
        return organizer_actor(organizer, event)
    if audience_token_malformed:
        raise InvalidInput(
            _("Your audience identity is not valid. Open the event page again to get a new one."),
            code="invalid_identity",
            fields={
                "audience": "Not an identity this server issued; get one from POST /api/audience-identity."
            },
        )
    return audience_actor(event, audience_token_hash, network_key)


def confirm(session: Session, actor: Actor) -> None:
    """Refuse an open connection whose invitation was withdrawn, or whose person left or changed role, or
    whose organizer signed out (or changed their password) since it was opened."""
    if actor.organizer_session is not None:
        current = session.scalar(select(Organizer.session_version).where(Organizer.id == actor.organizer_id))
        if current != actor.organizer_session:
            raise PermissionDenied(
                _("You signed out, or your password changed, since this page was opened. Sign in again."),
                code="signed_out",
            )
        return
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
