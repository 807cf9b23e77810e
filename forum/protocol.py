"""The wire format of the live room, defined once (documented in docs/realtime.md).

Event names, stream names, change types and the serializers that turn models into payloads.
Python tests, the browser code and other clients use these same names.
"""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # serializers read attributes only: the wire format stays a leaf
    from forum.models import (
        AgendaQuestion,
        Contribution,
        Event,
        LiveState,
        Participant,
        SpeakingTurn,
    )

NAMESPACE = "/live"
PROTOCOL_VERSION = 1

# Server -> client event names.
SNAPSHOT = "snapshot"
DELTA = "delta"
NOTICE = "notice"


class Stream(enum.StrEnum):
    """Each connection follows exactly one numbered stream."""

    PUBLIC = "public"  # audience, projector, panelists
    CREW = "crew"  # scribes: everything said (feed on or off), but only the public side of the audience
    STAFF = "staff"  # organizer and moderator: everything, including audience moderation


class Action(enum.StrEnum):
    """Client -> server event names. Every one is acknowledged with ``{"ok": ...}``."""

    SYNC = "sync"
    BOARD_PAGE = "board.page"
    SESSION_START = "session.start"
    SESSION_END = "session.end"
    QUESTION_GOTO = "question.goto"
    QUESTION_NEXT = "question.next"
    QUESTION_PREVIOUS = "question.previous"
    QUESTION_ADD = "question.add"
    FLOOR_GIVE = "floor.give"
    FLOOR_RELEASE = "floor.release"
    PROMPT_SAVE = "prompt.save"
    FEED_SET = "feed.set"
    PROJECTOR_KEEP = "projector.keep"
    CAPTIONS_PROJECTOR = "captions.projector"
    CONTRIBUTION_ADD = "contribution.add"
    CONTRIBUTION_EDIT = "contribution.edit"
    ANSWER_SAVE = "answer.save"
    # The audience
    AUDIENCE_ASK = "audience.ask"
    AUDIENCE_EDIT = "audience.edit"
    AUDIENCE_WITHDRAW = "audience.withdraw"
    AUDIENCE_VOTE = "audience.vote"
    AUDIENCE_REPORT = "audience.report"
    POLL_VOTE = "poll.vote"
    # Moderating the audience
    MODERATION_APPROVE = "moderation.approve"
    MODERATION_REJECT = "moderation.reject"
    MODERATION_ANSWERED = "moderation.answered"
    MODERATION_PIN = "moderation.pin"
    MODERATION_HIGHLIGHT = "moderation.highlight"
    MODERATION_MERGE = "moderation.merge"
    MODERATION_BLOCK = "moderation.block"
    MODERATION_SETTINGS = "moderation.settings"
    POLL_OPEN = "poll.open"
    POLL_CLOSE = "poll.close"


class Change(enum.StrEnum):
    """The ``type`` of a delta. Every delta *sets* state, so applying one twice is harmless."""

    SESSION = "session"
    CURRENT_QUESTION = "current_question"
    AGENDA = "agenda"
    PANEL = "panel"
    FLOOR = "floor"
    CONTRIBUTION = "contribution"
    FEED = "feed"
    WRITTEN_ANSWER = "written_answer"
    AUDIENCE_QUESTION = "audience_question"
    VOTES = "votes"
    HIGHLIGHT = "highlight"
    AUDIENCE_SETTINGS = "audience_settings"
    POLL = "poll"
    POLL_TALLY = "poll_tally"
    PROJECTOR = "projector"
    CAPTION = "caption"
    CAPTIONS = "captions"


def room(event_id: int, stream: Stream) -> str:
    """The Socket.IO room of one stream of one event."""
    return f"event:{event_id}:{stream.value}"


def organizer_room(organizer_id: int) -> str:
    """The room of every live connection an organizer opened while signed in."""
    return f"organizer:{organizer_id}"


def participant_room(participant_id: int) -> str:
    """The room of every connection made with one participant's invitation."""
    return f"participant:{participant_id}"


def audience_room(event_id: int, token_hash: str) -> str:
    """The private room of one audience member's connections to one event (named after the hashed token)."""
    return f"audience:{event_id}:{token_hash[:24]}"


def timestamp(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, or None."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_header(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "slug": event.slug,
        "title": event.title,
        "host": event.host.name,
        "starts_at": timestamp(event.starts_at),
        "timezone": event.timezone,
        "language": event.language,
        "status": event.status.value,
        "join_code": event.join_code,
    }


def participant(person: Participant) -> dict[str, Any]:
    return {
        "id": person.id,
        "role": person.role.value,
        "display_name": person.display_name,
        "short_name": person.short_name,
        "affiliation": person.affiliation,
    }


def question(item: AgendaQuestion) -> dict[str, Any]:
    return {"id": item.id, "position": item.position, "text": item.text, "added_live": item.added_live}


def contribution(item: Contribution, revision: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "question_id": item.question_id,
        "participant_id": item.participant_id,
        "kind": item.kind.value,
        "source": item.source.value,
        "text": item.text,
        "revision": revision,
        "created_at": timestamp(item.created_at),
        "updated_at": timestamp(item.updated_at),
    }


def session_state(state: LiveState) -> dict[str, Any]:
    if state.started_at is None:
        status = "not_started"
    elif state.ended_at is not None:
        status = "ended"
    else:
        status = "live"
    return {
        "status": status,
        "started_at": timestamp(state.started_at),
        "ended_at": timestamp(state.ended_at),
    }


def floor(turn: SpeakingTurn | None) -> dict[str, Any] | None:
    if turn is None:
        return None
    return {
        "participant_id": turn.participant_id,
        "question_id": turn.question_id,
        "started_at": timestamp(turn.started_at),
    }


def speaking(totals: dict[int, float], by_question: dict[int, dict[int, float]]) -> dict[str, Any]:
    """Seconds of completed turns; a running turn is added by the client from ``floor.started_at``.

    JSON object keys are strings, so ids appear as strings here.
    """
    return {
        "totals": {str(pid): round(seconds, 3) for pid, seconds in totals.items()},
        "by_question": {
            str(qid): {str(pid): round(s, 3) for pid, s in people.items()}
            for qid, people in by_question.items()
        },
    }
