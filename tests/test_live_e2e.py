"""End to end: the real gevent server in a child process, driven by real python-socketio clients."""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest
import socketio

from tests.live_mirror import MirrorClient, comparable
from tests.live_server import LiveServer

pytestmark = pytest.mark.e2e

AUDIENCE_SIZE = 6


@pytest.fixture
def live(make_live_event):
    return make_live_event()


@pytest.fixture
def server(database_url, tmp_path, live):
    running = LiveServer(database_url, tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def clients():
    made: list[MirrorClient] = []
    yield made
    for client in made:
        client.close()


def _connect(clients, server, auth, **kwargs) -> MirrorClient:
    client = MirrorClient(server.url, auth, **kwargs).connect()
    clients.append(client)
    return client


def _ok(ack):
    assert ack["ok"], ack
    return ack.get("result")


def test_every_audience_client_sees_every_change_in_order(server, live, clients):
    moderator = _connect(clients, server, {"invite": live.tokens["moderator"]})
    scribe = _connect(clients, server, {"invite": live.tokens["scribe"]})
    audience = [_connect(clients, server, {"event": live.event.slug}) for _ in range(AUDIENCE_SIZE)]
    kimmy, hong = live.people["kimmy"].id, live.people["hong"].id

    _ok(moderator.call("session.start"))
    _ok(moderator.call("floor.give", {"participant_id": kimmy}))
    _ok(
        scribe.call(
            "contribution.add",
            {"participant_id": kimmy, "text": "We need forums for solidarity.", "client_id": "e2e-capture-1"},
        )
    )
    _ok(moderator.call("question.next"))
    _ok(moderator.call("floor.give", {"participant_id": hong}))
    added = _ok(moderator.call("question.add", {"text": "Would a boycott work?"}))
    _ok(moderator.call("prompt.save", {"question_id": added["question_id"], "text": "Turning to boycotts."}))
    contribution = _ok(
        scribe.call("contribution.add", {"participant_id": hong, "text": "Only with alternatives."})
    )
    _ok(
        scribe.call(
            "contribution.edit",
            {"contribution_id": contribution["contribution_id"], "text": "Only where alternatives exist."},
        )
    )
    _ok(moderator.call("question.goto", {"question_id": added["question_id"]}))
    _ok(moderator.call("floor.release"))
    _ok(moderator.call("session.end"))

    crew = _ok(scribe.call("sync"))
    public = _ok(audience[0].call("sync"))
    assert public["seq"] >= audience[0].first_seq + 12
    for client in audience:
        assert client.wait_for_seq(public["seq"]), f"stopped at {client.seq}"
        expected = list(range(client.first_seq + 1, public["seq"] + 1))
        assert client.applied == expected, "in order, no gaps, nothing twice"
        assert client.resyncs == 0
        assert comparable(client.state) == comparable(public)
    assert scribe.wait_for_seq(crew["seq"])
    assert comparable(scribe.state) == comparable(crew)
    assert public["session"]["status"] == "ended"
    assert [item["text"] for item in public["feed"]] == [
        "We need forums for solidarity.",
        "Turning to boycotts.",
        "Only where alternatives exist.",
    ]


def test_restart_mid_session_loses_nothing(server, live, clients):
    moderator = _connect(clients, server, {"invite": live.tokens["moderator"]})
    audience = [_connect(clients, server, {"event": live.event.slug}) for _ in range(3)]
    _ok(moderator.call("session.start"))
    _ok(moderator.call("question.next"))
    _ok(moderator.call("floor.give", {"participant_id": live.people["kimmy"].id}))
    _ok(
        moderator.call(
            "contribution.add", {"participant_id": live.people["kimmy"].id, "text": "Before restart."}
        )
    )
    before = _ok(audience[0].call("sync"))
    for client in audience:
        assert client.wait_for_seq(before["seq"])

    server.stop()
    server.start()

    for client in [moderator, *audience]:
        assert client.wait_connected(), "clients reconnect by themselves"
    for client in audience:
        assert client.wait_for_seq(before["seq"])
        assert client.snapshots >= 2, "a reconnect brings a fresh snapshot"
        assert comparable(client.state) == comparable(before)
    assert audience[0].state["floor"]["participant_id"] == live.people["kimmy"].id
    _ok(moderator.call("question.next"))
    for client in audience:
        assert client.wait_for_seq(before["seq"] + 1), "numbering continues after the restart"
        assert client.state["current_question_id"] == live.questions[2].id


def test_audience_staff_events_are_refused_over_the_wire(server, live, clients):
    audience = _connect(clients, server, {"event": live.event.slug})
    ack = audience.call("session.start")
    assert ack == {
        "ok": False,
        "error": {"code": "forbidden", "message": "Only the moderator or the organizer can do that."},
    }
    assert audience.call("made.up.event")["error"]["code"] == "unknown_action"
    assert _ok(audience.call("sync"))["seq"] == audience.first_seq


def test_connections_from_other_origins_are_refused(server, live, clients):
    # The WebSocket client sends the server's own address as its Origin: allowed.
    assert _connect(clients, server, {"event": live.event.slug}).wait_connected()
    # Long-polling requests carry exactly the Origin header given here.
    hostile = MirrorClient(server.url, {"event": live.event.slug}, headers={"Origin": "http://evil.example"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        hostile.connect(transports=("polling",))
    assert hostile.state is None
    assert "http://evil.example is not an accepted origin" in server.log()


def test_refused_connections_say_why(server, clients):
    client = MirrorClient(server.url, {"event": "no-such-event"})
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect()
    message = "There is no live room for this event."
    assert client.connect_errors == [{"message": message, "data": {"code": "not_found", "message": message}}]


def test_access_log_keeps_no_addresses_or_tokens(server, live):
    import http.client

    # pywsgi writes a request's access-log line after it has sent the response, in the greenlet that
    # serves the connection. A second request on the same kept-alive connection is only read after
    # that, so once its answer arrives the first line is in the log.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        connection.request("GET", f"/invite/{live.tokens['kimmy']}")
        response = connection.getresponse()
        response.read()
        assert response.status == 200
        connection.request("GET", "/healthz")
        follow_up = connection.getresponse()
        follow_up.read()
        assert follow_up.status == 200
    finally:
        connection.close()
    log = server.log()
    assert "/invite/[token]" in log
    assert live.tokens["kimmy"] not in log
    assert "127.0.0.1 - - [" not in log


def test_error_log_keeps_no_addresses_or_tokens_whatever_the_client_sends(server, live):
    """Malformed request lines (with a token in them) and a TLS hello on the plain port make pywsgi write
    error lines; none names the client's address or the token."""
    import socket

    before = len(server.log_path.read_text(errors="replace"))
    token = live.tokens["kimmy"]
    for raw in (
        f"BREW /invite/{token} HTTP/9.9\r\n\r\n".encode(),
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 /invite/"
        + token.encode()
        + b"\r\n\r\n",  # binary junk
    ):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
            connection.sendall(raw)
            assert connection.recv(1024).startswith(b"HTTP/1.1 4")
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as health:  # the server kept serving
        assert health.status == 200
    written = server.log_path.read_text(errors="replace")[before:]
    assert written.strip(), "pywsgi reported the bad requests"
    assert "127.0.0.1" not in written and token not in written, written


_KEY = b"dGhlIHNhbXBsZSBub25jZQ=="  # RFC 6455's sample key
_UPGRADE = b"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1\r\n"


def _exchange(server, request: bytes, frame: bytes = b"") -> bytes:
    """Send one raw request (and a frame once it is upgraded); return all the server sent until it closed."""
    import socket

    received = b""
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        while b"\r\n\r\n" not in received and (chunk := connection.recv(4096)):
            received += chunk
        if frame and received.startswith(b"HTTP/1.1 101"):
            connection.sendall(frame)
        while chunk := connection.recv(4096):  # until the server closes (bounded by the socket's timeout)
            received += chunk
    return received


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", b"400"),  # no key
        (
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: !!\r\n"
            b"Sec-WebSocket-Version: 13\r\n",
            b"400",
        ),
        (
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + _KEY
            + b"\r\nSec-WebSocket-Version: 99\r\n",
            b"426",
        ),
        (b"Upgrade: websocket\r\n", b"400"),  # no Connection: Upgrade, no key
        (
            b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
            + _KEY
            + b"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: \xc3\xa9\r\n",
            b"400",
        ),
    ],
    ids=["no-key", "bad-key", "unknown-version", "no-connection-header", "non-ascii-protocol"],
)
def test_a_malformed_websocket_upgrade_is_a_clear_refusal_not_a_500(server, headers, status):
    """Issue 11, item 9: the WebSocket library raised on these (a 500 with a traceback in the log)."""
    before = len(server.log_path.read_text(errors="replace"))
    answer = _exchange(server, _UPGRADE + headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 " + status), answer[:200]
    assert b"WebSocket" in answer.split(b"\r\n\r\n", 1)[1]  # the reason, in plain words
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as health:
        assert health.status == 200
    written = server.log_path.read_text(errors="replace")[before:]
    assert "Traceback" not in written and "127.0.0.1" not in written, written


@pytest.mark.parametrize(
    "frame",
    [b"\x83\x80abcd", b"\x81\x05hello", b"\x81\xff" + b"\xff" * 8 + b"abcd", b"\xf1\x80abcd", b"\x00" * 50],
    ids=["reserved-opcode", "unmasked", "impossible-length", "reserved-bits", "zeros"],
)
def test_a_malformed_websocket_frame_closes_that_connection_quietly(server, frame):
    before = len(server.log_path.read_text(errors="replace"))
    upgrade = b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + _KEY
    answer = _exchange(server, _UPGRADE + upgrade + b"\r\nSec-WebSocket-Version: 13\r\n\r\n", frame)
    head, _, frames = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 101") and b"\x88" in frames  # a close frame, with a reason
    with urllib.request.urlopen(f"{server.url}/healthz", timeout=10) as health:
        assert health.status == 200
    written = server.log_path.read_text(errors="replace")[before:]
    assert "Traceback" not in written and "127.0.0.1" not in written, written


@pytest.mark.skipif(shutil.which("ss") is None, reason="needs `ss` (iproute2) to read a socket's backlog")
@pytest.mark.parametrize("backlog", [None, "777"])
def test_the_listen_backlog_is_large_by_default_and_configurable(database_url, tmp_path, backlog):
    """gevent listens with a backlog of 128 unless told: a burst of phones would then wait a TCP retry."""
    env = {"FORUM_LISTEN_BACKLOG": backlog} if backlog else {}
    running = LiveServer(database_url, tmp_path, **env).start()
    try:
        listing = subprocess.run(
            ["ss", "-ltnH", f"sport = :{running.port}"], capture_output=True, text=True, check=True
        ).stdout.split()
        somaxconn = int(Path("/proc/sys/net/core/somaxconn").read_text())
        assert int(listing[2]) == min(int(backlog or 2048), somaxconn), listing
    finally:
        running.stop()


@pytest.mark.parametrize("compression", [None, "1"])
def test_permessage_deflate_is_declined_unless_switched_on(database_url, tmp_path, compression):
    """Live messages are small: a deflate context per connection costs memory and CPU (issue 12)."""
    import socket

    env = {"FORUM_WEBSOCKET_COMPRESSION": compression} if compression else {}
    running = LiveServer(database_url, tmp_path, **env).start()
    try:
        offer = b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
        upgrade = b"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + _KEY
        with socket.create_connection(("127.0.0.1", running.port), timeout=10) as connection:
            connection.sendall(_UPGRADE + upgrade + b"\r\nSec-WebSocket-Version: 13\r\n" + offer + b"\r\n")
            answer = b""
            while b"\r\n\r\n" not in answer and (chunk := connection.recv(4096)):
                answer += chunk
        head = answer.partition(b"\r\n\r\n")[0].lower()
        assert head.startswith(b"http/1.1 101")
        assert (b"sec-websocket-extensions: permessage-deflate" in head) == bool(compression), head
    finally:
        running.stop()
