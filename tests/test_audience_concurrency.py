"""Audience submissions that arrive twice at once, are retried, or come after the event is over.

Two tabs of one browser share its audience token. A double tap, both tabs acting together, or a retry
sent before the first answer came back must never surface as an error: the first action of a new
member creates that member once, and the same ``client_id`` lands once and answers the same both times.
Once the event has ended (or its record is published), every audience action is refused, whichever
door it comes through, and nothing is written.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from forum.access import TOKEN_COOKIE
from forum.boundary import unit_of_work
from forum.models import (
    AudienceMember,
    AudienceQuestion,
    Organizer,
    PollVote,
    QuestionReport,
    QuestionVote,
    SubmissionReceipt,
)
from forum.publishing import publishing
from tests.conftest import act
from tests.identities import audience_token, e2e_audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

ROUNDS = 6
DEADLINE = 30.0
ENDED = {"code": "event_ended", "message": "This event has ended; questions, votes and polls are closed."}


def cid() -> str:
    return secrets.token_hex(8)


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in parallel threads, released together by a barrier; their results, in order."""
    barrier = threading.Barrier(len(calls), timeout=DEADLINE)

    def released(call: Callable[[], Any]) -> Any:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(released, call) for call in calls]
        return [future.result(timeout=DEADLINE) for future in futures]


def count(db_session, model) -> int:
    db_session.rollback()  # a fresh look at what the server committed
    return db_session.scalar(select(func.count()).select_from(model))


def same_success(acks: list[dict[str, Any]]) -> dict[str, Any]:
    assert all(ack["ok"] for ack in acks), acks
    assert all(ack == acks[0] for ack in acks), acks
    return acks[0]["result"]


# What each retried action creates, and the payload of round ``n`` in a room with a question and a poll.
RETRIED = {
    "audience.ask": (AudienceQuestion, lambda room, n: {"text": f"Round {n}: is this asked once?"}),
    "audience.vote": (QuestionVote, lambda room, n: {"question_id": room.question_id, "up": True}),
    "poll.vote": (
        PollVote,
        lambda room, n: {"poll_id": room.poll["id"], "option_id": room.poll["options"][n % 2]["id"]},
    ),
}


# The real server (gevent) and real socket.io clients ------------------------------------------------------


@pytest.fixture
def server(database_url, tmp_path, make_live_event):
    live = make_live_event()
    running = LiveServer(database_url, tmp_path).start()
    running.live = live
    yield running
    running.stop()


@pytest.fixture
def browsers(server):
    """Factory: each call is a new browser with two tabs (connections) that share one audience token."""
    made: list[MirrorClient] = []

    def two_tabs() -> list[MirrorClient]:
        auth = {"event": server.live.event.slug, "audience": e2e_audience_token()}
        tabs = [MirrorClient(server.url, auth).connect() for _ in range(2)]
        made.extend(tabs)
        return tabs

    yield two_tabs
    for client in made:
        client.close()


@pytest.fixture
def running_room(server, browsers):
    """The session runs, questions appear without pre-moderation, one is on the board, a poll is open."""
    live = server.live
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    for name, payload in [
        ("session.start", {}),
        ("moderation.settings", {"premoderation": False}),
        ("poll.open", {}),
    ]:
        assert moderator.call(name, payload)["ok"]
    live.poll = moderator.call("sync")["result"]["polls"][-1]
    asker, _ = browsers()
    ack = asker.call("audience.ask", {"text": "Who moderates the moderators?", "client_id": cid()})
    assert ack["ok"], ack
    live.question_id = ack["result"]["question_id"]
    yield live
    moderator.close()


