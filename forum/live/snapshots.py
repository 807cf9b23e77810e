"""The full state of a live room as one connection may see it (the ``snapshot``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from forum import protocol
from forum.access import Actor, Role
from forum.audience import payloads
from forum.captions import live as captions_live
from forum.db import read_columns, utcnow
from forum.errors import InvalidInput, NotFound
from forum.events.agenda import ordered_questions
from forum.limits import BOARD_SNAPSHOT_QUESTIONS
from forum.live.admission import Confirmed
from forum.live.capture import contributions_payload, feed_items
from forum.live.floor import floor_payload
from forum.live.state import live_state_for_reading
from forum.live.wire_json import Encoded
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

MAX_BOARD_OFFSET = 1_000_000


# Built once per stream: every connection reads its stream's number.
_SEQ = {
    stream: select(column).where(LiveState.event_id == bindparam("event_id"))
    for stream, column in SEQ_COLUMNS.items()
}


def current_seq(session: Session, event_id: int, stream: Stream) -> int:
    return read_columns(session, _SEQ[stream], {"event_id": event_id}).scalar() or 0


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


def _room_state(
    session: Session,
    event_id: int,
    stream: Stream,
    seq: int,
    board_limit: int | None = BOARD_SNAPSHOT_QUESTIONS,
) -> dict[str, Any]:
    """What every connection on ``stream`` sees alike at ``seq``: the event, panel, agenda, session, floor,
    feed, the audience's questions (on a crowded public board, its head: ``board_limit``) and the polls."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound(_("This event no longer exists."))
    state = live_state_for_reading(session, event.id)
    panel = session.scalars(
        select(Participant)
        .where(Participant.event_id == event.id)
        .order_by(Participant.role, Participant.position, Participant.id)
    ).all()
    show_feed = stream != Stream.PUBLIC or state.feed_enabled
    staff = stream == Stream.STAFF  # moderators see the moderation side of the audience
    questions, questions_total = payloads.questions_for(
        session, event.id, staff=staff, limit=board_limit, keep=state.highlighted_question_id
    )
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "stream": stream.value,
        "seq": seq,
        "event": protocol.event_header(event),
        "panel": [protocol.participant(p) for p in panel],
        "agenda": [protocol.question(q) for q in ordered_questions(session, event.id)],
        "session": protocol.session_state(state),
        "current_question_id": state.current_question_id,
        **floor_payload(session, event.id),
        "feed_enabled": state.feed_enabled,
        "feed": feed_items(session, event.id) if show_feed else [],
        "audience": payloads.audience_settings(event, staff=staff),
        "questions": questions,
        "questions_total": questions_total,
        "highlighted_question_id": state.highlighted_question_id,
        "projector_keep": state.projector_keep,
        **captions_live.room_captions(session, state, public=stream == Stream.PUBLIC),
        "polls": payloads.polls_for(session, event.id),
    }


@dataclass
class _Kept:
    seq: int
    room: dict[str, Any]
    text: str | None = None

    def json(self) -> str:
        """The room state as compact JSON, written the first time it is asked for."""
        if self.text is None:
            self.text = json.dumps(self.room, separators=(",", ":"))
        return self.text


class SharedRoomStates:
    """The room state of the public stream, built once per sequence number and shared by every connection
    that arrives before the next change (a crowd joining, or reconnecting after a restart, costs one build,
    not one per phone), together with its JSON text, also written once.

    The sequence number is read from the database for each connection, so every process agrees on when a
    kept state is stale, and a state is kept only for its event's newest number. It is used for live
    connections only: a page reload right after one's own vote shows the count at once, and the
    connection's deltas bring the same exact counts a moment later.
    """

    def __init__(self) -> None:
        self._kept: dict[int, _Kept] = {}
        self.builds = 0

    def _entry(self, session: Session, event_id: int, seq: int) -> _Kept:
        kept = self._kept.get(event_id)
        if kept is not None and kept.seq == seq:
            return kept
        entry = _Kept(seq, _room_state(session, event_id, Stream.PUBLIC, seq))
        self.builds += 1
        if kept is None or kept.seq < seq:
            self._kept[event_id] = entry
        return entry

    def get(self, session: Session, event_id: int, seq: int) -> dict[str, Any]:
        return self._entry(session, event_id, seq).room

    def kept_text(self, event_id: int, seq: int) -> str | None:
        """The kept room state's JSON text if it is the state at ``seq`` (without reading anything)."""
        kept = self._kept.get(event_id)
        return kept.json() if kept is not None and kept.seq == seq else None

    def text(self, session: Session, event_id: int, seq: int) -> str:
        """The room state at ``seq`` as compact JSON."""
        return self._entry(session, event_id, seq).json()

    def clear(self) -> None:
        """Forget every kept state: sequence numbers only grow, unless the database itself is put back
        from a copy (tests do that), and then a kept state could wear a number it no longer stands for."""
        self._kept.clear()


def _shares(shared: SharedRoomStates | None, stream: Stream, board_limit: int | None) -> bool:
    return shared is not None and stream == Stream.PUBLIC and board_limit == BOARD_SNAPSHOT_QUESTIONS


