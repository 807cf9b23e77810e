"""The organizer's event day: the overview's stage and next step, and asking before anything is destroyed."""

from __future__ import annotations

import html
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest

from forum import access
from forum.audience import asking, moderation
from forum.boundary import unit_of_work
from forum.live import proceedings
from forum.models import AgendaQuestion, AudienceQuestion, Event, EventStatus, Organizer, Participant
from forum.models.audience import QuestionStatus
from forum.publishing import publishing
from tests.conftest import DEFAULT_PASSWORD


def _actor(session, live):
    return access.organizer_actor(
        session.get(Organizer, live.organizer.id), session.get(Event, live.event.id)
    )


def _run_session(app, live, *, audience_question: bool = False) -> None:
    """Start and end the live session, optionally with one approved audience question on the board."""
    with app.app_context(), unit_of_work() as session:
        actor = _actor(session, live)
        proceedings.start_session(session, actor)
        if audience_question:
            moderation.update_settings(session, actor, premoderation=False)
            member = access.Actor(
                event_id=live.event.id, role="audience", audience_token_hash=secrets.token_hex(32)
            )
            live.audience_question = asking.ask(
                session,
                member,
                text="Who decides what is illegal content?",
                display_name="Minji",
                about_current=True,
                client_id="ask-00001",
            )["question_id"]
        proceedings.end_session(session, actor)


def _publish(app, live) -> None:
    with app.app_context(), unit_of_work() as session:
        publishing.publish(session, session.get(Organizer, live.organizer.id), live.event.id)


# --- the overview shows one stage and what to do next ---------------------------------------------------


def _next_steps(page: str) -> list[tuple[str, str, str]]:
    """The overview's next-step calls to action: (css classes, address, label)."""
    found = re.findall(r'<a class="([^"]+)" data-next-step href="([^"]+)">([^<]+)</a>', page)
    return [(classes, html.unescape(href), label) for classes, href, label in found]


def _current_stage(page: str) -> str:
    stages = re.findall(r'<li class="stage stage-current" aria-current="step">\s*(\w+)', page)
    assert len(stages) == 1, "exactly one stage is current"
    return stages[0]


@pytest.fixture
def day(app, client, login, make_live_event):
    """A scheduled event with panel, agenda and links; the client is signed in as its organizer."""
    live = make_live_event()
    login(live.organizer)
    return live


def test_draft_shows_what_is_missing_and_no_event_day_step(client, make_organizer, login, make_event):
    organizer = make_organizer()
    login(organizer)
    event = make_event(organizer)
    page = client.get(f"/manage/{event.id}").get_data(as_text=True)
    assert _current_stage(page) == "Draft"
    assert _next_steps(page) == []
    assert "Before you can schedule this event:" in page and "Name a moderator." in page


def test_scheduled_event_leads_to_the_moderator_console(client, day):
    page = client.get(f"/manage/{day.event.id}").get_data(as_text=True)
    assert _current_stage(page) == "Scheduled"
    assert _next_steps(page) == [
        ("button primary", f"/manage/{day.event.id}/live", "Open the moderator console")
    ]
    assert "Review and publish" not in page
    assert client.get(f"/manage/{day.event.id}/live").status_code == 200


def test_live_event_leads_to_the_live_room(app, client, day):
    with app.app_context(), unit_of_work() as session:
        proceedings.start_session(session, _actor(session, day))
    page = client.get(f"/manage/{day.event.id}").get_data(as_text=True)
    assert _current_stage(page) == "Live"
    assert _next_steps(page) == [("button primary", f"/manage/{day.event.id}/live", "Go to the live room")]


def test_ended_event_leads_prominently_to_review_and_publish(app, client, day):
    _run_session(app, day)
    page = client.get(f"/manage/{day.event.id}").get_data(as_text=True)
    assert _current_stage(page) == "Ended"
    assert _next_steps(page) == [
        ("button primary big", f"/manage/{day.event.id}/record", "Review and publish")
    ]
    editor = client.get(f"/manage/{day.event.id}/record")
    assert editor.status_code == 200 and "Review and publish the record" in editor.get_data(as_text=True)


