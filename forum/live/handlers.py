"""Socket.IO handlers for the ``/live`` namespace. Thin: identify, call an action, commit, acknowledge.

Broadcasting is not done here: the commit triggers :mod:`forum.live.broadcast`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import ConnectionRefusedError, join_room, leave_room
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from forum.access import TOKEN_COOKIE, Actor, token_hash
from forum.boundary import COMMIT_CONFLICT, database_refusal, unit_of_work
from forum.db import reading
from forum.errors import DomainError
from forum.extensions import socketio
from forum.live import actions, admission, snapshots
from forum.live.broadcast import send_snapshot
from forum.live.messages import done_message
from forum.live.wire_json import Encoded
from forum.protocol import NAMESPACE, Action, audience_room, organizer_room, participant_room, room
from forum.web import request_network_key

log = logging.getLogger(__name__)

# Who is behind each connection of this process (connections never move between processes).
_actors: dict[str, Actor] = {}


def server_error() -> dict[str, str]:
    """The refusal for a failure of ours, in the language of whoever is connected."""
    return {"code": "server_error", "message": _("Something went wrong on the server; nothing was changed.")}


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _presented_audience_token(auth: dict[str, Any]) -> Any:
    """The audience token this connection presents: the cookie (browsers), otherwise ``auth.audience``."""
    cookie = request.cookies.get(TOKEN_COOKIE)
    return cookie if cookie is not None else auth.get("audience")


@socketio.on("connect", namespace=NAMESPACE)
def on_connect(auth: Any = None) -> None:
    """Identify the connection from its ``auth`` object, join its stream, and send it a snapshot.

    ``auth`` is {"event": slug} for the audience and the organizer (recognised by the session
    cookie), or {"invite": token} for invited moderators, scribes and panelists. The snapshot is
    emitted from here, so it reaches the client before the namespace's connect confirmation.
    """
    auth = auth if isinstance(auth, dict) else {}
    organizer = current_user._get_current_object() if current_user.is_authenticated else None
    token = _presented_audience_token(auth)
    hashed = token_hash(token, current_app.config["SECRET_KEY"]) if isinstance(token, str) else None
    limits = current_app.extensions["forum.connections"]
    network = request_network_key()
    try:
        limits.admit(request.sid, network)
        # In line behind the crowd that arrived just before (a restart's reconnections): sleeping here holds
        # nobody else up, and the process keeps broadcasting to those already in.
        wait = current_app.extensions["forum.admission_pace"].reserve()
        if wait:
            time.sleep(wait)
        entry = _Entry(auth, organizer, token, hashed, network)
        try:
            snapshot = entry.enter()
        except admission.StaleRoom:
            # Let in on a room this process read before, which has changed since: once more, on a fresh read
            # (not on what another connection may have kept meanwhile).
            snapshot = entry.enter(fresh=True)
    except Exception as error:
        _actors.pop(request.sid, None)
        limits.release(request.sid)
        refused = error if isinstance(error, DomainError) else database_refusal(error)
        if refused is not None:
            raise ConnectionRefusedError(refused.message, refused.to_dict()) from None
        # Refuse clearly rather than leave the client waiting for a connection that never comes.
        log.exception("live connection failed")
        refusal = server_error()
        raise ConnectionRefusedError(refusal["message"], refusal) from None
    send_snapshot(snapshot, request.sid)


class _Entry:
    """One connection's way in: who it is, the rooms it joins, and its snapshot."""

    def __init__(
        self, auth: dict[str, Any], organizer: Any, token: Any, hashed: str | None, network: str | None
    ) -> None:
        self.slug = _text_or_none(auth.get("event"))
        self.invite = _text_or_none(auth.get("invite"))
        self.organizer = organizer
        self.who = {  # what admission asks, with or without a read
            "slug": self.slug,
            "organizer": organizer,
            "audience_token_hash": hashed,
            "audience_token_malformed": token is not None and hashed is None,
            "network_key": network,
        }

    def enter(self, fresh: bool = False) -> dict[str, Any] | Encoded:
        known = current_app.extensions["forum.known_rooms"]
        # A room this process knows is entered without reading (and confirmed below).
        actor = None if self.invite or fresh else admission.known_actor(known, **self.who)
        if actor is None:
            with unit_of_work() as session:
                actor = admission.resolve_actor(session, invite_token=self.invite, known=known, **self.who)
        _actors[request.sid] = actor
        # Join first, then read: a change committed in between arrives as a delta numbered after the snapshot.
        joined = _rooms_of(actor)
        for name in joined:
            join_room(name)
        try:
            return self._snapshot(actor)
        except admission.StaleRoom:
            known.forget(self.slug)
            for name in joined:
                leave_room(name)
            _actors.pop(request.sid, None)
            raise

    def _snapshot(self, actor: Actor) -> dict[str, Any] | Encoded:
        shared = current_app.extensions["forum.room_states"]
        confirmed = None
        if admission.admitted_by_slug(actor):
            # One statement confirms the room and reads the stream's number and the member; a phone of the
            # crowd (no member yet, the room's state kept) needs nothing more, so no session is opened.
            with reading() as connection:
                confirmed = admission.confirm_room(connection, actor, self.slug, self.organizer)
            kept = snapshots.kept_message(actor, shared, confirmed)
            if kept is not None:
                return kept
        with unit_of_work() as session:
            return snapshots.snapshot_message(session, actor, shared, confirmed)


