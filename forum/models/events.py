"""Events and the organisations that host them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import Base, utcnow
from forum.models._types import str_enum

if TYPE_CHECKING:
    from forum.models.accounts import Organizer
    from forum.models.agenda import AgendaQuestion
    from forum.models.panel import Participant


class EventStatus(enum.StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    LIVE = "live"
    ENDED = "ended"
    PUBLISHED = "published"


# The sets of event statuses the rules use, each defined once here.
AUDIENCE_OPEN_STATUSES = frozenset({EventStatus.SCHEDULED, EventStatus.LIVE})  # the audience may act
CAPTURE_STATUSES = frozenset({EventStatus.LIVE, EventStatus.ENDED})  # what was said may be recorded
PREPARED_ANSWER_STATUSES = frozenset(  # panelists may write prepared answers (until publication)
    {EventStatus.DRAFT, EventStatus.SCHEDULED, EventStatus.LIVE, EventStatus.ENDED}
)
PUBLISHABLE_STATUSES = frozenset(  # a record may be published (not while the session runs)
    {EventStatus.DRAFT, EventStatus.SCHEDULED, EventStatus.ENDED, EventStatus.PUBLISHED}
)


class HostOrganisation(Base):
    """The group in whose name an event is held ("About the host" in the record)."""

    __tablename__ = "host_organisations"
    __table_args__ = (UniqueConstraint("organizer_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(500))
    about: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def event_visible(status: EventStatus, organizer_id: int, viewer_id: int | None = None) -> bool:
    """The visibility rule, once: anyone sees an event once it is scheduled; a draft only its owner."""
    return status != EventStatus.DRAFT or (viewer_id is not None and viewer_id == organizer_id)


class Event(Base):
    """One moderated panel debate, from draft to published record."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    organizer_id: Mapped[int] = mapped_column(ForeignKey("organizers.id", ondelete="CASCADE"), index=True)
    host_id: Mapped[int] = mapped_column(ForeignKey("host_organisations.id", ondelete="RESTRICT"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    summary: Mapped[str | None] = mapped_column(Text)
    starts_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    # The start's year at the venue (in ``timezone``), kept with ``starts_at`` by the events service, so the
    # archive files an event under the year its own readers see, and filters by it in SQL.
    local_year: Mapped[int] = mapped_column(index=True)
    venue: Mapped[str | None] = mapped_column(String(200))
    online_url: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str] = mapped_column(String(16))
    status: Mapped[EventStatus] = mapped_column(
        str_enum(EventStatus, "event_status"), default=EventStatus.DRAFT
    )
    join_code: Mapped[str] = mapped_column(String(12), unique=True)
    # Audience participation settings.
    questions_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    premoderation: Mapped[bool] = mapped_column(default=True, server_default=true())
    word_list: Mapped[str | None] = mapped_column(Text)  # one term per line; matches are held for review
    report_threshold: Mapped[int] = mapped_column(default=3, server_default=text("3"))
    comments_enabled: Mapped[bool] = mapped_column(default=False, server_default=false())
    # The session's recording (video or audio) and where in it the session starts, in seconds: the published
    # record links every answer and caption run to its moment. And whether the record carries the verbatim
    # captions (the organizer's choice; off by default).
    recording_url: Mapped[str | None] = mapped_column(String(500))
    recording_offset_seconds: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    verbatim_in_record: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organizer: Mapped[Organizer] = relationship(lazy="raise")
    host: Mapped[HostOrganisation] = relationship(lazy="joined", innerjoin=True)
    participants: Mapped[list[Participant]] = relationship(
        back_populates="event",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(Participant.role, Participant.position, Participant.id)",
    )
    questions: Mapped[list[AgendaQuestion]] = relationship(
        back_populates="event",
        lazy="raise",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="(AgendaQuestion.position, AgendaQuestion.id)",
    )

    def visible_to(self, viewer_id: int | None = None) -> bool:
        return event_visible(self.status, self.organizer_id, viewer_id)

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.slug!r} {self.status.value}>"