def test_published_event_links_to_the_record_and_to_corrections(app, client, day):
    _run_session(app, day)
    _publish(app, day)
    page = client.get(f"/manage/{day.event.id}").get_data(as_text=True)
    assert _current_stage(page) == "Published"
    assert _next_steps(page) == [
        ("button primary", f"/archive/{day.event.slug}", "Read the published record")
    ]
    assert f'href="/manage/{day.event.id}/record">Make corrections</a>' in page
    assert client.get(f"/archive/{day.event.slug}").status_code == 200


def test_stages_before_the_current_one_are_marked_done(app, client, day):
    _run_session(app, day)
    page = client.get(f"/manage/{day.event.id}").get_data(as_text=True)
    order = re.findall(r'<li class="stage (stage-\w+)"', page)
    assert order == ["stage-done", "stage-done", "stage-done", "stage-current", "stage-upcoming"]


# --- destructive actions ask first, on the server too -----------------------------------------------------


@dataclass
class Destructive:
    """One destructive action: where its button is, where it posts, what it asks, and whether it happened."""

    page: str
    url: str
    data: dict[str, str]
    question: str
    cancel: str
    happened: Callable[[Any], bool]


def _gone(model: type, key: int) -> Callable[[Any], bool]:
    return lambda db: db.get(model, key) is None


def _link_refused(app, token: str) -> Callable[[Any], bool]:
    return lambda _db: app.test_client().get(f"/invite/{token}").status_code == 404


def _remove_participant(app, s) -> Destructive:
    hong = s.people["hong"]
    return Destructive(
        page=f"/manage/{s.event.id}",
        url=f"/manage/{s.event.id}/panel/{hong.id}/delete",
        data={},
        question="Remove Hong Myeong-gyo from the panel?",
        cancel=f"/manage/{s.event.id}#panel",
        happened=_gone(Participant, hong.id),
    )


def _delete_question(app, s) -> Destructive:
    first = s.questions[0]
    return Destructive(
        page=f"/manage/{s.event.id}",
        url=f"/manage/{s.event.id}/agenda/{first.id}/delete",
        data={},
        question="Delete question 1?",
        cancel=f"/manage/{s.event.id}#agenda",
        happened=_gone(AgendaQuestion, first.id),
    )


def _delete_draft_event(app, s) -> Destructive:
    return Destructive(
        page=f"/manage/{s.draft.id}",
        url=f"/manage/{s.draft.id}/delete",
        data={},
        question="Delete “A draft to throw away” and everything in it?",
        cancel=f"/manage/{s.draft.id}",
        happened=_gone(Event, s.draft.id),
    )


def _revoke_link(app, s) -> Destructive:
    return Destructive(
        page=f"/manage/{s.event.id}",
        url=f"/manage/{s.event.id}/panel/{s.people['kimmy'].id}/invitation/revoke",
        data={},
        question="Revoke the invitation link of Oh Kyoungmi?",
        cancel=f"/manage/{s.event.id}#panel",
        happened=_link_refused(app, s.tokens["kimmy"]),
    )


def _replace_one_link(app, s) -> Destructive:
    return Destructive(
        page=f"/manage/{s.event.id}",
        url=f"/manage/{s.event.id}/panel/{s.people['scribe'].id}/invitation",
        data={},
        question="Replace the invitation link of Note Taker?",
        cancel=f"/manage/{s.event.id}#panel",
        happened=_link_refused(app, s.tokens["scribe"]),
    )


def _renew_all_links(app, s) -> Destructive:
    return Destructive(
        page=f"/manage/{s.event.id}",
        url=f"/manage/{s.event.id}/invitations",
        data={"renew": "1"},
        question="Renew everyone's invitation link?",
        cancel=f"/manage/{s.event.id}#panel",
        happened=_link_refused(app, s.tokens["moderator"]),
    )


def _unpublish(app, s) -> Destructive:
    def happened(db) -> bool:
        db.expire_all()
        return db.get(Event, s.event.id).status == EventStatus.ENDED

    return Destructive(
        page=f"/manage/{s.event.id}/record",
        url=f"/manage/{s.event.id}/record/unpublish",
        data={},
        question="Take the record off the archive?",
        cancel=f"/manage/{s.event.id}/record#publish",
        happened=happened,
    )


