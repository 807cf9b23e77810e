"""The home page shows what a newcomer can join or read; ``/j/<code>`` is the projector's short join link."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sa_event

from forum.boundary import unit_of_work
from forum.db import utcnow
from forum.events import events
from forum.models import Organizer
from forum.publishing import publishing


def _section(page: str, section_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{section_id}".*?</section>', page, re.S)
    assert match, f"the home page has no {section_id} section"
    return match.group(0)


def _local(days: float, zone: str = "Asia/Seoul") -> datetime:
    """A wall-clock time ``days`` from now at the venue, as the event form takes it."""
    return (
        (utcnow() + timedelta(days=days))
        .astimezone(ZoneInfo(zone))
        .replace(tzinfo=None, second=0, microsecond=0)
    )


@pytest.fixture
def start_session(app):
    """Start an event's live session with the moderator's invitation link, as the console's form does."""

    def start(live) -> None:
        response = app.test_client().post(f"/invite/{live.tokens['moderator']}/live/session.start")
        assert response.status_code == 303

    return start


@pytest.fixture
def publish(app):
    """Publish an event's record through the publishing service."""

    def do_publish(event) -> None:
        with app.app_context(), unit_of_work() as session:
            publishing.publish(session, session.get(Organizer, event.organizer_id), event.id)

    return do_publish


def test_empty_site_explains_each_section(client):
    page = client.get("/").get_data(as_text=True)
    assert "No debate is live right now." in _section(page, "live-now")
    assert "No debate is scheduled yet." in _section(page, "upcoming")
    assert "No record has been published yet." in _section(page, "latest-records")
    assert 'name="code"' in _section(page, "join")
    assert 'href="/auth/signin"' in page and 'href="/auth/signup"' in page


def test_home_lists_live_upcoming_and_published_events_but_never_drafts(
    client, make_live_event, make_event, start_session, publish
):
    live = make_live_event(title="The live debate", starts_at_local=_local(0))
    start_session(live)
    later = make_live_event(
        title="The later debate", starts_at_local=_local(9, "Europe/Berlin"), timezone="Europe/Berlin"
    )
    make_live_event(title="The sooner debate", starts_at_local=_local(2))
    done = make_live_event(title="The published debate", starts_at_local=_local(-30))
    publish(done.event)
    make_event(title="A secret draft", starts_at_local=_local(1))

    page = client.get("/").get_data(as_text=True)
    assert "A secret draft" not in page

    live_now = _section(page, "live-now")
    assert "The live debate" in live_now
    assert f'href="/e/{live.event.slug}"' in live_now
    assert live.event.join_code in live_now
    assert "The sooner debate" not in live_now and "The published debate" not in live_now

    upcoming = _section(page, "upcoming")
    assert upcoming.index("The sooner debate") < upcoming.index("The later debate"), "soonest first"
    assert "The live debate" not in upcoming and "The published debate" not in upcoming
    berlin = later.event.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    clock = f"{berlin:%I:%M}".lstrip("0") + f"\u202f{berlin:%p}"  # CLDR puts a narrow space before AM/PM
    assert f"{clock} (Central European" in upcoming, "the time at the venue, with its zone named"
    assert 'title="Europe/Berlin"' in upcoming
    assert "People Outraged by the Nth Room Incident" in upcoming

    records = _section(page, "latest-records")
    assert f'href="/archive/{done.event.slug}"' in records and "The published debate" in records
    assert "The live debate" not in records


def test_scheduled_events_whose_time_passed_long_ago_are_not_upcoming(client, make_live_event):
    make_live_event(title="Forgotten debate", starts_at_local=_local(-3))
    make_live_event(title="Running late debate", starts_at_local=_local(-0.1))
    upcoming = _section(client.get("/").get_data(as_text=True), "upcoming")
    assert "Running late debate" in upcoming
    assert "Forgotten debate" not in upcoming


def test_latest_records_put_the_most_recent_publication_first_and_are_bounded(app, make_live_event, publish):
    first = make_live_event(title="Published first")
    second = make_live_event(title="Published second")
    third = make_live_event(title="Published third")
    for live in (first, second, third):
        publish(live.event)
    with app.app_context(), unit_of_work() as session:
        listings = events.public_listings(session, utcnow(), limit=2)
        assert [e.title for e in listings.records] == ["Published third", "Published second"]


