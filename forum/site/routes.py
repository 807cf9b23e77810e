"""Home page and ``/healthz``."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, render_template
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from forum.db import get_session

bp = Blueprint("site", __name__)
log = logging.getLogger(__name__)


@bp.get("/")
def home() -> str:
    return render_template("site/home.html")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Liveness and database reachability, for load balancers and monitoring."""
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError as error:
        log.warning("health check: database unreachable: %s", error)
        return jsonify(status="degraded", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200