def _remove_audience_question(app, s) -> Destructive:
    def happened(db) -> bool:
        db.expire_all()
        return db.get(AudienceQuestion, s.audience_question).status == QuestionStatus.REJECTED

    return Destructive(
        page=f"/manage/{s.event.id}/record",
        url=f"/manage/{s.event.id}/record/audience/{s.audience_question}/remove",
        data={},
        question="Remove this audience question from the board and the record?",
        cancel=f"/manage/{s.event.id}/record#audience",
        happened=happened,
    )


# (name, how to set it up, whether the session must have run and the record be published)
DESTRUCTIVE = [
    ("remove participant", _remove_participant, False),
    ("delete question", _delete_question, False),
    ("delete draft event", _delete_draft_event, False),
    ("revoke link", _revoke_link, False),
    ("replace one link", _replace_one_link, False),
    ("renew all links", _renew_all_links, False),
    ("unpublish", _unpublish, True),
    ("remove audience question", _remove_audience_question, True),
]


@pytest.fixture
def scene(app, make_live_event, make_event, make_participant):
    """Build the event one destructive action needs and describe that action."""

    def build(arrange: Callable[..., Destructive], published: bool) -> tuple[SimpleNamespace, Destructive]:
        live = make_live_event()
        live.draft = make_event(live.organizer, title="A draft to throw away")
        make_participant(live.draft, "Someone")
        if published:
            _run_session(app, live, audience_question=True)
            _publish(app, live)
        return live, arrange(app, live)

    return build


def _form_tag(page: str, url: str) -> str:
    tags = re.findall(r'<form\b[^>]*\baction="' + re.escape(url) + r'"[^>]*>', page, re.S)
    assert len(tags) == 1, f"one form posts to {url}"
    return tags[0]


@pytest.mark.parametrize(
    ("arrange", "published"), [(a, p) for _, a, p in DESTRUCTIVE], ids=[n for n, _, _ in DESTRUCTIVE]
)
def test_destructive_action_asks_first_and_acts_only_when_confirmed(
    client, login, db_session, scene, arrange, published
):
    live, action = scene(arrange, published)
    login(live.organizer)

    # With JavaScript, the button's form carries the question confirm.js asks.
    tag = _form_tag(client.get(action.page).get_data(as_text=True), action.url)
    asked_in_browser = re.search(r'data-confirm="([^"]*)"', tag)
    assert asked_in_browser and html.unescape(asked_in_browser.group(1)) == action.question

    # Without it, the first post only asks: a page with the same form plus confirmed=1, and a way back.
    response = client.post(action.url, data=action.data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    heading = re.search(r'<h1 id="confirm-question">(.*?)</h1>', page)
    assert heading and html.unescape(heading.group(1)) == action.question
    confirm_form = _form_tag(page, action.url)
    assert "data-confirm" not in confirm_form, "the page that asks does not ask again"
    assert '<input type="hidden" name="confirmed" value="1">' in page
    for name, value in action.data.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page
    assert f'<a class="button secondary" href="{action.cancel}">Cancel</a>' in page
    assert response.headers["Cache-Control"] == "no-store"
    assert not action.happened(db_session), "nothing happens before the person confirms"

    confirmed = client.post(action.url, data={**action.data, "confirmed": "1"})
    assert confirmed.status_code in {200, 302, 303}
    assert action.happened(db_session)


@pytest.mark.parametrize(
    ("arrange", "published"), [(a, p) for _, a, p in DESTRUCTIVE], ids=[n for n, _, _ in DESTRUCTIVE]
)
def test_strangers_are_not_asked_but_refused(app, make_organizer, db_session, scene, arrange, published):
    _live, action = scene(arrange, published)
    stranger = app.test_client()
    intruder = make_organizer()
    stranger.post("/auth/signin", data={"email": intruder.email, "password": DEFAULT_PASSWORD})
    for data in (action.data, {**action.data, "confirmed": "1"}):
        response = stranger.post(action.url, data=data)
        assert response.status_code == 404
        assert html.escape(action.question, quote=False) not in response.get_data(as_text=True)
    assert not action.happened(db_session)


def test_a_value_other_than_1_is_not_a_confirmation(client, login, db_session, scene):
    live, action = scene(_remove_participant, False)
    login(live.organizer)
    for value in ["", "0", "yes", "1 ", "11"]:
        assert client.post(action.url, data={"confirmed": value}).status_code == 200
    assert not action.happened(db_session)
