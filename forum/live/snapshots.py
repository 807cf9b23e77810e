"""The full state of a live room as one connection may see it (the ``snapshot``)."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import protocol
from forum.access import Actor, Role
from forum.audience import payloads
from forum.db import utcnow
from forum.errors import NotFound
from forum.events.agenda import ordered_questions
from forum.live.capture import contributions_payload, feed_items
from forum.live.floor import floor_payload
from forum.live.state import live_state
from forum.models import (
    Contribution,
    ContributionKind,
    ContributionSource,
    Event,
    LiveState,
    Participant,
)
from forum.outbox import SEQ_COLUMNS
from forum.protocol import Stream


def current_seq(session: Session, event_id: int, stream: Stream) -> int:
    return session.scalar(select(SEQ_COLUMNS[stream]).where(LiveState.event_id == event_id)) or 0


def written_answers(session: Session, event_id: int) -> list[dict[str, Any]]:
    items = session.scalars(
        select(Contribution)
        .where(
            Contribution.event_id == event_id,
            Contribution.kind == ContributionKind.ANSWER,
            Contribution.source == ContributionSource.PREPARED,
        )
        .order_by(Contribution.question_id, Contribution.participant_id)
    ).all()
    return contributions_payload(session, list(items))


def snapshot(session: Session, actor: Actor) -> dict[str, Any]:
    """Everything the actor's screen shows, with the sequence number it is current as of.

    The sequence number is read *first*: a change committed while the rest is being read then
    arrives again as a delta with a higher number, and re-applying a delta is harmless.
    """
    stream = actor.stream
    seq = current_seq(session, actor.event_id, stream)
    event = session.get(Event, actor.event_id)
    if event is None:
        raise NotFound(_("This event no longer exists."))
    state = live_state(session, event.id)
    panel = session.scalars(
        select(Participant)
        .where(Participant.event_id == event.id)
        .order_by(Participant.role, Participant.position, Participant.id)
    ).all()
    show_feed = stream != Stream.PUBLIC or state.feed_enabled
    data: dict[str, Any] = {
        "protocol": protocol.PROTOCOL_VERSION,
        "stream": stream.value,
        "seq": seq,
        "server_time": protocol.timestamp(utcnow()),
        "you": {
            "role": actor.role,
            "participant_id": actor.participant_id,
            "capabilities": sorted(c.value for c in actor.capabilities),
        },
        "event": protocol.event_header(event),
        "panel": [protocol.participant(p) for p in panel],
        "agenda": [protocol.question(q) for q in ordered_questions(session, event.id)],
        "session": protocol.session_state(state),
        "current_question_id": state.current_question_id,
        **floor_payload(session, event.id),
        "feed_enabled": state.feed_enabled,
        "feed": feed_items(session, event.id) if show_feed else [],
    }
    staff = stream == Stream.STAFF  # moderators see the moderation side of the audience
    data |= {
        "audience": payloads.audience_settings(event, staff=staff),
        "questions": payloads.questions_for(session, event.id, staff=staff),
        "highlighted_question_id": state.highlighted_question_id,
        "projector_keep": state.projector_keep,
        "polls": payloads.polls_for(session, event.id),
    }
    if actor.role == Role.AUDIENCE:
        data["mine"] = payloads.mine(session, actor)
    if stream in {Stream.STAFF, Stream.CREW}:
        data["written_answers"] = written_answers(session, event.id)
    elif actor.participant_id is not None:
        data["written_answers"] = [
            item
            for item in written_answers(session, event.id)
            if item["participant_id"] == actor.participant_id
        ]
    return data
