"""The panel: adding, editing, ordering and removing moderator, panelists and scribes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.boundary import unit_of_work
from forum.models import Contribution, ContributionKind, ContributionSource, Participant, ParticipantRole


@pytest.fixture
def event(make_organizer, login, make_event):
    organizer = make_organizer()
    login(organizer)
    return make_event(organizer)


def _names(db_session, event, role="panelist"):
    db_session.expire_all()
    return [
        p.short_name
        for p in db_session.scalars(
            select(Participant)
            .where(Participant.event_id == event.id, Participant.role == role)
            .order_by(Participant.position)
        )
    ]


def test_add_panelists_with_affiliation_and_short_name(client, event, db_session):
    response = client.post(
        f"/manage/{event.id}/panel/new",
        data={
            "role": "panelist",
            "display_name": "Oh Kyoungmi",
            "short_name": "Kimmy",
            "affiliation": "Open Net Korea",
        },
    )
    assert response.status_code == 302
    person = db_session.scalar(select(Participant))
    assert (person.role, person.short_name, person.affiliation) == (
        ParticipantRole.PANELIST,
        "Kimmy",
        "Open Net Korea",
    )
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "Oh Kyoungmi" in page and "Kimmy" in page and "Open Net Korea" in page


def test_short_name_defaults_to_full_name_and_must_be_unique(client, event, db_session):
    client.post(f"/manage/{event.id}/panel/new", data={"role": "panelist", "display_name": "Hong Myeong-gyo"})
    assert _names(db_session, event) == ["Hong Myeong-gyo"]
    response = client.post(
        f"/manage/{event.id}/panel/new",
        data={"role": "panelist", "display_name": "Someone Else", "short_name": "hong myeong-gyo"},
    )
    assert response.status_code == 422
    assert "already the short name of Hong Myeong-gyo" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"role": "panelist", "display_name": ""}, "This field is required."),
        ({"role": "king", "display_name": "X"}, "Not a valid choice."),
        ({"role": "panelist", "display_name": "X" * 121}, "Field cannot be longer than 120 characters."),
        ({"role": "panelist", "display_name": "X", "affiliation": "A" * 201}, "cannot be longer than 200"),
    ],
)
def test_participant_refusals(client, event, db_session, data, message):
    response = client.post(f"/manage/{event.id}/panel/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(Participant)) is None


def test_reorder_panelists(client, event, make_participant, db_session):
    a = make_participant(event, "A")
    make_participant(event, "B")
    c = make_participant(event, "C")
    client.post(f"/manage/{event.id}/panel/{c.id}/move", data={"direction": "up"})
    assert _names(db_session, event) == ["A", "C", "B"]
    client.post(f"/manage/{event.id}/panel/{a.id}/move", data={"direction": "down"})
    assert _names(db_session, event) == ["C", "A", "B"]
    assert (
        client.post(f"/manage/{event.id}/panel/{a.id}/move", data={"direction": "sideways"}).status_code
        == 422
    )


def test_edit_participant_and_change_role_renumbers(client, event, make_participant, db_session):
    a = make_participant(event, "A")
    make_participant(event, "B")
    response = client.post(
        f"/manage/{event.id}/panel/{a.id}/edit",
        data={"role": "moderator", "display_name": "A renamed", "short_name": "A", "affiliation": ""},
    )
    assert response.status_code == 302
    assert _names(db_session, event, "moderator") == ["A"]
    assert _names(db_session, event, "panelist") == ["B"]
    b = db_session.scalar(select(Participant).where(Participant.short_name == "B"))
    assert b.position == 1


def test_remove_participant(client, event, make_participant, db_session):
    a = make_participant(event, "A")
    make_participant(event, "B")
    assert client.post(f"/manage/{event.id}/panel/{a.id}/delete", data={"confirmed": "1"}).status_code == 302
    assert _names(db_session, event) == ["B"]


def test_cannot_remove_someone_with_recorded_contributions(
    client, app, event, make_participant, make_question, db_session
):
    person = make_participant(event, "A")
    question = make_question(event)
    with app.app_context(), unit_of_work() as session:
        session.add(
            Contribution(
                event_id=event.id,
                question_id=question.id,
                participant_id=person.id,
                kind=ContributionKind.ANSWER,
                source=ContributionSource.LIVE,
                text="Said something.",
            )
        )
    response = client.post(f"/manage/{event.id}/panel/{person.id}/delete", data={"confirmed": "1"})
    assert response.status_code == 409
    assert "1 recorded contribution" in response.get_data(as_text=True)
    assert _names(db_session, event) == ["A"]


def test_participant_of_another_event_is_not_found(
    client, event, make_event, make_participant, make_organizer
):
    other_event = make_event(make_organizer(), title="Other")
    stranger = make_participant(other_event, "Stranger")
    assert client.get(f"/manage/{event.id}/panel/{stranger.id}/edit").status_code == 404
    assert client.post(f"/manage/{event.id}/panel/{stranger.id}/delete").status_code == 404
