"""Invitation links: issued once, stored hashed, revocable; panelists write prepared answers through them."""

from __future__ import annotations

import html
import logging
import re

import pytest
from sqlalchemy import func, select

from forum.boundary import unit_of_work
from forum.events.link_routes import invitation_qr
from forum.models import Contribution, ContributionRevision, Event, EventStatus, Invitation
from tests.conftest import DEFAULT_PASSWORD


@pytest.fixture
def setup(client, make_organizer, login, make_event, make_participant, make_question):
    organizer = make_organizer()
    login(organizer)
    event = make_event(organizer)
    kimmy = make_participant(event, "Oh Kyoungmi", short_name="Kimmy", affiliation="Open Net Korea")
    questions = [make_question(event, f"Question {n}?") for n in (1, 2, 3)]
    return event, kimmy, questions


def _issue(client, event, person) -> str:
    # Replacing a working link asks first (tests/test_organizer_day.py); this helper has confirmed.
    response = client.post(f"/manage/{event.id}/panel/{person.id}/invitation", data={"confirmed": "1"})
    assert response.status_code == 200
    match = re.search(r'value="(http[^"]+/invite/([^"]+))"', response.get_data(as_text=True))
    assert match, "the page shows the link"
    return match.group(2)


def test_link_is_shown_once_and_stored_only_as_a_hash(client, setup, db_session):
    event, kimmy, _ = setup
    token = _issue(client, event, kimmy)
    stored = db_session.scalar(select(Invitation))
    assert len(token) >= 40
    assert stored.token_hash != token and token not in stored.token_hash
    overview = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert token not in overview
    assert "link active" in overview


def test_panelist_writes_and_revises_answers_without_an_account(app, client, setup, db_session):
    event, kimmy, questions = setup
    token = _issue(client, event, kimmy)
    visitor = app.test_client()
    page = visitor.get(f"/invite/{token}")
    assert page.status_code == 200
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    assert 'Welcome, <span lang="en">Oh Kyoungmi</span>' in page.get_data(as_text=True)

    fields = {f"answer_{q.id}": "" for q in questions}
    fields[f"answer_{questions[0].id}"] = "First draft.\n\nSecond paragraph."
    response = visitor.post(f"/invite/{token}", data=fields)
    assert response.status_code == 302
    fields[f"answer_{questions[0].id}"] = "Revised answer."
    fields[f"answer_{questions[2].id}"] = "한국어 답변: 규제만으로는 부족하다."
    assert visitor.post(f"/invite/{token}", data=fields).status_code == 302

    answers = {c.question_id: c for c in db_session.scalars(select(Contribution))}
    assert set(answers) == {questions[0].id, questions[2].id}
    assert answers[questions[0].id].text == "Revised answer."
    assert answers[questions[2].id].text == "한국어 답변: 규제만으로는 부족하다."
    history = db_session.scalars(
        select(ContributionRevision.text)
        .where(ContributionRevision.contribution_id == answers[questions[0].id].id)
        .order_by(ContributionRevision.number)
    ).all()
    assert history == ["First draft.\n\nSecond paragraph.", "Revised answer."]
    page = visitor.get(f"/invite/{token}").get_data(as_text=True)
    assert "Revised answer." in page and "Saved version 2" in page
    organizer_view = client.get(f"/manage/{event.id}/answers").get_data(as_text=True)
    assert "Revised answer." in organizer_view and "Kimmy" in organizer_view


def test_clearing_an_answer_withdraws_it(app, client, setup, db_session):
    event, kimmy, questions = setup
    token = _issue(client, event, kimmy)
    visitor = app.test_client()
    visitor.post(f"/invite/{token}", data={f"answer_{questions[0].id}": "Something."})
    visitor.post(f"/invite/{token}", data={f"answer_{questions[0].id}": "   "})
    assert db_session.scalar(select(Contribution)) is None


