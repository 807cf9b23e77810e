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
from tests.sql_watch import is_write, statements_during


def test_an_audience_connection_writes_nothing(app, make_live_event, make_event, make_organizer, live_client):
    live = make_live_event()
    draft_of_a_new_kind = make_event(make_organizer())  # an event with no live-state row yet
    for slug in (live.event.slug, draft_of_a_new_kind.slug):
        statements, client = statements_during(
            app, lambda slug=slug: live_client({"event": slug, "audience": audience_token()})
        )
        assert [s for s in statements if is_write(s)] == []
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


def _audience(live_client, slug):
    return live_client({"event": slug, "audience": audience_token()})


def _change_event(app, event_id, **values):
    """Change the event's row behind the app's back, as another process's request would."""
    from sqlalchemy import update

    from forum.boundary import unit_of_work
    from forum.models import Event

    with app.app_context(), unit_of_work() as session:
        session.execute(update(Event).where(Event.id == event_id).values(**values))


def test_a_crowd_joining_one_event_reads_its_row_by_slug_once(app, make_live_event, live_client):
    live = make_live_event()
    first, _ = statements_during(app, lambda: _audience(live_client, live.event.slug))
    checkouts: list[object] = []
    engine = app.extensions["forum.db"].engine

    def checkout(*args):
        checkouts.append(args)

    event.listen(engine, "checkout", checkout)
    try:
        later, client = statements_during(app, lambda: _audience(live_client, live.event.slug))
    finally:
        event.remove(engine, "checkout", checkout)
    assert len(checkouts) == 1  # one transaction: knowing the room, the first one begins nothing
    assert any("events.slug = " in s for s in first)
    # The next phone's connect: one statement reads the row again (to confirm it), the stream's number and
    # the member behind the phone's identity.
    assert not any("events.slug = " in s for s in later)
    assert len(later) == 1, later
    assert client.is_connected(NAMESPACE)
    assert received(client, "snapshot")[0]["event"]["slug"] == live.event.slug


def test_a_renamed_event_is_not_entered_by_its_old_slug(app, make_live_event, live_client, monkeypatch):
    from tests.refusals import record_refusals

    live = make_live_event()
    assert _audience(live_client, live.event.slug).is_connected(NAMESPACE)  # the process now knows the slug
    _change_event(app, live.event.id, slug="renamed-debate")
    refusals = record_refusals(monkeypatch)
    old = _audience(live_client, live.event.slug)
    assert not old.is_connected(NAMESPACE)
    assert refusals[-1][1]["code"] == "not_found"
    new = _audience(live_client, "renamed-debate")
    assert received(new, "snapshot")[0]["event"]["id"] == live.event.id


def test_an_event_taken_back_to_draft_admits_only_its_owner(app, make_live_event, live_client, login, client):
    from forum.models import EventStatus

    live = make_live_event()
    assert _audience(live_client, live.event.slug).is_connected(NAMESPACE)
    _change_event(app, live.event.id, status=EventStatus.DRAFT)
    assert not _audience(live_client, live.event.slug).is_connected(NAMESPACE)
    login(live.organizer)
    owner = live_client({"event": live.event.slug}, flask_client=client)
    assert received(owner, "snapshot")[0]["you"]["role"] == "organizer"


def test_a_slug_taken_over_by_another_event_leads_to_that_event_only(app, make_live_event, live_client):
    """The connection is let in on the room the process knew, found stale, taken out of its rooms and let
    into the event that goes by the slug now; the old event's broadcasts no longer reach it."""
    old = make_live_event()
    slug = old.event.slug
    assert _audience(live_client, slug).is_connected(NAMESPACE)
    _change_event(app, old.event.id, slug="the-old-debate")
    new = make_live_event(slug=slug)
    joined = _audience(live_client, slug)
    (snapshot,) = received(joined, "snapshot")
    assert snapshot["event"]["id"] == new.event.id
    moderator = live_client({"invite": old.tokens["moderator"]})
    assert act(moderator, "session.start")["ok"]
    assert act(moderator, "question.next")["ok"]
    assert received(joined, "delta") == []
    assert joined.is_connected(NAMESPACE)


