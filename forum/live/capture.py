"""Capturing the debate: scribes record who said what under which question and correct it later;
panelists write or refine their own answer while the session runs."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import outbox, protocol
from forum.access import Actor, Capability
from forum.db import get_in_event
from forum.errors import Conflict, InvalidInput, NotFound
from forum.events import contributions
from forum.events.contributions import revision_counts
from forum.fields import clean_text
from forum.limits import CONTRIBUTION_MAX
from forum.live.state import live_state
from forum.models import (
    CAPTURE_STATUSES,
    AgendaQuestion,
    Contribution,
    ContributionKind,
    ContributionSource,
    Event,
    EventStatus,
    Participant,
    ParticipantRole,
)
from forum.protocol import Change

_CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def _kind(value: str) -> ContributionKind:
    try:
        return ContributionKind(value)
    except ValueError:
        raise InvalidInput(
            "The kind must be answer, follow_up or moderator_prompt.", fields={"kind": "Unknown."}
        ) from None


def _check_capture_allowed(session: Session, event_id: int) -> None:
    event = session.get(Event, event_id)
    if event is None or event.status not in CAPTURE_STATUSES:
        raise Conflict(
            _("Contributions are captured while the session is live or just after it has ended."),
            code="not_live",
        )


def add_contribution(
    session: Session,
    actor: Actor,
    *,
    participant_id: int,
    text: str,
    kind: str = "answer",
    question_id: int | None = None,
    client_id: str | None = None,
) -> int:
    """Record what a panel member said, under the given question or the current one; returns its id.

    Retrying with the same ``client_id`` returns the first contribution instead of a duplicate.
    """
    actor.require(Capability.CAPTURE)
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise InvalidInput(
            "client_id must be 8 to 64 letters, digits, '-' or '_'.", fields={"client_id": "Invalid."}
        )
    if client_id is not None:
        existing = session.scalar(
            select(Contribution.id).where(
                Contribution.event_id == actor.event_id, Contribution.client_id == client_id
            )
        )
        if existing is not None:
            return existing
    _check_capture_allowed(session, actor.event_id)
    speaker = get_in_event(
        session,
        Participant,
        participant_id,
        actor.event_id,
        _("Choose the panelist or moderator who spoke."),
        refuse_if=lambda speaker: speaker.role == ParticipantRole.SCRIBE,
    )
    if question_id is None:
        question_id = live_state(session, actor.event_id).current_question_id
    question = get_in_event(
        session, AgendaQuestion, question_id, actor.event_id, _("Choose a question of this event's agenda.")
    )
    cleaned = (
        clean_text(text, field="text", label=_("What was said"), max_length=CONTRIBUTION_MAX, multiline=True)
        or ""
    )
    item = Contribution(
        event_id=actor.event_id,
        question_id=question.id,
        participant_id=speaker.id,
        kind=_kind(kind),
        source=ContributionSource.LIVE,
        text=cleaned,
        client_id=client_id,
    )
    session.add(item)
    session.flush()
    contributions.add_revision(session, item, cleaned, actor.label)
    session.flush()
    announce_contribution(session, item)
    return item.id


def edit_contribution(session: Session, actor: Actor, contribution_id: int, text: str) -> None:
    """Correct a captured contribution; the earlier wording stays in its revision history."""
    actor.require(Capability.CAPTURE)
    item = get_in_event(
        session,
        Contribution,
        contribution_id,
        actor.event_id,
        _("That contribution is not in this session's record."),
        refuse_if=lambda item: item.source != ContributionSource.LIVE,
    )
    event = session.get(Event, actor.event_id)
    if event is not None and event.status == EventStatus.PUBLISHED:
        raise Conflict(_("The record is published; corrections go through the publishing editor."))
    cleaned = (
        clean_text(text, field="text", label=_("What was said"), max_length=CONTRIBUTION_MAX, multiline=True)
        or ""
    )
    if cleaned == item.text:
        return
    contributions.add_revision(session, item, cleaned, actor.label)
    session.flush()
    announce_contribution(session, item)


def save_written_answer(session: Session, actor: Actor, question_id: int, text: str) -> int | None:
    """A panelist posts or refines their own written answer to a question during the session."""
    actor.require(Capability.ANSWER)
    person = session.get(Participant, actor.participant_id)
    if person is None:
        raise NotFound(_("Your invitation no longer matches a panelist of this event."))
    saved = contributions.save_prepared_answer(session, person, question_id, text)
    payload = (
        contributions_payload(session, [saved])[0]
        if saved is not None
        else {"id": None, "question_id": question_id, "participant_id": person.id, "text": None}
    )
    outbox.announce(session, actor.event_id, Change.WRITTEN_ANSWER, payload, public=False)
    return saved.id if saved is not None else None


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


def announce_contribution(session: Session, contribution: Contribution) -> None:
    """Announce a new or corrected live contribution: always to staff, to the audience if the feed is on."""
    payload = contributions_payload(session, [contribution])[0]
    state = live_state(session, contribution.event_id)
    public = state.feed_enabled and contribution.source == ContributionSource.LIVE
    outbox.announce(session, contribution.event_id, Change.CONTRIBUTION, payload, public=public)
