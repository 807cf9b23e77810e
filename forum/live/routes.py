"""Live pages: moderator and scribe consoles, the panelist's live page, the projector, joining by code.

Every page is rendered on the server from the same snapshot the socket sends, so it reads without
JavaScript. Console buttons are plain forms that post to the same actions the socket uses.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from forum import access
from forum.access import Actor, Role
from forum.confirm import require_confirmation
from forum.db import get_session
from forum.events import events, invitations
from forum.live import actions, admission, regions, snapshots
from forum.live.messages import ask_first, done_message
from forum.live.qr import qr_svg_data_uri
from forum.models import Event
from forum.web import form_action, public_url_for, request_network_key

bp = Blueprint("live", __name__)

CONSOLE_TEMPLATES = {
    Role.ORGANIZER: "live/console.html",
    Role.MODERATOR: "live/console.html",
    Role.SCRIBE: "live/console.html",
    Role.PANELIST: "live/panelist.html",
}


def _links(event: Event) -> dict[str, str]:
    return {
        "audience": public_url_for("audience.event_page", slug=event.slug),
        "projector": url_for("live.projector", slug=event.slug),
        "record": url_for("archive.record", slug=event.slug),
    }


def _render_console(actor: Actor, event: Event, *, invite: str | None) -> str:
    snapshot = snapshots.snapshot(get_session(), actor)
    action_url = (
        url_for("live.invite_action", token=invite, name="__name__")
        if invite
        else url_for("live.organizer_action", event_id=event.id, name="__name__")
    )
    page = "panelist" if actor.role == Role.PANELIST else "console"
    context = regions.page_context(snapshot, page=page, act_url=action_url, links=_links(event))
    return render_template(CONSOLE_TEMPLATES[actor.role], **context, event=event, actor=actor, invite=invite)


@bp.get("/manage/<id:event_id>/live")
@login_required
def organizer_console(event_id: int) -> str:
    session = get_session()
    event = events.owned_event(session, current_user, event_id)
    return _render_console(access.organizer_actor(current_user, event), event, invite=None)


@bp.get("/invite/<token>/live")
def invite_console(token: str) -> Response | str:
    session = get_session()
    person = invitations.participant_for_token(session, token)
    event = session.get(Event, person.event_id)
    return _render_console(access.participant_actor(person), event, invite=token)


def _perform(actor: Actor, name: str, back: str) -> Response:
    """Run a console action posted by a plain form, then go back to the console (303). A form that asks
    first (``ask_first``) gets the question on a page until the post says it is confirmed."""
    ask = ask_first(name) if request.form.get("ask_first") else None
    if ask:
        asked = require_confirmation(
            ask["question"], button=ask["button"], cancel_url=back, explanation=ask["detail"]
        )
        if asked:
            return asked
    payload = request.form.to_dict()
    return form_action(
        lambda: actions.run(get_session(), actor, name, payload), done=done_message, back=back, name=name
    )


@bp.post("/manage/<id:event_id>/live/<name>")
@login_required
def organizer_action(event_id: int, name: str) -> Response:
    event = events.owned_event(get_session(), current_user, event_id)
    actor = access.organizer_actor(current_user, event)
    return _perform(actor, name, url_for(".organizer_console", event_id=event_id))


@bp.post("/invite/<token>/live/<name>")
def invite_action(token: str, name: str) -> Response:
    person = invitations.participant_for_token(get_session(), token)
    return _perform(access.participant_actor(person), name, url_for(".invite_console", token=token))


@bp.get("/e/<slug>/projector")
def projector(slug: str) -> str:
    session = get_session()
    viewer = current_user if current_user.is_authenticated else None
    event = events.visible_event(session, slug, viewer)
    snapshot = snapshots.snapshot(session, Actor(event_id=event.id, role=Role.AUDIENCE))
    join_url = public_url_for("site.short_join", code=event.join_code)
    context = regions.page_context(snapshot, page="projector", act_url="", links=_links(event))
    return render_template(
        "live/projector.html",
        **context,
        event=event,
        join_url=join_url,
        join_display=join_url.split("://", 1)[-1],
        qr=qr_svg_data_uri(join_url),
    )


@bp.get("/join")
def join() -> Response:
    """Where the home page's join-code form goes: on to the event, or back with a clear message."""
    code = request.args.get("code", "")
    event = admission.event_for_code(get_session(), code, request_network_key())
    if event is None:
        message = (
            _("Type the code shown on the screen in the room.")
            if not code.strip()
            else _(
                "No event has the code “%(code)s”. Check the code on the screen and try again.",
                code=code.strip()[:12],
            )
        )
        flash(message, "error")
        return redirect(url_for("site.home", code=code.strip()[:12]) + "#join", code=303)
    return redirect(url_for("audience.event_page", slug=event.slug), code=303)
