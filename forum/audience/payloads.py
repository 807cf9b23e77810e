"""Audience questions and polls as the audience, the staff and each author see them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import protocol
from forum.access import Actor
from forum.audience.identity import MemberRef, find_member
from forum.audience.tallies import poll_tallies, tally_payload, vote_counts
from forum.models import (
    GONE_STATUSES,
    VISIBLE_STATUSES,
    AudienceMember,
    AudienceQuestion,
    Event,
    Poll,
    PollOption,
    PollVote,
    QuestionReport,
    QuestionStatus,
    QuestionVote,
)


def public_question(item: AudienceQuestion, votes: int) -> dict[str, Any]:
    return {
        "id": item.id,
        "text": item.text,
        "display_name": item.display_name,
        "agenda_question_id": item.agenda_question_id,
        "status": item.status.value,
        "pinned": item.pinned,
        "votes": votes,
        "created_at": protocol.timestamp(item.created_at),
    }


def staff_question(item: AudienceQuestion, votes: int, reports: int, blocked: bool) -> dict[str, Any]:
    return {
        **public_question(item, votes),
        "member_id": item.member_id,
        "author_blocked": blocked,
        "held_reason": item.held_reason,
        "rejection_reason": item.rejection_reason,
        "reports": reports,
        "merged_into_id": item.merged_into_id,
    }


def own_question(item: AudienceQuestion, votes: int) -> dict[str, Any]:
    return {**public_question(item, votes), "rejection_reason": item.rejection_reason}


def report_counts(session: Session, question_ids: list[int]) -> dict[int, int]:
    if not question_ids:
        return {}
    rows = session.execute(
        select(QuestionReport.question_id, func.count())
        .where(QuestionReport.question_id.in_(question_ids))
        .group_by(QuestionReport.question_id)
    ).all()
    return dict(rows)


def staff_payload(session: Session, item: AudienceQuestion) -> dict[str, Any]:
    """One question as staff see it, with its current counts; ``removed`` says it leaves their list."""
    member = session.get(AudienceMember, item.member_id) if item.member_id else None
    payload = staff_question(
        item,
        vote_counts(session, [item.id])[item.id],
        report_counts(session, [item.id]).get(item.id, 0),
        bool(member and member.blocked_at),
    )
    if item.status in GONE_STATUSES:
        payload["removed"] = True
    return payload


BOARD_SORTS = ("votes", "newest")


def board_order(items: list[AudienceQuestion], counts: dict[int, int], sort: str) -> list[AudienceQuestion]:
    """The board's order (as ``SORTS`` in forum/live/regions.py orders it on the page): pinned first, then
    most votes (oldest first among equals), or newest first."""
    if sort == "newest":
        ordered = sorted(items, key=lambda q: (q.created_at, q.id), reverse=True)
    else:
        ordered = sorted(items, key=lambda q: (-counts.get(q.id, 0), q.created_at, q.id))
    return sorted(ordered, key=lambda q: not q.pinned)  # stable: keeps the order within pinned and unpinned


def _listed_where(event_id: int, *, staff: bool) -> Any:
    """The questions a stream lists: the public board (approved, answered), or all but gone ones for staff."""
    status = AudienceQuestion.status
    shown = status.not_in(GONE_STATUSES) if staff else status.in_(VISIBLE_STATUSES)
    return (AudienceQuestion.event_id == event_id) & shown


def _listed(session: Session, event_id: int, *, staff: bool) -> list[AudienceQuestion]:
    query = select(AudienceQuestion).where(_listed_where(event_id, staff=staff))
    return list(session.scalars(query.order_by(AudienceQuestion.created_at, AudienceQuestion.id)))


def _board_heads(items: list[AudienceQuestion], counts: dict[int, int], limit: int) -> set[int]:
    """The ids of the first ``limit`` questions in each of the board's orders."""
    return {q.id for sort in BOARD_SORTS for q in board_order(items, counts, sort)[:limit]}


def _payloads(
    session: Session, event_id: int, items: list[AudienceQuestion], counts: dict[int, int], *, staff: bool
) -> list[dict[str, Any]]:
    if not staff:
        return [public_question(q, counts[q.id]) for q in items]
    reports = report_counts(session, [q.id for q in items])
    blocked = set(
        session.scalars(
            select(AudienceMember.id).where(
                AudienceMember.event_id == event_id, AudienceMember.blocked_at.is_not(None)
            )
        )
    )
    return [staff_question(q, counts[q.id], reports.get(q.id, 0), q.member_id in blocked) for q in items]