def test_one_bad_answer_saves_nothing(app, client, setup, db_session):
    event, kimmy, questions = setup
    token = _issue(client, event, kimmy)
    response = app.test_client().post(
        f"/invite/{token}",
        data={f"answer_{questions[0].id}": "Fine.", f"answer_{questions[1].id}": "x" * 20001},
    )
    assert response.status_code == 422
    assert "cannot be longer than 20000" in response.get_data(as_text=True)
    assert db_session.scalar(select(Contribution)) is None


def test_revoked_and_replaced_links_stop_working(app, client, setup):
    event, kimmy, _ = setup
    first = _issue(client, event, kimmy)
    second = _issue(client, event, kimmy)
    visitor = app.test_client()
    assert visitor.get(f"/invite/{first}").status_code == 404
    assert visitor.get(f"/invite/{second}").status_code == 200
    revoke = f"/manage/{event.id}/panel/{kimmy.id}/invitation/revoke"
    asked = client.post(revoke)
    assert asked.status_code == 200
    assert "Revoke the invitation link of Oh Kyoungmi?" in asked.get_data(as_text=True)
    assert visitor.get(f"/invite/{second}").status_code == 200, "asking first revokes nothing"
    assert client.post(revoke, data={"confirmed": "1"}).status_code == 302
    response = visitor.get(f"/invite/{second}")
    assert response.status_code == 404
    assert "Ask the organizer for a new one" in response.get_data(as_text=True)


@pytest.mark.parametrize("token", ["nope", "x" * 500, "%00", "../../etc"])
def test_made_up_tokens_are_not_found(app, token):
    assert app.test_client().get(f"/invite/{token}").status_code == 404


def test_moderator_link_shows_agenda_but_refuses_answers(app, client, setup, make_participant):
    event, _, questions = setup
    moderator = make_participant(event, "Jun-jjang", role="moderator")
    token = _issue(client, event, moderator)
    visitor = app.test_client()
    page = visitor.get(f"/invite/{token}").get_data(as_text=True)
    assert "Question 1?" in page and "Save my answers" not in page
    response = visitor.post(f"/invite/{token}", data={f"answer_{questions[0].id}": "Sneaky."})
    assert response.status_code == 403


def test_published_record_refuses_late_answers(app, client, setup, db_session):
    event, kimmy, questions = setup
    token = _issue(client, event, kimmy)
    with app.app_context(), unit_of_work() as session:
        session.get(Event, event.id).status = EventStatus.PUBLISHED
    response = app.test_client().post(f"/invite/{token}", data={f"answer_{questions[0].id}": "Too late."})
    assert response.status_code == 422
    assert "record of this event is published" in response.get_data(as_text=True)
    assert db_session.scalar(select(Contribution)) is None


# --- all links for the panel in one step ----------------------------------------------------------------


@pytest.fixture
def panel(client, make_organizer, login, make_event, make_participant, make_question):
    """A signed-in organizer's event with a moderator, two panelists and a scribe, none invited yet."""
    organizer = make_organizer()
    login(organizer)
    event = make_event(organizer)
    people = {
        "moderator": make_participant(event, "Jun-jjang", role="moderator"),
        "kimmy": make_participant(event, "Oh Kyoungmi", short_name="Kimmy"),
        "hong": make_participant(event, "Hong Myeong-gyo"),
        "scribe": make_participant(event, "Note Taker", role="scribe"),
    }
    make_question(event, "Question 1?")
    return event, people


def _cards(response) -> dict[str, dict[str, str]]:
    """The issued links on a result page, by person: their role, link, token and QR code."""
    page = response.get_data(as_text=True)
    cards = {}
    for block in re.findall(r'<li class="invitation-card".*?</li>', page, re.S):
        name = html.unescape(re.search(r"<h2>(.*?) <span", block).group(1))
        link = html.unescape(re.search(r'<input type="text" readonly value="([^"]+)"', block).group(1))
        qr = re.search(r'<img class="invitation-qr" src="([^"]+)" alt="([^"]+)"', block)
        cards[name] = {
            "role": re.search(r'<span class="badge">(\w+)</span>', block).group(1),
            "link": link,
            "token": link.rsplit("/invite/", 1)[1],
            "qr": html.unescape(qr.group(1)),
            "alt": html.unescape(qr.group(2)),
            "copy_hidden": bool(re.search(r"<button[^>]*\bhidden\b[^>]*>Copy</button>", block)),
        }
    return cards


