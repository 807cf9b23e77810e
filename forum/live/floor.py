"""The floor: who is speaking, since when, and how long each person has spoken per question."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import outbox, protocol
from forum.access import Actor, Capability
from forum.db import get_in_event, utcnow
from forum.errors import InvalidInput
from forum.live.state import live_state, require_live
from forum.models import Participant, ParticipantRole, SpeakingTurn
from forum.protocol import Change


def open_turn(session: Session, event_id: int) -> SpeakingTurn | None:
    """The turn in progress, i.e. who has the floor now."""
    return session.scalar(
        select(SpeakingTurn).where(SpeakingTurn.event_id == event_id, SpeakingTurn.ended_at.is_(None))
    )


def close_open_turn(session: Session, event_id: int, at: datetime | None = None) -> SpeakingTurn | None:
    """End the running turn, if any, and return it."""
    turn = open_turn(session, event_id)
    if turn is not None:
        turn.ended_at = at or utcnow()
        session.flush()
    return turn


def carry_turn_to_question(session: Session, event_id: int, question_id: int) -> bool:
    """When the question changes mid-turn, split the turn so time is filed under the right question."""
    turn = open_turn(session, event_id)
    if turn is None or turn.question_id == question_id:
        return False
    now = utcnow()
    close_open_turn(session, event_id, now)
    session.add(
        SpeakingTurn(
            event_id=event_id, participant_id=turn.participant_id, question_id=question_id, started_at=now
        )
    )
    session.flush()
    return True


def speaking_time(session: Session, event_id: int) -> tuple[dict[int, float], dict[int, dict[int, float]]]:
    """Seconds spoken in completed turns: per participant, and per question per participant."""
    totals: dict[int, float] = defaultdict(float)
    by_question: dict[int, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    turns = session.execute(
        select(
            SpeakingTurn.participant_id,
            SpeakingTurn.question_id,
            SpeakingTurn.started_at,
            SpeakingTurn.ended_at,
        ).where(SpeakingTurn.event_id == event_id, SpeakingTurn.ended_at.is_not(None))
    ).all()
    for participant_id, question_id, started_at, ended_at in turns:
        seconds = max(0.0, (ended_at - started_at).total_seconds())
        totals[participant_id] += seconds
        if question_id is not None:
            by_question[question_id][participant_id] += seconds
    return dict(totals), {q: dict(people) for q, people in by_question.items()}


def floor_payload(session: Session, event_id: int) -> dict[str, object]:
    """Who has the floor plus the speaking-time totals, as one settable value."""
    totals, by_question = speaking_time(session, event_id)
    return {
        "floor": protocol.floor(open_turn(session, event_id)),
        "speaking": protocol.speaking(totals, by_question),
    }


def announce_floor(session: Session, event_id: int) -> None:
    outbox.announce(session, event_id, Change.FLOOR, floor_payload(session, event_id), public=True)


def give_floor(session: Session, actor: Actor, participant_id: int) -> None:
    """Hand the floor to a panelist (or the moderator); whoever held it stops."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    require_live(state)
    person = get_in_event(
        session, Participant, participant_id, actor.event_id, _("That person is not on this event's panel.")
    )
    if person.role == ParticipantRole.SCRIBE:
        raise InvalidInput(_("Scribes record the debate; give the floor to a panelist or the moderator."))
    current = open_turn(session, actor.event_id)
    if current is not None and current.participant_id == person.id:
        return
    now = utcnow()
    close_open_turn(session, actor.event_id, now)
    session.add(
        SpeakingTurn(
            event_id=actor.event_id,
            participant_id=person.id,
            question_id=state.current_question_id,
            started_at=now,
        )
    )
    session.flush()
    announce_floor(session, actor.event_id)


def release_floor(session: Session, actor: Actor) -> None:
    """Nobody has the floor any more."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    require_live(state)
    if close_open_turn(session, actor.event_id) is not None:
        announce_floor(session, actor.event_id)
