"""The session's recording in the published record: its address, where in it the session starts, and the
moment of every answer and caption run in it ("watch from 12:34"), computed from the speaking turns."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.captions.runs import Run
from forum.errors import InvalidInput
from forum.events.events import owned_event
from forum.fields import clean_url
from forum.live.state import live_state_for_reading
from forum.models import Contribution, Event, Organizer, SpeakingTurn

OFFSET_LIMIT = 24 * 3600
_OFFSET = re.compile(r"^(-)?(?:(\d{1,2}):)?(?:(\d{1,2}):)?(\d{1,5})$")


def parse_offset(value: Any) -> int:
    """Seconds, written as "95", "1:35" or "1:01:35" (a leading "-" when the recording starts late)."""
    text = (value if isinstance(value, str) else "").strip() or "0"
    found = _OFFSET.match(text)
    if found is None:
        message = _("Write where the session starts in the recording as seconds or minutes:seconds (1:35).")
        raise InvalidInput(message, fields={"recording_offset": message})
    sign, first, second, last = found.groups()
    parts = [int(p) for p in (first, second, last) if p is not None]
    seconds = 0
    for part in parts:
        seconds = seconds * 60 + part
    seconds = -seconds if sign else seconds
    if abs(seconds) > OFFSET_LIMIT:
        message = _("The session must start within a day of the recording's start.")
        raise InvalidInput(message, fields={"recording_offset": message})
    return seconds


def set_record_options(
    session: Session, organizer: Organizer, event_id: int, *, recording_url: Any, offset: Any, verbatim: bool
) -> Event:
    """The organizer's choices for the record: the recording and where the session starts in it, and
    whether the verbatim captions are published with the record (they apply from the next publication)."""
    event = owned_event(session, organizer, event_id)
    url = clean_url(
        recording_url if isinstance(recording_url, str) else "", field="recording_url", label=_("Recording")
    )
    event.recording_url = url
    event.recording_offset_seconds = parse_offset(offset) if url else 0
    event.verbatim_in_record = verbatim
    session.flush()
    return event


def contribution_moments(
    session: Session, event: Event, contributions: Iterable[Contribution]
) -> dict[int, float]:
    """Seconds into the recording at which each contribution was said: the start of its speaker's turn under
    its question (the last one begun before it was recorded). Written answers, and anything said without a
    turn, have no moment."""
    started = live_state_for_reading(session, event.id).started_at
    if not event.recording_url or started is None:
        return {}
    turns: dict[tuple[int, int | None], list[SpeakingTurn]] = {}
    for turn in session.scalars(
        select(SpeakingTurn).where(SpeakingTurn.event_id == event.id).order_by(SpeakingTurn.started_at)
    ):
        turns.setdefault((turn.participant_id, turn.question_id), []).append(turn)
    moments = {}
    for item in contributions:
        mine = turns.get((item.participant_id, item.question_id), []) if item.participant_id else []
        begun = [t for t in mine if t.started_at <= item.created_at]
        turn = begun[-1] if begun else (mine[0] if mine else None)
        if turn is not None:
            moments[item.id] = (turn.started_at - started).total_seconds() + event.recording_offset_seconds
    return moments


def run_moment(event: Event, run: Run) -> float | None:
    return run.start_ms / 1000 + event.recording_offset_seconds if event.recording_url else None
