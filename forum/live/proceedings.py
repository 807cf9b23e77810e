"""Running the session: start and end it, move through the questions, add one on the fly,
write the moderator's prompt, switch the audience's transcript feed."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import outbox
from forum.access import Actor, Capability
from forum.audience import polls
from forum.audience.moderation_log import log_action
from forum.db import utcnow
from forum.errors import Conflict, InvalidInput, NotFound
from forum.events.agenda import announce_agenda, ordered_questions, question_in_event
from forum.events.contributions import add_revision
from forum.events.events import readiness_problems
from forum.fields import clean_text
from forum.limits import AGENDA_QUESTION_MAX, CONTRIBUTION_MAX
from forum.live import floor
from forum.live.capture import announce_contribution, feed_items
from forum.live.state import announce_event_status, live_state, record_withdrawn, require_live
from forum.models import (
    AgendaQuestion,
    Contribution,
    ContributionKind,
    ContributionSource,
    Event,
    EventStatus,
    LiveState,
    Participant,
    ParticipantRole,
)
from forum.protocol import Change


def _event(session: Session, actor: Actor) -> Event:
    event = session.get(Event, actor.event_id)
    if event is None:
        raise NotFound(_("This event no longer exists."))
    return event


def _announce_current_question(session: Session, state: LiveState) -> None:
    outbox.announce(
        session,
        state.event_id,
        Change.CURRENT_QUESTION,
        {"question_id": state.current_question_id},
        public=True,
    )


def start_session(session: Session, actor: Actor) -> None:
    """Open the live session (or resume an ended one); the first question becomes current."""
    actor.require(Capability.MODERATE)
    event = _event(session, actor)
    state = live_state(session, event.id, lock=True)
    if event.status == EventStatus.LIVE:
        raise Conflict(_("The session is already live."), code="already_live")
    if event.status == EventStatus.PUBLISHED:
        raise Conflict(_("The record of this event is published; the session cannot be reopened."))
    if event.status == EventStatus.DRAFT:
        raise Conflict(_("The organizer has not scheduled this event yet; it cannot go live as a draft."))
    problems = readiness_problems(session, event)
    if problems:
        raise Conflict(_("The event is not ready to go live: %(problems)s", problems=" ".join(problems)))
    now = utcnow()
    state.started_at = state.started_at or now
    state.ended_at = None
    event.status = EventStatus.LIVE
    if state.current_question_id is None:
        questions = ordered_questions(session, event.id)
        state.current_question_id = questions[0].id if questions else None
    session.flush()
    announce_event_status(session, event)
    _announce_current_question(session, state)


def end_session(session: Session, actor: Actor) -> None:
    """Close the session; whoever has the floor stops speaking and any open poll closes."""
    actor.require(Capability.MODERATE)
    event = _event(session, actor)
    state = live_state(session, event.id, lock=True)
    require_live(state)
    floor.close_open_turn(session, event.id)
    polls.close_open_polls(session, actor)
    state.ended_at = utcnow()
    event.status = EventStatus.ENDED
    session.flush()
    announce_event_status(session, event)
    floor.announce_floor(session, event.id)


def goto_question(session: Session, actor: Actor, question_id: int) -> None:
    """Make a question current. A speaker keeps the floor; their time now counts for the new question."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    require_live(state)
    question = question_in_event(session, question_id, actor.event_id)
    if state.current_question_id == question.id:
        return
    state.current_question_id = question.id
    session.flush()
    _announce_current_question(session, state)
    if state.highlighted_question_id is not None and not state.projector_keep:
        # The audience question shown for the last question leaves the screen with it.
        shown = state.highlighted_question_id
        state.highlighted_question_id = None
        session.flush()
        log_action(
            session, actor.event_id, "automatic", "unhighlight", f"question {shown}", "question changed"
        )
        outbox.announce(session, actor.event_id, Change.HIGHLIGHT, {"question_id": None}, public=True)
    if floor.carry_turn_to_question(session, actor.event_id, question.id):
        floor.announce_floor(session, actor.event_id)


