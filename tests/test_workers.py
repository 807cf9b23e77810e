"""``FORUM_WORKERS=N python app.py``: N server processes on one address (forum/workers.py, docs/deploy.md).

The settings are checked before anything starts; the supervisor restarts a worker that dies and gives up on
one that cannot start; and, with the real Redis, the workers share the kernel's connections on one port
while a change made through one reaches the people connected to the other.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import time
from pathlib import Path

import pytest
import requests

from forum import create_app
from forum.workers import (
    QUICK_EXITS_ALLOWED,
    Supervisor,
    WorkersSettingError,
    check_environment,
    supervise,
    worker_count,
)
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

QUEUE = {"FORUM_MESSAGE_QUEUE": "redis://127.0.0.1:6379/0"}


@pytest.mark.parametrize(("raw", "count"), [(None, 1), ("", 1), (" 1 ", 1), ("2", 2), ("64", 64)])
def test_worker_count(raw, count):
    assert worker_count({} if raw is None else {"FORUM_WORKERS": raw}) == count


@pytest.mark.parametrize("raw", ["0", "-1", "65", "two", "1.5"])
def test_a_worker_count_that_is_not_one_is_refused_with_the_reason(raw):
    with pytest.raises(WorkersSettingError, match="FORUM_WORKERS"):
        worker_count({"FORUM_WORKERS": raw})


def test_several_workers_need_the_message_queue():
    with pytest.raises(WorkersSettingError, match="FORUM_MESSAGE_QUEUE"):
        check_environment({}, 2)
    check_environment({}, 1)
    check_environment(QUEUE, 2)


def test_several_workers_cannot_serve_long_polling():
    with pytest.raises(WorkersSettingError, match="sticky"):
        check_environment({**QUEUE, "FORUM_LIVE_TRANSPORTS": "polling,websocket"}, 2)
    check_environment({**QUEUE, "FORUM_LIVE_TRANSPORTS": "websocket"}, 2)


def test_supervise_refuses_bad_settings_before_starting_anything(capsys):
    assert supervise([sys.executable, "-c", "raise SystemExit('started')"], {"FORUM_WORKERS": "3"}) == 2
    assert "FORUM_MESSAGE_QUEUE" in capsys.readouterr().err


def _watch(supervisor: Supervisor, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not supervisor.stopping and time.monotonic() < deadline:
        supervisor.watch_once()
        time.sleep(0.05)


def test_a_worker_that_cannot_start_stops_the_server_with_its_status(capsys):
    command = [sys.executable, "-c", "raise SystemExit(3)"]
    supervisor = Supervisor(2, command, {**os.environ, **QUEUE})
    supervisor.start()
    _watch(supervisor, 30)
    assert supervisor.stopping
    assert supervisor.wait() == 3
    assert max(w.quick_exits for w in supervisor.workers) == QUICK_EXITS_ALLOWED
    assert "stopping the server" in capsys.readouterr().err


def test_each_worker_knows_its_index_and_a_signal_stops_them_all(tmp_path):
    code = (
        "import os, pathlib, time; "
        f"pathlib.Path({str(tmp_path)!r}, 'index' + os.environ['FORUM_WORKER_INDEX']).touch(); time.sleep(60)"
    )
    supervisor = Supervisor(3, [sys.executable, "-c", code], dict(os.environ))
    supervisor.start()
    try:
        assert _wait_for(lambda: len(list(tmp_path.iterdir())) == 3)
    finally:
        supervisor.stop()
        assert supervisor.wait() == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index0", "index1", "index2"]
    assert all(w.process is not None and w.process.returncode == -signal.SIGTERM for w in supervisor.workers)


def _settings_app(monkeypatch, tmp_path, **env: str):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return create_app({"INSTANCE_PATH": tmp_path, "SECRET_KEY": "test-secret", "DATABASE_URL": "sqlite://"})


def test_one_process_lets_browsers_fall_back_to_long_polling(monkeypatch, tmp_path):
    app = _settings_app(monkeypatch, tmp_path)
    assert app.config["LIVE_TRANSPORTS"] == ["polling", "websocket"]


def test_several_workers_make_browsers_connect_over_websocket_only(monkeypatch, tmp_path):
    app = _settings_app(monkeypatch, tmp_path, FORUM_WORKERS="2")
    assert app.config["LIVE_TRANSPORTS"] == ["websocket"]


def test_the_transports_can_be_named(monkeypatch, tmp_path):
    app = _settings_app(monkeypatch, tmp_path, FORUM_LIVE_TRANSPORTS="websocket")
    assert app.config["LIVE_TRANSPORTS"] == ["websocket"]


@pytest.mark.parametrize("raw", ["websocket,carrier-pigeon", "polling,polling", ","])
def test_unknown_transports_are_refused(monkeypatch, tmp_path, raw):
    with pytest.raises(ValueError, match="FORUM_LIVE_TRANSPORTS"):
        _settings_app(monkeypatch, tmp_path, FORUM_LIVE_TRANSPORTS=raw)


# --- the real thing: two workers on one port, the machine's Redis ----------------------------------------


def _children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return sorted(int(child) for child in text.split())


def _established_on(pid: int, port: int) -> int:
    """How many established TCP connections process ``pid`` holds on local ``port`` (read from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            local_port = int(fields[1].rsplit(":", 1)[1], 16)
            if local_port == port and fields[3] == "01" and fields[9] in inodes:
                count += 1
    return count


def _wait_for(predicate, timeout: float = 20) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def _workers_answering(url: str, tries: int = 60) -> set[int]:
    seen = set()
    for _ in range(tries):  # each request is a new TCP connection, spread by the kernel
        answer = requests.get(f"{url}/healthz", timeout=5)
        assert answer.status_code == 200
        seen.add(answer.json()["worker"])
        if len(seen) == 2:
            break
    return seen


@pytest.fixture
def two_workers(redis_url, database_url, tmp_path, make_live_event):
    live = make_live_event()
    server = LiveServer(
        database_url,
        tmp_path,
        FORUM_WORKERS="2",
        FORUM_MESSAGE_QUEUE=redis_url,
        FORUM_MESSAGE_QUEUE_CHANNEL=f"forum-workers-{tmp_path.name}",
    ).start()
    assert _wait_for(lambda: len(_children(server.process.pid)) == 2)
    yield live, server
    server.stop()


@pytest.mark.e2e
@pytest.mark.redis
def test_two_workers_share_one_port_and_each_others_changes(two_workers):
    live, server = two_workers
    assert _workers_answering(server.url) == {0, 1}
    workers = _children(server.process.pid)

    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    audience: list[MirrorClient] = []
    try:
        # Connect until both workers hold someone (the kernel picks the worker; bounded, never endless).
        for _ in range(40):
            audience.append(MirrorClient(server.url, {"event": live.event.slug}).connect())
            if len(audience) >= 4 and all(_established_on(pid, server.port) for pid in workers):
                break
        assert all(_established_on(pid, server.port) for pid in workers), "one worker took every connection"

        assert moderator.call("session.start")["ok"]
        assert moderator.call("question.next")["ok"]
        expected = moderator.call("sync")["result"]["current_question_id"]
        for client in audience:
            assert client.wait_until(lambda state: state["current_question_id"] == expected), client.state
    finally:
        for client in [moderator, *audience]:
            client.close()


@pytest.mark.e2e
@pytest.mark.redis
def test_a_dead_worker_is_started_again_and_stopping_stops_them_all(two_workers):
    _live, server = two_workers
    first, second = _children(server.process.pid)
    os.kill(second, signal.SIGKILL)
    assert _wait_for(
        lambda: len(_children(server.process.pid)) == 2 and second not in _children(server.process.pid)
    )
    assert _wait_for(lambda: _workers_answering(server.url, tries=10) == {0, 1})
    workers = _children(server.process.pid)
    assert first in workers

    server.stop()
    assert server.process.returncode == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text()


@pytest.mark.parametrize(
    ("transports", "expected"), [(None, ["polling", "websocket"]), (["websocket"], ["websocket"])]
)
def test_live_pages_tell_the_browser_how_to_connect(app, make_live_event, monkeypatch, transports, expected):
    event = make_live_event().event
    if transports is not None:
        monkeypatch.setitem(app.config, "LIVE_TRANSPORTS", transports)
    page = app.test_client().get(f"/e/{event.slug}").get_data(as_text=True)
    found = re.search(r'<script type="application/json" id="live-ui">(.*?)</script>', page, re.S)
    assert found is not None
    connection = json.loads(found.group(1))["connection"]
    assert connection["transports"] == expected
    # Jittered exponential backoff: 1 s doubling to at most 10 s, each wait moved by up to half.
    assert connection["reconnectionDelay"] == 1_000
    assert connection["reconnectionDelayMax"] == 10_000
    assert connection["randomizationFactor"] == 0.5