@pytest.mark.e2e
def test_two_tabs_of_a_new_member_asking_at_once_act_as_one_member(running_room, browsers, db_session):
    for n in range(ROUNDS):
        first, second = browsers()
        acks = at_once(
            partial(first.call, "audience.ask", {"text": f"Round {n}, first tab?", "client_id": cid()}),
            partial(second.call, "audience.ask", {"text": f"Round {n}, second tab?", "client_id": cid()}),
        )
        assert [ack["ok"] for ack in acks] == [True, True], acks
        asked = [ack["result"]["question_id"] for ack in acks]
        db_session.rollback()
        authors = set(
            db_session.scalars(select(AudienceQuestion.member_id).where(AudienceQuestion.id.in_(asked)))
        )
        assert len(authors) == 1, "both questions come from the same member"
    assert count(db_session, AudienceMember) == 1 + ROUNDS, "the room's first asker, then one per browser"
    assert count(db_session, AudienceQuestion) == 1 + 2 * ROUNDS


@pytest.mark.e2e
@pytest.mark.parametrize("name", list(RETRIED))
def test_the_same_submission_from_two_tabs_at_once_lands_once(running_room, browsers, db_session, name):
    model, payload_for = RETRIED[name]
    before = count(db_session, model)
    for n in range(ROUNDS):
        first, second = browsers()
        payload = {**payload_for(running_room, n), "client_id": cid()}
        same_success(at_once(partial(first.call, name, payload), partial(second.call, name, payload)))
    assert count(db_session, model) == before + ROUNDS, "each submission did its work exactly once"
    assert count(db_session, AudienceMember) == 1 + ROUNDS
    assert count(db_session, SubmissionReceipt) == 1 + ROUNDS


@pytest.mark.e2e
def test_a_retry_sent_while_the_first_is_running_gets_the_first_answer(running_room, browsers, db_session):
    """One tab, the same vote sent again and again without waiting: every answer is the first one."""
    tab, _ = browsers()
    payload = {"question_id": running_room.question_id, "up": True, "client_id": cid()}
    same_success(at_once(*[partial(tab.call, "audience.vote", payload) for _ in range(4)]))
    assert count(db_session, QuestionVote) == 1
    assert count(db_session, SubmissionReceipt) == 2  # the room's first question, this vote


# Real threads through the Socket.IO handlers (Flask-SocketIO's test client) ------------------------------


@pytest.fixture
def room(make_live_event, live_client):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(live.moderator, "session.start")["ok"]
    settings = {"premoderation": False, "report_threshold": 1000}  # reports from every round, none hide it
    assert act(live.moderator, "moderation.settings", settings)["ok"]
    live.poll_id = act(live.moderator, "poll.open")["result"]["poll_id"]
    live.poll = act(live.moderator, "sync")["result"]["polls"][-1]
    asker = live_client({"event": live.event.slug, "audience": audience_token()})
    live.question_id = act(asker, "audience.ask", {"text": "On the board?", "client_id": cid()})["result"][
        "question_id"
    ]
    return live


@pytest.mark.parametrize("name", list(RETRIED))
def test_threads_sending_one_submission_of_a_new_member_agree(room, live_client, db_session, name):
    model, payload_for = RETRIED[name]
    before = count(db_session, model)
    for n in range(ROUNDS):
        token = audience_token()
        tabs = [live_client({"event": room.event.slug, "audience": token}) for _ in range(3)]
        payload = {**payload_for(room, n), "client_id": cid()}
        same_success(at_once(*[partial(act, tab, name, payload) for tab in tabs]))
    assert count(db_session, model) == before + ROUNDS
    assert count(db_session, AudienceMember) == 1 + ROUNDS
    assert count(db_session, SubmissionReceipt) == 1 + ROUNDS


ONE_PER_MEMBER = {
    "audience.vote": (QuestionVote, lambda room: {"question_id": room.question_id, "up": True}),
    "audience.report": (
        QuestionReport,
        lambda room: {"question_id": room.question_id, "reason": "Off topic"},
    ),
    "poll.vote": (
        PollVote,
        lambda room: {"poll_id": room.poll_id, "option_id": room.poll["options"][0]["id"]},
    ),
}


