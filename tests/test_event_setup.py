"""Creating, editing, scheduling and deleting events through the organizer pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from sqlalchemy import select

from forum.models import Event, EventStatus, HostOrganisation


def _event_form(**overrides):
    return {
        "title": "Is it okay to use Telegram as it is?",
        "slug": "",
        "summary": "A debate.",
        "starts_at": "2024-11-23T14:00",
        "timezone": "Asia/Seoul",
        "language": "en",
        "venue": "Seoul",
        "online_url": "",
        "host_name": "People Outraged by the Nth Room Incident",
        "host_website": "https://example.org/host",
        "host_about": "A citizens' group.\n\nFounded in 2020.",
        **overrides,
    }


@pytest.fixture
def organizer(make_organizer, login):
    person = make_organizer()
    login(person)
    return person


def test_create_event_stores_utc_time_slug_and_join_code(client, organizer, db_session):
    response = client.post("/manage/new", data=_event_form())
    assert response.status_code == 302
    event = db_session.scalar(select(Event))
    assert response.headers["Location"].endswith(f"/manage/{event.id}")
    assert event.status == EventStatus.DRAFT
    assert event.starts_at == datetime(2024, 11, 23, 5, 0, tzinfo=UTC)
    assert event.timezone == "Asia/Seoul"
    assert event.slug == "is-it-okay-to-use-telegram-as-it-is"
    assert re.fullmatch(r"[A-HJ-NP-Z2-9]{6}", event.join_code)
    assert event.host.about == "A citizens' group.\n\nFounded in 2020."
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "2024-11-23" in page and "November 23, 2024 2:00\u202fPM (Korean Time)" in page


def test_korean_title_makes_a_korean_slug_that_works_as_a_link(client, organizer, db_session):
    response = client.post(
        "/manage/new",
        data=_event_form(title="텔레그램, 이대로 써도 괜찮은가?", host_name="n번방에 분노한 사람들"),
    )
    assert response.status_code == 302
    event = db_session.scalar(select(Event))
    assert event.slug == "텔레그램-이대로-써도-괜찮은가"
    page = client.get("/e/" + quote(event.slug))
    assert page.status_code == 200
    assert "텔레그램, 이대로 써도 괜찮은가?" in page.get_data(as_text=True)
    assert "n번방에 분노한 사람들" in client.get("/manage/").get_data(as_text=True)


def test_typed_slug_in_another_script_is_kept(client, organizer, db_session):
    assert client.post("/manage/new", data=_event_form(slug="텔레그램-토론-2024")).status_code == 302
    assert db_session.scalar(select(Event.slug)) == "텔레그램-토론-2024"


def test_same_title_twice_gets_distinct_slugs(client, organizer, db_session):
    client.post("/manage/new", data=_event_form())
    client.post("/manage/new", data=_event_form())
    slugs = sorted(db_session.scalars(select(Event.slug)))
    assert slugs == ["is-it-okay-to-use-telegram-as-it-is", "is-it-okay-to-use-telegram-as-it-is-2"]


def test_host_is_reused_by_name(client, organizer, db_session):
    client.post("/manage/new", data=_event_form())
    client.post("/manage/new", data=_event_form(host_name="people outraged by the nth room incident"))
    assert len(db_session.scalars(select(HostOrganisation)).all()) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required."),
        ({"title": "x" * 201}, "Field cannot be longer than 200 characters."),
        ({"starts_at": "tomorrow"}, "Not a valid datetime value."),
        ({"starts_at": ""}, "Enter the date and time the debate starts."),
        ({"timezone": "Mars/Olympus"}, "Not a valid choice."),
        ({"language": "klingon"}, "Not a valid choice."),
        ({"online_url": "javascript:alert(1)"}, "must be a full web address"),
        ({"host_website": "example.org"}, "must be a full web address"),
        ({"slug": "has spaces"}, "Use letters and digits"),
        ({"slug": "--"}, "Use letters and digits"),
        ({"host_name": ""}, "This field is required."),
        ({"starts_at": "0001-01-01T00:00"}, "between 1990 and 2200"),
    ],
)
def test_invalid_event_input_is_refused_specifically(client, organizer, db_session, overrides, message):
    response = client.post("/manage/new", data=_event_form(**overrides))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(Event)) is None
    assert db_session.scalar(select(HostOrganisation)) is None


def test_edit_event_and_slug_conflict(client, organizer, make_event, db_session):
    first = make_event(organizer, title="First")
    second = make_event(organizer, title="Second")
    response = client.post(
        f"/manage/{second.id}/edit", data=_event_form(title="Second, renamed", slug=first.slug)
    )
    assert response.status_code == 422
    assert "already used by another event" in response.get_data(as_text=True)
    assert db_session.get(Event, second.id).title == "Second"
    response = client.post(
        f"/manage/{second.id}/edit", data=_event_form(title="Second, renamed", slug="second-new")
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert db_session.get(Event, second.id).slug == "second-new"


def test_edit_form_shows_local_time(client, organizer, make_event):
    event = make_event(organizer)
    page = client.get(f"/manage/{event.id}/edit").get_data(as_text=True)
    assert 'value="2024-11-23T14:00"' in page


def _ready(make_participant, make_question, event):
    make_participant(event, "Jun-jjang", role="moderator")
    make_participant(event, "Oh Kyoungmi", short_name="Kimmy")
    make_question(event)


def test_scheduling_lists_what_is_missing(client, organizer, make_event, db_session):
    event = make_event(organizer)
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert "Name a moderator." in page and "Add at least one panelist." in page
    response = client.post(f"/manage/{event.id}/status", data={"status": "scheduled"})
    assert response.status_code == 409
    assert "not ready to schedule" in response.get_data(as_text=True)
    assert db_session.get(Event, event.id).status == EventStatus.DRAFT


def test_schedule_and_unschedule(client, organizer, make_event, make_participant, make_question, db_session):
    event = make_event(organizer)
    _ready(make_participant, make_question, event)
    assert client.post(f"/manage/{event.id}/status", data={"status": "scheduled"}).status_code == 302
    assert db_session.get(Event, event.id).status == EventStatus.SCHEDULED
    response = client.post(f"/manage/{event.id}/status", data={"status": "published"})
    assert response.status_code == 409
    assert client.post(f"/manage/{event.id}/status", data={"status": "draft"}).status_code == 302
    db_session.expire_all()
    assert db_session.get(Event, event.id).status == EventStatus.DRAFT
    assert client.post(f"/manage/{event.id}/status", data={"status": "nonsense"}).status_code == 422


def test_scheduled_event_needs_a_place(client, organizer, make_event, make_participant, make_question):
    event = make_event(organizer)
    _ready(make_participant, make_question, event)
    client.post(f"/manage/{event.id}/status", data={"status": "scheduled"})
    response = client.post(f"/manage/{event.id}/edit", data=_event_form(venue="", online_url=""))
    assert response.status_code == 422
    assert "needs a venue or an online link" in response.get_data(as_text=True)


def test_delete_only_drafts(client, organizer, make_event, make_participant, make_question, db_session):
    draft = make_event(organizer, title="Draft")
    assert client.post(f"/manage/{draft.id}/delete", data={"confirmed": "1"}).status_code == 302
    assert db_session.get(Event, draft.id) is None
    announced = make_event(organizer, title="Announced")
    _ready(make_participant, make_question, announced)
    client.post(f"/manage/{announced.id}/status", data={"status": "scheduled"})
    response = client.post(f"/manage/{announced.id}/delete", data={"confirmed": "1"})
    assert response.status_code == 409
    assert "Only draft events can be deleted" in response.get_data(as_text=True)


def test_my_events_lists_only_mine(client, organizer, make_event, make_organizer):
    make_event(organizer, title="Mine")
    make_event(make_organizer(), title="Someone else's")
    page = client.get("/manage/").get_data(as_text=True)
    assert "Mine" in page and "Someone else" not in page


def test_public_page_hides_drafts_from_others(client, organizer, make_event, make_organizer, app):
    event = make_event(make_organizer(), title="Secret draft")
    assert client.get(f"/e/{event.slug}").status_code == 404
    assert app.test_client().get(f"/e/{event.slug}").status_code == 404
