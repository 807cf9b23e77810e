"""Typed SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from forum.models.accounts import Organizer
from forum.models.agenda import AgendaQuestion
from forum.models.audience import (
    AWAITING_STATUSES,
    VISIBLE_STATUSES,
    AudienceMember,
    AudienceQuestion,
    ModerationEntry,
    Poll,
    PollOption,
    PollPhase,
    PollStatus,
    PollVote,
    QuestionReport,
    QuestionStatus,
    QuestionVote,
    SubmissionReceipt,
)
from forum.models.contributions import (
    Contribution,
    ContributionKind,
    ContributionRevision,
    ContributionSource,
)
from forum.models.events import Event, EventStatus, HostOrganisation
from forum.models.live import LiveState, SpeakingTurn
from forum.models.panel import Invitation, Participant, ParticipantRole
from forum.models.publishing import (
    CommentReport,
    CommentStatus,
    ReaderComment,
    SearchEntry,
    TranscriptVersion,
)

__all__ = [
    "AWAITING_STATUSES",
    "VISIBLE_STATUSES",
    "AgendaQuestion",
    "AudienceMember",
    "AudienceQuestion",
    "CommentReport",
    "CommentStatus",
    "Contribution",
    "ContributionKind",
    "ContributionRevision",
    "ContributionSource",
    "Event",
    "EventStatus",
    "HostOrganisation",
    "Invitation",
    "LiveState",
    "ModerationEntry",
    "Organizer",
    "Participant",
    "ParticipantRole",
    "Poll",
    "PollOption",
    "PollPhase",
    "PollStatus",
    "PollVote",
    "QuestionReport",
    "QuestionStatus",
    "QuestionVote",
    "ReaderComment",
    "SearchEntry",
    "SpeakingTurn",
    "SubmissionReceipt",
    "TranscriptVersion",
]
