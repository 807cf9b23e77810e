"""Audience questions, votes, reports, moderation and polls through the /live namespace."""

from __future__ import annotations

import secrets

import limits
import pytest
from sqlalchemy import func, select

from forum.models import (
    AudienceMember,
    AudienceQuestion,
    ModerationEntry,
    PollVote,
    QuestionStatus,
    QuestionVote,
    SubmissionReceipt,
)
from forum.protocol import NAMESPACE
from tests.conftest import act, ask, deltas
from tests.identities import audience_token


def notices(client):
    return [m["args"][0] for m in client.get_received(NAMESPACE) if m["name"] == "notice"]


def cid():
    return secrets.token_hex(8)


@pytest.fixture
def room(make_live_event, live_client):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    live.kimmy = live_client({"invite": live.tokens["kimmy"]})
    live.members = [audience_token() for _ in range(4)]
    live.audience = [live_client({"event": live.event.slug, "audience": token}) for token in live.members]
    act(live.moderator, "session.start")
    for client in [live.moderator, live.kimmy, *live.audience]:
        client.get_received(NAMESPACE)
    return live


def flush(app):
    app.extensions["forum.tallies"].flush_pending()


def test_premoderated_question_waits_then_appears(room, db_session):
    author, other = room.audience[0], room.audience[1]
    ack = ask(author, display_name="Minji", about_current=True)
    assert ack["ok"] and ack["result"]["status"] == "pending"
    assert deltas(other.get_received(NAMESPACE)) == []
    (staff,) = deltas(room.moderator.get_received(NAMESPACE), "audience_question")
    assert staff["data"]["status"] == "pending" and staff["data"]["display_name"] == "Minji"
    assert staff["data"]["agenda_question_id"] == room.questions[0].id
    (mine,) = notices(author)
    assert mine == {
        "type": "my_question",
        "event_id": room.event.id,
        "question": {**mine["question"], "status": "pending"},
    }

    assert act(room.moderator, "moderation.approve", {"question_id": ack["result"]["question_id"]})["ok"]
    (public,) = deltas(other.get_received(NAMESPACE), "audience_question")
    assert (
        public["data"]["status"] == "approved" and public["data"]["text"] == "Why not regulate AI directly?"
    )
    assert "member_id" not in public["data"] and "rejection_reason" not in public["data"]
    assert notices(author)[0]["question"]["status"] == "approved"
    entry = db_session.scalar(select(ModerationEntry).where(ModerationEntry.action == "approve"))
    assert entry.actor == "Jun-jjang (moderator)"


def test_without_premoderation_questions_appear_at_once(room):
    assert act(room.moderator, "moderation.settings", {"premoderation": False})["ok"]
    (settings,) = deltas(room.audience[1].get_received(NAMESPACE), "audience_settings")
    assert settings["data"] == {"questions_enabled": True, "premoderation": False}
    assert ask(room.audience[0])["result"]["status"] == "approved"
    (public,) = deltas(room.audience[1].get_received(NAMESPACE), "audience_question")
    assert public["data"]["votes"] == 0


def test_word_list_holds_matching_questions(room):
    act(
        room.moderator, "moderation.settings", {"premoderation": False, "word_list": "idiot\n# comment\n규제"}
    )
    room.moderator.get_received(NAMESPACE)
    assert ask(room.audience[0], "You are an IDIOT!")["result"]["status"] == "held"
    assert ask(room.audience[0], "Is classic idiom fine?")["result"]["status"] == "approved"
    assert ask(room.audience[0], "플랫폼 규제가 답인가요?")["result"]["status"] == "held"
    staff = deltas(room.moderator.get_received(NAMESPACE), "audience_question")
    held = [d["data"] for d in staff if d["data"]["status"] == "held"]
    assert [h["held_reason"] for h in held] == ["matches the word list: idiot", "matches the word list: 규제"]
    public = deltas(room.audience[1].get_received(NAMESPACE), "audience_question")
    assert [d["data"]["text"] for d in public] == ["Is classic idiom fine?"]


