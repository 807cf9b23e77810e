"""What was said (or written in advance) under each question, with every revision kept."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import Base, utcnow
from forum.models._types import str_enum

if TYPE_CHECKING:
    from forum.models.agenda import AgendaQuestion
    from forum.models.panel import Participant


class ContributionKind(enum.StrEnum):
    MODERATOR_PROMPT = "moderator_prompt"
    ANSWER = "answer"
    FOLLOW_UP = "follow_up"


class ContributionSource(enum.StrEnum):
    PREPARED = "prepared"  # written by the panelist through their invitation link before the event
    LIVE = "live"  # captured during the session
    IMPORTED = "imported"  # brought in from an existing transcript


class Contribution(Base):
    __tablename__ = "contributions"
    # A client-generated id makes a retried capture land once, not twice.
    __table_args__ = (UniqueConstraint("event_id", "client_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_questions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[ContributionKind] = mapped_column(str_enum(ContributionKind, "contribution_kind"))
    source: Mapped[ContributionSource] = mapped_column(str_enum(ContributionSource, "contribution_source"))
    text: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str | None] = mapped_column(String(64))
    # Review before publishing: order within the question, left out of the record, folded into another.
    position: Mapped[int | None]
    hidden: Mapped[bool] = mapped_column(default=False, server_default=false())
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contributions.id", ondelete="SET NULL"))
    # The revision number the speaker approved through their invitation link (approved while it is current).
    approved_revision: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    question: Mapped[AgendaQuestion | None] = relationship(lazy="raise")
    speaker: Mapped[Participant | None] = relationship(lazy="raise")
    revisions: Mapped[list[ContributionRevision]] = relationship(
        back_populates="contribution",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ContributionRevision.number",
    )


class ContributionRevision(Base):
    """One saved version of a contribution's text; number 1 is the original."""

    __tablename__ = "contribution_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    contribution_id: Mapped[int] = mapped_column(
        ForeignKey("contributions.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    revised_at: Mapped[datetime] = mapped_column(default=utcnow)
    revised_by: Mapped[str] = mapped_column(String(120))

    contribution: Mapped[Contribution] = relationship(back_populates="revisions", lazy="raise")
