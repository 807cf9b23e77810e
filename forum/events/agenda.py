"""The agenda: ordered preset questions, with a warning when two share the same wording."""

from __future__ import annotations

from collections import defaultdict

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import outbox, protocol
from forum.db import get_in_event
from forum.errors import Conflict
from forum.events.events import owned_event
from forum.fields import clean_text, wording_key
from forum.limits import AGENDA_QUESTION_MAX
from forum.models import AgendaQuestion, Contribution, EventStatus, LiveState, Organizer
from forum.protocol import Change


def ordered_questions(session: Session, event_id: int) -> list[AgendaQuestion]:
    """The event's questions in agenda order."""
    return list(
        session.scalars(
            select(AgendaQuestion)
            .where(AgendaQuestion.event_id == event_id)
            .order_by(AgendaQuestion.position, AgendaQuestion.id)
        )
    )


def duplicate_wordings(questions: list[AgendaQuestion]) -> dict[int, list[int]]:
    """For each question whose wording repeats another's, the agenda positions of its twins."""
    groups: dict[str, list[AgendaQuestion]] = defaultdict(list)
    for question in questions:
        groups[wording_key(question.text)].append(question)
    twins: dict[int, list[int]] = {}
    for group in groups.values():
        if len(group) > 1:
            for question in group:
                twins[question.id] = [other.position for other in group if other is not question]
    return twins


def question_in_event(session: Session, question_id: int | None, event_id: int) -> AgendaQuestion:
    """A question of this event's agenda, else NotFound (the one lookup for it, whoever asks)."""
    return get_in_event(
        session, AgendaQuestion, question_id, event_id, _("That question is not on this event's agenda.")
    )


def owned_question(session: Session, organizer: Organizer, event_id: int, question_id: int) -> AgendaQuestion:
    """A question of an event the organizer owns; NotFound otherwise."""
    owned_event(session, organizer, event_id)
    question = question_in_event(session, question_id, event_id)
    return question


def announce_agenda(session: Session, event_id: int) -> None:
    """Tell every screen of the event what the agenda now is."""
    questions = ordered_questions(session, event_id)
    outbox.announce(
        session, event_id, Change.AGENDA, {"agenda": [protocol.question(q) for q in questions]}, public=True
    )


def _clean_question(text: str) -> str:
    return (
        clean_text(text, field="text", label=_("Question"), max_length=AGENDA_QUESTION_MAX, multiline=True)
        or ""
    )


def add_question(session: Session, organizer: Organizer, event_id: int, text: str) -> AgendaQuestion:
    """Append a question to the agenda. Repeated wording is allowed but reported by ``duplicate_wordings``."""
    owned_event(session, organizer, event_id)
    cleaned = _clean_question(text)
    question = AgendaQuestion(
        event_id=event_id, position=len(ordered_questions(session, event_id)) + 1, text=cleaned
    )
    session.add(question)
    session.flush()
    announce_agenda(session, event_id)
    return question


def update_question(
    session: Session, organizer: Organizer, event_id: int, question_id: int, text: str
) -> AgendaQuestion:
    """Reword a question."""
    question = owned_question(session, organizer, event_id, question_id)
    question.text = _clean_question(text)
    session.flush()
    announce_agenda(session, event_id)
    return question


def remove_question(session: Session, organizer: Organizer, event_id: int, question_id: int) -> int:
    """Delete a question with the answers filed under it; returns how many answers went with it."""
    question = owned_question(session, organizer, event_id, question_id)
    answers = session.scalar(
        select(func.count()).select_from(Contribution).where(Contribution.question_id == question.id)
    )
    event = owned_event(session, organizer, event_id)
    if answers and event.status in {EventStatus.LIVE, EventStatus.ENDED, EventStatus.PUBLISHED}:
        raise Conflict(
            ngettext(
                "Question %(number)s has %(num)s contribution on record. Leave it on the agenda; "
                "to keep contributions out of the published record, hide them in the record editor.",
                "Question %(number)s has %(num)s contributions on record. Leave it on the agenda; "
                "to keep them out of the published record, hide them in the record editor.",
                answers,
                number=question.position,
            )
        )
    state = session.get(LiveState, event_id)
    was_current = state is not None and state.current_question_id == question.id
    session.delete(question)
    session.flush()
    for position, remaining in enumerate(ordered_questions(session, event_id), start=1):
        remaining.position = position
    session.flush()
    announce_agenda(session, event_id)
    if was_current:
        state.current_question_id = None  # the database has let go of it already (ON DELETE SET NULL)
        outbox.announce(session, event_id, Change.CURRENT_QUESTION, {"question_id": None}, public=True)
    return answers or 0


def move_question(
    session: Session, organizer: Organizer, event_id: int, question_id: int, to_position: int
) -> AgendaQuestion:
    """Move a question to a 1-based position; out-of-range positions go to the nearest end."""
    question = owned_question(session, organizer, event_id, question_id)
    questions = ordered_questions(session, event_id)
    questions.remove(question)
    target = max(1, min(len(questions) + 1, to_position))
    questions.insert(target - 1, question)
    for position, item in enumerate(questions, start=1):
        item.position = position
    session.flush()
    announce_agenda(session, event_id)
    return question


def count_answers(session: Session, event_id: int) -> dict[int, int]:
    """How many contributions are filed under each question of the event."""
    rows = session.execute(
        select(Contribution.question_id, func.count())
        .where(Contribution.event_id == event_id, Contribution.question_id.is_not(None))
        .group_by(Contribution.question_id)
    ).all()
    return {question_id: count for question_id, count in rows}
