"""The people on stage: moderator, panelists, scribes, and their invitation links."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import Base, utcnow
from forum.models._types import str_enum

if TYPE_CHECKING:
    from forum.models.events import Event


class ParticipantRole(enum.StrEnum):
    MODERATOR = "moderator"
    PANELIST = "panelist"
    SCRIBE = "scribe"


class Participant(Base):
    """Someone with a named role in one event; not necessarily an account holder."""

    __tablename__ = "participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(str_enum(ParticipantRole, "participant_role"))
    display_name: Mapped[str] = mapped_column(String(120))
    short_name: Mapped[str] = mapped_column(String(60))
    affiliation: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship(back_populates="participants", lazy="raise")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="participant",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Invitation.id",
    )

    @property
    def label(self) -> str:
        """Name with affiliation, as printed in a programme: "Name (Affiliation)"."""
        return f"{self.display_name} ({self.affiliation})" if self.affiliation else self.display_name

    def __repr__(self) -> str:
        return f"<Participant {self.id} {self.role.value} {self.display_name!r}>"


class Invitation(Base):
    """A personal link for a participant. Only a hash of the token is stored; revoked links stop working."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]

    participant: Mapped[Participant] = relationship(back_populates="invitations", lazy="raise")
