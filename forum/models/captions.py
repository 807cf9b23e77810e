"""Live captions: the secret link a captioner posts to, and every caption segment it brought in, filed under
the question current at the time and attributed to a speaker where the room knows one."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, text, true
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, utcnow
from forum.models._types import str_enum


class CaptionLink(Base):
    """Where an event's captions are posted (a person's captioning software or a speech engine). The link
    carries a random token; only its hash is kept. Issuing a new link revokes the one before."""

    __tablename__ = "caption_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    # The highest sequence number accepted on this link: a post that repeats one is a retry.
    last_seq: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    last_used_at: Mapped[datetime | None]


class Attribution(enum.StrEnum):
    NAMED = "named"  # the source named a member of the panel
    FLOOR = "floor"  # whoever held the floor when it arrived
    NONE = "unattributed"


class CaptionSegment(Base):
    """One caption post: its text, when it was said (milliseconds from the session's start), the question
    current then and who said it, as far as the room knows."""

    __tablename__ = "caption_segments"
    __table_args__ = (UniqueConstraint("link_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("caption_links.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]
    language: Mapped[str | None] = mapped_column(String(35))
    text: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    start_ms: Mapped[int]
    end_ms: Mapped[int]
    final: Mapped[bool] = mapped_column(default=True, server_default=true())
    question_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_questions.id", ondelete="SET NULL"))
    participant_id: Mapped[int | None] = mapped_column(ForeignKey("participants.id", ondelete="SET NULL"))
    attribution: Mapped[Attribution] = mapped_column(str_enum(Attribution, "caption_attribution"))
    # The speaker as the source named them, kept for review when it matched nobody on the panel.
    speaker_label: Mapped[str | None] = mapped_column(String(120))
    # The first segment of the run this one continues, as captions arrived: the same question and speaker as
    # the caption before it. None when it starts a run itself (``run``). Live pages group by it.
    run_id: Mapped[int | None]

    @property
    def run(self) -> int:
        """The id of the run this segment belongs to: the first segment's."""
        return self.run_id or self.id
