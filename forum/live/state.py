"""The live room's state row (current question, session times, feed switch, stream counters), the check that
the session is running, and the change that tells every open page where the session and the event stand."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import outbox, protocol
from forum.errors import Conflict
from forum.models import Event, EventStatus, LiveState, TranscriptVersion
from forum.protocol import Change


def live_state(session: Session, event_id: int, *, lock: bool = False) -> LiveState:
    """The event's live-state row (created if missing); ``lock`` serialises concurrent moderators."""
    query = select(LiveState).where(LiveState.event_id == event_id)
    if lock:
        query = query.with_for_update()
    state = session.scalar(query)
    if state is None:
        state = LiveState(event_id=event_id)
        session.add(state)
        session.flush()
    return state


def live_state_for_reading(session: Session, event_id: int) -> LiveState:
    """The event's live-state row, or, for an event that has none yet, the state a new row would start
    with, without writing one: reading the room (a connection, a page) never writes."""
    state = session.scalar(select(LiveState).where(LiveState.event_id == event_id))
    if state is None:
        state = LiveState(
            event_id=event_id,
            feed_enabled=True,
            projector_keep=False,
            captions_public=True,
            captions_on_projector=False,
            public_seq=0,
            staff_seq=0,
            crew_seq=0,
        )
    return state


def announce_event_status(session: Session, event: Event) -> None:
    """Tell every open live page where the event now is (session times and the event's status), e.g. when
    the session starts or ends, or when its record is published or taken down."""
    state = live_state(session, event.id, lock=True)  # read what the number will stand for
    outbox.announce(
        session,
        event.id,
        Change.SESSION,
        {**protocol.session_state(state), "event_status": event.status.value},
        public=True,
    )


def record_withdrawn(session: Session, event: Event) -> bool:
    """Whether the organizer took a published record off the archive (it has versions but is no longer
    published). Unpublished means not public anywhere: the audience's transcript feed stays off too."""
    if event.status == EventStatus.PUBLISHED:
        return False
    return (
        session.scalar(select(TranscriptVersion.id).where(TranscriptVersion.event_id == event.id).limit(1))
        is not None
    )


def require_live(state: LiveState) -> None:
    """Refuse unless the session is running."""
    if state.started_at is None:
        raise Conflict(_("The session has not started yet."), code="not_live")
    if state.ended_at is not None:
        raise Conflict(_("The session has ended."), code="not_live")
