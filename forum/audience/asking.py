"""The audience asks, edits, withdraws, upvotes and reports questions.

Every submission carries a client-generated id (a retry returns the first result), counts against
rate limits per member and per network, and goes through the event's word list and moderation rules.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, delete, exists, func, literal, select, true, union_all
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from forum import outbox
from forum.access import Actor, Capability
from forum.audience import identity
from forum.audience.moderation_log import log_action
from forum.audience.payloads import own_question, public_question, staff_payload
from forum.audience.word_list import matching_terms
from forum.db import (
    columns_in_event,
    get_in_event,
    in_event,
    insert_unless_present,
    utcnow,
    write_columns,
)
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
    SubmissionReceipt,
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


# Lazy: a vote passes it on every time and needs its words only when it refuses.
_NOT_ON_BOARD = _l("That question is not on the board.")


def _visible(session: Session, actor: Actor, question_id: int) -> AudienceQuestion:
    return get_in_event(
        session, AudienceQuestion, question_id, actor.event_id, _NOT_ON_BOARD, refuse_if=_off_board
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


def _takes_votes(row: Any) -> Any:
    """``open_room`` and ``_still_open`` for a vote, on its question's row (``_VOTE_TARGET``'s columns) found
    in the actor's event: the room takes votes and the question is on its board, not answered."""
    identity.room_takes_actions(row.event_status)  # before the question's own state, as for every action
    if _off_board(row):
        raise NotFound(_NOT_ON_BOARD)
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


def _one_statement_vote(up: bool) -> Any:
    """PostgreSQL: a whole vote in one statement, so one round trip instead of four (seven for a member's
    first action). Its parts, each a data-modifying CTE where it writes: find the member by token, or create
    it (``identity.member_for``'s INSERT); claim the receipt with the vote's result (``identity.claim``'s
    INSERT); read the question with its event's status (``_VOTE_TARGET``); set or take back the vote, only if
    the receipt was claimed and the question is in the actor's event. It answers one row with the member,
    the receipt's id (None for a retry) and the question's columns (None if there is no such question), or
    no row when another transaction is creating the same member at this moment.

    The room's rules are then checked in Python on that row, exactly as on SQLite, and a refusal rolls the
    transaction back, the vote, the receipt and a new member with it."""
    members = AudienceMember.__table__
    now = bindparam("now", type_=members.c.created_at.type)
    found = (
        select(AudienceMember.id, AudienceMember.blocked_at)
        .where(
            AudienceMember.event_id == bindparam("event_id"),
            AudienceMember.token_hash == bindparam("token_hash"),
        )
        .cte("found")
    )
    created = (
        postgresql.insert(AudienceMember)
        .from_select(
            ["event_id", "token_hash", "created_at"],
            select(
                bindparam("event_id", type_=members.c.event_id.type),
                bindparam("token_hash", type_=members.c.token_hash.type),
                now,
            ).where(~exists(select(found.c.id))),
        )
        .on_conflict_do_nothing(index_elements=["event_id", "token_hash"])
        .returning(AudienceMember.id, AudienceMember.blocked_at)
        .cte("created")
    )
    either = union_all(select(found.c.id, found.c.blocked_at), select(created.c.id, created.c.blocked_at))
    member = either.cte("member")
    receipts = SubmissionReceipt.__table__
    receipt = (
        postgresql.insert(SubmissionReceipt)
        .from_select(
            ["member_id", "client_id", "action", "result", "created_at"],
            select(
                member.c.id,
                bindparam("client_id", type_=receipts.c.client_id.type),
                literal("vote", receipts.c.action.type),
                bindparam("result", type_=receipts.c.result.type),
                now,
            ),
        )
        .on_conflict_do_nothing(index_elements=["member_id", "client_id"])
        .returning(SubmissionReceipt.id, SubmissionReceipt.member_id)
        .cte("receipt")
    )
    target = _VOTE_TARGET.cte("target")
    in_event = target.c.event_id == bindparam("event_id")
    if up:
        write = (
            postgresql.insert(QuestionVote)
            .from_select(
                ["question_id", "member_id", "created_at"],
                select(target.c.id, receipt.c.member_id, now)
                .select_from(target.join(receipt, true()))
                .where(in_event),
            )
            .on_conflict_do_nothing(index_elements=["question_id", "member_id"])
        )
    else:
        write = delete(QuestionVote).where(
            QuestionVote.question_id.in_(select(target.c.id).where(in_event)),
            QuestionVote.member_id.in_(select(receipt.c.member_id)),
        )
    return (
        select(
            member.c.id.label("member_id"),
            member.c.blocked_at,
            receipt.c.id.label("receipt_id"),
            target.c.id,
            target.c.event_id,
            target.c.status,
            target.c.event_status,
        )
        .select_from(member.outerjoin(receipt, true()).outerjoin(target, true()))
        .add_cte(write.cte("vote"))
    )


_CAST_VOTE = _one_statement_vote(up=True)
_TAKE_BACK_IN_ONE = _one_statement_vote(up=False)


def _vote_in_one_statement(
    session: Session, actor: Actor, question_id: int, up: bool, client_id: Any, expected: dict
) -> tuple[identity.Submission, Any]:
    """``identity.claim`` and the vote's read and write, in one statement (``_one_statement_vote``): the
    submission, and the question's row (or None)."""
    actor.require(Capability.PARTICIPATE)
    client_id = identity.clean_client_id(client_id)
    params = {
        "event_id": actor.event_id,
        "token_hash": identity.token_hash_of(actor),
        "client_id": client_id,
        "result": expected,
        "now": utcnow(),
        "record_id": question_id,
    }
    statement = _CAST_VOTE if up else _TAKE_BACK_IN_ONE
    row = write_columns(session, statement, params).first()
    if row is None:  # another tab of this browser is creating its member: wait for it (member_for)
        identity.member_for(session, actor)
        row = write_columns(session, statement, params).first()
    if row is None:  # the member vanished at once: only when the event was deleted meanwhile
        raise NotFound(_("This event no longer exists."))
    member = identity.MemberRef(row.member_id, row.blocked_at)
    sent = identity.claimed(session, member, client_id, "vote", row.receipt_id, expected=expected)
    return sent, (row if row.id is not None else None)


def vote(session: Session, actor: Actor, question_id: int, *, up: bool, client_id: Any) -> dict[str, Any]:
    """Set this member's upvote on a question (one per member; the same state twice changes nothing)."""
    # What the vote answers when it succeeds is what it was asked: the receipt is claimed with it. On
    # PostgreSQL the claim, the question's read and the vote's write are one statement; elsewhere they are
    # three, and the write comes after the room's rules. Either way a refusal leaves nothing written.
    expected = {"question_id": question_id, "up": up}
    in_one = session.get_bind().dialect.name == "postgresql"
    if in_one:
        sent, found = _vote_in_one_statement(session, actor, question_id, up, client_id, expected)
    else:
        sent = identity.claim(session, actor, client_id, "vote", expected=expected)
    if sent.earlier is not None:
        return sent.earlier
    if in_one:
        item = in_event(found, actor.event_id, _NOT_ON_BOARD)
    else:
        item = columns_in_event(session, _VOTE_TARGET, question_id, actor.event_id, _NOT_ON_BOARD)
    _takes_votes(item)
    member = sent.member
    identity.count_against_limits(actor, member, "vote")
    if not in_one:
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
    return sent.done(session, expected)


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