@pytest.mark.parametrize("name", list(ONE_PER_MEMBER))
def test_threads_with_their_own_client_ids_count_once_per_member(room, live_client, db_session, name):
    """Two tabs each make their own client_id for one vote or report: it counts once, both are told so."""
    model, payload_for = ONE_PER_MEMBER[name]
    before = count(db_session, model)
    for _ in range(ROUNDS):
        token = audience_token()
        tabs = [live_client({"event": room.event.slug, "audience": token}) for _ in range(2)]
        # A member who took part before: nothing but the vote or report itself is left to race on.
        unvote = {"question_id": room.question_id, "up": False, "client_id": cid()}
        assert act(tabs[0], "audience.vote", unvote)["ok"]
        same_success(
            at_once(*[partial(act, tab, name, {**payload_for(room), "client_id": cid()}) for tab in tabs])
        )
    assert count(db_session, model) == before + ROUNDS
    assert count(db_session, AudienceMember) == 1 + ROUNDS


@pytest.mark.parametrize("name", list(ONE_PER_MEMBER))
def test_three_tabs_of_a_new_member_with_their_own_client_ids_are_one_member(
    room, live_client, db_session, name
):
    """A browser's first action, from three tabs at once, each with its own client_id: one member, one vote
    or report. (On PostgreSQL a vote creates its member in the statement that casts it; a tab that finds
    another tab creating the same member waits for it and casts again.)"""
    model, payload_for = ONE_PER_MEMBER[name]
    members, before = count(db_session, AudienceMember), count(db_session, model)
    for _ in range(ROUNDS):
        token = audience_token()
        tabs = [live_client({"event": room.event.slug, "audience": token}) for _ in range(3)]
        same_success(
            at_once(*[partial(act, tab, name, {**payload_for(room), "client_id": cid()}) for tab in tabs])
        )
    assert count(db_session, model) == before + ROUNDS
    assert count(db_session, AudienceMember) == members + ROUNDS


# After the event --------------------------------------------------------------------------------

AUDIENCE_ACTIONS = [
    "audience.ask",
    "audience.edit",
    "audience.withdraw",
    "audience.vote",
    "audience.report",
    "poll.vote",
]


def payload_after(name: str, finished: SimpleNamespace) -> dict[str, Any]:
    """A payload that would be accepted while the event runs."""
    return {
        "audience.ask": {"text": "Is it too late to ask?", "client_id": cid()},
        "audience.edit": {"question_id": finished.own_question_id, "text": "Reworded after the end?"},
        "audience.withdraw": {"question_id": finished.own_question_id},
        "audience.vote": {"question_id": finished.board_question_id, "up": True, "client_id": cid()},
        "audience.report": {"question_id": finished.board_question_id, "reason": "Late", "client_id": cid()},
        "poll.vote": {"poll_id": finished.poll_id, "option_id": finished.option_id, "client_id": cid()},
    }[name]


def what_is_stored(db_session) -> dict[str, Any]:
    db_session.rollback()
    return {
        "rows": {
            model.__name__: count(db_session, model)
            for model in (
                AudienceMember,
                AudienceQuestion,
                QuestionVote,
                QuestionReport,
                PollVote,
                SubmissionReceipt,
            )
        },
        "questions": [
            (q.id, q.status, q.text)
            for q in db_session.scalars(select(AudienceQuestion).order_by(AudienceQuestion.id))
        ],
    }


def finish(app, live: SimpleNamespace, how: str) -> None:
    """End the session; for ``published``, publish its record as well."""
    assert act(live.moderator, "session.end")["ok"]
    if how == "published":
        with app.app_context(), unit_of_work() as session:
            publishing.publish(session, session.get(Organizer, live.organizer.id), live.event.id)


@pytest.fixture
def before_the_end(make_live_event, live_client):
    """A running room where the member behind ``tab`` has a question waiting, and may vote and report."""
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(live.moderator, "session.start")["ok"]
    live.poll_id = act(live.moderator, "poll.open")["result"]["poll_id"]
    live.option_id = act(live.moderator, "sync")["result"]["polls"][-1]["options"][0]["id"]
    other = live_client({"event": live.event.slug, "audience": audience_token()})
    live.board_question_id = act(other, "audience.ask", {"text": "On the board?", "client_id": cid()})[
        "result"
    ]["question_id"]
    assert act(live.moderator, "moderation.approve", {"question_id": live.board_question_id})["ok"]
    live.tab = live_client({"event": live.event.slug, "audience": audience_token()})
    live.own_question_id = act(live.tab, "audience.ask", {"text": "Still waiting?", "client_id": cid()})[
        "result"
    ]["question_id"]
    return live