def test_rejection_reason_reaches_only_the_author(room):
    author = room.audience[0]
    qid = ask(author)["result"]["question_id"]
    notices(author)
    act(room.moderator, "moderation.reject", {"question_id": qid, "reason": "Off topic for this panel."})
    (notice,) = notices(author)
    assert notice["question"]["status"] == "rejected"
    assert notice["question"]["rejection_reason"] == "Off topic for this panel."
    assert deltas(room.audience[1].get_received(NAMESPACE)) == []
    snap = act(author, "sync")["result"]
    assert snap["mine"]["questions"][0]["rejection_reason"] == "Off topic for this panel."
    assert act(room.audience[1], "sync")["result"]["questions"] == []


def test_author_edits_and_withdraws_while_pending(room, db_session):
    author = room.audience[0]
    qid = ask(author)["result"]["question_id"]
    assert act(author, "audience.edit", {"question_id": qid, "text": "Reworded?"})["ok"]
    assert db_session.get(AudienceQuestion, qid).text == "Reworded?"
    assert (
        act(room.audience[1], "audience.edit", {"question_id": qid, "text": "Hijack"})["error"]["code"]
        == "not_found"
    )
    assert act(author, "audience.withdraw", {"question_id": qid})["ok"]
    db_session.expire_all()
    assert db_session.get(AudienceQuestion, qid).status == QuestionStatus.WITHDRAWN
    second = ask(author)["result"]["question_id"]
    act(room.moderator, "moderation.approve", {"question_id": second})
    ack = act(author, "audience.edit", {"question_id": second, "text": "Too late"})
    assert ack["error"]["code"] == "not_editable"


def test_retried_submissions_never_duplicate(room, db_session):
    author = room.audience[0]
    payload = {"text": "Same question twice?", "client_id": "retry-0001"}
    first = act(author, "audience.ask", payload)
    second = act(author, "audience.ask", payload)
    assert first == second
    assert db_session.scalar(select(func.count()).select_from(AudienceQuestion)) == 1
    act(room.moderator, "moderation.approve", {"question_id": first["result"]["question_id"]})
    vote = {"question_id": first["result"]["question_id"], "up": True, "client_id": "vote-0001"}
    assert act(room.audience[1], "audience.vote", vote) == act(room.audience[1], "audience.vote", vote)
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 1
    assert db_session.scalar(select(func.count()).select_from(SubmissionReceipt)) == 2
    ack = act(room.audience[1], "audience.report", {"question_id": 1, "client_id": "vote-0001"})
    assert ack["error"]["code"] == "client_id_reused"
    assert act(author, "audience.ask", {"text": "No id"})["error"]["fields"] == {
        "client_id": "Missing or malformed."
    }


def test_votes_are_one_per_member_toggled_and_coalesced(app, room, db_session):
    act(room.moderator, "moderation.settings", {"premoderation": False})
    qid = ask(room.audience[0])["result"]["question_id"]
    for client in room.audience:
        client.get_received(NAMESPACE)
    for client in room.audience:
        assert act(client, "audience.vote", {"question_id": qid, "up": True, "client_id": cid()})["ok"]
    act(room.audience[0], "audience.vote", {"question_id": qid, "up": True, "client_id": cid()})
    act(room.audience[1], "audience.vote", {"question_id": qid, "up": False, "client_id": cid()})
    assert deltas(room.audience[2].get_received(NAMESPACE)) == [], "votes alone broadcast nothing"
    flush(app)
    (counts,) = deltas(room.audience[2].get_received(NAMESPACE), "votes")
    assert counts["data"] == {"counts": {str(qid): 3}}
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 3
    snap = act(room.audience[0], "sync")["result"]
    assert snap["mine"]["votes"] == [qid] and snap["questions"][0]["votes"] == 3
    assert (
        act(room.audience[0], "audience.vote", {"question_id": 999, "up": True, "client_id": cid()})["error"][
            "code"
        ]
        == "not_found"
    )


