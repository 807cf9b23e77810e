"""Invitation links: a panelist reads the agenda and writes prepared answers without an account."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forum.db import get_session
from forum.events import agenda, contributions, invitations
from forum.events.forms import answer_field_name, prepared_answers_form
from forum.models import Event
from forum.web import form_page

bp = Blueprint("invite", __name__, url_prefix="/invite")


@bp.route("/<token>", methods=["GET", "POST"])
def portal(token: str) -> Response | tuple[str, int]:
    session = get_session()
    participant = invitations.participant_for_token(session, token)
    questions = agenda.ordered_questions(session, participant.event_id)
    saved = contributions.prepared_answers(session, participant)  # none for anyone but a panelist
    form = prepared_answers_form(questions, {qid: c.text for qid, c in saved.items()})

    def save() -> None:
        texts = {q.id: getattr(form, answer_field_name(q.id)).data or "" for q in questions}
        contributions.save_prepared_answers(session, participant, texts)

    def then(_result: None) -> Response:
        flash(_("Your answers are saved. You can come back to this link and change them."), "success")
        return redirect(url_for(".portal", token=token))

    return form_page(
        "events/portal.html",
        form,
        save,
        then,
        event=session.get(Event, participant.event_id),
        participant=participant,
        questions=questions,
        saved=saved,
        field_name=answer_field_name,
        token=token,
    )
