"""Home page, short join links and ``/healthz``."""

from __future__ import annotations

import logging
import os
from urllib.parse import urlsplit

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from forum import i18n
from forum.db import get_session, utcnow
from forum.events import events
from forum.live import admission
from forum.web import cookies_secure, request_network_key

bp = Blueprint("site", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def home() -> str:
    """The join box, sign-in links, and what is live, coming up and recently published."""
    listings = events.public_listings(get_session(), utcnow())
    return render_template("site/home.html", listings=listings)


@bp.get("/j/", defaults={"code": ""})
@bp.get("/j/<path:code>")
def short_join(code: str) -> Response:
    """The projector's short link (``/j/K7M2QX``): on to the event, or to the join box with a message."""
    event = admission.event_for_code(get_session(), code, request_network_key())
    if event is None:
        shown = code.strip()[:12]
        if shown:
            flash(
                _(
                    "No event has the code “%(code)s”. Check the code on the screen and type it here.",
                    code=shown,
                ),
                "error",
            )
        else:
            flash(_("This link has no event code. Type the code shown on the screen in the room."), "error")
        return redirect(url_for("site.home", code=shown or None) + "#join", code=303)
    return redirect(url_for("audience.event_page", slug=event.slug), code=303)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error)
        return jsonify(status="degraded", database="unreachable"), 503
    answer: dict[str, object] = {"status": "ok", "database": "ok"}
    worker = os.environ.get("FORUM_WORKER_INDEX")
    if worker:
        answer["worker"] = int(worker)  # which of several processes answered (FORUM_WORKERS, docs/deploy.md)
    return jsonify(answer), 200


@bp.get("/language/<code>")
def language(code: str) -> Response:
    """The language switcher: remember the choice in a cookie (no account needed) and go back."""
    target = request.args.get("next", "")
    if (
        not (target.startswith("/") and not target.startswith("//") and "\\" not in target)
        or urlsplit(target).netloc
    ):
        target = url_for("site.home")
    response = redirect(target, code=303)
    if code in i18n.LANGUAGES:
        response.set_cookie(
            i18n.COOKIE,
            code,
            max_age=i18n.COOKIE_MAX_AGE,
            samesite="Lax",
            secure=cookies_secure(),
            httponly=True,
        )
    return response
