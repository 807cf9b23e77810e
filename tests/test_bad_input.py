"""Hostile and malformed input: a clear 4xx every time, never a 500, never a half-saved record."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from forum.models import AgendaQuestion, Event, EventStatus, HostOrganisation, Participant, TranscriptVersion
from tests.conftest import ORGANIZER_ROUTES as ROUTES
from tests.identities import audience_token

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


def test_text_xml_cannot_carry_never_reaches_the_feed(app, client, owned, db_session):
    """U+FFFE, U+FFFF and lone surrogates are dropped from whatever people type; text stored before that
    (written straight into the database here) still cannot break the Atom feed for the whole site."""
    import xml.etree.ElementTree as ET

    from forum.fields import clean_text

    assert clean_text("Title\ufffe\uffff \ud800here", field="t", label="T", max_length=50) == "Title here"
    event = db_session.get(Event, owned[0].id)
    event.title = "Forbidden \ufffe title"
    event.status = EventStatus.PUBLISHED
    db_session.add(
        TranscriptVersion(
            event_id=event.id,
            number=1,
            content={},
            published_at=event.starts_at,
            published_by=event.organizer_id,
        )
    )
    db_session.commit()
    feed = client.get("/archive/feed.atom")
    assert feed.status_code == 200
    titles = [e.text for e in ET.fromstring(feed.get_data()).iter("{http://www.w3.org/2005/Atom}title")]
    assert "Forbidden  title" in titles


def test_lone_surrogates_over_the_socket_are_dropped_not_a_server_error(app, make_live_event, live_client):
    from tests.conftest import act, ask

    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(moderator, "session.start")["ok"]
    audience = live_client({"event": live.event.slug, "audience": audience_token()})
    answer = ask(audience, "Half a pair \ud83d here", display_name="\udfff")
    assert answer["ok"], answer


def test_database_errors_never_show_the_values_they_were_given(database_url):
    """Statement parameters hold token hashes, member and client ids: a failed statement's message (which
    reaches the logs) shows the SQL but not the values."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    from forum.db import make_engine

    engine = make_engine(database_url)
    secret = "f" * 64
    try:
        with engine.begin() as connection, pytest.raises(IntegrityError) as failed:
            connection.execute(
                text(
                    "INSERT INTO organizers (id, email, display_name, password_hash) VALUES (:i, :e, :n, :p)"
                ),
                [{"i": 1, "e": secret, "n": "a", "p": "x"}, {"i": 1, "e": secret, "n": "b", "p": "y"}],
            )
        message = str(failed.value)
        assert "hidden" in message
        assert secret not in message  # nor in PostgreSQL's DETAIL line, which names a duplicate key's value
        # Still the same error for the code that handles it.
        assert str(getattr(failed.value.orig, "sqlstate", "23")).startswith("23")  # integrity violation
    finally:
        engine.dispose()


def test_a_payload_nested_a_thousand_deep_gets_a_clear_refusal(app, make_live_event, live_client):
    """JSON too deep for the decoder is answered like any other malformed payload, not left without ack."""
    live = make_live_event()
    audience = live_client({"event": live.event.slug, "audience": audience_token()})
    audience.get_received("/live")
    packet = '2/live,7["audience.ask",' + "[" * 5000 + "]" * 5000 + "]"
    audience.socketio.server._handle_eio_message(audience.eio_sid, packet)
    ack = audience.acks
    assert ack is not None, "no acknowledgement came"
    assert ack["args"][0]["error"]["code"] == "bad_payload"
    assert audience.is_connected("/live")
