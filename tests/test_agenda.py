"""The agenda: ordered questions, reordering, and the repeated-wording warning."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.models import AgendaQuestion

Q6 = "Should platforms that do not respond to removal requests be blocked nationally?"


@pytest.fixture
def event(make_organizer, login, make_event):
    organizer = make_organizer()
    login(organizer)
    return make_event(organizer)


def _agenda(db_session, event):
    db_session.expire_all()
    return [
        q.text
        for q in db_session.scalars(
            select(AgendaQuestion)
            .where(AgendaQuestion.event_id == event.id)
            .order_by(AgendaQuestion.position)
        )
    ]


def test_questions_are_numbered_in_order(client, event, db_session):
    for text in ["First?", "Second?", "Third?"]:
        assert client.post(f"/manage/{event.id}/agenda/new", data={"text": text}).status_code == 302
    assert _agenda(db_session, event) == ["First?", "Second?", "Third?"]
    positions = db_session.scalars(
        select(AgendaQuestion.position)
        .where(AgendaQuestion.event_id == event.id)
        .order_by(AgendaQuestion.position)
    ).all()
    assert positions == [1, 2, 3]


def test_repeated_wording_is_flagged_on_save_and_on_the_agenda(client, event, make_question):
    make_question(event, Q6)
    response = client.post(
        f"/manage/{event.id}/agenda/new",
        data={"text": "  should platforms that do NOT respond to removal requests be blocked nationally"},
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "same wording as question 1" in follow
    assert "Same wording as question 2." in follow
    assert "Some questions share the same wording" in follow


def test_distinct_questions_raise_no_warning(client, event, make_question):
    make_question(event, Q6)
    response = client.post(
        f"/manage/{event.id}/agenda/new", data={"text": "Would boycotting Telegram be an effective response?"}
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "same wording" not in page.lower()


def test_editing_into_a_duplicate_warns(client, event, make_question):
    make_question(event, Q6)
    second = make_question(event, "Something else?")
    response = client.post(f"/manage/{event.id}/agenda/{second.id}/edit", data={"text": Q6})
    assert "same wording as question 1" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_move_up_down_and_to_position(client, event, make_question, db_session):
    a, b, c = (make_question(event, t) for t in ("A", "B", "C"))
    client.post(f"/manage/{event.id}/agenda/{c.id}/move", data={"direction": "up"})
    assert _agenda(db_session, event) == ["A", "C", "B"]
    client.post(f"/manage/{event.id}/agenda/{a.id}/move", data={"position": "3"})
    assert _agenda(db_session, event) == ["C", "B", "A"]
    client.post(f"/manage/{event.id}/agenda/{a.id}/move", data={"position": "99"})
    assert _agenda(db_session, event) == ["C", "B", "A"]
    client.post(f"/manage/{event.id}/agenda/{b.id}/move", data={"direction": "up"})
    assert _agenda(db_session, event) == ["B", "C", "A"]
    assert client.post(f"/manage/{event.id}/agenda/{b.id}/move", data={"position": "-4"}).status_code == 422
    assert client.post(f"/manage/{event.id}/agenda/{b.id}/move", data={}).status_code == 422


def test_delete_renumbers(client, event, make_question, db_session):
    _a, b, c = (make_question(event, t) for t in ("A", "B", "C"))
    assert client.post(f"/manage/{event.id}/agenda/{b.id}/delete", data={"confirmed": "1"}).status_code == 302
    assert _agenda(db_session, event) == ["A", "C"]
    assert db_session.get(AgendaQuestion, c.id).position == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "This field is required."),
        ("   \n  ", "This field is required."),
        ("Q" * 1001, "cannot be longer"),
    ],
)
def test_question_refusals(client, event, db_session, text, message):
    response = client.post(f"/manage/{event.id}/agenda/new", data={"text": text})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _agenda(db_session, event) == []


def test_multilingual_questions(client, event, db_session):
    text = "플랫폼 규제가 필요한가? — Do we need platform regulation?"
    assert client.post(f"/manage/{event.id}/agenda/new", data={"text": text}).status_code == 302
    assert _agenda(db_session, event) == [text]
    assert text in client.get(f"/manage/{event.id}").get_data(as_text=True)
