"""Live connections are limited per network address and in all, per process (issue 12): past either limit a
connection is refused at the door with a clear ``connect_error``, and a disconnect frees its place."""

from __future__ import annotations

import pytest

from forum.live.connections import AdmissionBusy, AdmissionPace, ConnectionLimits, TooManyConnections
from forum.protocol import NAMESPACE
from tests.refusals import record_refusals


def test_the_counter_refuses_past_either_limit_and_frees_places():
    limits = ConnectionLimits(total=3, per_address=2)
    limits.admit("a1", "net-a")
    limits.admit("a2", "net-a")
    with pytest.raises(TooManyConnections):
        limits.admit("a3", "net-a")
    limits.admit("b1", "net-b")
    with pytest.raises(TooManyConnections):
        limits.admit("c1", "net-c")  # the process is full
    limits.release("a1")
    limits.release("a1")  # twice is harmless
    limits.admit("a3", "net-a")
    assert limits.counts() == (3, 2)
    limits.admit("a3", "net-a")  # admitting one connection twice counts it once
    assert limits.counts() == (3, 2)


@pytest.fixture
def small_limits(app_config):
    app_config.update(MAX_CONNECTIONS=4, MAX_CONNECTIONS_PER_ADDRESS=2)


def _from(app, address):
    browser = app.test_client()
    browser.environ_base["REMOTE_ADDR"] = address
    return browser


def _refusals(app, live_client, monkeypatch, auth, browser):
    refusals = record_refusals(monkeypatch)
    connection = live_client(auth, flask_client=browser)
    return connection, refusals


def test_one_address_gets_a_clear_refusal_past_its_limit(
    small_limits, app, make_live_event, live_client, monkeypatch
):
    live = make_live_event()
    auth = {"event": live.event.slug}
    first = [live_client(auth, flask_client=_from(app, "198.51.100.1")) for _ in range(2)]
    assert all(c.is_connected(NAMESPACE) for c in first)
    third, refusals = _refusals(app, live_client, monkeypatch, auth, _from(app, "198.51.100.1"))
    assert not third.is_connected(NAMESPACE)
    ((message, data),) = refusals
    assert data["code"] == "too_many_connections" and "your network" in message
    # Another address still gets in, and a closed connection frees its place.
    assert live_client(auth, flask_client=_from(app, "203.0.113.7")).is_connected(NAMESPACE)
    first[0].disconnect(NAMESPACE)
    assert live_client(auth, flask_client=_from(app, "198.51.100.1")).is_connected(NAMESPACE)


def test_a_full_process_refuses_everyone_new(small_limits, app, make_live_event, live_client, monkeypatch):
    live = make_live_event()
    auth = {"event": live.event.slug}
    for n in range(4):
        assert live_client(auth, flask_client=_from(app, f"198.51.100.{n + 10}")).is_connected(NAMESPACE)
    late, refusals = _refusals(app, live_client, monkeypatch, auth, _from(app, "192.0.2.99"))
    assert not late.is_connected(NAMESPACE)
    ((message, data),) = refusals
    assert data["code"] == "too_many_connections" and "full" in message


def test_a_refused_connection_does_not_keep_its_place(small_limits, app, live_client):
    """A connection refused after it was counted (an unknown event) gives its place back."""
    for _ in range(6):
        refused = live_client({"event": "no-such-event"}, flask_client=_from(app, "198.51.100.50"))
        assert not refused.is_connected(NAMESPACE)
    assert app.extensions["forum.connections"].counts() == (0, 0)


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_pace_lets_a_burst_in_then_one_per_interval_and_refuses_a_long_line():
    clock = _Clock()
    pace = AdmissionPace(rate=10, burst=3, max_wait=0.25, clock=clock)
    assert [pace.reserve() for _ in range(3)] == [0.0, 0.0, 0.0]  # the burst goes straight in
    assert pace.reserve() == pytest.approx(0.1)  # then one every 1/rate
    assert pace.reserve() == pytest.approx(0.2)
    with pytest.raises(AdmissionBusy):
        pace.reserve()  # 0.3 s in line is longer than max_wait: come back later
    with pytest.raises(AdmissionBusy):
        pace.reserve()  # a refusal takes no place in the line
    clock.now += 0.3  # time passes: the line has moved on
    assert pace.reserve() == pytest.approx(0.0)


def test_a_pace_of_zero_admits_everyone_at_once():
    pace = AdmissionPace(rate=0, burst=0, max_wait=0)
    assert all(pace.reserve() == 0 for _ in range(1000))


def test_a_crowd_past_the_pace_is_told_it_is_busy(app, make_live_event, live_client, monkeypatch):
    """A connection that would wait longer than the pace allows gets ``busy`` (the browser comes back by
    itself), and its place is freed."""
    live = make_live_event()
    auth = {"event": live.event.slug}
    clock = _Clock()
    monkeypatch.setitem(
        app.extensions, "forum.admission_pace", AdmissionPace(1, 1, max_wait=0.5, clock=clock)
    )
    assert live_client(auth, flask_client=_from(app, "198.51.100.1")).is_connected(NAMESPACE)
    late, refusals = _refusals(app, live_client, monkeypatch, auth, _from(app, "198.51.100.2"))
    assert not late.is_connected(NAMESPACE)
    ((message, data),) = refusals
    assert data["code"] == "busy" and "connects by itself" in message
    assert app.extensions["forum.connections"].counts() == (1, 1)
    clock.now += 1.0
    assert live_client(auth, flask_client=_from(app, "198.51.100.2")).is_connected(NAMESPACE)


def test_the_connect_handler_waits_its_turn(app, make_live_event, live_client, monkeypatch):
    from forum.live import handlers

    live = make_live_event()
    slept = []
    monkeypatch.setattr(handlers.time, "sleep", slept.append)
    clock = _Clock()
    monkeypatch.setitem(app.extensions, "forum.admission_pace", AdmissionPace(4, 1, max_wait=5, clock=clock))
    for n in range(3):
        assert live_client(
            {"event": live.event.slug}, flask_client=_from(app, f"198.51.100.{n}")
        ).is_connected(NAMESPACE)
    assert slept == [pytest.approx(0.25), pytest.approx(0.5)]
