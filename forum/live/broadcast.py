"""The only module that emits live-room messages.

An after-commit hook on the session factory takes what services queued and emits it to the
stream's room. Whether Flask-SocketIO runs in-process or through a Redis message queue is a matter
of configuration; this code is the same either way. A rollback discards what was queued.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from forum.extensions import socketio
from forum.live.coalescer import TallyCoalescer
from forum.outbox import Broadcast, discard_pending, take_pending
from forum.protocol import DELTA, NAMESPACE, NOTICE, SNAPSHOT, room

log = logging.getLogger(__name__)


def install(session_factory: sessionmaker[Session], tallies: TallyCoalescer) -> None:
    """Hook the broadcaster onto every session the factory makes."""

    def after_commit(session: Session) -> None:
        pending = take_pending(session)
        for broadcast in pending.deltas:
            deliver(broadcast)
        for to, payload in pending.notices:
            send_notice(payload, to)
        if pending.tallies:
            tallies.mark(pending.tallies)
        for room_name in pending.evictions:
            evict(room_name)

    event.listen(session_factory, "after_commit", after_commit)
    event.listen(session_factory, "after_rollback", discard_pending)


def deliver(broadcast: Broadcast) -> None:
    """Emit one delta to its stream's room. A failure is logged: clients recover by resyncing."""
    try:
        socketio.emit(
            DELTA, broadcast.envelope(), to=room(broadcast.event_id, broadcast.stream), namespace=NAMESPACE
        )
    except Exception:
        log.exception("could not broadcast %s #%s", broadcast.type, broadcast.seq)


def evict(room_name: str) -> None:
    """Disconnect this process's connections in a room.

    Other processes' connections to the room are not reached here; the per-action check
    (live_access.confirm) still refuses anything they try.
    """
    try:
        server = socketio.server
        for sid, _eio_sid in list(server.manager.get_participants(NAMESPACE, room_name)):
            server.disconnect(sid, namespace=NAMESPACE, ignore_queue=True)
    except Exception:  # the access change is committed; a lingering connection can no longer act
        log.exception("could not disconnect the connections of %s", room_name)


def send_snapshot(snapshot: dict[str, Any], sid: str) -> None:
    """Send a full snapshot to one connection."""
    socketio.emit(SNAPSHOT, snapshot, to=sid, namespace=NAMESPACE)


def send_notice(payload: dict[str, Any], to: str) -> None:
    """Send an unnumbered private notice to one connection or personal room."""
    try:
        socketio.emit(NOTICE, payload, to=to, namespace=NAMESPACE)
    except Exception:  # the author sees the same state in their next snapshot
        log.exception("could not send a notice")