def test_reports_hide_a_question_at_the_threshold(room, db_session):
    act(room.moderator, "moderation.settings", {"premoderation": False})
    qid = ask(room.audience[0], "Something nasty")["result"]["question_id"]
    act(room.moderator, "moderation.highlight", {"question_id": qid})
    for client in room.audience:
        client.get_received(NAMESPACE)
    for client in room.audience[1:3]:
        assert not act(client, "audience.report", {"question_id": qid, "client_id": cid()})["result"][
            "hidden"
        ]
    act(room.audience[1], "audience.report", {"question_id": qid, "client_id": cid()})  # same member again
    assert deltas(room.audience[0].get_received(NAMESPACE)) == []
    third = act(
        room.audience[3], "audience.report", {"question_id": qid, "client_id": cid(), "reason": "abuse"}
    )
    assert third["result"]["hidden"] is True
    public = deltas(room.audience[0].get_received(NAMESPACE))
    assert [d["type"] for d in public] == ["audience_question", "highlight"]
    assert public[0]["data"] == {"id": qid, "removed": True} and public[1]["data"] == {"question_id": None}
    staff = deltas(room.moderator.get_received(NAMESPACE), "audience_question")
    assert staff[-1]["data"]["status"] == "hidden" and staff[-1]["data"]["reports"] == 3
    assert (
        db_session.scalar(select(ModerationEntry.actor).where(ModerationEntry.action == "hide"))
        == "automatic"
    )
    assert act(room.moderator, "moderation.approve", {"question_id": qid})["ok"]
    assert deltas(room.audience[0].get_received(NAMESPACE))[0]["data"]["status"] == "approved"


def test_report_threshold_is_configurable(room):
    act(room.moderator, "moderation.settings", {"premoderation": False, "report_threshold": 1})
    qid = ask(room.audience[0])["result"]["question_id"]
    assert act(room.audience[1], "audience.report", {"question_id": qid, "client_id": cid()})["result"][
        "hidden"
    ]
    ack = act(room.moderator, "moderation.settings", {"report_threshold": 0})
    assert ack["error"]["code"] == "invalid"


def test_merge_moves_votes_and_removes_the_duplicate(app, room, db_session):
    act(room.moderator, "moderation.settings", {"premoderation": False})
    original = ask(room.audience[0], "Should Telegram be blocked?")["result"]["question_id"]
    duplicate = ask(room.audience[1], "Block Telegram?")["result"]["question_id"]
    for client, target in [
        (room.audience[2], duplicate),
        (room.audience[3], duplicate),
        (room.audience[3], original),
    ]:
        act(client, "audience.vote", {"question_id": target, "up": True, "client_id": cid()})
    flush(app)
    for client in room.audience:
        client.get_received(NAMESPACE)
    assert act(room.moderator, "moderation.merge", {"question_id": duplicate, "into_id": original})["ok"]
    flush(app)
    public = deltas(room.audience[0].get_received(NAMESPACE))
    assert public[0]["data"] == {"id": duplicate, "removed": True}
    assert public[-1]["type"] == "votes" and public[-1]["data"]["counts"] == {str(original): 2}
    assert db_session.get(AudienceQuestion, duplicate).merged_into_id == original
    ack = act(room.moderator, "moderation.merge", {"question_id": original, "into_id": original})
    assert ack["error"]["code"] == "invalid"


def test_block_stops_an_author_from_posting(room):
    qid = ask(room.audience[0])["result"]["question_id"]
    notices(room.audience[0])
    assert act(room.moderator, "moderation.block", {"question_id": qid, "blocked": True})["ok"]
    assert notices(room.audience[0]) == [{"type": "blocked", "event_id": room.event.id, "blocked": True}]
    assert ask(room.audience[0])["error"]["code"] == "blocked"
    assert ask(room.audience[1])["ok"], "others still post"
    assert act(room.audience[0], "sync")["result"]["mine"]["blocked"] is True
    act(room.moderator, "moderation.block", {"question_id": qid, "blocked": False})
    assert ask(room.audience[0])["ok"]


def test_pin_answered_and_highlight(room):
    act(room.moderator, "moderation.settings", {"premoderation": False})
    qid = ask(room.audience[0])["result"]["question_id"]
    room.audience[1].get_received(NAMESPACE)
    assert act(room.moderator, "moderation.pin", {"question_id": qid, "pinned": True})["ok"]
    assert act(room.moderator, "moderation.answered", {"question_id": qid, "answered": True})["ok"]
    assert act(room.moderator, "moderation.highlight", {"question_id": qid})["ok"]
    assert act(room.moderator, "moderation.highlight", {"question_id": None})["ok"]
    public = deltas(room.audience[1].get_received(NAMESPACE))
    assert [(d["type"], d["data"].get("pinned"), d["data"].get("status")) for d in public[:2]] == [
        ("audience_question", True, "approved"),
        ("audience_question", True, "answered"),
    ]
    assert [d["data"] for d in public[2:]] == [{"question_id": qid}, {"question_id": None}]


