"""Organizer pages for invitation links: one person's, everyone's at once, renewing and revoking.

A link can be shown only right after it is issued (the database keeps a hash), so these pages are the
one chance to pass links on: they are never cached and send no referrer. When the site has a mail server,
one person's page can also e-mail the link; that form posts the link back and gets the same page again.
"""

from __future__ import annotations

import segno
from flask import flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from forum.boundary import refuse
from forum.confirm import require_confirmation
from forum.db import get_session
from forum.errors import Conflict, DomainError, RateLimited
from forum.events import events, invitation_mail, invitations, panel
from forum.events.forms import InvitationMailForm
from forum.events.routes import bp
from forum.models import Event, Participant
from forum.web import attach_error, keep_private, public_url_for


def _shown_once(page: str, status: int = 200) -> Response:
    # A page holding working invitation links: no cache may keep it, no link on it may pass it on.
    return keep_private(make_response(page, status))


def _mail_form(event: Event, token: str) -> InvitationMailForm | None:
    """The form that e-mails a link just shown, when this site can send mail."""
    if not invitation_mail.mail_configured():
        return None
    return InvitationMailForm(
        formdata=None, token=token, language=invitation_mail.mail_language(event.language)
    )


def invitation_qr(link: str) -> str:
    """A ``data:`` URI of an SVG QR code for an invitation link."""
    # Not forum.live.qr: its cache would keep secret links in memory after the page is gone.
    return segno.make(link, error="m").svg_data_uri(scale=4, border=2, dark="#111111", light="#ffffff")


def _link_card(person: Participant, token: str) -> dict[str, object]:
    link = public_url_for("invite.portal", token=token)
    return {"person": person, "link": link, "qr": invitation_qr(link)}


@bp.post("/<id:event_id>/panel/<id:participant_id>/invitation")
def issue_invitation(event_id: int, participant_id: int) -> Response:
    session = get_session()
    person = panel.owned_participant(session, current_user, event_id, participant_id)
    if person.id in invitations.active_invitations(session, event_id):
        asked = require_confirmation(
            _("Replace the invitation link of %(name)s?", name=person.display_name),
            button=_("Replace the link"),
            cancel_url=url_for(".event_overview", event_id=event_id) + "#panel",
            explanation=_(
                "The link given out so far stops working at once, and screens opened with it are closed."
            ),
        )
        if asked:
            return asked
    _invitation, token = invitations.issue_invitation(session, current_user, event_id, participant_id)
    event = events.owned_event(session, current_user, event_id)
    page = render_template(
        "events/invitation_issued.html",
        event=event,
        card=_link_card(person, token),
        mail_form=_mail_form(event, token),
    )
    return _shown_once(page)


@bp.post("/<id:event_id>/panel/<id:participant_id>/invitation/email")
def email_invitation(event_id: int, participant_id: int) -> Response:
    """E-mail the link the page has just shown, and show the page again, link included, whatever happens."""
    session = get_session()
    form = InvitationMailForm()
    token = form.token.data or ""
    try:
        person = invitation_mail.working_link_holder(session, current_user, event_id, participant_id, token)
    except Conflict as error:
        # A replaced or revoked link is not shown again: its page is gone for good.
        refuse()
        flash(error.message, "error")
        return redirect(url_for(".event_overview", event_id=event_id) + "#panel", code=303)
    event = events.owned_event(session, current_user, event_id)
    card = _link_card(person, token)
    status, sent, retry_after = 200, None, None
    # Without a mail server the service refuses before reading the form: that is the message to show.
    if form.validate_on_submit() or not invitation_mail.mail_configured():
        try:
            sent = invitation_mail.send_invitation_mail(
                session,
                current_user,
                event_id,
                participant_id,
                token=token,
                link=str(card["link"]),
                address=form.email.data,
                language=form.language.data,
            )
        except DomainError as error:
            attach_error(form, error)
            status = error.status
            retry_after = error.retry_after if isinstance(error, RateLimited) else None
    else:
        status = 422
    mail_form: InvitationMailForm | None = form
    if not invitation_mail.mail_configured():
        # A page left open while the mail server was taken away: say so, and offer no form that cannot work.
        mail_form = None
        for message in form.form_errors:
            flash(message, "error")
    page = render_template(
        "events/invitation_issued.html", event=event, card=card, mail_form=mail_form, sent=sent
    )
    response = _shown_once(page, status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.post("/<id:event_id>/invitations")
def issue_panel_invitations(event_id: int) -> Response:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    renew = request.form.get("renew") == "1"
    if renew:
        asked = require_confirmation(
            _("Renew everyone's invitation link?"),
            button=_("Renew all links"),
            cancel_url=url_for(".event_overview", event_id=event_id) + "#panel",
            explanation=_(
                "Every link given out so far stops working at once, and screens opened with them are closed. "
                "You will have to pass the new links on to everyone."
            ),
        )
        if asked:
            return asked
    result = invitations.issue_panel_invitations(session, current_user, event_id, renew=renew)
    if not result.issued and not result.kept:
        flash(_("There is no one on the panel yet. Add the moderator, panelists and scribes first."), "info")
        return redirect(url_for(".event_overview", event_id=event_id) + "#panel", code=303)
    page = render_template(
        "events/invitations_issued.html",
        event=event,
        cards=[_link_card(person, token) for person, token in result.issued],
        kept=result.kept,
        renewed=renew,
    )
    return _shown_once(page)


@bp.post("/<id:event_id>/panel/<id:participant_id>/invitation/revoke")
def revoke_invitation(event_id: int, participant_id: int) -> Response:
    session = get_session()
    person = panel.owned_participant(session, current_user, event_id, participant_id)
    asked = require_confirmation(
        _("Revoke the invitation link of %(name)s?", name=person.display_name),
        button=_("Revoke link"),
        cancel_url=url_for(".event_overview", event_id=event_id) + "#panel",
        explanation=_(
            "The link stops working at once and screens opened with it are closed. "
            "You can create a new link afterwards."
        ),
    )
    if asked:
        return asked
    revoked = invitations.revoke_invitation(session, current_user, event_id, participant_id)
    flash(
        _("The invitation link no longer works.") if revoked else _("There was no working link to revoke."),
        "info",
    )
    return redirect(url_for(".event_overview", event_id=event_id) + "#panel")
