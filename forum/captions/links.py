"""An event's caption link: issued and revoked by its organizer, found by its token when a caption arrives.

Like invitation links, the token is random and only its hash is kept, so the database does not hold a working
link. An event has at most one working caption link: issuing a new one revokes the one before.
"""

from __future__ import annotations

import secrets

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.db import utcnow
from forum.errors import NotFound
from forum.events.events import owned_event
from forum.events.invitations import TOKEN_BYTES, hash_token
from forum.models import CaptionLink, CaptionSegment, Organizer


def active_link(session: Session, event_id: int) -> CaptionLink | None:
    """The event's working caption link, if it has one."""
    return session.scalar(
        select(CaptionLink).where(CaptionLink.event_id == event_id, CaptionLink.revoked_at.is_(None))
    )


def issue_link(session: Session, organizer: Organizer, event_id: int) -> tuple[CaptionLink, str]:
    """A new caption link for the organizer's event, revoking the one before; the link and its raw token
    (shown once: only its hash is kept)."""
    event = owned_event(session, organizer, event_id)
    now = utcnow()
    earlier = active_link(session, event.id)
    if earlier is not None:
        earlier.revoked_at = now
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = CaptionLink(event_id=event.id, token_hash=hash_token(token), created_at=now)
    session.add(link)
    session.flush()
    return link, token


def revoke_link(session: Session, organizer: Organizer, event_id: int) -> bool:
    """Stop the event's caption link from working; False if it had none."""
    event = owned_event(session, organizer, event_id)
    link = active_link(session, event.id)
    if link is None:
        return False
    link.revoked_at = utcnow()
    session.flush()
    return True


def link_for_token(session: Session, token: str) -> CaptionLink:
    """The working caption link a token opens; NotFound for a wrong or revoked one (the same answer, so a
    guess learns nothing)."""
    link = None
    if isinstance(token, str) and 0 < len(token) <= 100:
        link = session.scalar(select(CaptionLink).where(CaptionLink.token_hash == hash_token(token)))
    if link is None or link.revoked_at is not None:
        raise NotFound(
            _("This caption link does not exist or was revoked. Ask the organizer for the current one.")
        )
    return link


def segment_count(session: Session, event_id: int) -> int:
    """How many caption segments the event has received, over all its links."""
    return session.scalar(select(func.count()).where(CaptionSegment.event_id == event_id)) or 0
