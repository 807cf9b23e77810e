"""The unit-of-work boundary: the one place where a request, socket event or CLI command commits.

Services only change the session. Here a successful HTTP response commits, an error response
(status >= 400) rolls back, and a failed commit becomes a clear 409 instead of a 500.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, g
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session

from forum.db import get_db, get_session
from forum.errors import Conflict

log = logging.getLogger(__name__)

# The message is lazy: it is read in the language of each request (or socket event) that meets it.
COMMIT_CONFLICT = Conflict(
    _l(
        "Your change clashed with another change made at the same moment and was not saved. "
        "Reload the page and try again."
    )
)


def refuse() -> None:
    """Mark this request as refused: whatever the response's status (a redirect back with a message, a form
    shown again), the boundary rolls its changes back instead of committing them."""
    g.forum_refused = True


# Every pooled database connection stayed busy for the pool's whole timeout (a storm of votes on one
# process): the server is overloaded, not broken, so the answer is "try again", without a traceback.
DATABASE_BUSY = Conflict(
    _l("The server is very busy right now and nothing was saved. Please try again in a moment."), code="busy"
)

# A pooled connection died since its last use (the database restarted, or a network dropped it). The pool
# checks only connections left unused for a while (forum/db.py, IdlePing); on this error SQLAlchemy has
# already replaced every connection it held, so the same action goes through when sent again.
DATABASE_RECONNECTED = Conflict(
    _l("The connection to the database was lost for a moment and nothing was saved. Please try again."),
    code="database_reconnected",
)


def database_refusal(error: BaseException) -> Conflict | None:
    """The answer for a database failure that is the server's state, not a bug: every connection busy, or
    a connection lost and replaced. None for anything else."""
    if isinstance(error, PoolTimeout):
        return DATABASE_BUSY
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return DATABASE_RECONNECTED
    return None


@contextmanager
def unit_of_work() -> Iterator[Session]:
    """Yield the context's session; commit if the block finishes, roll back if it raises. A block that used
    no database (a live connect to a room this process knows) begins and commits nothing."""
    session = get_session()
    try:
        yield session
        if session.in_transaction():
            session.commit()
    except BaseException:
        session.rollback()
        raise


def roll_back_now() -> None:
    """Roll the request's transaction back at once, before the error page is built: after a failed
    statement the session refuses every query until then, and the page reads the database too (the
    header names who is signed in)."""
    registry = get_db().session.registry
    if registry.has():
        registry().rollback()


def init_app(app: Flask) -> None:
    from forum.web import error_response

    @app.after_request
    def commit_or_roll_back(response: Response) -> Response:
        registry = get_db().session.registry
        if not registry.has():
            return response
        session = registry()
        if response.status_code >= 400 or g.pop("forum_refused", False):
            session.rollback()
            return response
        try:
            session.commit()
        except (IntegrityError, OperationalError) as error:
            log.warning("commit failed at the request boundary", exc_info=True)
            session.rollback()
            return error_response(database_refusal(error) or COMMIT_CONFLICT)
        return response

    @app.teardown_appcontext
    def close_session(_exc: BaseException | None) -> None:
        get_db().session.remove()
