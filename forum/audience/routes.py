"""The public event page at ``/e/<slug>``."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user

from forum.db import get_session
from forum.models import ParticipantRole
from forum.services import events

bp = Blueprint("audience", __name__)


@bp.get("/e/<slug>")
def event_page(slug: str) -> str:
    viewer = current_user if current_user.is_authenticated else None
    event = events.visible_event(get_session(), slug, viewer)
    moderators = [p for p in event.participants if p.role == ParticipantRole.MODERATOR]
    panelists = [p for p in event.participants if p.role == ParticipantRole.PANELIST]
    return render_template("audience/event.html", event=event, moderators=moderators, panelists=panelists)
