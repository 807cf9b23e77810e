"""Invitation links: a panelist reads the agenda and writes prepared answers without an account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forum.db import get_session
from forum.errors import DomainError, PermissionDenied
from forum.events import agenda, contributions, invitations
from forum.events.forms import answer_field_name, prepared_answers_form
from forum.models import Event, ParticipantRole
from forum.web import attach_error

bp = Blueprint("invite", __name__, url_prefix="/invite")


@bp.after_request
def keep_token_private(response: Response) -> Response:
    # The token is in the path: never send it onward as a referrer, never let a cache keep the page.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/<token>", methods=["GET", "POST"])
def portal(token: str) -> Response | tuple[str, int]:
    session = get_session()
    participant = invitations.participant_for_token(session, token)
    event = session.get(Event, participant.event_id)
    questions = agenda.ordered_questions(session, participant.event_id)
    is_panelist = participant.role == ParticipantRole.PANELIST
    saved = contributions.prepared_answers(session, participant) if is_panelist else {}
    form = prepared_answers_form(questions, {qid: c.text for qid, c in saved.items()})
    status = 200
    if form.validate_on_submit():
        texts = {q.id: getattr(form, answer_field_name(q.id)).data or "" for q in questions}
        try:
            contributions.save_prepared_answers(session, participant, texts)
        except DomainError as error:
            attach_error(form, error)
            status = 403 if isinstance(error, PermissionDenied) else 422
        else:
            flash(_("Your answers are saved. You can come back to this link and change them."), "success")
            return redirect(url_for(".portal", token=token))
    elif form.is_submitted():
        status = 422
    page = render_template(
        "events/portal.html",
        event=event,
        participant=participant,
        questions=questions,
        form=form,
        saved=saved,
        field_name=answer_field_name,
        token=token,
    )
    return page, status
