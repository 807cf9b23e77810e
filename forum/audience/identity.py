"""Audience identity without personal data: a random per-browser token, kept only as a hash, and
receipts that make retried submissions land once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from forum import rate_limits
from forum.access import Actor, Capability
from forum.db import insert_unless_present, read_columns, write_columns
from forum.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from forum.fields import clean_text
from forum.limits import AUDIENCE_NAME_MAX
from forum.models import (
    AUDIENCE_OPEN_STATUSES,
    AudienceMember,
    Event,
    EventStatus,
    SubmissionReceipt,
    event_visible,
)

_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# The audience may ask, vote, report and answer polls before and during the session, not afterwards.


@dataclass(frozen=True)
class MemberRef:
    """What the audience's actions and snapshots need of a member: who, and whether a moderator blocked them.
    Read as two columns, never loaded as an object: every connect and every vote asks."""

    id: int
    blocked_at: datetime | None


# Built once: constructing the statement cost as much as running it.
_MEMBER = select(AudienceMember.id, AudienceMember.blocked_at).where(
    AudienceMember.event_id == bindparam("event_id"), AudienceMember.token_hash == bindparam("token_hash")
)


def find_member(session: Session, actor: Actor) -> MemberRef | None:
    """The member behind an audience actor, if they have taken part before."""
    if actor.audience_token_hash is None:
        return None
    params = {"event_id": actor.event_id, "token_hash": actor.audience_token_hash}
    row = read_columns(session, _MEMBER, params).first()
    return None if row is None else MemberRef(row.id, row.blocked_at)


def token_hash_of(actor: Actor) -> str:
    """The hash of the actor's audience token; refused for a browser without one."""
    if actor.audience_token_hash is None:
        raise PermissionDenied(
            _("Your browser has no audience identity. Allow cookies for this site and reload the page."),
            code="no_identity",
        )
    return actor.audience_token_hash


def member_for(session: Session, actor: Actor) -> MemberRef:
    """The member behind an audience actor, created on first participation.

    Two first actions of one browser at once (two tabs, a double tap) both end up with the same member.
    """
    token_hash_of(actor)
    member = find_member(session, actor)
    if member is None:
        insert_unless_present(
            session,
            AudienceMember,
            {"event_id": actor.event_id, "token_hash": actor.audience_token_hash},
            unique=("event_id", "token_hash"),
        )
        member = find_member(session, actor)
    if member is None:  # only if the row vanished between the insert and the read (an event deleted)
        raise NotFound(_("This event no longer exists."))
    return member


# Built once: every audience action checks its event's status (one column, no ORM object).
_EVENT_STATUS = select(Event.status).where(Event.id == bindparam("event_id"))


def open_room(session: Session, actor: Actor) -> None:
    """Refuse unless the actor's event takes audience actions: scheduled or live, not ended."""
    room_takes_actions(read_columns(session, _EVENT_STATUS, {"event_id": actor.event_id}).scalar())


def room_takes_actions(status: EventStatus | None) -> None:
    """``open_room``'s rule, for an event status the caller has read already (a vote reads it with its
    question)."""
    if status is None or not event_visible(status, organizer_id=0):  # as anyone sees it: no draft
        raise NotFound(_("There is no live room for this event."))
    if status not in AUDIENCE_OPEN_STATUSES:
        raise Conflict(_("This event has ended; questions, votes and polls are closed."), code="event_ended")


def room_member(session: Session, actor: Actor) -> MemberRef:
    """The member behind an audience actor in the live room; refused once the event has ended."""
    actor.require(Capability.PARTICIPATE)
    open_room(session, actor)
    return member_for(session, actor)


def clean_client_id(value: Any) -> str:
    """Validate a client-generated submission id."""
    if not isinstance(value, str) or not _CLIENT_ID_RE.match(value):
        raise InvalidInput(
            "Each submission needs a client_id of 8 to 64 letters, digits, '-' or '_'.",
            fields={"client_id": "Missing or malformed."},
        )
    return value


@dataclass(frozen=True)
class Submission:
    """One audience submission: who sends it, its client-generated id, and what a retry already produced.

    ``earlier`` is None when this request holds the submission's receipt and must do the work; otherwise
    it is the first result, and nothing is to be done again.
    """

    member: MemberRef
    client_id: str
    action: str
    earlier: dict | None
    receipt_id: int | None
    kept: dict | None = None  # the result the receipt was claimed with, if the caller knew it in advance

    def done(self, session: Session, result: dict) -> dict:
        """Keep the result for retries of the same submission, and return it."""
        if result != self.kept:
            write_columns(session, _KEEP_RESULT, {"receipt_id": self.receipt_id, "result": result})
        return result


