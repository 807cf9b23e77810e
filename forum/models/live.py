"""State of the live room that must survive a server restart: session times, current question,
transcript-feed switch, the per-stream sequence counters, and every speaking turn."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, false, text, true
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, utcnow


class LiveState(Base):
    """One row per event. ``public_seq``, ``crew_seq`` and ``staff_seq`` number each stream's broadcasts."""

    __tablename__ = "live_states"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    current_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("agenda_questions.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    highlighted_question_id: Mapped[int | None] = mapped_column(
        ForeignKey("audience_questions.id", ondelete="SET NULL")
    )
    feed_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Whether the open poll and the highlighted audience question stay on the projector when the question
    # changes; by default they leave with the question they belonged to.
    projector_keep: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Live captions: whether the audience and the projector get them at all (the organizer's switch), and
    # whether the projector shows its caption band (the moderator's).
    captions_public: Mapped[bool] = mapped_column(default=True, server_default=true())
    captions_on_projector: Mapped[bool] = mapped_column(default=False, server_default=false())
    public_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    staff_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    crew_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SpeakingTurn(Base):
    """A stretch of time one person held the floor, filed under the question current at the time.

    The open turn (``ended_at`` is NULL) is who has the floor now; a partial unique index keeps it to one.
    """

    __tablename__ = "speaking_turns"
    __table_args__ = (
        Index(
            "uq_speaking_turns_one_open_per_event",
            "event_id",
            unique=True,
            sqlite_where=text("ended_at IS NULL"),
            postgresql_where=text("ended_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_questions.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
