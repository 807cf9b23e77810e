"""The public event page at ``/e/<slug>``: the event, its panel and, during the session, the live room."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from forum.db import get_session
from forum.live.presenter import present
from forum.services import events, live_view
from forum.services.live_access import LiveActor

bp = Blueprint("audience", __name__)


@bp.get("/e/<slug>")
def event_page(slug: str) -> str:
    session = get_session()
    viewer = current_user if current_user.is_authenticated else None
    event = events.visible_event(session, slug, viewer)
    snapshot = live_view.snapshot(session, LiveActor(event_id=event.id, role="audience"))
    return render_template("audience/event.html", event=event, snap=snapshot, view=present(snapshot))