def snapshot(
    session: Session,
    actor: Actor,
    shared: SharedRoomStates | None = None,
    *,
    board_limit: int | None = BOARD_SNAPSHOT_QUESTIONS,
    confirmed: Confirmed | None = None,
) -> dict[str, Any]:
    """Everything the actor's screen shows, with the sequence number it is current as of.

    The sequence number is read *first* (or was, with ``confirmed``, in this transaction): a change
    committed while the rest is being read then arrives again as a delta with a higher number, and
    re-applying a delta is harmless. With ``shared``, a public-stream connection gets the room state kept
    for that number (never to be changed in place).
    """
    stream = actor.stream
    seq = _seq(session, actor, confirmed)
    if _shares(shared, stream, board_limit):
        room = shared.get(session, actor.event_id, seq)  # type: ignore[union-attr]
    else:
        room = _room_state(session, actor.event_id, stream, seq, board_limit)
    return {**room, **_own_part(session, actor, confirmed)}


def snapshot_message(
    session: Session, actor: Actor, shared: SharedRoomStates, confirmed: Confirmed | None = None
) -> dict[str, Any] | Encoded:
    """``snapshot`` as the connect handler sends it: for a public-stream connection, the shared room
    state's JSON text joined with this connection's own part, so only that part is written per phone."""
    if actor.stream != Stream.PUBLIC:
        return snapshot(session, actor, shared, confirmed=confirmed)
    room = shared.text(session, actor.event_id, _seq(session, actor, confirmed))
    return _joined(room, _own_part(session, actor, confirmed))


def kept_message(actor: Actor, shared: SharedRoomStates, confirmed: Confirmed) -> Encoded | None:
    """``snapshot_message`` without the database, for the phone of a crowd: an audience connection whose
    identity has not taken part yet (so it has nothing of its own to read), arriving while the room state
    of ``confirmed.seq`` is kept. None for any other."""
    if actor.role != Role.AUDIENCE or confirmed.member is not None:
        return None
    if actor.audience_token_hash is not None and not confirmed.member_read:
        return None
    room = shared.kept_text(actor.event_id, confirmed.seq)
    return None if room is None else _joined(room, _own_part(None, actor, confirmed))


def _seq(session: Session, actor: Actor, confirmed: Confirmed | None) -> int:
    return confirmed.seq if confirmed is not None else current_seq(session, actor.event_id, actor.stream)


def _joined(room: str, own: dict[str, Any]) -> Encoded:
    """The room state's JSON text and this connection's part as one object (they have no key in common)."""
    own_text = json.dumps(own, separators=(",", ":"))
    return Encoded(f"{room[:-1]},{own_text[1:]}")


def _own_part(session: Session | None, actor: Actor, confirmed: Confirmed | None) -> dict[str, Any]:
    """What a snapshot carries for this connection alone: the clock, who it is, its own questions and votes
    (audience), the prepared answers it may see (panel)."""
    data: dict[str, Any] = {
        "server_time": protocol.timestamp(utcnow()),
        "you": {
            "role": actor.role,
            "participant_id": actor.participant_id,
            "capabilities": sorted(c.value for c in actor.capabilities),
        },
    }
    stream = actor.stream
    if actor.role == Role.AUDIENCE:
        if actor.audience_token_hash is None:  # following without an identity: nothing of its own
            data["mine"] = payloads.mine_of(session, None)
        elif confirmed is not None and confirmed.member_read:
            data["mine"] = payloads.mine_of(session, confirmed.member)
        else:
            assert session is not None, "kept_message asks only for what needs no reading"
            data["mine"] = payloads.mine(session, actor)
        return data
    assert session is not None, "kept_message asks only for the audience's"
    if stream in {Stream.STAFF, Stream.CREW}:
        data["written_answers"] = written_answers(session, actor.event_id)
    elif actor.participant_id is not None:
        data["written_answers"] = [
            item
            for item in written_answers(session, actor.event_id)
            if item["participant_id"] == actor.participant_id
        ]
    return data


def board_page(session: Session, actor: Actor, sort: Any, offset: int) -> dict[str, Any]:
    """The next ``BOARD_SNAPSHOT_QUESTIONS`` questions of the board in ``sort`` order from ``offset``, as
    this connection sees them (``board.page``): the part of a crowded board its snapshot left out."""
    if sort not in payloads.BOARD_SORTS:
        raise InvalidInput(
            _("Sort the board by votes or by newest."), fields={"sort": _("Choose votes or newest.")}
        )
    if offset > MAX_BOARD_OFFSET:
        raise InvalidInput(_("There are not that many questions."), fields={"offset": _("Too far.")})
    questions, total = payloads.board_page(
        session,
        actor.event_id,
        staff=actor.stream == Stream.STAFF,
        sort=sort,
        offset=offset,
        limit=BOARD_SNAPSHOT_QUESTIONS,
    )
    return {"sort": sort, "offset": offset, "questions": questions, "total": total}
