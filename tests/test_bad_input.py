"""Hostile and malformed input: a clear 4xx every time, never a 500, never a half-saved record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from forum.models import AgendaQuestion, Event, HostOrganisation, Participant
from tests.conftest import ORGANIZER_ROUTES as ROUTES

NASTY_VALUES = [
    "",
    " ",
    "\x00\x01\x02",
    "A" * 100_000,
    "<script>alert(1)</script>",
    "'; DROP TABLE events; --",
    "💥" * 300,
    "규제" * 600,
    "\u202eevil",
    "-1",
    "99999999999999999999999",
    "2024-13-45T99:99",
]
FIELDS = [
    "title", "slug", "summary", "starts_at", "timezone", "language", "venue", "online_url", "host_name",
    "host_website", "host_about", "role", "display_name", "short_name", "affiliation", "text", "status",
    "direction", "position", "email", "password", "confirm",
]  # fmt: skip

OPEN_FORMS = ["/auth/signup", "/auth/signin"]


def _counts(db_session):
    db_session.expire_all()
    return tuple(
        db_session.scalar(select(func.count()).select_from(m))
        for m in (Event, HostOrganisation, Participant, AgendaQuestion)
    )


@pytest.fixture
def owned(client, make_organizer, login, make_event, make_participant, make_question):
    owner = make_organizer()
    login(owner)
    event = make_event(owner)
    return event, make_participant(event, "Panelist"), make_question(event, "Original?")


@pytest.mark.parametrize("value", NASTY_VALUES, ids=range(len(NASTY_VALUES)))
def test_no_route_crashes_on_nasty_values(client, owned, db_session, value):
    event, person, question = owned
    payload = dict.fromkeys(FIELDS, value)
    for method, path, _ in ROUTES:
        if method != "POST" or path.endswith("/delete"):
            continue
        url = path.format(event=event.id, person=person.id, question=question.id)
        before = _counts(db_session)
        response = client.post(url, data=payload)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code >= 400:
            assert _counts(db_session) == before, url
    for url in ["/manage/new", *OPEN_FORMS]:
        assert client.post(url, data=payload).status_code < 500, url


@pytest.mark.parametrize(
    "path",
    [
        "/manage/abc",
        "/manage/99999999999999999999",
        "/manage/-1/edit",
        "/e/%00",
        "/e/" + "x" * 5000,
        "/invite/%ff",
    ],
)
def test_odd_urls_are_clean_404s(client, owned, path):
    assert client.get(path).status_code == 404


def test_repeated_fields_and_json_bodies_do_not_crash(client, owned):
    event, _, _ = owned
    response = client.post(
        f"/manage/{event.id}/agenda/new", data=MultiDict([("text", "One?"), ("text", "Two?")])
    )
    assert response.status_code in {302, 422}
    response = client.post(f"/manage/{event.id}/agenda/new", json={"text": ["not", "a", "string"]})
    assert response.status_code < 500


def test_oversized_body_is_refused_cleanly(client, owned):
    event, _, _ = owned
    response = client.post(f"/manage/{event.id}/agenda/new", data={"text": "x" * (3 * 1024 * 1024)})
    assert response.status_code == 413
