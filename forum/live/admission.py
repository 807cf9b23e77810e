"""Letting someone into a live room: finding the event by slug or join code, working out who is joining
(invitation, owner or audience), and checking an invited person again on every action."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from forum import rate_limits
from forum.access import Actor, Role, audience_actor, organizer_actor, participant_actor
from forum.audience.identity import MemberRef
from forum.db import read_columns
from forum.errors import InvalidInput, NotFound, PermissionDenied
from forum.events import invitations
from forum.fields import is_slug
from forum.limits import JOIN_CODE_MAX
from forum.models import (
    AudienceMember,
    Event,
    EventStatus,
    Invitation,
    LiveState,
    Organizer,
    Participant,
    event_visible,
)
from forum.outbox import SEQ_COLUMNS

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


class KnownRooms:
    """The room each slug named when this process last read it, so that a crowd joining one event reads
    its row once rather than once per phone.

    A kept room is only a guess: the transaction that reads the connection's snapshot reads the row again
    (``confirm_room``, in the statement that reads the stream's number anyway), and a connection let in on
    a room that has since moved to another slug, gone back to draft or been deleted is taken out and let in
    again on a fresh read. A kept room never refuses anyone: whoever it would refuse (a draft's room, say,
    scheduled since) is looked up afresh. Only rooms that exist are kept, so made-up slugs cannot fill it.
    """

    def __init__(self, limit: int = 4096) -> None:
        self._by_slug: dict[str, Room] = {}
        self._limit = limit
        self._lock = threading.Lock()

    def get(self, slug: str) -> Room | None:
        return self._by_slug.get(slug)

    def keep(self, slug: str, room: Room) -> None:
        with self._lock:
            if slug not in self._by_slug and len(self._by_slug) >= self._limit:
                self._by_slug.pop(next(iter(self._by_slug)))  # the longest kept
            self._by_slug[slug] = room

    def forget(self, slug: str) -> None:
        with self._lock:
            self._by_slug.pop(slug, None)


def _visible_to(room: Room, viewer: Organizer | None) -> bool:
    return event_visible(room.status, room.organizer_id, viewer.id if viewer else None)


def _open_room(
    session: Session, slug: str | None, viewer: Organizer | None, known: KnownRooms | None
) -> Room:
    found = read_columns(session, _ROOM_BY_SLUG, {"slug": slug}).first() if slug and is_slug(slug) else None
    if found is None or slug is None:
        raise NotFound(_("There is no live room for this event."))
    room = Room(*found)
    if known is not None:
        known.keep(slug, room)
    if not _visible_to(room, viewer):
        raise NotFound(_("There is no live room for this event."))
    return room


class StaleRoom(NotFound):
    """The room a connection was let into no longer goes by its slug, or may no longer be seen."""


# Built once per stream: the row a connection was admitted on, with the stream's number; for the audience,
# with the member behind the connection's identity too (none until they first take part).
_ROOM_AND_SEQ = {
    stream: select(Event.slug, Event.organizer_id, Event.status, column.label("seq"))
    .outerjoin(LiveState, LiveState.event_id == Event.id)
    .where(Event.id == bindparam("event_id"))
    for stream, column in SEQ_COLUMNS.items()
}
_ROOM_SEQ_AND_MEMBER = (
    select(
        Event.slug,
        Event.organizer_id,
        Event.status,
        LiveState.public_seq.label("seq"),
        AudienceMember.id.label("member_id"),
        AudienceMember.blocked_at,
    )
    .outerjoin(LiveState, LiveState.event_id == Event.id)
    .outerjoin(
        AudienceMember,
        and_(AudienceMember.event_id == Event.id, AudienceMember.token_hash == bindparam("token_hash")),
    )
    .where(Event.id == bindparam("event_id"))
)


@dataclass(frozen=True)
class Confirmed:
    """What the read that confirmed a room found besides: the stream's number and, when ``member_read``, the
    audience member behind the connection (None: not one yet)."""

    seq: int
    member_read: bool = False
    member: MemberRef | None = None


def admitted_by_slug(actor: Actor) -> bool:
    """Whether ``actor`` came in by an event's slug (audience, owner), whose room ``confirm_room`` checks."""
    return actor.participant_id is None and actor.role in {Role.AUDIENCE, Role.ORGANIZER}


def confirm_room(
    connection: Connection, actor: Actor, slug: str | None, viewer: Organizer | None
) -> Confirmed:
    """Check, on a fresh read, that the event an audience or owner connection was let into by ``slug``
    still goes by it and still admits it the same way; ``StaleRoom`` otherwise. The same statement reads
    the stream's number and the audience member."""
    with_member = actor.role == Role.AUDIENCE and actor.audience_token_hash is not None
    if with_member:
        params = {"event_id": actor.event_id, "token_hash": actor.audience_token_hash}
        row = connection.execute(_ROOM_SEQ_AND_MEMBER, params).first()
    else:
        row = connection.execute(_ROOM_AND_SEQ[actor.stream], {"event_id": actor.event_id}).first()
    viewer_id = viewer.id if viewer else None
    if (
        row is None
        or row.slug != slug
        or not event_visible(row.status, row.organizer_id, viewer_id)
        or (viewer_id == row.organizer_id) != (actor.role == Role.ORGANIZER)
    ):
        raise StaleRoom(_("There is no live room for this event."))
    if not with_member:
        return Confirmed(row.seq or 0)
    member = MemberRef(row.member_id, row.blocked_at) if row.member_id is not None else None
    return Confirmed(row.seq or 0, True, member)


def resolve_actor(
    session: Session,
    *,
    slug: str | None,
    invite_token: str | None,
    organizer: Organizer | None,
    audience_token_hash: str | None = None,
    audience_token_malformed: bool = False,
    network_key: str | None = None,
    known: KnownRooms | None = None,
) -> Actor:
    """Work out who is joining which event's live room.

    An invitation token wins (it names the event itself, and invited people may enter even a draft's
    room); then the event's owner; then anyone else as audience. Others cannot see a draft's room.
    An audience connection that presents a malformed or unsigned identity token is refused at once, rather
    than when it first tries to take part; one that presents none may still follow the room.
    With ``known``, the room read is kept there for ``known_actor``.
    """
    if invite_token:
        invitation = invitations.invitation_for_token(session, invite_token)
        person = invitation.participant
        if slug and session.scalar(select(Event.slug).where(Event.id == person.event_id)) != slug:
            raise PermissionDenied(_("This invitation belongs to another event."))
        return participant_actor(person, invitation.id)
    event = _open_room(session, slug, organizer, known)
    return _actor_in(event, organizer, audience_token_hash, audience_token_malformed, network_key)


def known_actor(
    known: KnownRooms,
    *,
    slug: str | None,
    organizer: Organizer | None,
    audience_token_hash: str | None,
    audience_token_malformed: bool,
    network_key: str | None,
) -> Actor | None:
    """``resolve_actor`` without reading, for an audience or owner connection to a room this process keeps:
    ``confirm_room`` must then check the room. None when the room is not kept, or when this connection
    might be refused (a refusal is only ever made on a fresh read): ask ``resolve_actor``."""
    room = known.get(slug) if slug and not audience_token_malformed else None
    if room is None or not _visible_to(room, organizer):
        return None
    return _actor_in(room, organizer, audience_token_hash, audience_token_malformed, network_key)


def _actor_in(
    event: Room,
    organizer: Organizer | None,
    audience_token_hash: str | None,
    audience_token_malformed: bool,
    network_key: str | None,
) -> Actor:
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
