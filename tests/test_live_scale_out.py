"""Scale-out: two server processes share one database and a Redis message queue; a change made
through one reaches clients connected to the other, numbered in the same stream."""

from __future__ import annotations

import secrets

import pytest

from tests.live_mirror import MirrorClient, comparable
from tests.live_server import LiveServer

pytestmark = [pytest.mark.e2e, pytest.mark.redis]


@pytest.fixture
def servers(redis_url, database_url, tmp_path, make_live_event):
    live = make_live_event()
    channel = f"forum-test-{secrets.token_hex(4)}"
    env = {"FORUM_MESSAGE_QUEUE": redis_url, "FORUM_MESSAGE_QUEUE_CHANNEL": channel}
    first = LiveServer(database_url, tmp_path, **env).start()
    second = LiveServer(database_url, tmp_path, **env)
    # Both processes serve the same site, so each must accept the other's origin.
    origins = f"{first.url},{second.url}"
    first.env["FORUM_ALLOWED_ORIGINS"] = second.env["FORUM_ALLOWED_ORIGINS"] = origins
    first.stop()
    first.start()
    second.start()
    yield live, first, second
    second.stop()
    first.stop()


def test_changes_cross_processes_through_redis(servers):
    live, first, second = servers
    clients = []
    try:
        moderator = MirrorClient(first.url, {"invite": live.tokens["moderator"]}).connect()
        clients.append(moderator)
        audience = [
            MirrorClient(s.url, {"event": live.event.slug}).connect() for s in (first, second, second)
        ]
        clients.extend(audience)
        assert moderator.call("session.start")["ok"]
        assert moderator.call("floor.give", {"participant_id": live.people["kimmy"].id})["ok"]
        assert moderator.call("question.next")["ok"]
        expected = audience[0].call("sync")["result"]
        for client in audience:
            assert client.wait_for_seq(expected["seq"]), f"{client.url} stopped at {client.seq}"
            assert client.applied == list(range(client.first_seq + 1, expected["seq"] + 1))
            assert comparable(client.state) == comparable(expected)
    finally:
        for client in clients:
            client.close()
