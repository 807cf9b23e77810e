"""Connecting is cheap (issue 12): an audience connection writes nothing, and the public room state is built
once per sequence number and shared by every connection that arrives before the next change."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import event

from forum.extensions import socketio
from forum.protocol import NAMESPACE
from tests.conftest import act, ask, received
from tests.identities import audience_token


def _writes_during(app, action):
    engine = app.extensions["forum.db"].engine
    writes: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in {"INSERT", "UPDATE", "DELETE"}:
            writes.append(statement.split("\n", 1)[0])

    event.listen(engine, "before_cursor_execute", record)
    try:
        result = action()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return writes, result


def test_an_audience_connection_writes_nothing(app, make_live_event, make_event, make_organizer, live_client):
    live = make_live_event()
    draft_of_a_new_kind = make_event(make_organizer())  # an event with no live-state row yet
    for slug in (live.event.slug, draft_of_a_new_kind.slug):
        writes, client = _writes_during(
            app, lambda slug=slug: live_client({"event": slug, "audience": audience_token()})
        )
        assert writes == []
    assert client is not None


def test_the_public_room_state_is_built_once_per_change(app, make_live_event, live_client):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "moderation.settings", {"premoderation": False})
    rooms = app.extensions["forum.room_states"]
    before = rooms.builds
    crowd = [live_client({"event": live.event.slug, "audience": audience_token()}) for _ in range(5)]
    assert rooms.builds == before + 1
    snapshots = [received(client, "snapshot")[0] for client in crowd]
    assert len({snapshot["seq"] for snapshot in snapshots}) == 1
    # Each still gets what is its own: the shared state is not changed in place.
    asked = ask(crowd[0], "Who decides?")["result"]["question_id"]
    late = live_client({"event": live.event.slug, "audience": audience_token()})
    (fresh,) = received(late, "snapshot")
    assert rooms.builds == before + 2  # a change made the kept state stale
    assert asked in {q["id"] for q in fresh["questions"]}
    assert all("mine" in s and s["mine"] == fresh["mine"] for s in snapshots[1:])
    assert late.is_connected(NAMESPACE)


@pytest.fixture
def queued(redis_url, app_config):
    """The app under test with the real Redis as its message queue (asked for before ``app``)."""
    app_config.update(MESSAGE_QUEUE=redis_url, MESSAGE_QUEUE_CHANNEL=f"forum-test-{secrets.token_hex(4)}")
    return redis_url


@pytest.mark.redis
def test_a_snapshot_goes_straight_to_its_connection_not_through_the_queue(queued, app, monkeypatch):
    """With several processes, a snapshot published on the message queue would be decoded by every other
    process for nothing: a reconnect storm would cost each process every process's snapshots.
    (Flask-SocketIO's test client refuses a message queue, so this watches the queue's manager directly.)"""
    from forum.live.broadcast import send_snapshot

    manager = socketio.server.manager
    assert type(manager).__name__ != "Manager" and app.config["MESSAGE_QUEUE"] == queued
    published, local = [], []
    monkeypatch.setattr(manager, "_publish", published.append)
    monkeypatch.setattr(manager, "_handle_emit", local.append)
    with app.app_context():
        send_snapshot({"seq": 1}, "a-local-sid")
        assert published == [] and local == []  # neither queued nor handled as a queued message
        socketio.emit("delta", {"seq": 2}, to="some-room", namespace="/live")
    assert [m["event"] for m in published] == ["delta"]  # a broadcast still reaches the other processes
