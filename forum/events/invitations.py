"""Personal invitation links for participants who have no account.

The link carries a random token; the database keeps only its SHA-256 hash, so a leaked database
does not leak working links. Issuing a new link revokes the previous one.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from forum import outbox
from forum.db import utcnow
from forum.errors import NotFound
from forum.events.events import owned_event
from forum.events.panel import owned_participant
from forum.models import Invitation, Organizer, Participant
from forum.protocol import participant_room

TOKEN_BYTES = 32


def hash_token(token: str) -> str:
    """The stored form of a token. Tokens are 256 random bits, so a fast hash is enough."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def active_invitations(session: Session, event_id: int) -> dict[int, Invitation]:
    """Each participant's working invitation in an event, in one query (participant id -> invitation)."""
    rows = session.scalars(
        select(Invitation)
        .join(Participant, Participant.id == Invitation.participant_id)
        .where(Participant.event_id == event_id, Invitation.revoked_at.is_(None))
        .order_by(Invitation.id)
    )
    return {row.participant_id: row for row in rows}


def _replace_link(session: Session, participant: Participant, now: datetime) -> tuple[Invitation, str]:
    # Revoke whatever link the person holds and close the screens opened with it, then add a fresh one.
    for invitation in session.scalars(
        select(Invitation).where(Invitation.participant_id == participant.id, Invitation.revoked_at.is_(None))
    ):
        invitation.revoked_at = now
    outbox.evict(session, participant_room(participant.id))
    token = secrets.token_urlsafe(TOKEN_BYTES)
    invitation = Invitation(participant_id=participant.id, token_hash=hash_token(token), created_at=now)
    session.add(invitation)
    return invitation, token


def issue_invitation(
    session: Session, organizer: Organizer, event_id: int, participant_id: int
) -> tuple[Invitation, str]:
    """Create a new link for a participant, revoking any earlier one; returns the invitation and raw token."""
    participant = owned_participant(session, organizer, event_id, participant_id)
    invitation, token = _replace_link(session, participant, utcnow())
    session.flush()
    return invitation, token


@dataclass(frozen=True)
class PanelLinks:
    """The outcome of issuing links for a whole panel: the new links, and who kept the link they had."""

    issued: list[tuple[Participant, str]]  # (person, raw token), in panel order
    kept: list[Participant]  # people whose working link was left alone (it cannot be shown again)


def issue_panel_invitations(
    session: Session, organizer: Organizer, event_id: int, *, renew: bool = False
) -> PanelLinks:
    """Issue a link for everyone on the panel who has no working one; with ``renew``, replace every link.

    Renewing revokes the old links (and closes screens opened with them). Another organizer's event is
    NotFound. Everything happens in the caller's unit of work, so either all links are issued or none.
    """
    event = owned_event(session, organizer, event_id, with_panel=True)
    active = active_invitations(session, event.id)
    now = utcnow()
    issued: list[tuple[Participant, str]] = []
    kept: list[Participant] = []
    for participant in event.participants:
        if participant.id in active and not renew:
            kept.append(participant)
            continue
        _invitation, token = _replace_link(session, participant, now)
        issued.append((participant, token))
    session.flush()
    return PanelLinks(issued=issued, kept=kept)


def revoke_invitation(session: Session, organizer: Organizer, event_id: int, participant_id: int) -> int:
    """Stop the participant's link from working; returns how many links were revoked."""
    participant = owned_participant(session, organizer, event_id, participant_id)
    revoked = 0
    for invitation in session.scalars(
        select(Invitation).where(Invitation.participant_id == participant.id, Invitation.revoked_at.is_(None))
    ):
        invitation.revoked_at = utcnow()
        revoked += 1
    session.flush()
    outbox.evict(session, participant_room(participant.id))
    return revoked


def invitation_for_token(session: Session, token: str) -> Invitation:
    """The working invitation behind a link (its participant loaded); unknown and revoked links: NotFound."""
    if not token or len(token) > 200:
        raise NotFound(_("This invitation link is not valid. Ask the organizer for a new one."))
    invitation = session.scalar(
        select(Invitation)
        .options(joinedload(Invitation.participant).joinedload(Participant.event))
        .where(Invitation.token_hash == hash_token(token))
    )
    if invitation is None or invitation.revoked_at is not None:
        raise NotFound(
            _("This invitation link is not valid or has been withdrawn. Ask the organizer for a new one.")
        )
    invitation.last_used_at = utcnow()
    return invitation


def participant_for_token(session: Session, token: str) -> Participant:
    """The participant a link belongs to; unknown and revoked links get the same NotFound."""
    return invitation_for_token(session, token).participant
