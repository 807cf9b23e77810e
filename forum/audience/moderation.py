"""Moderating the audience: approve, reject, mark answered, pin, highlight, merge, block, settings.

Every decision is written to the moderation log with who made it.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from forum import outbox
from forum.access import Actor, Capability
from forum.audience.asking import announce_question, announce_to_staff, author_room
from forum.audience.moderation_log import log_action
from forum.audience.payloads import audience_settings
from forum.db import utcnow
from forum.errors import Conflict, InvalidInput, NotFound
from forum.fields import clean_text
from forum.limits import REJECTION_REASON_MAX, REPORT_THRESHOLD_MAX, WORD_LIST_MAX
from forum.live.state import live_state
from forum.models import (
    GONE_STATUSES,
    VISIBLE_STATUSES,
    AudienceMember,
    AudienceQuestion,
    Event,
    QuestionReport,
    QuestionStatus,
    QuestionVote,
)
from forum.protocol import Change


def _question(session: Session, actor: Actor, question_id: int) -> AudienceQuestion:
    actor.require(Capability.MODERATE)
    item = session.get(AudienceQuestion, question_id)
    if item is None or item.event_id != actor.event_id or item.status in GONE_STATUSES:
        raise NotFound(_("That audience question is not in this event's queue."))
    return item


def _decide(
    session: Session,
    actor: Actor,
    item: AudienceQuestion,
    status: QuestionStatus,
    action: str,
    detail: str | None = None,
) -> None:
    was_visible = item.status in VISIBLE_STATUSES
    item.status = status
    item.decided_at = utcnow()
    session.flush()
    log_action(session, actor.event_id, actor.label, action, f"question {item.id}", detail)
    announce_question(session, item, was_visible=was_visible)


def approve(session: Session, actor: Actor, question_id: int) -> None:
    """Publish a waiting, held, hidden or rejected question."""
    item = _question(session, actor, question_id)
    if item.status in VISIBLE_STATUSES:
        return
    if item.status == QuestionStatus.HIDDEN:
        # The moderator has decided: earlier reports must not hide it again at the next one.
        session.execute(delete(QuestionReport).where(QuestionReport.question_id == item.id))
    item.rejection_reason = None
    item.held_reason = None
    _decide(session, actor, item, QuestionStatus.APPROVED, "approve")


def reject(session: Session, actor: Actor, question_id: int, reason: Any = None) -> None:
    """Turn a question down; the optional reason is shown to its author only."""
    item = _question(session, actor, question_id)
    item.rejection_reason = clean_text(
        reason if isinstance(reason, str) else "",
        field="reason",
        label=_("Reason"),
        max_length=REJECTION_REASON_MAX,
        required=False,
    )
    _decide(session, actor, item, QuestionStatus.REJECTED, "reject", item.rejection_reason)


def mark_answered(session: Session, actor: Actor, question_id: int, answered: bool) -> None:
    """Mark a published question as answered (or not any more)."""
    item = _question(session, actor, question_id)
    if item.status not in VISIBLE_STATUSES:
        raise Conflict(_("Publish the question before marking it answered."))
    target = QuestionStatus.ANSWERED if answered else QuestionStatus.APPROVED
    if item.status != target:
        _decide(session, actor, item, target, "answered" if answered else "unanswered")


def pin(session: Session, actor: Actor, question_id: int, pinned: bool) -> None:
    """Keep a published question at the top of the list."""
    item = _question(session, actor, question_id)
    if item.status not in VISIBLE_STATUSES:
        raise Conflict(_("Only published questions can be pinned."))
    if item.pinned != pinned:
        item.pinned = pinned
        session.flush()
        log_action(session, actor.event_id, actor.label, "pin" if pinned else "unpin", f"question {item.id}")
        announce_question(session, item, was_visible=True)


def highlight(session: Session, actor: Actor, question_id: int | None) -> None:
    """Show one published question on the projector (None clears it)."""
    actor.require(Capability.MODERATE)
    if question_id is not None:
        item = _question(session, actor, question_id)
        if item.status not in VISIBLE_STATUSES:
            raise Conflict(_("Only published questions can be shown on the projector."))
    state = live_state(session, actor.event_id, lock=True)
    if state.highlighted_question_id == question_id:
        return
    state.highlighted_question_id = question_id
    session.flush()
    log_action(
        session,
        actor.event_id,
        actor.label,
        "highlight" if question_id else "unhighlight",
        f"question {question_id}" if question_id else None,
    )
    outbox.announce(session, actor.event_id, Change.HIGHLIGHT, {"question_id": question_id}, public=True)


def merge(session: Session, actor: Actor, question_id: int, into_id: int) -> None:
    """Fold a duplicate into another question: its votes move over (one per member) and it disappears."""
    duplicate = _question(session, actor, question_id)
    target = _question(session, actor, into_id)
    if duplicate.id == target.id:
        raise InvalidInput(_("A question cannot be merged into itself."))
    if target.status not in VISIBLE_STATUSES:
        raise Conflict(_("Publish the question you merge into first."))
    already = select(QuestionVote.member_id).where(QuestionVote.question_id == target.id)
    session.execute(
        update(QuestionVote)
        .where(QuestionVote.question_id == duplicate.id, QuestionVote.member_id.not_in(already))
        .values(question_id=target.id)
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(QuestionVote).where(QuestionVote.question_id == duplicate.id))
    was_visible = duplicate.status in VISIBLE_STATUSES
    duplicate.status = QuestionStatus.MERGED
    duplicate.merged_into_id = target.id
    duplicate.decided_at = utcnow()
    session.flush()
    log_action(
        session,
        actor.event_id,
        actor.label,
        "merge",
        f"question {duplicate.id}",
        f"into question {target.id}",
    )
    announce_question(session, duplicate, was_visible=was_visible)
    announce_question(session, target, was_visible=True)
    outbox.tally_changed(session, actor.event_id, question_id=target.id)


def block_author(session: Session, actor: Actor, question_id: int, blocked: bool) -> None:
    """Stop (or allow again) the author of a question from posting in this event."""
    item = _question(session, actor, question_id)
    member = session.get(AudienceMember, item.member_id) if item.member_id else None
    if member is None:
        raise NotFound(_("The author of that question can no longer be identified."))
    if (member.blocked_at is not None) == blocked:
        return
    member.blocked_at = utcnow() if blocked else None
    session.flush()
    log_action(
        session,
        actor.event_id,
        actor.label,
        "block" if blocked else "unblock",
        f"member {member.id}",
        f"author of question {item.id}",
    )
    for own in session.scalars(
        select(AudienceQuestion).where(
            AudienceQuestion.member_id == member.id,
            AudienceQuestion.status.not_in(GONE_STATUSES),
        )
    ):
        announce_to_staff(session, own)
    room = author_room(member)
    if room:
        outbox.notify(session, room, {"type": "blocked", "event_id": actor.event_id, "blocked": blocked})


def update_settings(session: Session, actor: Actor, **settings: Any) -> None:
    """Change the event's audience settings: questions on/off, pre-moderation, word list, report threshold."""
    actor.require(Capability.MODERATE)
    event = session.get(Event, actor.event_id)
    if event is None:
        raise NotFound(_("This event no longer exists."))
    changed = []
    for name in ("questions_enabled", "premoderation"):
        value = settings.get(name)
        if value is not None and getattr(event, name) != value:
            setattr(event, name, bool(value))
            changed.append(f"{name}={'on' if value else 'off'}")
    if settings.get("word_list") is not None:
        words = clean_text(
            settings["word_list"],
            field="word_list",
            label=_("Word list"),
            max_length=WORD_LIST_MAX,
            required=False,
            multiline=True,
        )
        if (event.word_list or None) != words:
            event.word_list = words
            changed.append("word list")
    threshold = settings.get("report_threshold")
    if threshold is not None:
        if not isinstance(threshold, int) or not 1 <= threshold <= REPORT_THRESHOLD_MAX:
            raise InvalidInput(
                _("The report threshold must be a whole number from 1 to 1000."),
                fields={"report_threshold": "1 to 1000."},
            )
        if event.report_threshold != threshold:
            event.report_threshold = threshold
            changed.append(f"report threshold={threshold}")
    if not changed:
        return
    session.flush()
    log_action(session, actor.event_id, actor.label, "settings", None, ", ".join(changed))
    outbox.announce(
        session,
        event.id,
        Change.AUDIENCE_SETTINGS,
        audience_settings(event, staff=False),
        public=True,
        staff_data=audience_settings(event, staff=True),
        moderation=True,
    )