def test_audience_and_staff_stay_in_their_lanes(room):
    qid = ask(room.audience[0])["result"]["question_id"]
    for name, payload in [
        ("moderation.approve", {"question_id": qid}),
        ("poll.open", {}),
        ("moderation.settings", {"premoderation": False}),
    ]:
        assert act(room.audience[1], name, payload)["error"]["code"] == "forbidden"
    assert ask(room.moderator)["error"]["code"] == "forbidden"
    assert ask(room.kimmy)["error"]["code"] == "forbidden"


def test_closed_questions_are_refused(room):
    act(room.moderator, "moderation.settings", {"questions_enabled": False})
    ack = ask(room.audience[0])
    assert ack["error"] == {
        "code": "questions_closed",
        "message": "The organizer has closed audience questions for this event.",
    }


def test_rate_limits_per_member_and_per_network(app, room):
    rates = app.extensions["forum.rate_limits"]
    rates.items["question"] = limits.parse("2/minute")
    assert ask(room.audience[0])["ok"] and ask(room.audience[0])["ok"]
    ack = ask(room.audience[0])
    assert ack["error"]["code"] == "rate_limited" and ack["error"]["retry_after"] >= 1
    assert "Please wait" in ack["error"]["message"]
    assert ask(room.audience[1])["ok"], "the limit is per member"
    rates.items["network"] = limits.parse("1/minute")
    rates.reset()
    assert ask(room.audience[2])["ok"]
    assert ask(room.audience[3])["error"]["code"] == "rate_limited", "same network address, other member"


def test_stance_poll_before_and_after(app, room, db_session):
    ack = act(room.moderator, "poll.open", {"phase": "before"})
    assert ack["ok"]
    before = ack["result"]["poll_id"]
    (poll,) = deltas(room.audience[0].get_received(NAMESPACE), "poll")
    assert [o["label"] for o in poll["data"]["options"]] == ["Agree", "Disagree", "Undecided"]
    assert poll["data"]["question_id"] == room.questions[0].id and poll["data"]["status"] == "open"
    agree, disagree, _ = (o["id"] for o in poll["data"]["options"])
    for client, option in zip(room.audience, [agree, agree, disagree, agree], strict=True):
        assert act(client, "poll.vote", {"poll_id": before, "option_id": option, "client_id": cid()})["ok"]
    again = act(room.audience[0], "poll.vote", {"poll_id": before, "option_id": disagree, "client_id": cid()})
    assert again["error"]["code"] == "already_voted"
    flush(app)
    (tally,) = deltas(room.audience[1].get_received(NAMESPACE), "poll_tally")
    assert tally["data"] == {"poll_id": before, "tally": {str(agree): 3, str(disagree): 1}, "total": 4}
    ack = act(room.moderator, "poll.open", {"phase": "after"})
    after = ack["result"]["poll_id"]
    updates = deltas(room.audience[1].get_received(NAMESPACE), "poll")
    assert [(d["data"]["id"], d["data"]["status"]) for d in updates] == [(before, "closed"), (after, "open")]
    assert updates[1]["data"]["paired_with_id"] == before
    assert (
        act(room.audience[0], "poll.vote", {"poll_id": before, "option_id": agree, "client_id": cid()})[
            "error"
        ]["code"]
        == "poll_closed"
    )
    new_options = {o["label"]: o["id"] for o in updates[1]["data"]["options"]}
    act(
        room.audience[0],
        "poll.vote",
        {"poll_id": after, "option_id": new_options["Disagree"], "client_id": cid()},
    )
    act(room.moderator, "poll.close", {"poll_id": after})
    snap = act(room.audience[2], "sync")["result"]
    assert [(p["id"], p["status"], p["total"]) for p in snap["polls"]] == [
        (before, "closed", 4),
        (after, "closed", 1),
    ]
    assert snap["mine"]["poll_votes"] == {str(before): disagree}
    assert db_session.scalar(select(func.count()).select_from(PollVote)) == 5


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"options": ["Only one"]}, "invalid"),
        ({"options": "Yes\nyes"}, "invalid"),
        ({"phase": "after"}, "conflict"),
        ({"phase": "sideways"}, "invalid"),
        ({"question_id": 99999}, "not_found"),
    ],
)
def test_poll_refusals(room, payload, code):
    assert act(room.moderator, "poll.open", payload)["error"]["code"] == code