# Built once (every audience action keeps its result): the receipt's result, set by the receipt's id.
_KEEP_RESULT = (
    update(SubmissionReceipt)
    .where(SubmissionReceipt.id == bindparam("receipt_id"))
    .values(result=bindparam("result", type_=SubmissionReceipt.__table__.c.result.type))
)


def claim(
    session: Session, actor: Actor, client_id: Any, action: str, *, expected: dict | None = None
) -> Submission:
    """Claim the receipt of ``client_id`` before doing anything, or find what the first attempt produced.

    The claim is the first write, so a retry that arrives while the first attempt is still running waits
    for it (the per-process write lock on SQLite, the unique key on PostgreSQL) and then finds its result.
    A refused first attempt rolls its claim back, and a retry is then judged afresh. An action whose result
    is known before it runs (a vote's is what it was asked to do) claims the receipt with it, and
    ``Submission.done`` then has nothing left to write. The room is not checked: ``submission`` does that,
    and a vote checks it with its question (``room_takes_actions``).
    """
    actor.require(Capability.PARTICIPATE)
    client_id = clean_client_id(client_id)
    member = member_for(session, actor)
    receipt_id = insert_unless_present(
        session,
        SubmissionReceipt,
        {"member_id": member.id, "client_id": client_id, "action": action, "result": expected},
        unique=("member_id", "client_id"),
    )
    return claimed(session, member, client_id, action, receipt_id, expected=expected)


def claimed(
    session: Session,
    member: MemberRef,
    client_id: str,
    action: str,
    receipt_id: int | None,
    *,
    expected: dict | None = None,
) -> Submission:
    """The submission of a receipt claim already tried (by ``claim``, or by a statement that claims it with
    the action's own writes): held if ``receipt_id`` is the new receipt, else the first attempt's result."""
    if receipt_id is not None:
        return Submission(member, client_id, action, None, receipt_id, kept=expected)
    receipt = session.scalars(
        select(SubmissionReceipt).where(
            SubmissionReceipt.member_id == member.id, SubmissionReceipt.client_id == client_id
        )
    ).one()
    if receipt.action != action:
        raise InvalidInput(
            "This client_id was already used for another kind of submission.", code="client_id_reused"
        )
    return Submission(member, client_id, action, receipt.result or {}, None)


def submission(session: Session, actor: Actor, client_id: Any, action: str) -> Submission:
    """Start a submission in the live room (ask, report, poll vote; a vote uses ``claim``).

    The actor must be audience with an identity and send a well-formed client id. A new submission is
    refused once the event has ended; a retry of one accepted earlier still gets its first answer.
    """
    sent = claim(session, actor, client_id, action)
    if sent.earlier is None:
        open_room(session, actor)
    return sent


def comment_submission(session: Session, actor: Actor, client_id: Any, action: str) -> Submission:
    """Start a reader's submission on a published record (the caller checks the record takes comments)."""
    return claim(session, actor, client_id, action)


def clean_post(text: Any, display_name: Any, *, label: str, max_length: int) -> tuple[str, str | None]:
    """The text of an audience question or reader comment, and the optional name it is signed with."""
    cleaned = (
        clean_text(
            text if isinstance(text, str) else "",
            field="text",
            label=label,
            max_length=max_length,
            multiline=True,
        )
        or ""
    )
    name = clean_text(
        display_name if isinstance(display_name, str) else "",
        field="display_name",
        label=_("Your name"),
        max_length=AUDIENCE_NAME_MAX,
        required=False,
    )
    return cleaned, name


def may_post(member: MemberRef) -> None:
    """Refuse members a moderator has blocked in this event."""
    if member.blocked_at is not None:
        raise PermissionDenied(_("A moderator has stopped you from posting in this event."), code="blocked")


def count_against_limits(actor: Actor, member: MemberRef, name: str) -> None:
    """One action against the network's limit and the member's limit called ``name``."""
    rate_limits.enforce("network", actor.network_key)
    rate_limits.enforce(name, f"member:{member.id}")
