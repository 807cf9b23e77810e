"""Reader comments on the answers of a published record, under the audience's rules: rate limits,
the word list, and automatic hiding after the report threshold until a moderator decides."""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forum.access import Actor
from forum.audience import identity
from forum.audience.moderation_log import log_action
from forum.audience.word_list import matching_terms
from forum.db import get_in_event, insert_unless_present
from forum.errors import Conflict, NotFound
from forum.events.events import owned_event
from forum.limits import COMMENT_MAX
from forum.models import CommentReport, CommentStatus, Event, EventStatus, Organizer, ReaderComment


def _event(session: Session, actor: Actor) -> Event:
    event = session.get(Event, actor.event_id)
    if event is None or event.status != EventStatus.PUBLISHED:
        raise NotFound(_("There is no published record here."))
    if not event.comments_enabled:
        raise Conflict(_("Comments are switched off for this record."), code="comments_closed")
    return event


def post(
    session: Session,
    actor: Actor,
    *,
    anchor: str,
    anchors: set[str],
    text: Any,
    display_name: Any,
    client_id: Any,
) -> dict[str, Any]:
    """Comment on one answer (an anchor of the record); held for review if it hits the word list."""
    event = _event(session, actor)
    sent = identity.comment_submission(session, actor, client_id, "comment")
    if sent.earlier is not None:
        return sent.earlier
    member = sent.member
    identity.may_post(member)
    if anchor not in anchors:
        raise NotFound(_("There is no such answer in this record."))
    identity.count_against_limits(actor, member, "comment")
    text, name = identity.clean_post(text, display_name, label=_("Your comment"), max_length=COMMENT_MAX)
    terms = matching_terms(f"{text}\n{name or ''}", event.word_list)
    comment = ReaderComment(
        event_id=event.id,
        member_id=member.id,
        anchor=anchor,
        display_name=name,
        text=text,
        status=CommentStatus.HELD if terms else CommentStatus.VISIBLE,
        held_reason=(WORD_LIST_REASON + ", ".join(terms)) if terms else None,
    )
    session.add(comment)
    session.flush()
    if terms:
        log_action(session, event.id, "automatic", "hold", f"comment {comment.id}", comment.held_reason)
    return sent.done(session, {"comment_id": comment.id, "status": comment.status.value})


def report(session: Session, actor: Actor, comment_id: int, client_id: Any) -> dict[str, Any]:
    """Report a visible comment; at the event's threshold it is hidden until a moderator decides."""
    event = _event(session, actor)
    sent = identity.comment_submission(session, actor, client_id, "comment_report")
    if sent.earlier is not None:
        return sent.earlier
    member = sent.member
    identity.may_post(member)  # a block covers reports, as it does on the live board
    comment = get_in_event(
        session,
        ReaderComment,
        comment_id,
        event.id,
        _("That comment is not shown here."),
        refuse_if=lambda comment: comment.status != CommentStatus.VISIBLE,
    )
    identity.count_against_limits(actor, member, "report")
    insert_unless_present(
        session,
        CommentReport,
        {"comment_id": comment.id, "member_id": member.id},
        unique=("comment_id", "member_id"),
    )
    count = session.scalar(
        select(func.count()).select_from(CommentReport).where(CommentReport.comment_id == comment.id)
    )
    hidden = count >= event.report_threshold
    if hidden:
        comment.status = CommentStatus.HIDDEN
        comment.held_reason = f"hidden after {count} reports"
        log_action(session, event.id, "automatic", "hide", f"comment {comment.id}", comment.held_reason)
    session.flush()
    return sent.done(session, {"comment_id": comment.id, "hidden": hidden})


WORD_LIST_REASON = "matches the word list: "
REPORTS_REASON = re.compile(r"^hidden after (\d+) reports$")


def reason_text(reason: str | None) -> str | None:
    """Why a comment is held or hidden, in the interface's language. The stored reason stays in English
    (it is also the moderation log's wording); the two kinds this module writes are translated."""
    if not reason:
        return reason
    if reason.startswith(WORD_LIST_REASON):
        return _("matches the word list: %(terms)s", terms=reason.removeprefix(WORD_LIST_REASON))
    if match := REPORTS_REASON.match(reason):
        count = int(match.group(1))
        return ngettext("hidden after %(num)s report", "hidden after %(num)s reports", count)
    return reason


def visible_by_anchor(session: Session, event_id: int) -> dict[str, list[ReaderComment]]:
    comments: dict[str, list[ReaderComment]] = {}
    for comment in session.scalars(
        select(ReaderComment)
        .where(ReaderComment.event_id == event_id, ReaderComment.status == CommentStatus.VISIBLE)
        .order_by(ReaderComment.created_at)
    ):
        comments.setdefault(comment.anchor, []).append(comment)
    return comments


def for_moderation(session: Session, organizer: Organizer, event_id: int) -> list[ReaderComment]:
    owned_event(session, organizer, event_id)
    return list(
        session.scalars(
            select(ReaderComment)
            .where(ReaderComment.event_id == event_id)
            .order_by(ReaderComment.created_at.desc())
        )
    )


def decide(session: Session, organizer: Organizer, event_id: int, comment_id: int, visible: bool) -> None:
    """The organizer shows or hides a comment; logged."""
    owned_event(session, organizer, event_id)
    comment = get_in_event(
        session, ReaderComment, comment_id, event_id, _("There is no such comment on this record.")
    )
    comment.status = CommentStatus.VISIBLE if visible else CommentStatus.HIDDEN
    if visible:
        comment.held_reason = None
        session.execute(delete(CommentReport).where(CommentReport.comment_id == comment.id))
    session.flush()
    log_action(
        session, event_id, organizer.display_name, "show" if visible else "hide", f"comment {comment.id}"
    )


def set_enabled(session: Session, organizer: Organizer, event_id: int, enabled: bool) -> None:
    event = owned_event(session, organizer, event_id)
    if event.comments_enabled != enabled:
        event.comments_enabled = enabled
        session.flush()
        log_action(
            session,
            event_id,
            organizer.display_name,
            "settings",
            None,
            f"comments={'on' if enabled else 'off'}",
        )