def test_home_page_queries_do_not_grow_with_the_number_of_events(app, client, make_live_event, publish):
    def count_queries() -> int:
        statements = []
        engine = app.extensions["forum.db"].engine

        def record(*args):
            statements.append(args[2])

        sa_event.listen(engine, "before_cursor_execute", record)
        try:
            assert client.get("/").status_code == 200
        finally:
            sa_event.remove(engine, "before_cursor_execute", record)
        return len([s for s in statements if s.lstrip().upper().startswith("SELECT")])

    publish(make_live_event(title="One record").event)
    make_live_event(title="One upcoming", starts_at_local=_local(3))
    client.get("/")  # anything done once per process is not what this counts
    few = count_queries()
    for n in range(3):
        publish(make_live_event(title=f"Record {n}").event)
        make_live_event(title=f"Upcoming {n}", starts_at_local=_local(4 + n))
    assert count_queries() == few


def test_home_page_styles_are_served(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/static/css/home.css"' in page
    assert ".home-grid" in client.get("/static/css/home.css").get_data(as_text=True)


# Short join links: /j/<code>


@pytest.mark.parametrize("typed", ["{code}", "{lower}", " {lower} ", "{first}-{rest}"])
def test_short_join_link_opens_the_event(client, make_live_event, typed):
    live = make_live_event()
    code = live.event.join_code
    path = "/j/" + typed.format(code=code, lower=code.lower(), first=code[:3], rest=code[3:])
    response = client.get(path)
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith(f"/e/{live.event.slug}")
    assert client.get(response.headers["Location"]).status_code == 200


def test_short_join_link_with_unknown_code_goes_to_the_join_box_with_a_message(client):
    response = client.get("/j/ZZZZZZ")
    assert response.status_code in (302, 303)
    assert response.headers["Location"].endswith("#join")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "No event has the code “ZZZZZZ”." in page
    assert 'value="ZZZZZZ"' in _section(page, "join"), "the code is kept in the box to correct"


def test_short_join_link_does_not_reveal_a_draft(client, make_event):
    draft = make_event(title="Not announced yet")
    response = client.get(f"/j/{draft.join_code}", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"No event has the code “{draft.join_code}”." in page
    assert "Not announced yet" not in page


@pytest.mark.parametrize("path", ["/j/", "/j/%00%27;drop", "/j/" + "X" * 300, "/j/a/b"])
def test_short_join_link_with_nonsense_is_a_friendly_page(client, path):
    response = client.get(path, follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "No event has the code" in page or "This link has no event code." in page


def test_short_join_endpoint_name(app, make_live_event):
    live = make_live_event()
    with app.test_request_context():
        from flask import url_for

        assert url_for("site.short_join", code=live.event.join_code) == f"/j/{live.event.join_code}"


def test_a_live_event_leaves_upcoming_for_live_now(client, make_live_event, start_session):
    live = make_live_event(title="About to start", starts_at_local=_local(0.5))
    assert "About to start" in _section(client.get("/").get_data(as_text=True), "upcoming")
    start_session(live)
    page = client.get("/").get_data(as_text=True)
    assert "About to start" in _section(page, "live-now")
    assert "About to start" not in _section(page, "upcoming")


@pytest.mark.parametrize("door", ["/j/{code}", "/join?code={code}"])
def test_join_codes_cannot_be_guessed_one_after_another(app, make_live_event, door):
    """Wrong codes count against the network (both doors share one limit); once it is reached even the
    right code waits, with a 429 and Retry-After. Right codes never count: a whole room joins from one
    address."""
    import limits

    live = make_live_event()
    app.extensions["forum.rate_limits"].items["join"] = limits.parse("5/minute")
    room = app.test_client()
    for _ in range(12):
        assert (
            room.get(door.format(code=live.event.join_code))
            .headers["Location"]
            .endswith(f"/e/{live.event.slug}")
        )
    guesser = app.test_client()
    for n in range(5):
        assert guesser.get(door.format(code=f"ZZZZZ{n}")).status_code == 303
    refused = guesser.get(door.format(code=live.event.join_code))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "wrong event codes" in refused.get_data(as_text=True)
    other_door = "/join?code={code}" if door.startswith("/j/") else "/j/{code}"
    assert guesser.get(other_door.format(code="ZZZZZ9")).status_code == 429
