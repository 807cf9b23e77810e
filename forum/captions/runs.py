"""Caption runs: consecutive caption segments of one speaker under one question, read as one passage."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.models import Attribution, CaptionSegment


@dataclass
class Run:
    """A stretch of captions: the question, the speaker (None when unattributed), and its segments."""

    question_id: int | None
    participant_id: int | None
    attribution: Attribution
    segments: list[CaptionSegment] = field(default_factory=list)

    @property
    def id(self) -> int:
        """A run is known by its first segment."""
        return self.segments[0].id

    @property
    def start_ms(self) -> int:
        return self.segments[0].start_ms

    @property
    def end_ms(self) -> int:
        return max(segment.end_ms for segment in self.segments)

    @property
    def text(self) -> str:
        return " ".join(segment.text for segment in self.segments)


def event_segments(session: Session, event_id: int) -> list[CaptionSegment]:
    """An event's caption segments in the order they were said."""
    return list(
        session.scalars(
            select(CaptionSegment)
            .where(CaptionSegment.event_id == event_id)
            .order_by(CaptionSegment.start_ms, CaptionSegment.id)
        )
    )


def group_runs(segments: list[CaptionSegment]) -> list[Run]:
    """Consecutive segments with the same question and speaker make one run; a named speaker and the same
    person found holding the floor are one speaker."""
    runs: list[Run] = []
    for segment in segments:
        last = runs[-1] if runs else None
        if (
            last is None
            or last.question_id != segment.question_id
            or last.participant_id != segment.participant_id
        ):
            last = Run(segment.question_id, segment.participant_id, segment.attribution)
            runs.append(last)
        last.segments.append(segment)
    return runs


def event_runs(session: Session, event_id: int) -> list[Run]:
    return group_runs(event_segments(session, event_id))
