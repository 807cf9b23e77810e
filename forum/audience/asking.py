"""The audience asks, edits, withdraws, upvotes and reports questions.

Every submission carries a client-generated id (a retry returns the first result), counts against
rate limits per member and per network, and goes through the event's word list and moderation rules.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy.orm import Session

from forum import outbox
from forum.access import Actor
from forum.audience import identity
from forum.audience.moderation_log import log_action
from forum.audience.payloads import own_question, public_question, staff_payload
from forum.audience.word_list import matching_terms
from forum.db import columns_in_event, get_in_event, insert_unless_present, utcnow, write_columns
from forum.errors import Conflict, NotFound
from forum.fields import clean_text
from forum.limits import AUDIENCE_QUESTION_MAX, REPORT_REASON_MAX
from forum.live.state import live_state
from forum.models import (
    EDITABLE_STATUSES,
    VISIBLE_STATUSES,
    AudienceMember,
    AudienceQuestion,
    Event,
    QuestionReport,
    QuestionStatus,
    QuestionVote,
)
from forum.protocol import Change, audience_room

# Why a question is held, as stored and logged (English, like the log); pages show the terms in their words.
WORD_LIST_REASON = "matches the word list: "


def author_room(member: AudienceMember) -> str | None:
    """The private room of a member's connections, or None once the token is purged."""
    return audience_room(member.event_id, member.token_hash) if member.token_hash else None


def announce_to_staff(session: Session, item: AudienceQuestion) -> None:
    """Tell moderators (only them) what changed about a question the audience sees no differently: a new
    report, its author blocked or unblocked."""
    outbox.announce(
        session,
        item.event_id,
        Change.AUDIENCE_QUESTION,
        {},
        public=False,
        staff_data=staff_payload(session, item),
        moderation=True,
    )


def announce_question(session: Session, item: AudienceQuestion, *, was_visible: bool) -> None:
    """Tell staff about any change; the audience when it concerns what they see; the author always.

    A question that leaves the board also leaves the projector.
    """
    staff = staff_payload(session, item)
    visible = item.status in VISIBLE_STATUSES
    public = None
    if visible:
        public = public_question(item, staff["votes"])
    elif was_visible:
        public = {"id": item.id, "removed": True}
    outbox.announce(
        session,
        item.event_id,
        Change.AUDIENCE_QUESTION,
        public or {},
        public=public is not None,
        staff_data=staff,
        moderation=True,
    )
    if was_visible and not visible:
        state = live_state(session, item.event_id)
        if state.highlighted_question_id == item.id:
            state.highlighted_question_id = None
            session.flush()
            outbox.announce(session, item.event_id, Change.HIGHLIGHT, {"question_id": None}, public=True)
    member = session.get(AudienceMember, item.member_id) if item.member_id else None
    room = author_room(member) if member else None
    if room:
        outbox.notify(
            session,
            room,
            {
                "type": "my_question",
                "event_id": item.event_id,
                "question": own_question(item, staff["votes"]),
            },
        )


def _open_event(session: Session, actor: Actor) -> Event:
    event = session.get(Event, actor.event_id)
    if event is None:
        raise NotFound(_("This event no longer exists."))
    return event


def _screen(event: Event, text: str, name: str | None) -> tuple[QuestionStatus, str | None]:
    terms = matching_terms(f"{text}\n{name or ''}", event.word_list)
    if terms:
        return QuestionStatus.HELD, WORD_LIST_REASON + ", ".join(terms)
    return (QuestionStatus.PENDING if event.premoderation else QuestionStatus.APPROVED), None


def ask(
    session: Session, actor: Actor, *, text: Any, display_name: Any, about_current: bool, client_id: Any
) -> dict[str, Any]:
    """Submit a question about the current agenda question or a general one; returns its id and status."""
    sent = identity.submission(session, actor, client_id, "ask")
    if sent.earlier is not None:
        return sent.earlier
    member = sent.member
    identity.may_post(member)
    event = _open_event(session, actor)
    if not event.questions_enabled:
        raise Conflict(
            _("The organizer has closed audience questions for this event."), code="questions_closed"
        )
    identity.count_against_limits(actor, member, "question")
    text, name = identity.clean_post(
        text, display_name, label=_("Your question"), max_length=AUDIENCE_QUESTION_MAX
    )
    status, held_reason = _screen(event, text, name)
    item = AudienceQuestion(
        event_id=event.id,
        member_id=member.id,
        agenda_question_id=live_state(session, event.id).current_question_id if about_current else None,
        display_name=name,
        text=text,
        status=status,
        held_reason=held_reason,
    )
    session.add(item)
    session.flush()
    if held_reason:
        log_action(session, event.id, "automatic", "hold", f"question {item.id}", held_reason)
    announce_question(session, item, was_visible=False)
    return sent.done(session, {"question_id": item.id, "status": status.value})


def _own(session: Session, member: identity.MemberRef, question_id: int) -> AudienceQuestion:
    item = session.get(AudienceQuestion, question_id)
    if item is None or item.member_id != member.id:
        raise NotFound(_("You have no question with that number."))
    if item.status not in EDITABLE_STATUSES:
        raise Conflict(_("Only questions still waiting for a moderator can be changed."), code="not_editable")
    return item


