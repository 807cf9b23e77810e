"""The organizer's review editor (corrections, order, hiding, merging), preview, publishing and comments;
the panelist's review page reached through their invitation link."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import access
from forum.archive import comments
from forum.archive.comments import reason_text
from forum.audience import moderation
from forum.confirm import require_confirmation
from forum.db import get_session
from forum.errors import Conflict, InvalidInput
from forum.events import events, invitations
from forum.models import Participant
from forum.publishing import publishing, review
from forum.publishing.record import (
    delivery,
    delivery_label,
)
from forum.web import form_action

bp = Blueprint("publishing", __name__)


@bp.context_processor
def _delivery_labels() -> dict[str, Any]:
    """How each contribution reached the record ("said in the session", "written answer"), for the
    editor, the panelist's review page and the preview."""
    return {"delivery": delivery, "delivery_label": delivery_label, "comment_reason": reason_text}


def _back(event_id: int, anchor: str = "") -> Response:
    return redirect(url_for(".editor", event_id=event_id) + (f"#{anchor}" if anchor else ""), code=303)


def _attempt(action: Callable[[], object], event_id: int, done: str, anchor: str = "") -> Response:
    """Run one service call for a form post; refusals come back as a message on the editor.

    NotFound and the like are not caught: they answer with their own status.
    """
    back = url_for(".editor", event_id=event_id) + (f"#{anchor}" if anchor else "")
    return form_action(action, done=done, back=back, refusals=(InvalidInput, Conflict))


@bp.get("/manage/<id:event_id>/record")
@login_required
def editor(event_id: int) -> str:
    page = review.editor_page(get_session(), current_user, event_id, request.args.get("delivery"))
    return render_template(
        "publishing/editor.html",
        event=page.event,
        items=page.items,
        both=page.both,
        all_items=page.all_items,
        wanted=page.wanted,
        counts=page.counts,
        people=page.people,
        audience=page.audience,
        versions=page.versions,
        comment_list=page.comments,
        caption_runs=page.caption_runs,
    )


@bp.get("/manage/<id:event_id>/record/preview")
@login_required
def preview(event_id: int) -> str:
    draft = publishing.preview(get_session(), current_user, event_id)
    return render_template(
        "archive/record.html",
        record=draft.content,
        event=draft.event,
        key=None,
        person=None,
        latest_number=draft.number,
        pinned=False,
        printing=False,
        comments={},
        comments_enabled=False,
        form_client_id="",
        preview=True,
    )


OPERATIONS = {"correct", "up", "down", "hide", "show", "merge", "refile"}


@bp.post("/manage/<id:event_id>/record/contributions/<id:contribution_id>/<op>")
@login_required
def contribution(event_id: int, contribution_id: int, op: str) -> Response:
    if op not in OPERATIONS:
        flash(_("Unknown change."), "error")
        return _back(event_id)
    session = get_session()
    form = request.form
    calls = {
        "correct": lambda: review.correct(
            session, current_user, event_id, contribution_id, form.get("text", "")
        ),
        "up": lambda: review.move(session, current_user, event_id, contribution_id, -1),
        "down": lambda: review.move(session, current_user, event_id, contribution_id, +1),
        "hide": lambda: review.set_hidden(session, current_user, event_id, contribution_id, True),
        "show": lambda: review.set_hidden(session, current_user, event_id, contribution_id, False),
        "merge": lambda: review.merge_into_previous(session, current_user, event_id, contribution_id),
        "refile": lambda: review.refile(
            session, current_user, event_id, contribution_id, _form_int("question_id")
        ),
    }
    return _attempt(calls[op], event_id, str(CONTRIBUTION_DONE[op]), f"c{contribution_id}")


CONTRIBUTION_DONE = {
    "correct": _l("Correction saved; the earlier wording stays in the history."),
    "up": _l("Moved up."),
    "down": _l("Moved down."),
    "hide": _l("Left out of the record."),
    "show": _l("Back in the record."),
    "merge": _l("Merged into the previous contribution."),
    "refile": _l("Filed under the other question."),
}
AUDIENCE_DONE = {
    "taken": _l("Marked as taken."),
    "not-taken": _l("No longer marked as taken."),
    "remove": _l("Removed from the board and the record."),
    "merge": _l("Merged."),
}
# What to say when a form's number field is missing or malformed.
CHOOSE = {
    "question_id": _l("Choose a question id."),
    "contribution_id": _l("Choose a contribution id."),
    "into_id": _l("Choose a question to merge into."),
}