def step_question(session: Session, actor: Actor, step: int) -> None:
    """Go to the next (+1) or previous (-1) question."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id)
    require_live(state)
    questions = ordered_questions(session, actor.event_id)
    ids = [q.id for q in questions]
    index = ids.index(state.current_question_id) if state.current_question_id in ids else -1
    target = index + step
    if not 0 <= target < len(ids):
        raise Conflict(
            _("There is no next question.") if step > 0 else _("This is the first question."),
            code="no_such_question",
        )
    goto_question(session, actor, ids[target])


def add_question_live(session: Session, actor: Actor, text: str, *, make_current: bool = False) -> int:
    """Insert a question right after the current one; returns its id."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    require_live(state)
    cleaned = (
        clean_text(text, field="text", label=_("Question"), max_length=AGENDA_QUESTION_MAX, multiline=True)
        or ""
    )
    questions = ordered_questions(session, actor.event_id)
    ids = [q.id for q in questions]
    at = ids.index(state.current_question_id) + 1 if state.current_question_id in ids else len(ids)
    new = AgendaQuestion(event_id=actor.event_id, position=0, text=cleaned, added_live=True)
    session.add(new)
    questions.insert(at, new)
    for position, item in enumerate(questions, start=1):
        item.position = position
    session.flush()
    announce_agenda(session, actor.event_id)
    if make_current:
        goto_question(session, actor, new.id)
    return new.id


def set_feed(session: Session, actor: Actor, enabled: bool) -> None:
    """Show or hide the live transcript feed on audience screens (staff always see it)."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    if state.feed_enabled == enabled:
        return
    if enabled and record_withdrawn(session, _event(session, actor)):
        raise Conflict(
            _(
                "This record was taken off the archive, so its transcript stays off audience screens. "
                "Publish the record again to make it public."
            ),
            code="record_withdrawn",
        )
    state.feed_enabled = enabled
    session.flush()
    items = feed_items(session, actor.event_id) if enabled else []
    outbox.announce(
        session,
        actor.event_id,
        Change.FEED,
        {"enabled": enabled, "items": items},
        public=True,
        staff_data={"enabled": enabled},
    )


def keep_on_projector(session: Session, actor: Actor, keep: bool) -> None:
    """Whether the open poll and the highlighted audience question stay on the projector when the
    question changes (by default they leave with their question)."""
    actor.require(Capability.MODERATE)
    state = live_state(session, actor.event_id, lock=True)
    if state.projector_keep == keep:
        return
    state.projector_keep = keep
    session.flush()
    outbox.announce(session, actor.event_id, Change.PROJECTOR, {"keep": keep}, public=True)


def _moderator_participant(session: Session, actor: Actor) -> Participant | None:
    if actor.participant_id is not None:
        return session.get(Participant, actor.participant_id)
    return session.scalar(
        select(Participant)
        .where(Participant.event_id == actor.event_id, Participant.role == ParticipantRole.MODERATOR)
        .order_by(Participant.position)
    )


def save_prompt(session: Session, actor: Actor, question_id: int, text: str) -> int:
    """Write or revise the moderator's prompt for a question; returns the contribution id."""
    actor.require(Capability.MODERATE)
    question = question_in_event(session, question_id, actor.event_id)
    if _event(session, actor).status == EventStatus.PUBLISHED:
        raise Conflict(_("The record is published; corrections go through the publishing editor."))
    cleaned = clean_text(text, field="text", label=_("Prompt"), max_length=CONTRIBUTION_MAX, multiline=True)
    if cleaned is None:
        raise InvalidInput(_("Write the prompt before saving it."), fields={"text": "Required."})
    prompt = session.scalar(
        select(Contribution).where(
            Contribution.question_id == question.id, Contribution.kind == ContributionKind.MODERATOR_PROMPT
        )
    )
    if prompt is None:
        speaker = _moderator_participant(session, actor)
        prompt = Contribution(
            event_id=actor.event_id,
            question_id=question.id,
            participant_id=speaker.id if speaker else None,
            kind=ContributionKind.MODERATOR_PROMPT,
            source=ContributionSource.LIVE,
            text=cleaned,
        )
        session.add(prompt)
        session.flush()
    elif prompt.text == cleaned:
        return prompt.id
    add_revision(session, prompt, cleaned, actor.label)
    session.flush()
    announce_contribution(session, prompt)
    return prompt.id
