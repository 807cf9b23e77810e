"""Retention: some days after an event ends, forget what the audience sent that was never published,
and cut the link between audience rows and the browsers behind them (docs/privacy.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

from forum.models import (
    AudienceMember,
    AudienceQuestion,
    Event,
    LiveState,
    QuestionReport,
    QuestionStatus,
    SubmissionReceipt,
)

UNPUBLISHED = (
    QuestionStatus.PENDING,
    QuestionStatus.HELD,
    QuestionStatus.HIDDEN,
    QuestionStatus.REJECTED,
    QuestionStatus.WITHDRAWN,
    QuestionStatus.MERGED,
)


@dataclass(frozen=True)
class PurgeReport:
    events: int
    questions: int
    reports: int
    receipts: int
    tokens: int

    def describe(self) -> str:
        return (
            f"{self.events} event(s) past retention: removed {self.questions} unpublished question(s), "
            f"{self.reports} report(s), {self.receipts} submission receipt(s); "
            f"cleared {self.tokens} audience token(s)."
        )


def events_past_retention(session: Session, now: datetime, days: int) -> list[int]:
    """Events whose session ended (or, never run live, whose start passed) more than ``days`` ago."""
    cutoff = now - timedelta(days=days)
    return list(
        session.scalars(
            select(Event.id)
            .outerjoin(LiveState, LiveState.event_id == Event.id)
            .where(
                or_(
                    LiveState.ended_at <= cutoff,
                    and_(LiveState.ended_at.is_(None), Event.starts_at <= cutoff),
                )
            )
        )
    )


def purge_audience_data(session: Session, now: datetime, days: int, *, dry_run: bool = False) -> PurgeReport:
    """Delete unpublished audience questions, reports and receipts, and clear audience tokens, for old events.

    Published questions and their vote counts stay: they are part of the record.
    """
    if days < 0:
        raise ValueError("The retention period cannot be negative.")
    event_ids = events_past_retention(session, now, days)
    if not event_ids:
        return PurgeReport(0, 0, 0, 0, 0)
    members = select(AudienceMember.id).where(AudienceMember.event_id.in_(event_ids))
    questions = select(AudienceQuestion.id).where(AudienceQuestion.event_id.in_(event_ids))

    def count(statement) -> int:
        return session.scalar(select(func.count()).select_from(statement.subquery())) or 0

    unpublished = select(AudienceQuestion.id).where(
        AudienceQuestion.event_id.in_(event_ids), AudienceQuestion.status.in_(UNPUBLISHED)
    )
    report = PurgeReport(
        events=len(event_ids),
        questions=count(unpublished),
        reports=count(select(QuestionReport.id).where(QuestionReport.question_id.in_(questions))),
        receipts=count(select(SubmissionReceipt.id).where(SubmissionReceipt.member_id.in_(members))),
        tokens=count(members.where(AudienceMember.token_hash.is_not(None))),
    )
    if dry_run:
        return report
    opts = {"synchronize_session": False}
    session.execute(
        delete(QuestionReport).where(QuestionReport.question_id.in_(questions)).execution_options(**opts)
    )
    session.execute(
        update(LiveState)
        .where(LiveState.event_id.in_(event_ids), LiveState.highlighted_question_id.in_(unpublished))
        .values(highlighted_question_id=None)
        .execution_options(**opts)
    )
    session.execute(
        update(AudienceQuestion)
        .where(AudienceQuestion.merged_into_id.in_(unpublished))
        .values(merged_into_id=None)
        .execution_options(**opts)
    )
    session.execute(
        delete(AudienceQuestion).where(AudienceQuestion.id.in_(unpublished)).execution_options(**opts)
    )
    session.execute(
        delete(SubmissionReceipt).where(SubmissionReceipt.member_id.in_(members)).execution_options(**opts)
    )
    session.execute(
        update(AudienceMember)
        .where(AudienceMember.event_id.in_(event_ids))
        .values(token_hash=None, blocked_at=None)
        .execution_options(**opts)
    )
    session.flush()
    return report