def _form_int(name: str) -> int:
    value = request.form.get(name, "")
    if not re.fullmatch(r"[0-9]{1,10}", value) or not 0 < int(value) < 2**31:
        raise InvalidInput(str(CHOOSE[name]))
    return int(value)


AUDIENCE_OPERATIONS = {"taken", "not-taken", "remove", "merge"}


@bp.post("/manage/<id:event_id>/record/audience/<id:question_id>/<op>")
@login_required
def audience_question(event_id: int, question_id: int, op: str) -> Response:
    """Choose which audience questions the record shows: taken or not, removed, or merged into another."""
    if op not in AUDIENCE_OPERATIONS:
        flash(_("Unknown change."), "error")
        return _back(event_id, "audience")
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    if op == "remove":
        asked = require_confirmation(
            _("Remove this audience question from the board and the record?"),
            button=_("Remove"),
            cancel_url=url_for(".editor", event_id=event_id) + "#audience",
        )
        if asked:
            return asked
    actor = access.organizer_actor(current_user, event)
    calls = {
        "taken": lambda: moderation.mark_answered(session, actor, question_id, True),
        "not-taken": lambda: moderation.mark_answered(session, actor, question_id, False),
        "remove": lambda: moderation.reject(session, actor, question_id, request.form.get("reason")),
        "merge": lambda: moderation.merge(session, actor, question_id, _form_int("into_id")),
    }
    return _attempt(calls[op], event_id, str(AUDIENCE_DONE[op]), "audience")


@bp.post("/manage/<id:event_id>/record/publish")
@login_required
def publish(event_id: int) -> Response:
    session = get_session()
    return form_action(
        lambda: publishing.publish(session, current_user, event_id, request.form.get("correction_note")),
        done=lambda _name, version: _("Version %(number)s is published.", number=version.number),
        back=url_for(".editor", event_id=event_id) + "#publish",
        refusals=(InvalidInput, Conflict),
        onward=lambda _version: url_for(
            "archive.record", slug=events.owned_event(session, current_user, event_id).slug
        ),
    )


@bp.post("/manage/<id:event_id>/record/unpublish")
@login_required
def unpublish(event_id: int) -> Response:
    session = get_session()
    events.owned_event(session, current_user, event_id)
    asked = require_confirmation(
        _("Take the record off the archive?"),
        button=_("Unpublish"),
        cancel_url=url_for(".editor", event_id=event_id) + "#publish",
        explanation=_("Readers can no longer open any version of it. Publishing again makes a new version."),
    )
    if asked:
        return asked
    return _attempt(
        lambda: publishing.unpublish(session, current_user, event_id),
        event_id,
        _("The record is no longer public."),
        "publish",
    )


@bp.post("/manage/<id:event_id>/record/comments")
@login_required
def comment_settings(event_id: int) -> Response:
    session = get_session()
    enabled = request.form.get("enabled") == "true"
    return _attempt(
        lambda: comments.set_enabled(session, current_user, event_id, enabled),
        event_id,
        _("Reader comments are on.") if enabled else _("Reader comments are off."),
        "comments",
    )


@bp.post("/manage/<id:event_id>/record/comments/<id:comment_id>/<decision>")
@login_required
def comment_decision(event_id: int, comment_id: int, decision: str) -> Response:
    session = get_session()
    visible = decision == "show"
    return _attempt(
        lambda: comments.decide(session, current_user, event_id, comment_id, visible),
        event_id,
        _("Comment shown.") if visible else _("Comment hidden."),
        "comments",
    )


# --- panelists review their own answers ------------------------------------------------------------


@bp.route("/invite/<token>/review", methods=["GET", "POST"])
def panelist_review(token: str) -> Response | str:
    session = get_session()
    person: Participant = invitations.participant_for_token(session, token)
    if request.method == "POST":
        op = request.form.get("op")
        if op == "approve-all":
            call = lambda: review.approve(session, person)  # noqa: E731
            message = _("All your answers are approved as they now read.")
        else:
            # Approving what is in the box: a changed text is saved as a correction first.
            call = lambda: review.revise_own(  # noqa: E731
                session, person, _form_int("contribution_id"), request.form.get("text", "")
            )
            message = _("Approved.") if op == "approve" else _("Your correction is saved and approved.")
        return form_action(call, done=message, back=url_for(".panelist_review", token=token))
    page = review.panelist_page(session, person)
    return render_template(
        "publishing/panelist_review.html",
        person=person,
        event=page.event,
        items=page.items,
        questions=page.questions,
        token=token,
    )
