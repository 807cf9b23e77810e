"""Typed SQLAlchemy models. Importing this package registers every table on ``Base.metadata``."""

from forum.models.accounts import Organizer
from forum.models.agenda import AgendaQuestion
from forum.models.audience import (
    AWAITING_STATUSES,
    EDITABLE_STATUSES,
    GONE_STATUSES,
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
from forum.models.captions import Attribution, CaptionLink, CaptionSegment
from forum.models.contributions import (
    Contribution,
    ContributionKind,
    ContributionRevision,
    ContributionSource,
)
from forum.models.events import (
    AUDIENCE_OPEN_STATUSES,
    CAPTURE_STATUSES,
    PREPARED_ANSWER_STATUSES,
    PUBLISHABLE_STATUSES,
    Event,
    EventStatus,
    HostOrganisation,
    event_visible,
)
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
    "AUDIENCE_OPEN_STATUSES",
    "AWAITING_STATUSES",
    "CAPTURE_STATUSES",
    "EDITABLE_STATUSES",
    "GONE_STATUSES",
    "PREPARED_ANSWER_STATUSES",
    "PUBLISHABLE_STATUSES",
    "VISIBLE_STATUSES",
    "AgendaQuestion",
    "Attribution",
    "AudienceMember",
    "AudienceQuestion",
    "CaptionLink",
    "CaptionSegment",
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
    "event_visible",
]
