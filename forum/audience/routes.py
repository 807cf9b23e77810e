"""The public event page at ``/e/<slug>``: the event, its panel and, during the session, the live room,
the audience's questions and polls. Audience actions also work as plain form posts without JavaScript."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from forum.access import Actor, audience_actor
from forum.db import get_session
from forum.events import events
from forum.extensions import csrf
from forum.limits import BOARD_SNAPSHOT_QUESTIONS
from forum.live import actions, regions, snapshots
from forum.live.messages import done_message
from forum.models import Event
from forum.web import (
    audience_token_hash,
    form_action,
    issue_audience_token,
    keep_private,
    request_network_key,
)

bp = Blueprint("audience", __name__)


def _actor(event: Event) -> Actor:
    return audience_actor(
        event,
        audience_token_hash(),
        request_network_key(),
    )


@bp.get("/e/<slug>")
def event_page(slug: str) -> str:
    session = get_session()
    viewer = current_user if current_user.is_authenticated else None
    event = events.visible_event(session, slug, viewer)
    # Without JavaScript, "show more" on a crowded board asks for the whole board with the page.
    limit = None if request.args.get("board") == "all" else BOARD_SNAPSHOT_QUESTIONS
    snapshot = snapshots.snapshot(session, _actor(event), board_limit=limit)
    sort = "newest" if request.args.get("sort") == "newest" else "votes"
    context = regions.page_context(
        snapshot,
        page="audience",
        act_url=url_for(".act", slug=event.slug, name="__name__", sort=request.args.get("sort")),
        links={"record": url_for("archive.record", slug=event.slug)},
        local={"sort": sort, "captions": request.args.get("captions") == "1"},
    )
    return render_template("audience/event.html", **context, event=event)


@bp.post("/e/<slug>/act/<name>")
def act(slug: str, name: str) -> Response:
    """The no-JavaScript door for audience actions; the same actions the socket offers."""
    session = get_session()
    event = events.visible_event(session, slug, None)
    back = url_for(".event_page", slug=slug, sort=request.args.get("sort")) + "#questions"
    if not (name.startswith(("audience.", "poll.vote"))):
        flash(_("That is not something the audience can do."), "error")
        return redirect(back, code=303)
    actor, payload = _actor(event), request.form.to_dict()
    return form_action(
        lambda: actions.run(session, actor, name, payload), done=done_message, back=back, name=name
    )


@bp.post("/api/audience-identity")
@csrf.exempt  # it changes nothing and sets no cookie: a page elsewhere gains nothing by calling it
def issue_identity() -> Response:
    """An audience identity for a client that is not a browser (a browser gets its cookie from the event
    page): a signed token to present as ``auth.audience`` when connecting. Each counts against the
    network's ``identity`` limit; over it, 429 with Retry-After."""
    response = jsonify(token=issue_audience_token())
    response.status_code = 201
    return keep_private(response)