def edit(session: Session, actor: Actor, question_id: int, *, text: Any, display_name: Any) -> None:
    """The author rewords a question that is still waiting; the word list is applied again."""
    member = identity.room_member(session, actor)
    identity.may_post(member)
    item = _own(session, member, question_id)
    identity.count_against_limits(actor, member, "question")
    event = _open_event(session, actor)
    item.text, item.display_name = identity.clean_post(
        text, display_name, label=_("Your question"), max_length=AUDIENCE_QUESTION_MAX
    )
    item.status, item.held_reason = _screen(event, item.text, item.display_name)
    session.flush()
    announce_question(session, item, was_visible=False)


def withdraw(session: Session, actor: Actor, question_id: int) -> None:
    """The author takes back a question that is still waiting."""
    member = identity.room_member(session, actor)
    item = _own(session, member, question_id)
    item.status = QuestionStatus.WITHDRAWN
    session.flush()
    announce_question(session, item, was_visible=False)


def _off_board(item: Any) -> bool:
    return item.status not in VISIBLE_STATUSES


def _not_on_board() -> str:
    return _("That question is not on the board.")


def _visible(session: Session, actor: Actor, question_id: int) -> AudienceQuestion:
    return get_in_event(
        session, AudienceQuestion, question_id, actor.event_id, _not_on_board(), refuse_if=_off_board
    )


def _still_open(session: Session, actor: Actor, question_id: int) -> AudienceQuestion:
    """A question on the board that still takes votes and reports: once answered, its tally is final."""
    return _refuse_if_answered(_visible(session, actor, question_id))


# Built once: what a vote needs of its question and of the question's event, in one read (every vote
# makes it; on PostgreSQL each read is a round trip).
_VOTE_TARGET = (
    select(
        AudienceQuestion.id,
        AudienceQuestion.event_id,
        AudienceQuestion.status,
        Event.status.label("event_status"),
    )
    .join(Event, Event.id == AudienceQuestion.event_id)
    .where(AudienceQuestion.id == bindparam("record_id"))
)


def _open_for_votes(session: Session, actor: Actor, question_id: int) -> Any:
    """``open_room`` and ``_still_open`` for a vote: the room takes votes and the question is on its board,
    read as columns in one statement."""
    row = columns_in_event(session, _VOTE_TARGET, question_id, actor.event_id, _not_on_board())
    identity.room_takes_actions(row.event_status)  # before the question's own state, as for every action
    if _off_board(row):
        raise NotFound(_not_on_board())
    return _refuse_if_answered(row)


def _refuse_if_answered(item: Any) -> Any:
    if item.status == QuestionStatus.ANSWERED:
        raise Conflict(
            _("This question has been answered; it takes no more votes or reports."),
            code="question_answered",
        )
    return item


# Built once: taking back one member's vote on one question.
_TAKE_BACK_VOTE = delete(QuestionVote).where(
    QuestionVote.question_id == bindparam("question_id"), QuestionVote.member_id == bindparam("member_id")
)


def vote(session: Session, actor: Actor, question_id: int, *, up: bool, client_id: Any) -> dict[str, Any]:
    """Set this member's upvote on a question (one per member; the same state twice changes nothing)."""
    # What the vote answers when it succeeds is what it was asked: the receipt is claimed with it. The room is
    # checked with the question, in one read (``_open_for_votes``).
    expected = {"question_id": question_id, "up": up}
    sent = identity.claim(session, actor, client_id, "vote", expected=expected)
    if sent.earlier is not None:
        return sent.earlier
    member = sent.member
    item = _open_for_votes(session, actor, question_id)
    identity.count_against_limits(actor, member, "vote")
    # Idempotent either way, also when another submission of the same member sets it at the same moment.
    if up:
        insert_unless_present(
            session,
            QuestionVote,
            {"question_id": item.id, "member_id": member.id},
            unique=("question_id", "member_id"),
        )
    else:
        write_columns(session, _TAKE_BACK_VOTE, {"question_id": item.id, "member_id": member.id})
    outbox.tally_changed(session, item.event_id, question_id=item.id)
    return sent.done(session, {"question_id": item.id, "up": up})


def report(
    session: Session, actor: Actor, question_id: int, *, reason: Any, client_id: Any
) -> dict[str, Any]:
    """Report a visible question. At the event's threshold it is hidden until a moderator decides."""
    sent = identity.submission(session, actor, client_id, "report")
    if sent.earlier is not None:
        return sent.earlier
    member = sent.member
    identity.may_post(member)
    item = _still_open(session, actor, question_id)
    identity.count_against_limits(actor, member, "report")
    reason = clean_text(
        reason if isinstance(reason, str) else "",
        field="reason",
        label=_("Reason"),
        max_length=REPORT_REASON_MAX,
        required=False,
    )
    insert_unless_present(
        session,
        QuestionReport,
        {"question_id": item.id, "member_id": member.id, "reason": reason},
        unique=("question_id", "member_id"),
    )
    count = session.scalar(
        select(func.count()).select_from(QuestionReport).where(QuestionReport.question_id == item.id)
    )
    event = _open_event(session, actor)
    hidden = False
    if count >= event.report_threshold and item.status in VISIBLE_STATUSES:
        item.status = QuestionStatus.HIDDEN
        item.held_reason = f"hidden after {count} reports"
        item.decided_at = utcnow()
        session.flush()
        log_action(session, event.id, "automatic", "hide", f"question {item.id}", item.held_reason)
        announce_question(session, item, was_visible=True)
        hidden = True
    else:
        announce_to_staff(session, item)
    return sent.done(session, {"question_id": item.id, "reported": True, "hidden": hidden})
