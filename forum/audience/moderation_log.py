"""The moderation log: who did what to audience content, and when."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.events.events import owned_event
from forum.models import ModerationEntry, Organizer


def log_action(
    session: Session,
    event_id: int,
    actor: str,
    action: str,
    target: str | None = None,
    detail: str | None = None,
) -> None:
    """Append one line to the event's moderation log."""
    session.add(
        ModerationEntry(event_id=event_id, actor=actor[:160], action=action, target=target, detail=detail)
    )


def entries(session: Session, organizer: Organizer, event_id: int, limit: int = 500) -> list[ModerationEntry]:
    """The newest log lines of an event; only its organizer may read them."""
    owned_event(session, organizer, event_id)
    return list(
        session.scalars(
            select(ModerationEntry)
            .where(ModerationEntry.event_id == event_id)
            .order_by(ModerationEntry.created_at.desc(), ModerationEntry.id.desc())
            .limit(limit)
        )
    )
