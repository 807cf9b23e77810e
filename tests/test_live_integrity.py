"""The live room stays consistent and closed: organizer edits reach every screen, drafts stay private,
and people see only what their role allows."""

from __future__ import annotations

from forum.models import AgendaQuestion, EventStatus
from forum.protocol import NAMESPACE
from tests.conftest import DEFAULT_PASSWORD, act, received
from tests.identities import audience_token


def _organizer(client, live):
    client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})


def test_organizer_edits_to_agenda_and_panel_reach_live_screens(make_live_event, live_client, client):
    live = make_live_event()
    audience = live_client({"event": live.event.slug})
    act(live_client({"invite": live.tokens["moderator"]}), "session.start")
    received(audience, "delta")
    _organizer(client, live)
    client.post(f"/manage/{live.event.id}/agenda/new", data={"text": "A late addition?"})
    client.post(
        f"/manage/{live.event.id}/agenda/{live.questions[2].id}/edit", data={"text": "Reworded third?"}
    )
    client.post(
        f"/manage/{live.event.id}/panel/new", data={"role": "panelist", "display_name": "Oh Byeong-il"}
    )
    deltas = received(audience, "delta")
    assert [d["type"] for d in deltas] == ["agenda", "agenda", "panel"]
    assert [q["text"] for q in deltas[1]["data"]["agenda"]][2:] == ["Reworded third?", "A late addition?"]
    assert "Oh Byeong-il" in [p["display_name"] for p in deltas[2]["data"]["panel"]]
    snapshot = act(audience, "sync")["result"]
    assert (
        snapshot["agenda"] == deltas[1]["data"]["agenda"] and snapshot["panel"] == deltas[2]["data"]["panel"]
    )


def test_deleting_the_current_question_clears_it_everywhere(make_live_event, live_client, client, db_session):
    live = make_live_event()
    audience = live_client({"event": live.event.slug})
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    received(audience, "delta")
    _organizer(client, live)
    delete = f"/manage/{live.event.id}/agenda/{live.questions[0].id}/delete"
    assert client.post(delete, data={"confirmed": "1"}).status_code == 302
    deltas = received(audience, "delta")
    assert [d["type"] for d in deltas] == ["agenda", "current_question"]
    assert deltas[1]["data"] == {"question_id": None}


def test_questions_with_a_live_record_cannot_be_deleted(make_live_event, live_client, client, db_session):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "contribution.add", {"participant_id": live.people["kimmy"].id, "text": "On record."})
    _organizer(client, live)
    response = client.post(
        f"/manage/{live.event.id}/agenda/{live.questions[0].id}/delete", data={"confirmed": "1"}
    )
    assert response.status_code == 409 and "hide them in the record editor" in response.get_data(as_text=True)
    assert db_session.get(AgendaQuestion, live.questions[0].id) is not None


def test_an_invited_moderator_cannot_take_a_draft_live(
    make_organizer, make_event, make_participant, make_question, app, live_client, db_session
):
    from forum.boundary import unit_of_work
    from forum.events import invitations
    from forum.models import Event, Organizer

    event = make_event(make_organizer())
    moderator = make_participant(event, "Jun-jjang", role="moderator")
    make_participant(event, "Kimmy")
    make_question(event)
    with app.app_context(), unit_of_work() as session:
        token = invitations.issue_invitation(
            session, session.get(Organizer, event.organizer_id), event.id, moderator.id
        )[1]
    ack = act(live_client({"invite": token}), "session.start")
    assert ack["ok"] is False and "cannot go live as a draft" in ack["error"]["message"]
    assert db_session.get(Event, event.id).status == EventStatus.DRAFT
    assert app.test_client().get(f"/e/{event.slug}").status_code == 404


def test_hidden_contributions_leave_the_public_feed(make_live_event, live_client, client, app):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    said = act(
        moderator, "contribution.add", {"participant_id": live.people["hong"].id, "text": "Remove me."}
    )
    act(moderator, "session.end")
    assert "Remove me." in app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    _organizer(client, live)
    cid = said["result"]["contribution_id"]
    client.post(f"/manage/{live.event.id}/record/contributions/{cid}/hide")
    assert "Remove me." not in app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)


