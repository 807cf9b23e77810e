"""Captions in the live room: each new caption goes out as a numbered delta (to the audience and the projector
only while the organizer lets it), and the two switches: captions for the public at all (the organizer's),
and the projector's caption band (the moderator's)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import outbox
from forum.access import Actor, Capability
from forum.events.events import owned_event
from forum.live.state import live_state
from forum.models import CaptionSegment, LiveState, Organizer
from forum.protocol import Change

RECENT = 20  # captions a snapshot carries: enough for the band's two lines and the audience panel


def caption_payload(segment: CaptionSegment) -> dict[str, Any]:
    return {
        "id": segment.id,
        "seq": segment.seq,
        "text": segment.text,
        "language": segment.language,
        "question_id": segment.question_id,
        "participant_id": segment.participant_id,
        "attribution": segment.attribution.value,
        "start_ms": segment.start_ms,
        "end_ms": segment.end_ms,
        "final": segment.final,
        "run_id": segment.run,
    }


def recent_captions(session: Session, event_id: int, limit: int = RECENT) -> list[dict[str, Any]]:
    """The event's latest captions, oldest first."""
    latest = session.scalars(
        select(CaptionSegment)
        .where(CaptionSegment.event_id == event_id)
        .order_by(CaptionSegment.id.desc())
        .limit(limit)
    ).all()
    return [caption_payload(segment) for segment in reversed(latest)]


def room_captions(session: Session, state: LiveState, *, public: bool) -> dict[str, Any]:
    """What a snapshot says about captions: the switches, and the latest captions unless the public stream
    may not have them."""
    shown = not public or state.captions_public
    return {
        "captions_public": state.captions_public,
        "captions_on_projector": state.captions_on_projector,
        "captions": recent_captions(session, state.event_id) if shown else [],
    }


def announce_caption(session: Session, segment: CaptionSegment, state: LiveState) -> None:
    outbox.announce(
        session, segment.event_id, Change.CAPTION, caption_payload(segment), public=state.captions_public
    )


def _announce_switches(session: Session, state: LiveState, *, items: bool) -> None:
    switches = {"public": state.captions_public, "projector": state.captions_on_projector}
    public = dict(switches)
    if items:  # the public's captions appear or go with the organizer's switch
        public["items"] = recent_captions(session, state.event_id) if state.captions_public else []
    outbox.announce(session, state.event_id, Change.CAPTIONS, public, public=True, staff_data=switches)


def set_public(session: Session, organizer: Organizer, event_id: int, public: bool) -> None:
    """The organizer shows captions to the audience and the projector, or keeps them to the staff."""
    event = owned_event(session, organizer, event_id)
    state = live_state(session, event.id, lock=True)
    if state.captions_public == public:
        return
    state.captions_public = public
    session.flush()
    _announce_switches(session, state, items=True)


def set_projector(session: Session, actor: Actor, on: bool) -> None:
    """A moderator switches the projector's caption band on or off."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    if state.captions_on_projector == on:
        return
    state.captions_on_projector = on
    session.flush()
    _announce_switches(session, state, items=False)
