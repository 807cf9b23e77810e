"""Exact vote counts and poll tallies, read from the database for the coalesced broadcasts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import outbox
from forum.limits import BOARD_SNAPSHOT_QUESTIONS
from forum.models import PollVote, QuestionVote
from forum.protocol import Change


def vote_counts(session: Session, question_ids: Iterable[int]) -> dict[int, int]:
    """Upvotes per audience question (questions without votes count 0)."""
    ids = list(question_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(QuestionVote.question_id, func.count())
        .where(QuestionVote.question_id.in_(ids))
        .group_by(QuestionVote.question_id)
    ).all()
    counts = dict.fromkeys(ids, 0)
    counts.update(dict(rows))
    return counts


def poll_tallies(session: Session, poll_ids: Iterable[int]) -> dict[int, dict[int, int]]:
    """Votes per option for each poll (options without votes are absent)."""
    ids = list(poll_ids)
    tallies: dict[int, dict[int, int]] = {pid: {} for pid in ids}
    if not ids:
        return tallies
    rows = session.execute(
        select(PollVote.poll_id, PollVote.option_id, func.count())
        .where(PollVote.poll_id.in_(ids))
        .group_by(PollVote.poll_id, PollVote.option_id)
    ).all()
    for poll_id, option_id, count in rows:
        tallies[poll_id][option_id] = count
    return tallies


def tally_payload(poll_id: int, tally: dict[int, int]) -> dict[str, object]:
    return {"poll_id": poll_id, "tally": {str(k): v for k, v in tally.items()}, "total": sum(tally.values())}


def publish_tallies(session: Session, event_id: int, question_ids: set[int], poll_ids: set[int]) -> None:
    """Record one delta with the current counts of the given questions, and one per poll."""
    if question_ids:
        from forum.audience.payloads import climbers  # payloads reads its counts from here

        counts = vote_counts(session, question_ids)
        data: dict[str, Any] = {"counts": {str(k): v for k, v in counts.items()}}
        # On a board too crowded for one snapshot, a question that climbs into its head comes whole.
        climbed = climbers(session, event_id, question_ids, BOARD_SNAPSHOT_QUESTIONS)
        if climbed:
            data["questions"] = climbed
        outbox.announce(session, event_id, Change.VOTES, data, public=True)
    for poll_id, tally in poll_tallies(session, poll_ids).items():
        outbox.announce(session, event_id, Change.POLL_TALLY, tally_payload(poll_id, tally), public=True)
