"""Live pages render the current state on the server (readable without JavaScript); console forms
post to the same actions as the socket, and their changes reach socket clients."""

from __future__ import annotations

import re

import pytest

from forum.protocol import NAMESPACE
from tests.conftest import act, received


@pytest.fixture
def live(make_live_event):
    return make_live_event()


def test_audience_page_shows_the_current_question_in_html(app, live, live_client):
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "question.next")
    act(moderator, "floor.give", {"participant_id": live.people["kimmy"].id})
    page = app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    current = re.search(r'data-region="question".*?</section>', page, re.S).group(0)
    assert "Question 2 of 3" in current and live.questions[1].text in current
    floor = re.search(r'data-region="floor".*?</section>', page, re.S).group(0)
    assert "Oh Kyoungmi" in floor
    assert 'src="/static/js/live/audience.js"' in page
    assert 'data-event="' + live.event.slug + '"' in page


def test_feed_is_hidden_when_switched_off(app, live, live_client):
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "contribution.add", {"participant_id": live.people["hong"].id, "text": "Visible words."})
    assert "Visible words." in app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    act(moderator, "feed.set", {"enabled": False})
    page = app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    assert "Visible words." not in page


def test_projector_shows_question_floor_join_code_and_qr(app, live, live_client):
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    page = app.test_client().get(f"/e/{live.event.slug}/projector").get_data(as_text=True)
    assert live.questions[0].text in page
    assert live.event.join_code in page
    assert 'src="data:image/svg+xml' in page
    assert f"/e/{live.event.slug}" in page


def test_join_by_code(app, live):
    client = app.test_client()
    response = client.get("/join", query_string={"code": f" {live.event.join_code.lower()} "})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/e/{live.event.slug}")
    response = client.get("/join", query_string={"code": "ZZZZZZ"}, follow_redirects=True)
    assert "No event has the code “ZZZZZZ”" in response.get_data(as_text=True)
    response = client.get("/join", query_string={"code": "'; drop"}, follow_redirects=True)
    assert response.status_code == 200 and "No event has the code" in response.get_data(as_text=True)
    assert 'name="code"' in client.get("/").get_data(as_text=True)


def test_draft_join_code_does_not_open_the_room(app, make_organizer, make_event):
    event = make_event(make_organizer())
    response = app.test_client().get("/join", query_string={"code": event.join_code}, follow_redirects=True)
    assert "No event has the code" in response.get_data(as_text=True)


def test_consoles_by_role(app, live, client, login):
    moderator_page = app.test_client().get(f"/invite/{live.tokens['moderator']}/live").get_data(as_text=True)
    assert "Moderator console" in moderator_page and 'data-action="floor.give"' in moderator_page
    scribe_page = app.test_client().get(f"/invite/{live.tokens['scribe']}/live").get_data(as_text=True)
    assert "Scribe console" in scribe_page
    assert 'data-action="floor.give"' not in scribe_page and 'data-action="contribution.add"' in scribe_page
    panelist_page = app.test_client().get(f"/invite/{live.tokens['kimmy']}/live").get_data(as_text=True)
    assert 'data-action="answer.save"' not in panelist_page, "no answer form before there is a question"
    assert "Moderator console" not in panelist_page
    app.test_client().post(f"/invite/{live.tokens['moderator']}/live/session.start")
    panelist_page = app.test_client().get(f"/invite/{live.tokens['kimmy']}/live").get_data(as_text=True)
    assert 'data-action="answer.save"' in panelist_page and live.questions[0].text in panelist_page
    login(live.organizer)
    assert "Moderator console" in client.get(f"/manage/{live.event.id}/live").get_data(as_text=True)


def test_other_organizers_cannot_open_the_console(app, live, make_organizer, login, client):
    login(make_organizer())
    assert client.get(f"/manage/{live.event.id}/live").status_code == 404
    assert client.post(f"/manage/{live.event.id}/live/session.start").status_code == 404


def test_console_forms_work_without_javascript_and_reach_socket_clients(
    app, live, client, live_client, login
):
    audience = live_client({"event": live.event.slug})
    received(audience, "snapshot")
    login(live.organizer)
    response = client.post(f"/manage/{live.event.id}/live/session.start")
    assert response.status_code == 303
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The session is live." in follow
    response = client.post(
        f"/manage/{live.event.id}/live/floor.give", data={"participant_id": str(live.people["kimmy"].id)}
    )
    assert response.status_code == 303
    assert [d["type"] for d in received(audience, "delta")] == ["session", "current_question", "floor"]
    response = client.post(f"/manage/{live.event.id}/live/question.previous")
    assert "This is the first question." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert received(audience, "delta") == []


def test_invited_scribe_posts_a_contribution_without_javascript(app, live, live_client):
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    received(moderator, "delta")
    scribe = app.test_client()
    response = scribe.post(
        f"/invite/{live.tokens['scribe']}/live/contribution.add",
        data={"participant_id": str(live.people["hong"].id), "kind": "answer", "text": "Typed without JS."},
    )
    assert response.status_code == 303
    (delta,) = received(moderator, "delta")
    assert delta["data"]["text"] == "Typed without JS."
    response = scribe.post(f"/invite/{live.tokens['scribe']}/live/session.end")
    assert "Only the moderator or the organizer" in scribe.get(response.headers["Location"]).get_data(
        as_text=True
    )
    assert moderator.is_connected(NAMESPACE)


def test_invitation_portal_links_to_the_live_page(app, live):
    page = app.test_client().get(f"/invite/{live.tokens['scribe']}").get_data(as_text=True)
    assert f"/invite/{live.tokens['scribe']}/live" in page


@pytest.mark.parametrize(
    ("name", "question"),
    [
        ("session.end", "End the session for everyone?"),
        ("moderation.reject", "Take this question off the board?"),
        ("moderation.block", "Block this author?"),
    ],
)
def test_console_actions_that_ask_first_ask_on_a_page_without_javascript(app, live, name, question):
    from forum.live.messages import ASK_FIRST

    browser = app.test_client()
    console = browser.get(f"/invite/{live.tokens['moderator']}/live").get_data(as_text=True)
    if name == "session.end":
        browser.post(f"/invite/{live.tokens['moderator']}/live/session.start")
        console = browser.get(f"/invite/{live.tokens['moderator']}/live").get_data(as_text=True)
        assert f'data-confirm="{question}"' in console, "the dialog asks the same question"
    url = f"/invite/{live.tokens['moderator']}/live/{name}"
    asked = browser.post(url, data={"ask_first": "1", "question_id": "1", "blocked": "true"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and question in page and str(ASK_FIRST[name]["button"]) in page
    assert 'name="confirmed" value="1"' in page and 'name="ask_first" value="1"' in page
    if name == "session.end":
        assert app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True).count("Live now") >= 1
        done = browser.post(url, data={"ask_first": "1", "confirmed": "1"}, follow_redirects=True)
        assert "The session has ended." in done.get_data(as_text=True)
