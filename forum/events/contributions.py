"""Contributions: answers, prompts and follow-ups, each edit kept as a numbered revision."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from forum.errors import Conflict, NotFound, PermissionDenied
from forum.events.agenda import question_in_event
from forum.fields import clean_text
from forum.limits import CONTRIBUTION_MAX
from forum.models import (
    PREPARED_ANSWER_STATUSES,
    AgendaQuestion,
    Contribution,
    ContributionKind,
    ContributionRevision,
    ContributionSource,
    Event,
    Participant,
    ParticipantRole,
)

# Prepared answers may be written until the record is published; after that the organizer corrects it.


def add_revision(session: Session, contribution: Contribution, text: str, revised_by: str) -> None:
    """Record ``text`` as the contribution's newest version."""
    latest = session.scalar(
        select(ContributionRevision.number)
        .where(ContributionRevision.contribution_id == contribution.id)
        .order_by(ContributionRevision.number.desc())
        .limit(1)
    )
    contribution.text = text
    session.add(
        ContributionRevision(
            contribution_id=contribution.id, number=(latest or 0) + 1, text=text, revised_by=revised_by
        )
    )


def _prepared(session: Session, *conditions: Any) -> list[Contribution]:
    return list(
        session.scalars(
            select(Contribution)
            .options(selectinload(Contribution.revisions))
            .where(
                Contribution.kind == ContributionKind.ANSWER,
                Contribution.source == ContributionSource.PREPARED,
                Contribution.question_id.is_not(None),
                *conditions,
            )
        )
    )


def prepared_answers(session: Session, participant: Participant) -> dict[int, Contribution]:
    """The participant's prepared answers, keyed by question id, with their revisions loaded."""
    return {row.question_id: row for row in _prepared(session, Contribution.participant_id == participant.id)}


def prepared_answers_by_panelist(session: Session, event_id: int) -> dict[int, dict[int, Contribution]]:
    """Every prepared answer of an event in one query: participant id -> question id -> answer."""
    answers: dict[int, dict[int, Contribution]] = {}
    for row in _prepared(session, Contribution.event_id == event_id):
        answers.setdefault(row.participant_id, {})[row.question_id] = row
    return answers


def save_prepared_answer(
    session: Session, participant: Participant, question_id: int, text: str
) -> Contribution | None:
    """Create or revise the panelist's written answer to one preset question.

    Refused for non-panelists, questions of other events, and events whose record is published.
    An empty text withdraws the answer, with its history (returns None).
    """
    _check_can_write(session, participant)
    question_in_event(session, question_id, participant.event_id)
    return _save_one(
        session, participant, question_id, text, prepared_answers(session, participant).get(question_id)
    )


def save_prepared_answers(session: Session, participant: Participant, texts: dict[int, str]) -> None:
    """Save the panelist's written answers to several questions at once (the invitation page's form): the
    same rules as ``save_prepared_answer``, checked once, with the existing answers read once."""
    _check_can_write(session, participant)
    on_agenda = set(
        session.scalars(select(AgendaQuestion.id).where(AgendaQuestion.event_id == participant.event_id))
    )
    if set(texts) - on_agenda:
        raise NotFound(_("That question is not on this event's agenda."))
    existing = prepared_answers(session, participant)
    for question_id, text in texts.items():
        _save_one(session, participant, question_id, text, existing.get(question_id))


def _check_can_write(session: Session, participant: Participant) -> None:
    if participant.role != ParticipantRole.PANELIST:
        raise PermissionDenied(_("Only panelists write prepared answers."))
    event = session.get(Event, participant.event_id)
    if event is None or event.status not in PREPARED_ANSWER_STATUSES:
        raise Conflict(_("The record of this event is published; ask the organizer to correct it."))


def _save_one(
    session: Session, participant: Participant, question_id: int, text: str, existing: Contribution | None
) -> Contribution | None:
    """Create, revise or withdraw one prepared answer (the checks are the caller's)."""
    cleaned = clean_text(
        text,
        field=f"answer_{question_id}",
        label=_("Answer"),
        max_length=CONTRIBUTION_MAX,
        required=False,
        multiline=True,
    )
    editor = f"{participant.display_name} (invitation link)"
    if cleaned is None:
        if existing is not None:
            session.delete(existing)
            session.flush()
        return None
    if existing is None:
        existing = Contribution(
            event_id=participant.event_id,
            question_id=question_id,
            participant_id=participant.id,
            kind=ContributionKind.ANSWER,
            source=ContributionSource.PREPARED,
            text=cleaned,
        )
        session.add(existing)
        session.flush()
        add_revision(session, existing, cleaned, editor)
    elif existing.text != cleaned:
        add_revision(session, existing, cleaned, editor)
    session.flush()
    return existing


def revision_counts(session: Session, contribution_ids: list[int]) -> dict[int, int]:
    """How many saved versions each contribution has."""
    if not contribution_ids:
        return {}
    rows = session.execute(
        select(ContributionRevision.contribution_id, func.max(ContributionRevision.number))
        .where(ContributionRevision.contribution_id.in_(contribution_ids))
        .group_by(ContributionRevision.contribution_id)
    ).all()
    return dict(rows)
