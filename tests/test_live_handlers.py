"""The /live namespace through Flask-SocketIO's test client: snapshots, numbered deltas, permissions, acks."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.models import Contribution, ContributionRevision, Event, EventStatus, LiveState, SpeakingTurn
from forum.protocol import NAMESPACE
from tests.conftest import DEFAULT_PASSWORD, act, received


@pytest.fixture
def room(make_live_event, live_client):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    live.scribe = live_client({"invite": live.tokens["scribe"]})
    live.kimmy = live_client({"invite": live.tokens["kimmy"]})
    live.audience = live_client({"event": live.event.slug})
    # Setting up the panel and agenda already used some numbers; deltas continue from the snapshot's.
    live.public0 = received(live.audience, "snapshot")[0]["seq"]
    live.staff0 = received(live.scribe, "snapshot")[0]["seq"]
    for client in (live.moderator, live.kimmy):
        client.get_received(NAMESPACE)  # drop the connection snapshots
    return live


def test_connection_receives_a_snapshot_of_its_stream(make_live_event, live_client, db_session):
    live = make_live_event()
    audience = live_client({"event": live.event.slug})
    (snap,) = received(audience, "snapshot")
    assert snap["stream"] == "public" and snap["protocol"] == 1
    assert snap["seq"] == db_session.get(LiveState, live.event.id).public_seq
    assert snap["you"] == {"role": "audience", "participant_id": None, "capabilities": ["participate"]}
    assert snap["event"]["join_code"] == live.event.join_code
    assert [q["text"] for q in snap["agenda"]] == [q.text for q in live.questions]
    assert snap["session"]["status"] == "not_started" and snap["floor"] is None
    assert "written_answers" not in snap
    moderator = live_client({"invite": live.tokens["moderator"]})
    (staff,) = received(moderator, "snapshot")
    assert staff["stream"] == "staff" and staff["you"]["role"] == "moderator"
    assert set(staff["you"]["capabilities"]) == {"moderate", "capture"}


def test_start_and_move_through_questions_in_numbered_order(room):
    assert act(room.moderator, "session.start") == {
        "ok": True,
        "result": None,
        "message": "The session is live.",  # the same words a form post flashes (forum/live/messages.py)
    }
    assert act(room.moderator, "question.next")["ok"]
    assert act(room.moderator, "question.next")["ok"]
    assert act(room.moderator, "question.previous")["ok"]
    deltas = received(room.audience, "delta")
    assert [d["seq"] for d in deltas] == list(range(room.public0 + 1, room.public0 + 6))
    assert [d["type"] for d in deltas] == [
        "session",
        "current_question",
        "current_question",
        "current_question",
        "current_question",
    ]
    assert deltas[0]["data"]["status"] == "live" and deltas[0]["data"]["event_status"] == "live"
    ids = [q.id for q in room.questions]
    assert [d["data"]["question_id"] for d in deltas[1:]] == [ids[0], ids[1], ids[2], ids[1]]
    staff = received(room.scribe, "delta")
    assert [d["seq"] for d in staff] == list(range(room.staff0 + 1, room.staff0 + 6))
    assert {d["stream"] for d in staff} == {"crew"}, "scribes follow the crew stream"
    ack = act(room.moderator, "question.goto", {"question_id": ids[2]})
    assert ack["ok"]
    assert act(room.moderator, "question.next") == {
        "ok": False,
        "error": {"code": "no_such_question", "message": "There is no next question."},
    }


def test_audience_and_panelists_cannot_send_staff_events(room, db_session):
    for client in (room.audience, room.kimmy):
        ack = act(client, "session.start")
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    ack = act(room.scribe, "floor.give", {"participant_id": room.people["kimmy"].id})
    assert ack["error"]["code"] == "forbidden"
    assert received(room.audience, "delta") == []
    assert db_session.get(Event, room.event.id).status == EventStatus.SCHEDULED
    assert db_session.get(LiveState, room.event.id).public_seq == room.public0


def test_floor_and_speaking_time(room, db_session):
    act(room.moderator, "session.start")
    kimmy, hong = room.people["kimmy"].id, room.people["hong"].id
    assert act(room.moderator, "floor.give", {"participant_id": kimmy})["ok"]
    assert act(room.moderator, "floor.give", {"participant_id": hong})["ok"]
    assert act(room.moderator, "question.next")["ok"]
    assert act(room.moderator, "floor.release")["ok"]
    floors = [d["data"] for d in received(room.audience, "delta") if d["type"] == "floor"]
    assert [f["floor"] and f["floor"]["participant_id"] for f in floors] == [kimmy, hong, hong, None]
    assert floors[2]["floor"]["question_id"] == room.questions[1].id, (
        "the running turn moves to the new question"
    )
    final = floors[-1]["speaking"]
    assert set(final["totals"]) == {str(kimmy), str(hong)}
    assert set(final["by_question"]) == {str(room.questions[0].id), str(room.questions[1].id)}
    turns = db_session.scalars(select(SpeakingTurn).order_by(SpeakingTurn.id)).all()
    assert [(t.participant_id, t.question_id) for t in turns] == [
        (kimmy, room.questions[0].id),
        (hong, room.questions[0].id),
        (hong, room.questions[1].id),
    ]
    assert all(t.ended_at is not None for t in turns)
    ack = act(room.moderator, "floor.give", {"participant_id": room.people["scribe"].id})
    assert ack["ok"] is False and "Scribes record the debate" in ack["error"]["message"]


def test_capture_is_idempotent_and_corrections_keep_history(room, db_session):
    act(room.moderator, "session.start")
    received(room.audience, "delta")
    payload = {
        "participant_id": room.people["kimmy"].id,
        "text": "Regulation alone is not enough.",
        "client_id": "capture-0001",
    }
    first = act(room.scribe, "contribution.add", payload)
    again = act(room.scribe, "contribution.add", payload)
    assert first["ok"] and again == first
    deltas = received(room.audience, "delta")
    assert len(deltas) == 1 and deltas[0]["type"] == "contribution"
    item = deltas[0]["data"]
    assert item["question_id"] == room.questions[0].id and item["revision"] == 1 and item["kind"] == "answer"
    cid = first["result"]["contribution_id"]
    assert act(
        room.scribe, "contribution.edit", {"contribution_id": cid, "text": "Regulation alone cannot do it."}
    )["ok"]
    (edited,) = received(room.audience, "delta")
    assert edited["data"]["revision"] == 2 and edited["data"]["text"] == "Regulation alone cannot do it."
    history = db_session.scalars(
        select(ContributionRevision.text)
        .where(ContributionRevision.contribution_id == cid)
        .order_by(ContributionRevision.number)
    ).all()
    assert history == ["Regulation alone is not enough.", "Regulation alone cannot do it."]
    assert db_session.scalar(select(Contribution.client_id).where(Contribution.id == cid)) == "capture-0001"


def test_feed_switch_hides_contributions_from_the_audience(room):
    act(room.moderator, "session.start")
    assert act(room.moderator, "feed.set", {"enabled": False})["ok"]
    act(
        room.scribe, "contribution.add", {"participant_id": room.people["hong"].id, "text": "Off the record?"}
    )
    public = received(room.audience, "delta")
    assert [d["type"] for d in public] == ["session", "current_question", "feed"]
    assert public[-1]["data"] == {"enabled": False, "items": []}
    assert [d["type"] for d in received(room.scribe, "delta")][-2:] == ["feed", "contribution"]
    assert act(room.moderator, "feed.set", {"enabled": True})["ok"]
    (shown,) = received(room.audience, "delta")
    assert shown["data"]["enabled"] is True and [i["text"] for i in shown["data"]["items"]] == [
        "Off the record?"
    ]


def test_question_added_live_and_prompt(room, db_session):
    act(room.moderator, "session.start")
    ack = act(room.moderator, "question.add", {"text": "Would a boycott work?", "make_current": True})
    assert ack["ok"]
    new_id = ack["result"]["question_id"]
    deltas = received(room.audience, "delta")
    agenda = next(d for d in deltas if d["type"] == "agenda")["data"]["agenda"]
    assert [q["text"] for q in agenda][:2] == [room.questions[0].text, "Would a boycott work?"]
    assert agenda[1]["added_live"] is True and [q["position"] for q in agenda] == [1, 2, 3, 4]
    assert deltas[-1] == {**deltas[-1], "type": "current_question", "data": {"question_id": new_id}}
    ack = act(room.moderator, "prompt.save", {"question_id": new_id, "text": "Let us turn to boycotts."})
    assert ack["ok"]
    (prompt,) = received(room.audience, "delta")
    assert (
        prompt["data"]["kind"] == "moderator_prompt"
        and prompt["data"]["participant_id"] == room.people["moderator"].id
    )


def test_panelist_writes_an_answer_live_seen_by_staff_only(room):
    act(room.moderator, "session.start")
    received(room.audience, "delta")
    received(room.scribe, "delta")
    ack = act(room.kimmy, "answer.save", {"question_id": room.questions[0].id, "text": "My written answer."})
    assert ack["ok"] and ack["result"]["contribution_id"]
    assert received(room.audience, "delta") == []
    (staff,) = received(room.scribe, "delta")
    assert staff["type"] == "written_answer" and staff["data"]["text"] == "My written answer."


@pytest.mark.parametrize(
    ("name", "payload", "code"),
    [
        ("question.goto", {}, "invalid"),
        ("question.goto", {"question_id": "abc"}, "invalid"),
        ("question.goto", {"question_id": 99999}, "not_found"),
        ("question.goto", ["not", "an", "object"], "bad_payload"),
        ("floor.give", {"participant_id": True}, "invalid"),
        ("contribution.add", {"participant_id": 1, "text": "x", "client_id": "!!"}, "invalid"),
        ("no.such.action", {}, "unknown_action"),
        ("question.add", {"text": ""}, "invalid"),
        ("question.add", {"text": "x" * 1001}, "invalid"),
        ("feed.set", {"enabled": "maybe"}, "invalid"),
    ],
)
def test_bad_payloads_get_clear_error_acks(room, name, payload, code):
    act(room.moderator, "session.start")
    ack = act(room.moderator, name, payload)
    assert ack["ok"] is False and ack["error"]["code"] == code and ack["error"]["message"]


def test_actions_before_the_session_starts_are_refused(room):
    ack = act(room.moderator, "question.next")
    assert ack == {"ok": False, "error": {"code": "not_live", "message": "The session has not started yet."}}
    ack = act(room.scribe, "contribution.add", {"participant_id": room.people["kimmy"].id, "text": "Early."})
    assert ack["error"]["code"] == "not_live"


def test_sync_returns_a_fresh_snapshot(room):
    act(room.moderator, "session.start")
    ack = act(room.audience, "sync")
    assert ack["ok"] and ack["result"]["seq"] == room.public0 + 2
    assert ack["result"]["session"]["status"] == "live"
    assert ack["result"]["current_question_id"] == room.questions[0].id


def test_end_session_closes_the_floor(room, db_session):
    act(room.moderator, "session.start")
    act(room.moderator, "floor.give", {"participant_id": room.people["kimmy"].id})
    assert act(room.moderator, "session.end")["ok"]
    deltas = received(room.audience, "delta")
    assert deltas[-2]["data"]["status"] == "ended" and deltas[-1]["data"]["floor"] is None
    assert db_session.get(Event, room.event.id).status == EventStatus.ENDED
    assert act(room.moderator, "session.end")["error"]["code"] == "not_live"
    assert act(room.moderator, "session.start")["ok"], "an ended session can be resumed"


@pytest.mark.parametrize(
    "auth",
    [None, {}, {"event": "no-such-event"}, {"event": "%00"}, {"invite": "not-a-token"}, {"event": ["x"]}],
)
def test_connections_without_a_valid_room_are_refused(make_live_event, live_client, auth):
    make_live_event()
    assert not live_client(auth).is_connected(NAMESPACE)


def test_drafts_have_no_public_room(make_organizer, make_event, live_client):
    event = make_event(make_organizer())
    assert not live_client({"event": event.slug}).is_connected(NAMESPACE)


def test_revoked_invitation_cannot_connect(app, make_live_event, live_client, client):
    live = make_live_event()
    client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
    client.post(
        f"/manage/{live.event.id}/panel/{live.people['moderator'].id}/invitation/revoke",
        data={"confirmed": "1"},
    )
    assert not live_client({"invite": live.tokens["moderator"]}).is_connected(NAMESPACE)


def test_organizer_is_recognised_by_the_session_cookie(make_live_event, live_client, client):
    live = make_live_event()
    client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
    organizer = live_client({"event": live.event.slug}, flask_client=client)
    (snap,) = received(organizer, "snapshot")
    assert snap["you"]["role"] == "organizer" and snap["stream"] == "staff"
    assert act(organizer, "session.start")["ok"]


def test_rolled_back_changes_are_never_broadcast(app, room, db_session):
    from forum import access
    from forum.boundary import unit_of_work
    from forum.live import floor

    act(room.moderator, "session.start")
    received(room.audience, "delta")
    actor = access.participant_actor(room.people["moderator"])
    with app.app_context(), pytest.raises(RuntimeError), unit_of_work() as session:
        floor.give_floor(session, actor, room.people["kimmy"].id)
        raise RuntimeError("the request failed after the change was recorded")
    assert received(room.audience, "delta") == []
    db_session.expire_all()
    assert db_session.get(LiveState, room.event.id).public_seq == room.public0 + 2
    act(room.moderator, "floor.give", {"participant_id": room.people["hong"].id})
    (delta,) = received(room.audience, "delta")
    assert delta["seq"] == room.public0 + 3, "no gap is left by the rolled-back change"


def test_an_action_takes_one_object_or_nothing(room):
    assert room.audience.emit("sync", namespace=NAMESPACE, callback=True)["ok"], "no argument counts as {}"
    for name in ("sync", "no.such.action"):
        ack = room.audience.emit(name, {}, {}, namespace=NAMESPACE, callback=True)
        assert ack["ok"] is False and ack["error"]["message"]
    assert (
        room.audience.emit("sync", {}, {}, namespace=NAMESPACE, callback=True)["error"]["code"]
        == "bad_payload"
    )


def test_a_failure_while_connecting_is_a_refusal_not_silence(make_live_event, live_client, monkeypatch):
    from forum.live import handlers, snapshots

    live = make_live_event()

    def broken(*_args, **_kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(snapshots, "snapshot_message", broken)
    before = dict(handlers._actors)
    assert not live_client({"event": live.event.slug}).is_connected(NAMESPACE)
    assert handlers._actors == before, "a refused connection leaves no actor behind"


def test_a_clash_with_a_simultaneous_change_is_a_conflict_not_a_server_error(room, monkeypatch):
    from sqlalchemy.exc import IntegrityError

    from forum.boundary import COMMIT_CONFLICT
    from forum.live import actions
    from forum.protocol import Action

    def clash(*_args):
        raise IntegrityError("INSERT …", {}, Exception("UNIQUE constraint failed"))

    monkeypatch.setitem(actions.ACTIONS, Action.FLOOR_RELEASE, clash)
    ack = act(room.moderator, "floor.release")
    assert ack == {"ok": False, "error": {"code": "conflict", "message": COMMIT_CONFLICT.message}}