@pytest.mark.parametrize("how", ["ended", "published"])
@pytest.mark.parametrize("name", AUDIENCE_ACTIONS)
def test_after_the_event_every_audience_action_is_refused(app, before_the_end, db_session, name, how):
    finish(app, before_the_end, how)
    stored = what_is_stored(db_session)
    ack = act(before_the_end.tab, name, payload_after(name, before_the_end))
    assert ack == {"ok": False, "error": ENDED}
    assert what_is_stored(db_session) == stored


@pytest.mark.parametrize("how", ["ended", "published"])
@pytest.mark.parametrize("name", AUDIENCE_ACTIONS)
def test_after_the_event_a_newcomer_is_refused_and_leaves_no_trace(
    app, before_the_end, live_client, db_session, name, how
):
    finish(app, before_the_end, how)
    stored = what_is_stored(db_session)
    newcomer = live_client({"event": before_the_end.event.slug, "audience": audience_token()})
    assert act(newcomer, name, payload_after(name, before_the_end)) == {"ok": False, "error": ENDED}
    assert what_is_stored(db_session) == stored, "not even an audience member row"


@pytest.mark.parametrize("how", ["ended", "published"])
@pytest.mark.parametrize("name", AUDIENCE_ACTIONS)
def test_after_the_event_plain_form_posts_are_refused(
    app, make_live_event, live_client, db_session, name, how
):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    browser = app.test_client()
    browser.set_cookie(TOKEN_COOKIE, audience_token())  # what the event page hands out

    def post(action: str, data: dict[str, Any]) -> tuple[int, list[tuple[str, str]]]:
        """Post a form as a browser without JavaScript would; the answer and the messages it carries."""
        form = {key: ("true" if value is True else str(value)) for key, value in data.items()}
        response = browser.post(f"/e/{live.event.slug}/act/{action}", data=form)
        assert response.location.startswith(f"/e/{live.event.slug}")
        with browser.session_transaction() as cookie_session:
            return response.status_code, cookie_session.pop("_flashes", [])

    assert act(live.moderator, "session.start")["ok"]
    live.poll_id = act(live.moderator, "poll.open")["result"]["poll_id"]
    live.option_id = act(live.moderator, "sync")["result"]["polls"][-1]["options"][0]["id"]
    for text in ("Still waiting?", "On the board?"):
        status, flashes = post("audience.ask", {"text": text, "client_id": cid()})
        assert (status, [category for category, _ in flashes]) == (303, ["success"]), flashes
    db_session.rollback()
    live.own_question_id, live.board_question_id = db_session.scalars(
        select(AudienceQuestion.id).order_by(AudienceQuestion.id)
    ).all()
    assert act(live.moderator, "moderation.approve", {"question_id": live.board_question_id})["ok"]
    finish(app, live, how)
    stored = what_is_stored(db_session)
    assert post(name, payload_after(name, live)) == (303, [("error", ENDED["message"])])
    assert what_is_stored(db_session) == stored


@pytest.mark.parametrize("how", ["ended", "published"])
def test_a_retry_after_the_end_of_a_submission_made_before_gets_its_first_answer(
    app, before_the_end, db_session, how
):
    """The answer to a question sent just before the end was lost; the retry is told it was received."""
    payload = {"text": "Just in time?", "client_id": cid()}
    first = act(before_the_end.tab, "audience.ask", payload)
    assert first["ok"]
    finish(app, before_the_end, how)
    stored = what_is_stored(db_session)
    assert act(before_the_end.tab, "audience.ask", payload) == first
    assert act(before_the_end.tab, "audience.ask", {**payload, "client_id": cid()}) == {
        "ok": False,
        "error": ENDED,
    }
    assert what_is_stored(db_session) == stored