def test_custom_poll_options(room):
    ack = act(room.moderator, "poll.open", {"options": "Ban it\nKeep it\nBoycott it", "prompt": "What now?"})
    (poll,) = deltas(room.audience[0].get_received(NAMESPACE), "poll")
    assert ack["ok"] and poll["data"]["prompt"] == "What now?"
    assert [o["label"] for o in poll["data"]["options"]] == ["Ban it", "Keep it", "Boycott it"]


def test_no_identity_no_participation(make_live_event, live_client):
    live = make_live_event()
    anonymous = live_client({"event": live.event.slug})
    ack = act(anonymous, "audience.ask", {"text": "Hello?", "client_id": cid()})
    assert ack["error"]["code"] == "no_identity"


def test_cookie_identity_from_the_event_page(app, make_live_event, live_client, db_session):
    live = make_live_event()
    browser = app.test_client()
    page = browser.get(f"/e/{live.event.slug}")
    cookie = page.headers["Set-Cookie"]
    assert cookie.startswith("forum_audience=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    client = live_client({"event": live.event.slug}, flask_client=browser)
    assert act(client, "audience.ask", {"text": "Via cookie?", "client_id": cid()})["ok"]
    member = db_session.scalar(select(AudienceMember))
    token = cookie.split(";")[0].split("=", 1)[1]
    assert member.token_hash != token and len(member.token_hash) == 64
    assert "forum_audience" not in (browser.get(f"/e/{live.event.slug}").headers.get("Set-Cookie") or "")


def test_the_coalescing_loop_flushes_and_stops_by_itself(app, room):
    import time

    from forum.live.coalescer import TallyCoalescer

    act(room.moderator, "moderation.settings", {"premoderation": False})
    qid = ask(room.audience[0])["result"]["question_id"]
    room.audience[1].get_received(NAMESPACE)
    loop = TallyCoalescer(app, interval=0.05, idle_stop=0.3)
    app.extensions["forum.tallies"].mark = loop.mark  # the broadcaster hands marks to this loop now
    for client in room.audience:
        act(client, "audience.vote", {"question_id": qid, "up": True, "client_id": cid()})
    # The loop may flush between two votes (it runs on its own thread), so an early delta can carry a
    # partial count; every vote's commit marks the count again, so a later delta carries all four.
    received = []
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        received += deltas(room.audience[1].get_received(NAMESPACE), "votes")
        if received and received[-1]["data"]["counts"] == {str(qid): 4}:
            break
        time.sleep(0.02)
    assert received and received[-1]["data"]["counts"] == {str(qid): 4}
    assert 1 <= loop.flushes <= len(room.audience), "votes are coalesced, never one flush per vote and more"
    while loop._running and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not loop._running, "the loop ends once nothing is left to flush"


def test_a_moderators_approval_outlasts_the_old_reports(room):
    act(room.moderator, "moderation.settings", {"premoderation": False, "report_threshold": 2})
    qid = ask(room.audience[0])["result"]["question_id"]
    for client in room.audience[1:3]:
        act(client, "audience.report", {"question_id": qid, "client_id": cid()})
    act(room.moderator, "moderation.approve", {"question_id": qid})
    ack = act(room.audience[3], "audience.report", {"question_id": qid, "client_id": cid()})
    assert ack["result"]["hidden"] is False, "one new report does not undo the moderator's decision"


def test_a_crowded_process_sends_counts_less_often(app):
    """Each `votes` delta goes to every connection: with a crowd on the process, counts go out twice a
    second instead of five times (still within a second of the last vote)."""
    from forum.live.coalescer import CROWD, CROWD_INTERVAL, TallyCoalescer

    loop = TallyCoalescer(app, interval=0.2)
    connections = app.extensions["forum.connections"]
    assert loop.current_interval() == 0.2
    for n in range(CROWD):
        connections.admit(f"sid-{n}", f"net-{n % 7}")
    try:
        assert loop.current_interval() == CROWD_INTERVAL <= 0.5
        assert TallyCoalescer(app, interval=0.8).current_interval() == 0.8  # never more often than asked
    finally:
        for n in range(CROWD):
            connections.release(f"sid-{n}")
    assert loop.current_interval() == 0.2
