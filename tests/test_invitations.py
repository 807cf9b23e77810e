"""Invitation links: issued once, stored hashed, revocable; panelists write prepared answers through them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forum.boundary import unit_of_work
from forum.models import Contribution, ContributionRevision, Event, EventStatus, Invitation


@pytest.fixture
def setup(client, make_organizer, login, make_event, make_participant, make_question):
    organizer = make_organizer()
    login(organizer)
    event = make_event(organizer)
    kimmy = make_participant(event, "Oh Kyoungmi", short_name="Kimmy", affiliation="Open Net Korea")
    questions = [make_question(event, f"Question {n}?") for n in (1, 2, 3)]
    return event, kimmy, questions


def _issue(client, event, person) -> str:
    response = client.post(f"/manage/{event.id}/panel/{person.id}/invitation")
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
    assert "Welcome, Oh Kyoungmi" in page.get_data(as_text=True)

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
    assert client.post(f"/manage/{event.id}/panel/{kimmy.id}/invitation/revoke").status_code == 302
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
