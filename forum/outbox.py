"""The outbox: what changed in a live room, queued so it can be broadcast once the transaction commits.

A service calls :func:`announce` inside its transaction. The stream's sequence number is taken there,
in the same transaction as the change itself, so a rolled-back change leaves no gap and no message.
The after-commit hook in :mod:`forum.live.broadcast` sends the queued changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from forum.models import LiveState
from forum.protocol import Change, Stream

PENDING_KEY = "forum.pending_broadcasts"
NOTICES_KEY = "forum.pending_notices"
TALLIES_KEY = "forum.pending_tallies"
EVICTIONS_KEY = "forum.pending_evictions"


@dataclass(frozen=True)
class Broadcast:
    """One numbered delta for one stream of one event."""

    event_id: int
    stream: Stream
    seq: int
    type: Change
    data: dict[str, Any]

    def envelope(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "stream": self.stream.value,
            "seq": self.seq,
            "type": self.type.value,
            "data": self.data,
        }


SEQ_COLUMNS = {
    Stream.PUBLIC: LiveState.public_seq,
    Stream.CREW: LiveState.crew_seq,
    Stream.STAFF: LiveState.staff_seq,
}


def _next_seq(session: Session, event_id: int, stream: Stream) -> int:
    column = SEQ_COLUMNS[stream]
    statement = (
        update(LiveState)
        .where(LiveState.event_id == event_id)
        .values({column: column + 1})
        .returning(column)
        .execution_options(synchronize_session=False)
    )
    seq = session.execute(statement).scalar_one_or_none()
    if seq is None:  # an event from before live rooms existed: give it its counters first
        session.add(LiveState(event_id=event_id))
        session.flush()
        seq = session.execute(statement).scalar_one()
    return seq


def announce(
    session: Session,
    event_id: int,
    change: Change,
    data: dict[str, Any],
    *,
    public: bool,
    staff_data: dict[str, Any] | None = None,
    moderation: bool = False,
) -> None:
    """Queue a delta for the staff and crew streams and, when ``public``, for the public stream too.

    ``staff_data`` lets staff see more than the public does about the same change. With ``moderation``
    the staff version is for moderators only: the crew (scribes) get what the public gets, if anything.
    """
    pending: list[Broadcast] = session.info.setdefault(PENDING_KEY, [])
    staff_payload = data if staff_data is None else staff_data
    crew_payload = (data if public else None) if moderation else staff_payload
    payloads = {
        Stream.STAFF: staff_payload,
        Stream.CREW: crew_payload,
        Stream.PUBLIC: data if public else None,
    }
    for stream, payload in payloads.items():
        if payload is not None:
            pending.append(Broadcast(event_id, stream, _next_seq(session, event_id, stream), change, payload))


def notify(session: Session, room: str, payload: dict[str, Any]) -> None:
    """Queue an unnumbered private notice (e.g. to a question's author), sent after commit."""
    session.info.setdefault(NOTICES_KEY, []).append((room, payload))


def tally_changed(
    session: Session, event_id: int, *, question_id: int | None = None, poll_id: int | None = None
) -> None:
    """Note that vote counts moved; they are broadcast in coalesced batches, not per vote."""
    marks: set[tuple[int, str, int]] = session.info.setdefault(TALLIES_KEY, set())
    if question_id is not None:
        marks.add((event_id, "question", question_id))
    if poll_id is not None:
        marks.add((event_id, "poll", poll_id))


def evict(session: Session, room: str) -> None:
    """Disconnect the connections in ``room`` after commit (their access was withdrawn or changed)."""
    session.info.setdefault(EVICTIONS_KEY, []).append(room)


@dataclass(frozen=True)
class Pending:
    deltas: list[Broadcast]
    notices: list[tuple[str, dict[str, Any]]]
    tallies: set[tuple[int, str, int]]
    evictions: list[str]


def take_pending(session: Session) -> Pending:
    """Remove and return what was queued (the broadcaster calls this after commit)."""
    return Pending(
        deltas=session.info.pop(PENDING_KEY, []),
        notices=session.info.pop(NOTICES_KEY, []),
        tallies=session.info.pop(TALLIES_KEY, set()),
        evictions=session.info.pop(EVICTIONS_KEY, []),
    )


def discard_pending(session: Session) -> None:
    """Forget what was queued: the transaction rolled back, so it never happened."""
    for key in (PENDING_KEY, NOTICES_KEY, TALLIES_KEY, EVICTIONS_KEY):
        session.info.pop(key, None)
