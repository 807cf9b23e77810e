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
from forum.live.wire_json import Encoded
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
    """Disconnect every connection in a room, on every process.

    With a message queue the eviction travels to the other processes through it (see ``EvictingQueue``);
    a single process disconnects its own connections. Either way the per-action check
    (admission.confirm) also refuses anything a connection still tries before it is closed.
    """
    try:
        manager = socketio.server.manager
        if isinstance(manager, EvictingQueue):
            manager.evict(room_name, NAMESPACE)
        else:
            _disconnect_local(manager, room_name, NAMESPACE)
    except Exception:  # the access change is committed; a lingering connection can no longer act
        log.exception("could not disconnect the connections of %s", room_name)


def _disconnect_local(manager: Any, room_name: str, namespace: str) -> None:
    for sid, _eio_sid in list(manager.get_participants(namespace, room_name)):
        manager.server.disconnect(sid, namespace=namespace, ignore_queue=True)


class EvictingQueue:
    """A message-queue client manager that can also evict a room on every process.

    Room membership is local to each process, so the process that withdraws access cannot name the other
    processes' connections. The eviction is published as the queue's own ``close_room`` message with a
    mark: each process that knows the mark first disconnects its connections in the room, then closes the
    room as usual (a process without the mark only closes the room, which still stops what that room
    carries).
    """

    MARK = "forum_evict"

    def evict(self, room_name: str, namespace: str) -> None:
        message = {
            "method": "close_room",
            "room": room_name,
            "namespace": namespace,
            "host_id": self.host_id,  # type: ignore[attr-defined]
            self.MARK: True,
        }
        self._handle_close_room(message)  # this process
        self._publish(message)  # type: ignore[attr-defined]  # every other process

    def _handle_close_room(self, message: dict[str, Any]) -> None:
        if message.get(self.MARK):
            _disconnect_local(self, message["room"], message.get("namespace") or NAMESPACE)
        super()._handle_close_room(message)  # type: ignore[misc]


def queue_manager(url: str, channel: str) -> Any:
    """The client manager for a message queue URL, as Flask-SocketIO would choose it, able to evict."""
    import socketio as python_socketio

    base = (
        python_socketio.RedisManager
        if url.startswith(("redis://", "rediss://"))
        else python_socketio.KombuManager
    )
    manager_class = type(f"Evicting{base.__name__}", (EvictingQueue, base), {})
    return manager_class(url, channel=channel)


def send_snapshot(snapshot: dict[str, Any] | Encoded, sid: str) -> None:
    """Send a full snapshot to one connection of this process (its connect handler or its ``sync``).

    Straight to the connection, not through the message queue: with several processes, a queued emit is
    published to every other process, which decodes the whole snapshot only to find the connection is not
    its own; a reconnect storm of thousands would make every process pay for every snapshot.
    """
    socketio.emit(SNAPSHOT, snapshot, to=sid, namespace=NAMESPACE, ignore_queue=True)


def send_notice(payload: dict[str, Any], to: str) -> None:
    """Send an unnumbered private notice to one connection or personal room."""
    try:
        socketio.emit(NOTICE, payload, to=to, namespace=NAMESPACE)
    except Exception:  # the author sees the same state in their next snapshot
        log.exception("could not send a notice")