def _active_count(db_session) -> int:
    db_session.expire_all()
    return db_session.scalar(
        select(func.count()).select_from(Invitation).where(Invitation.revoked_at.is_(None))
    )


def test_one_post_issues_links_for_exactly_those_without_one(app, client, panel, db_session, caplog):
    event, people = panel
    kept_token = _issue(client, event, people["kimmy"])
    caplog.set_level(logging.DEBUG)
    response = client.post(f"/manage/{event.id}/invitations")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    page = response.get_data(as_text=True)
    assert "These links are shown only now." in page
    cards = _cards(response)
    assert {name: card["role"] for name, card in cards.items()} == {
        "Jun-jjang": "Moderator",
        "Hong Myeong-gyo": "Panelist",
        "Note Taker": "Scribe",
    }
    assert "Already invited" in page and "Oh Kyoungmi" in page
    assert _active_count(db_session) == 4
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 4, "nobody's link was replaced"

    visitor = app.test_client()
    assert 'Welcome, <span lang="en">Oh Kyoungmi</span>' in visitor.get(f"/invite/{kept_token}").get_data(
        as_text=True
    )
    for name, card in cards.items():
        assert card["link"].startswith("http://localhost/invite/")
        opened = visitor.get(f"/invite/{card['token']}")
        assert opened.status_code == 200
        assert f'Welcome, <span lang="en">{name}</span>.' in opened.get_data(as_text=True)
        assert card["qr"] == invitation_qr(card["link"]), "the QR code holds this person's link"
        assert card["alt"] == f"QR code of the invitation link for {name}"
    for card in cards.values():
        assert card["token"] not in caplog.text, "tokens never reach the log"


def test_second_post_issues_nothing_new(client, panel, db_session):
    event, _people = panel
    first = _cards(client.post(f"/manage/{event.id}/invitations"))
    assert len(first) == 4
    again = client.post(f"/manage/{event.id}/invitations")
    assert again.status_code == 200
    assert _cards(again) == {}
    assert "Everyone on the panel already has a working link" in again.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 4


def test_links_use_the_public_address(app, client, panel):
    event, _people = panel
    app.config["PUBLIC_URL"] = "https://forum.example.org"
    cards = _cards(client.post(f"/manage/{event.id}/invitations"))
    assert all(card["link"].startswith("https://forum.example.org/invite/") for card in cards.values())


def test_renewing_all_links_asks_first_then_revokes_the_old_ones(app, client, panel, db_session):
    event, _people = panel
    old = _cards(client.post(f"/manage/{event.id}/invitations"))
    visitor = app.test_client()

    asked = client.post(f"/manage/{event.id}/invitations", data={"renew": "1"})
    assert asked.status_code == 200
    page = asked.get_data(as_text=True)
    assert "Renew everyone&#39;s invitation link?" in page
    assert 'name="renew" value="1"' in page and 'name="confirmed" value="1"' in page
    assert _cards(asked) == {}
    assert all(visitor.get(f"/invite/{card['token']}").status_code == 200 for card in old.values())

    renewed = client.post(f"/manage/{event.id}/invitations", data={"renew": "1", "confirmed": "1"})
    assert renewed.status_code == 200
    assert "Every earlier link has stopped working." in renewed.get_data(as_text=True)
    new = _cards(renewed)
    assert set(new) == set(old)
    for name in old:
        refused = visitor.get(f"/invite/{old[name]['token']}")
        assert refused.status_code == 404
        assert "Ask the organizer for a new one" in refused.get_data(as_text=True)
        assert f'Welcome, <span lang="en">{name}</span>.' in visitor.get(
            f"/invite/{new[name]['token']}"
        ).get_data(as_text=True)
    assert _active_count(db_session) == 4