def test_the_snapshot_sent_is_the_snapshot(app, make_live_event, live_client):
    """The connect handler sends the shared state's JSON text joined with the connection's own part; what
    arrives is exactly the snapshot built as a whole."""
    from forum.access import Actor, Role, token_hash
    from forum.boundary import unit_of_work
    from forum.live import snapshots

    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "moderation.settings", {"premoderation": False})
    asker = live_client({"event": live.event.slug, "audience": audience_token()})
    asked = ask(asker, "누가 정합니까?")["result"]["question_id"]
    token = audience_token()
    voter = live_client({"event": live.event.slug, "audience": token})
    assert act(voter, "audience.vote", {"question_id": asked, "up": True, "client_id": "vote-0001"})["ok"]
    again = live_client({"event": live.event.slug, "audience": token})
    (sent,) = received(again, "snapshot")
    hashed = token_hash(token, app.config["SECRET_KEY"])
    with app.app_context(), unit_of_work() as session:
        voter_actor = Actor(event_id=live.event.id, role=Role.AUDIENCE, audience_token_hash=hashed)
        whole = snapshots.snapshot(session, voter_actor, app.extensions["forum.room_states"])
    assert sent.pop("server_time") and whole.pop("server_time")
    assert sent == whole
    assert sent["mine"]["votes"] == [asked]
    assert [q["text"] for q in sent["questions"]] == ["누가 정합니까?"]


def test_a_room_kept_while_it_was_a_draft_admits_the_audience_once_scheduled(
    app, make_event, make_organizer, make_participant, make_question, live_client, login, client
):
    from forum.boundary import unit_of_work
    from forum.events import events
    from forum.models import EventStatus, Organizer

    organizer = make_organizer()
    draft = make_event(organizer)
    make_participant(draft, "Jun-jjang", role="moderator")
    make_participant(draft, "Oh Kyoungmi")
    make_question(draft)
    login(organizer)
    assert live_client({"event": draft.slug}, flask_client=client).is_connected(NAMESPACE)  # the owner
    assert not _audience(live_client, draft.slug).is_connected(NAMESPACE)
    with app.app_context(), unit_of_work() as session:
        events.change_status(session, session.get(Organizer, organizer.id), draft.id, EventStatus.SCHEDULED)
    assert received(_audience(live_client, draft.slug), "snapshot")[0]["event"]["id"] == draft.id


def test_made_up_slugs_are_not_kept_and_the_kept_rooms_are_bounded(app, live_client):
    from forum.live.admission import KnownRooms, Room
    from forum.models import EventStatus

    known = app.extensions["forum.known_rooms"]
    for slug in ("no-such-debate", "another-made-up-one"):
        assert not _audience(live_client, slug).is_connected(NAMESPACE)
        assert known.get(slug) is None
    bounded = KnownRooms(limit=2)
    for number in range(3):
        bounded.keep(f"debate-{number}", Room(number, 1, EventStatus.SCHEDULED))
    assert bounded.get("debate-0") is None  # the longest kept made way
    assert bounded.get("debate-2") == Room(2, 1, EventStatus.SCHEDULED)


def test_a_connection_is_in_its_room_before_it_reads_the_sequence_number(
    app, make_live_event, live_client, monkeypatch
):
    """Join first, then read: a change committed in between then reaches it as a delta after the snapshot."""
    from flask import request

    from forum.live import admission
    from forum.protocol import room

    in_room_when_read: list[bool] = []
    confirm = admission.confirm_room

    def watching(connection, actor, slug, viewer):
        members = socketio.server.manager.rooms[NAMESPACE].get(room(actor.event_id, actor.stream), {})
        in_room_when_read.append(request.sid in members)
        return confirm(connection, actor, slug, viewer)

    monkeypatch.setattr(admission, "confirm_room", watching)
    live = make_live_event()
    for _ in range(2):  # the room read afresh, then kept
        assert _audience(live_client, live.event.slug).is_connected(NAMESPACE)
    assert in_room_when_read == [True, True]


def test_the_second_try_reads_afresh_even_if_another_connection_kept_the_old_room_again(
    app, make_live_event, live_client, monkeypatch
):
    """Another connection that read the slug's old row just before the change may keep it again right after
    this one forgot it; the second try must not trust that."""
    old = make_live_event()
    slug = old.event.slug
    assert _audience(live_client, slug).is_connected(NAMESPACE)
    known = app.extensions["forum.known_rooms"]
    stale = known.get(slug)
    _change_event(app, old.event.id, slug="the-old-debate")
    new = make_live_event(slug=slug)
    forget = known.forget

    def forget_then_kept_again(name):
        forget(name)
        known.keep(name, stale)  # as a slower connection that read the old row would

    monkeypatch.setattr(known, "forget", forget_then_kept_again)
    joined = _audience(live_client, slug)
    assert received(joined, "snapshot")[0]["event"]["id"] == new.event.id
