"""Pieces every part of the live room shares: the state row, the session check, the transcript feed,
and the change that announces a contribution."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import outbox, protocol
from forum.errors import Conflict
from forum.models import Contribution, ContributionRevision, ContributionSource, Event, LiveState
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


def record_event_status(session: Session, event: Event) -> None:
    """Tell every open live page where the event now is (session times and the event's status), e.g. when
    the session starts or ends, or when its record is published or taken down."""
    state = live_state(session, event.id, lock=True)  # read what the number will stand for
    outbox.record(
        session,
        event.id,
        Change.SESSION,
        {**protocol.session_state(state), "event_status": event.status.value},
        public=True,
    )


def require_live(state: LiveState) -> None:
    """Refuse unless the session is running."""
    if state.started_at is None:
        raise Conflict(_("The session has not started yet."), code="not_live")
    if state.ended_at is not None:
        raise Conflict(_("The session has ended."), code="not_live")


def revision_counts(session: Session, contribution_ids: list[int]) -> dict[int, int]:
    """How many saved versions each contribution has."""
    if not contribution_ids:
        return {}
    rows = session.execute(
        select(ContributionRevision.contribution_id, func.max(ContributionRevision.number))
        .where(ContributionRevision.contribution_id.in_(contribution_ids))
        .group_by(ContributionRevision.contribution_id)
    ).all()
    return dict(rows)


def contributions_payload(session: Session, items: list[Contribution]) -> list[dict[str, Any]]:
    """Serialize contributions with their revision numbers, in one query for the revisions."""
    counts = revision_counts(session, [c.id for c in items])
    return [protocol.contribution(c, counts.get(c.id, 1)) for c in items]


def feed_items(session: Session, event_id: int) -> list[dict[str, Any]]:
    """Everything said in the session, in the order it was captured (minus what review left out)."""
    items = session.scalars(
        select(Contribution)
        .where(
            Contribution.event_id == event_id,
            Contribution.source == ContributionSource.LIVE,
            Contribution.hidden.is_(False),
            Contribution.merged_into_id.is_(None),
        )
        .order_by(Contribution.created_at, Contribution.id)
    ).all()
    return contributions_payload(session, list(items))


def record_contribution(session: Session, contribution: Contribution) -> None:
    """Announce a new or corrected live contribution: always to staff, to the audience if the feed is on."""
    payload = contributions_payload(session, [contribution])[0]
    state = live_state(session, contribution.event_id)
    public = state.feed_enabled and contribution.source == ContributionSource.LIVE
    outbox.record(session, contribution.event_id, Change.CONTRIBUTION, payload, public=public)
