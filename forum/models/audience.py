"""The audience's side of an event: anonymous members, their questions and votes, reports, stance polls,
and the moderation log. No personal data: a member is a hash of a random per-browser token."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, utcnow
from forum.models._types import str_enum


class AudienceMember(Base):
    """One browser in one event. The retention purge clears ``token_hash``, leaving an anonymous row."""

    __tablename__ = "audience_members"
    __table_args__ = (UniqueConstraint("event_id", "token_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    blocked_at: Mapped[datetime | None]


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a moderator (pre-moderation)
    HELD = "held"  # matched the word list; waiting for a moderator
    APPROVED = "approved"
    ANSWERED = "answered"
    REJECTED = "rejected"
    HIDDEN = "hidden"  # hidden automatically after reports, until a moderator decides
    WITHDRAWN = "withdrawn"  # by its author
    MERGED = "merged"  # folded into another question


# The sets of audience-question statuses the rules use, each defined once here.
VISIBLE_STATUSES = frozenset({QuestionStatus.APPROVED, QuestionStatus.ANSWERED})  # on the public board
AWAITING_STATUSES = frozenset(
    {QuestionStatus.PENDING, QuestionStatus.HELD, QuestionStatus.HIDDEN}
)  # for a decision
EDITABLE_STATUSES = frozenset({QuestionStatus.PENDING, QuestionStatus.HELD})  # its author may still change it
GONE_STATUSES = frozenset({QuestionStatus.WITHDRAWN, QuestionStatus.MERGED})  # no longer shown to staff


class AudienceQuestion(Base):
    __tablename__ = "audience_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_members.id", ondelete="SET NULL"), index=True
    )
    agenda_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_questions.id", ondelete="SET NULL")
    )
    display_name: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[QuestionStatus] = mapped_column(str_enum(QuestionStatus, "question_status"), index=True)
    held_reason: Mapped[str | None] = mapped_column(String(200))
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    pinned: Mapped[bool] = mapped_column(default=False, server_default=false())
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_questions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    decided_at: Mapped[datetime | None]


class QuestionVote(Base):
    __tablename__ = "question_votes"
    __table_args__ = (UniqueConstraint("question_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("audience_questions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class QuestionReport(Base):
    __tablename__ = "question_reports"
    __table_args__ = (UniqueConstraint("question_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(
        ForeignKey("audience_questions.id", ondelete="CASCADE"), index=True
    )
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_members.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SubmissionReceipt(Base):
    """What a client-generated id produced, so a retried submission returns it instead of repeating."""

    __tablename__ = "submission_receipts"
    __table_args__ = (UniqueConstraint("member_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_members.id", ondelete="CASCADE"), index=True)
    client_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PollStatus(enum.StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PollPhase(enum.StrEnum):
    SINGLE = "single"
    BEFORE = "before"  # asked before the discussion of a question
    AFTER = "after"  # the same poll asked again afterwards, to show how opinion moved


class Poll(Base):
    __tablename__ = "polls"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    agenda_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_questions.id", ondelete="SET NULL")
    )
    prompt: Mapped[str] = mapped_column(Text)
    phase: Mapped[PollPhase] = mapped_column(str_enum(PollPhase, "poll_phase"))
    paired_with_id: Mapped[int | None] = mapped_column(ForeignKey("polls.id", ondelete="SET NULL"))
    status: Mapped[PollStatus] = mapped_column(str_enum(PollStatus, "poll_status"))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]


class PollOption(Base):
    __tablename__ = "poll_options"

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    label: Mapped[str] = mapped_column(String(120))


class PollVote(Base):
    __tablename__ = "poll_votes"
    __table_args__ = (UniqueConstraint("poll_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    poll_id: Mapped[int] = mapped_column(ForeignKey("polls.id", ondelete="CASCADE"), index=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("poll_options.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_members.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationEntry(Base):
    """Who did what to audience content, and when. Shown to organizers."""

    __tablename__ = "moderation_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
