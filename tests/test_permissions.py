"""Who may do what: an organizer can neither see nor change another organizer's event."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.models import AgendaQuestion, Event, Participant
from tests.conftest import ORGANIZER_ROUTES as ROUTES


@pytest.fixture
def victim_event(make_organizer, make_event, make_participant, make_question):
    event = make_event(make_organizer(), title="Someone else's draft")
    person = make_participant(event, "Panelist")
    question = make_question(event, "Original?")
    return event, person, question


def _snapshot(db_session, event_id):
    db_session.expire_all()
    event = db_session.get(Event, event_id)
    return (
        event.title if event else None,
        event.status if event else None,
        sorted(db_session.scalars(select(Participant.display_name).where(Participant.event_id == event_id))),
        sorted(db_session.scalars(select(AgendaQuestion.text).where(AgendaQuestion.event_id == event_id))),
    )


@pytest.mark.parametrize(("method", "path", "data"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_other_organizers_get_not_found_and_change_nothing(
    client, make_organizer, login, victim_event, db_session, method, path, data
):
    event, person, question = victim_event
    login(make_organizer())
    before = _snapshot(db_session, event.id)
    url = path.format(event=event.id, person=person.id, question=question.id)
    response = client.open(url, method=method, data=data)
    assert response.status_code == 404
    assert "Someone else" not in response.get_data(as_text=True)
    assert _snapshot(db_session, event.id) == before


@pytest.mark.parametrize(("method", "path", "data"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_anonymous_visitors_are_sent_to_sign_in(client, victim_event, db_session, method, path, data):
    event, person, question = victim_event
    before = _snapshot(db_session, event.id)
    response = client.open(
        path.format(event=event.id, person=person.id, question=question.id), method=method, data=data
    )
    assert response.status_code == 302
    assert "/auth/signin" in response.headers["Location"]
    assert _snapshot(db_session, event.id) == before


def test_the_owner_may_use_every_route(
    client, make_organizer, login, make_event, make_participant, make_question
):
    owner = make_organizer()
    login(owner)
    event = make_event(owner)
    person = make_participant(event, "Panelist")
    question = make_question(event, "Original?")
    for method, path, _data in ROUTES:
        if method == "GET":
            url = path.format(event=event.id, person=person.id, question=question.id)
            assert client.get(url).status_code == 200, url


def test_one_clients_sign_in_never_shows_through_another(app, login, make_organizer, db_session):
    """The test harness itself: with ``db_session`` an app context stays open for the whole test, and a
    sign-in cached in its ``g`` made every later test client look signed in (found by fuzzing)."""
    login(make_organizer())
    stranger = app.test_client()
    assert stranger.get("/manage/").status_code == 302