def questions_for(
    session: Session, event_id: int, *, staff: bool, limit: int | None = None, keep: int | None = None
) -> tuple[list[dict[str, Any]], int]:
    """The public list (approved and answered) or the staff list (everything but withdrawn and merged),
    with how many there are in all.

    With ``limit`` a public list holds only the first ``limit`` questions by votes and the ``limit`` newest
    (and ``keep``, the question on the projector): a crowded board costs each phone a bounded snapshot, and
    the rest is a ``board_page`` away. Staff always get everything: they moderate it.
    """
    items = _listed(session, event_id, staff=staff)
    total = len(items)
    counts = vote_counts(session, [q.id for q in items])
    if not staff and limit is not None and total > limit:
        kept = _board_heads(items, counts, limit) | {keep}
        items = [q for q in items if q.id in kept]
    return _payloads(session, event_id, items, counts, staff=staff), total


def board_page(
    session: Session, event_id: int, *, staff: bool, sort: str, offset: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """``limit`` questions of the board from ``offset`` in ``sort`` order, and how many there are in all."""
    items = _listed(session, event_id, staff=staff)
    counts = vote_counts(session, [q.id for q in items])
    page = board_order(items, counts, sort)[offset : offset + limit]
    return _payloads(session, event_id, page, counts, staff=staff), len(items)


def climbers(session: Session, event_id: int, changed: set[int], limit: int) -> list[dict[str, Any]]:
    """Of the questions whose counts just changed, those now among the first ``limit`` by votes, as the
    public sees them: a phone holding only the head of a crowded board (``questions_for`` with ``limit``)
    learns of a question that has climbed into it. Nothing while the whole board fits in a snapshot (then
    only a count is read, not the board)."""
    published = session.scalar(select(func.count()).where(_listed_where(event_id, staff=False)))
    if not published or published <= limit:
        return []
    items = _listed(session, event_id, staff=False)
    counts = vote_counts(session, [q.id for q in items])
    head = board_order(items, counts, "votes")[:limit]
    return [public_question(q, counts[q.id]) for q in head if q.id in changed]


def poll_payload(session: Session, poll: Poll, tally: dict[int, int] | None = None) -> dict[str, Any]:
    options = session.scalars(
        select(PollOption).where(PollOption.poll_id == poll.id).order_by(PollOption.position)
    )
    if tally is None:
        tally = poll_tallies(session, [poll.id])[poll.id]
    return {
        "id": poll.id,
        "question_id": poll.agenda_question_id,
        "prompt": poll.prompt,
        "phase": poll.phase.value,
        "paired_with_id": poll.paired_with_id,
        "status": poll.status.value,
        "options": [{"id": o.id, "label": o.label} for o in options],
        **{k: v for k, v in tally_payload(poll.id, tally).items() if k != "poll_id"},
        "opened_at": protocol.timestamp(poll.opened_at),
        "closed_at": protocol.timestamp(poll.closed_at),
    }


def polls_for(session: Session, event_id: int) -> list[dict[str, Any]]:
    polls = list(
        session.scalars(select(Poll).where(Poll.event_id == event_id).order_by(Poll.opened_at, Poll.id))
    )
    tallies = poll_tallies(session, [p.id for p in polls])
    return [poll_payload(session, p, tallies[p.id]) for p in polls]


def mine(session: Session, actor: Actor) -> dict[str, Any]:
    """An audience member's own questions (any status), votes and poll choices."""
    return mine_of(session, find_member(session, actor))


def mine_of(session: Session | None, member: MemberRef | None) -> dict[str, Any]:
    """``mine`` for a member already looked up. None: the identity has not taken part yet, and nothing is
    read (``session`` may then be None)."""
    if member is None:
        return {"blocked": False, "questions": [], "votes": [], "poll_votes": {}}
    assert session is not None, "a member's own questions and votes are read from the database"
    own = list(
        session.scalars(
            select(AudienceQuestion)
            .where(AudienceQuestion.member_id == member.id, AudienceQuestion.status != QuestionStatus.MERGED)
            .order_by(AudienceQuestion.created_at)
        )
    )
    counts = vote_counts(session, [q.id for q in own])
    votes = session.scalars(select(QuestionVote.question_id).where(QuestionVote.member_id == member.id))
    choices = session.execute(
        select(PollVote.poll_id, PollVote.option_id).where(PollVote.member_id == member.id)
    )
    return {
        "blocked": member.blocked_at is not None,
        "questions": [own_question(q, counts[q.id]) for q in own],
        "votes": sorted(votes),
        "poll_votes": {str(poll_id): option_id for poll_id, option_id in choices},
    }


def audience_settings(event: Event, *, staff: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "questions_enabled": event.questions_enabled,
        "premoderation": event.premoderation,
    }
    if staff:
        data |= {"word_list": event.word_list or "", "report_threshold": event.report_threshold}
    return data
