"""Caption pages: the organizer issues and revokes the caption link; captioning software posts to it.

The posting side is an API for programs (docs/captions.md): no form, no cookie, no CSRF token; the secret in
the link is the credential, and the access log never records it (forum/serving.py).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from forum.captions import exports, ingest, links, recording
from forum.captions import live as captions_live
from forum.db import get_session
from forum.errors import InvalidInput
from forum.events import events
from forum.extensions import csrf
from forum.web import form_action, keep_private, public_url_for

bp = Blueprint("captions", __name__)


@bp.post("/manage/<id:event_id>/captions/link")
@login_required
def issue_link(event_id: int) -> Response:
    session = get_session()
    _link, token = links.issue_link(session, current_user, event_id)
    event = events.owned_event(session, current_user, event_id)
    page = render_template(
        "captions/link_issued.html",
        event=event,
        link=public_url_for("captions.post_caption", token=token),
    )
    return keep_private(make_response(page))


@bp.post("/manage/<id:event_id>/captions/link/revoke")
@login_required
def revoke_link(event_id: int) -> Response:
    if links.revoke_link(get_session(), current_user, event_id):
        flash(_("The caption link no longer works. Captions posted to it are refused."), "success")
    else:
        flash(_("This event had no working caption link."), "info")
    return redirect(url_for("events.event_overview", event_id=event_id) + "#captions", code=303)


@bp.post("/manage/<id:event_id>/captions/public")
@login_required
def set_public(event_id: int) -> Response:
    public = request.form.get("public") == "true"
    captions_live.set_public(get_session(), current_user, event_id, public)
    flash(
        _("The audience and the projector get live captions.")
        if public
        else _("Live captions now stay with the moderators and scribes."),
        "success",
    )
    return redirect(url_for("events.event_overview", event_id=event_id) + "#captions", code=303)


_SUBTITLES = {
    "vtt": ("text/vtt", exports.webvtt_document),
    "srt": ("application/x-subrip", exports.srt_document),
}


@bp.get("/manage/<id:event_id>/captions.<any(vtt, srt):kind>")
@login_required
def download(event_id: int, kind: str) -> Response:
    """The event's captions as a subtitle file for its organizer (WebVTT or SRT), timed from the session's
    start: for a recording's player, or to check what the captioner sent."""
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    mimetype, document = _SUBTITLES[kind]
    response = make_response(document(exports.event_cues(session, event.id)))
    response.mimetype = mimetype
    response.charset = "utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="{event.slug}-captions.{kind}"'
    return keep_private(response)


@bp.post("/manage/<id:event_id>/captions/record")
@login_required
def record_options(event_id: int) -> Response:
    """The recording and whether the verbatim captions go into the record (from the next publication)."""
    return form_action(
        lambda: recording.set_record_options(
            get_session(),
            current_user,
            event_id,
            recording_url=request.form.get("recording_url"),
            offset=request.form.get("recording_offset"),
            verbatim=request.form.get("verbatim") == "true",
        ),
        done=_("Saved. The record shows them from its next publication."),
        back=url_for("events.event_overview", event_id=event_id) + "#record-options",
        refusals=(InvalidInput,),
    )


@bp.post("/captions/<token>")
@csrf.exempt  # a program posts here, with the secret link as its credential; a browser form gains nothing
def post_caption(token: str) -> Response:
    """One caption (docs/captions.md): 200 with the ``seq`` it was filed under; ``stored`` is false for a
    retry of a ``seq`` already accepted."""
    session = get_session()
    link = ingest.open_link(session, token)
    post = ingest.read_post(
        request.content_type, request.get_data(cache=False), request.args.get("seq"), request.args.get("lang")
    )
    accepted = ingest.accept(session, link, post)
    return keep_private(jsonify(seq=accepted.seq, stored=accepted.stored))


@bp.get("/captions/<token>/seq")
def last_seq(token: str) -> Response:
    """The last ``seq`` the link accepted, as plain text (0 before the first caption)."""
    response = make_response(str(ingest.last_seq(get_session(), token)))
    response.mimetype = "text/plain"
    return keep_private(response)