def _rooms_of(actor: Actor) -> list[str]:
    names = [room(actor.event_id, actor.stream)]
    if actor.participant_id is not None:
        names.append(participant_room(actor.participant_id))
    if actor.organizer_id is not None:
        names.append(organizer_room(actor.organizer_id))
    if actor.audience_token_hash is not None:
        names.append(audience_room(actor.event_id, actor.audience_token_hash))
    return names


@socketio.on("disconnect", namespace=NAMESPACE)
def on_disconnect(*_args: Any) -> None:
    _actors.pop(request.sid, None)
    current_app.extensions["forum.connections"].release(request.sid)


def current_actor() -> Actor | None:
    return _actors.get(request.sid)


def acknowledge(name: str, payload: Any) -> dict[str, Any]:
    """Perform an action for this connection and describe the outcome for the ack callback."""
    actor = current_actor()
    if actor is None:
        return {"ok": False, "error": {"code": "not_joined", "message": _("Connect with an event first.")}}
    try:
        with unit_of_work() as session:
            admission.confirm(session, actor)
            result = actions.run(session, actor, name, payload)
    except DomainError as error:
        return {"ok": False, "error": error.to_dict()}
    except (PoolTimeout, DBAPIError) as error:
        refusal = database_refusal(error)  # every connection busy, or a lost one replaced: try again
        if refusal is not None:
            log.warning("live action %s: %s", name, refusal.code)
        elif isinstance(error, IntegrityError | OperationalError):
            # A change made at the same moment won (e.g. the same submission sent twice at once): the same
            # answer an HTTP form gets when its commit fails (forum/boundary.py).
            log.warning("live action %s clashed with another change", name, exc_info=True)
            refusal = COMMIT_CONFLICT
        else:
            log.exception("live action %s failed", name)
            return {"ok": False, "error": server_error()}
        return {"ok": False, "error": refusal.to_dict()}
    except Exception:
        log.exception("live action %s failed", name)
        return {"ok": False, "error": server_error()}
    return {"ok": True, "result": result, "message": done_message(name, result)}


def _one_argument(args: tuple[Any, ...]) -> Any:
    """The action's single argument; several arguments are a malformed payload, answered as such."""
    if len(args) > 1:
        return args  # a tuple, refused by actions.run as "not an object"
    return args[0] if args else None


def _register(action: Action) -> None:
    def handler(*args: Any) -> dict[str, Any]:
        return acknowledge(action.value, _one_argument(args))

    handler.__name__ = f"on_{action.name.lower()}"
    socketio.on_event(action.value, handler, namespace=NAMESPACE)


for _action in Action:
    _register(_action)


@socketio.on("*", namespace=NAMESPACE)
def on_unknown(name: str, *args: Any) -> dict[str, Any]:
    """Any other event name is answered too, so a client never waits for an ack that cannot come."""
    return acknowledge(name, _one_argument(args))