@pytest.mark.parametrize("data", [{}, {"renew": "1"}, {"renew": "1", "confirmed": "1"}])
def test_another_organizer_gets_not_found(app, panel, make_organizer, db_session, data):
    event, _people = panel
    stranger = app.test_client()
    intruder = make_organizer()
    stranger.post("/auth/signin", data={"email": intruder.email, "password": DEFAULT_PASSWORD})
    response = stranger.post(f"/manage/{event.id}/invitations", data=data)
    assert response.status_code == 404
    assert "Renew" not in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_empty_panel_is_told_to_add_people_first(client, make_organizer, login, make_event):
    organizer = make_organizer()
    login(organizer)
    event = make_event(organizer)
    response = client.post(f"/manage/{event.id}/invitations", follow_redirects=True)
    assert response.status_code == 200
    assert "There is no one on the panel yet." in response.get_data(as_text=True)


def test_without_javascript_the_page_shows_links_and_qr_codes(client, panel):
    event, _people = panel
    response = client.post(f"/manage/{event.id}/invitations")
    page = response.get_data(as_text=True)
    cards = _cards(response)
    assert len(cards) == 4
    for name, card in cards.items():
        assert card["qr"].startswith("data:image/svg+xml")
        assert card["copy_hidden"], "the Copy button waits for JavaScript"
        assert f"Invitation link for {name}</label>" in page


def test_overview_offers_the_right_link_actions(client, panel):
    event, people = panel
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "Create invitation links for everyone" in page and "4 of 4 people have no working link" in page
    assert "Renew all links" not in page
    _issue(client, event, people["kimmy"])
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "3 of 4 people have no working link" in page and "Renew all links" in page
    client.post(f"/manage/{event.id}/invitations")
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "Create invitation links for everyone" not in page
    assert "Everyone on the panel has a working link." in page and "Renew all links" in page


def test_single_link_page_is_not_cached_and_has_a_qr_code(client, setup):
    event, kimmy, _ = setup
    response = client.post(f"/manage/{event.id}/panel/{kimmy.id}/invitation")
    assert response.headers["Cache-Control"] == "no-store"
    card = _cards(response)["Oh Kyoungmi"]
    assert card["qr"] == invitation_qr(card["link"])
    assert "This link is shown only now." in response.get_data(as_text=True)


def test_the_portal_saves_all_answers_in_one_call_or_none(app, client, setup, db_session):
    event, kimmy, questions = setup
    token = _issue(client, event, kimmy)
    visitor = app.test_client()
    too_long = "x" * 20_001
    data = {f"answer_{questions[0].id}": "First.", f"answer_{questions[1].id}": too_long}
    response = visitor.post(f"/invite/{token}", data=data)
    assert response.status_code == 422
    assert db_session.scalars(select(Contribution).where(Contribution.event_id == event.id)).all() == []
    data[f"answer_{questions[1].id}"] = "Second."
    assert visitor.post(f"/invite/{token}", data=data).status_code == 302
    saved = db_session.scalars(select(Contribution.text).where(Contribution.event_id == event.id)).all()
    assert sorted(saved) == ["First.", "Second."]


def test_every_page_behind_an_invitation_link_is_kept_private(app, client, setup):
    """The portal, the live console and the review page are served by three features; whichever serves a
    page whose address holds the token, no cache keeps it and no referrer carries the token on. The rule is
    read from the URL map, so a new page behind a token is covered without being listed here."""
    event, kimmy, _questions = setup
    token = _issue(client, event, kimmy)
    token_rules = [r for r in app.url_map.iter_rules() if "<token>" in r.rule]
    assert {r.endpoint.split(".")[0] for r in token_rules} >= {"invite", "live", "publishing"}
    visitor = app.test_client()
    for rule in token_rules:
        path = rule.rule.replace("<token>", token).replace("<name>", "question.next")
        response = visitor.get(path) if "GET" in rule.methods else visitor.post(path, data={})
        assert response.headers["Cache-Control"] == "no-store", rule.rule
        assert response.headers["Referrer-Policy"] == "no-referrer", rule.rule
        missing = visitor.get(rule.rule.replace("<token>", "x" * 43).replace("<name>", "question.next"))
        assert missing.headers["Referrer-Policy"] == "no-referrer", f"{rule.rule} (unknown token)"