def test_notices_go_to_the_right_event(make_live_event, live_client):
    first, second = make_live_event(), make_live_event(title="Another debate")
    token = audience_token()
    here = live_client({"event": first.event.slug, "audience": token})
    there = live_client({"event": second.event.slug, "audience": token})
    act(live_client({"invite": first.tokens["moderator"]}), "session.start")
    act(here, "audience.ask", {"text": "Only for the first event?", "client_id": "notice-0001"})
    assert [m["name"] for m in here.get_received(NAMESPACE)].count("notice") == 1
    assert [m for m in there.get_received(NAMESPACE) if m["name"] == "notice"] == []


def test_unicode_digits_and_huge_numbers_are_clean_refusals(make_live_event, live_client, app):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    assert act(moderator, "question.goto", {"question_id": "²"})["error"]["code"] == "invalid"
    browser = app.test_client()
    browser.get(f"/e/{live.event.slug}")
    response = browser.post(
        f"/e/{live.event.slug}/act/audience.vote",
        data={"question_id": "²", "up": "true", "client_id": "vote-00001"},
    )
    assert response.status_code == 303
    review = app.test_client().post(
        f"/invite/{live.tokens['kimmy']}/review",
        data={"op": "approve", "contribution_id": "99999999999999999999", "text": "x"},
    )
    assert review.status_code == 303
    assert (
        app.test_client()
        .post(
            f"/invite/{live.tokens['kimmy']}/review",
            data={"op": "approve", "contribution_id": "²", "text": "x"},
        )
        .status_code
        == 303
    )


def test_scribes_see_what_is_said_but_not_the_moderation_side(make_live_event, live_client):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    scribe = live_client({"invite": live.tokens["scribe"]})
    member = live_client({"event": live.event.slug, "audience": audience_token()})
    act(moderator, "session.start")
    act(moderator, "moderation.settings", {"word_list": "forbidden"})
    act(moderator, "feed.set", {"enabled": False})
    asked = act(member, "audience.ask", {"text": "Pending question?", "client_id": "crew-00001"})
    act(
        moderator,
        "moderation.reject",
        {"question_id": asked["result"]["question_id"], "reason": "SECRET REASON"},
    )
    act(
        scribe,
        "contribution.add",
        {"participant_id": live.people["kimmy"].id, "text": "Said with the feed off."},
    )
    messages = [m["args"][0] for m in scribe.get_received(NAMESPACE) if m["name"] in {"delta", "snapshot"}]
    text = str(messages)
    assert "SECRET REASON" not in text and "Pending question?" not in text and "forbidden" not in text
    assert "Said with the feed off." in text
    snapshot = act(scribe, "sync")["result"]
    assert snapshot["stream"] == "crew" and snapshot["questions"] == []
    assert "word_list" not in snapshot["audience"]
    assert [c["text"] for c in snapshot["feed"]] == ["Said with the feed off."]
    staff = act(moderator, "sync")["result"]
    assert (
        staff["questions"][0]["rejection_reason"] == "SECRET REASON"
        and staff["audience"]["word_list"] == "forbidden"
    )


def test_withdrawn_links_lose_their_live_powers(app, make_live_event, live_client, client):
    from forum.boundary import unit_of_work
    from forum.db import utcnow
    from forum.models import Invitation, Participant

    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    scribe = live_client({"invite": live.tokens["scribe"]})
    _organizer(client, live)
    client.post(
        f"/manage/{live.event.id}/panel/{live.people['moderator'].id}/invitation/revoke",
        data={"confirmed": "1"},
    )
    assert not moderator.is_connected(NAMESPACE), "open connections of a withdrawn link are closed"
    client.post(
        f"/manage/{live.event.id}/panel/{live.people['scribe'].id}/edit",
        data={"role": "panelist", "display_name": "Note Taker"},
    )
    assert not scribe.is_connected(NAMESPACE), "a changed role closes the old role's screens"

    # A connection another server process holds is not closed from here, but it can no longer act.
    kimmy = live_client({"invite": live.tokens["kimmy"]})
    with app.app_context(), unit_of_work() as session:
        for invitation in session.query(Invitation).filter_by(participant_id=live.people["kimmy"].id):
            invitation.revoked_at = utcnow()
        assert session.get(Participant, live.people["kimmy"].id) is not None
    ack = act(kimmy, "answer.save", {"question_id": live.questions[0].id, "text": "Too late."})
    assert ack["error"]["code"] == "access_revoked"
