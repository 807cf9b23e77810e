"""The ordered questions the moderator puts to the panel."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import Base, utcnow

if TYPE_CHECKING:
    from forum.models.events import Event


class AgendaQuestion(Base):
    """One preset question; ``position`` is 1-based and kept dense by the agenda service."""

    __tablename__ = "agenda_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # Added by the moderator during the session rather than prepared in advance.
    added_live: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="questions", lazy="raise")

    def __repr__(self) -> str:
        return f"<AgendaQuestion {self.id} #{self.position}>"
