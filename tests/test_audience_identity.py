"""Audience identities are issued and signed by the server (issue 11, item 8): a client cannot invent a crowd
of voters, one network can mint only so many, and an answered question or an ended session takes no more
votes or reports."""

from __future__ import annotations

import secrets

import limits
import pytest
from sqlalchemy import func, select

from forum.access import TOKEN_COOKIE, new_token, token_hash
from forum.models import AudienceMember, QuestionVote
from forum.protocol import NAMESPACE
from tests.conftest import act, ask
from tests.identities import audience_token


def _cid() -> str:
    return secrets.token_hex(8)


@pytest.fixture
def room(make_live_event, live_client):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(live.moderator, "session.start")["ok"]
    assert act(live.moderator, "moderation.settings", {"premoderation": False})["ok"]
    asker = live_client({"event": live.event.slug, "audience": audience_token()})
    live.question_id = ask(asker, "Who decides what is taken down?")["result"]["question_id"]
    return live


def test_only_tokens_this_server_signed_are_identities():
    token = new_token("key")
    assert token_hash(token, "key") is not None
    assert token_hash(token, "another key") is None
    random_part, signature = token.split(".")
    assert token_hash(f"{random_part}.{signature[::-1]}", "key") is None
    assert token_hash(f"{secrets.token_urlsafe(24)}.{signature}", "key") is None
    assert token_hash(secrets.token_urlsafe(24), "key") is None  # the old, unsigned kind


def test_a_hundred_invented_identities_cast_no_vote(app, room, live_client, db_session):
    """The attack the issue measured: one address, 100 fresh self-made tokens, 100 upvotes accepted."""
    accepted = 0
    for n in range(100):
        # Half as clients made them before, half shaped like this server's tokens but signed by nobody.
        invented = (
            secrets.token_urlsafe(24) if n % 2 else f"{secrets.token_urlsafe(24)}.{secrets.token_urlsafe(32)}"
        )
        voter = live_client({"event": room.event.slug, "audience": invented})
        if voter.is_connected(NAMESPACE):
            ack = act(
                voter, "audience.vote", {"question_id": room.question_id, "up": True, "client_id": _cid()}
            )
            accepted += bool(ack.get("ok"))
    assert accepted == 0
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 0


def test_non_browser_clients_get_a_signed_identity_from_the_api(app, client, room, live_client):
    response = client.post("/api/audience-identity")
    assert response.status_code == 201 and response.headers["Cache-Control"] == "no-store"
    assert TOKEN_COOKIE not in (response.headers.get("Set-Cookie") or "")  # nothing changes in a browser
    token = response.get_json()["token"]
    assert token_hash(token, app.config["SECRET_KEY"]) is not None
    voter = live_client({"event": room.event.slug, "audience": token})
    ack = act(voter, "audience.vote", {"question_id": room.question_id, "up": True, "client_id": _cid()})
    assert ack["ok"], ack


def test_issuing_identities_is_limited_per_network(app, client, monkeypatch):
    monkeypatch.setitem(app.extensions["forum.rate_limits"].items, "identity", limits.parse("3/hour"))
    here = {"REMOTE_ADDR": "198.51.100.7"}
    for _ in range(3):
        assert client.post("/api/audience-identity", environ_base=here).status_code == 201
    refused = client.post("/api/audience-identity", environ_base=here)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited" and "new audience members" in error["message"]
    elsewhere = client.post("/api/audience-identity", environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert elsewhere.status_code == 201


def test_the_event_page_mints_within_the_limit_and_still_shows_past_it(app, make_live_event, monkeypatch):
    live = make_live_event()
    monkeypatch.setitem(app.extensions["forum.rate_limits"].items, "identity", limits.parse("1/hour"))
    first = app.test_client().get(f"/e/{live.event.slug}")
    assert first.status_code == 200 and TOKEN_COOKIE in first.headers["Set-Cookie"]
    second = app.test_client().get(f"/e/{live.event.slug}")
    assert second.status_code == 200
    assert TOKEN_COOKIE not in (second.headers.get("Set-Cookie") or "")
    assert "new audience members joined from your network" in second.get_data(as_text=True)


def test_a_returning_browser_keeps_its_identity_without_counting(app, make_live_event, monkeypatch):
    live = make_live_event()
    monkeypatch.setitem(app.extensions["forum.rate_limits"].items, "identity", limits.parse("1/hour"))
    browser = app.test_client()
    browser.get(f"/e/{live.event.slug}")
    for _ in range(3):
        again = browser.get(f"/e/{live.event.slug}")
        assert TOKEN_COOKIE not in (again.headers.get("Set-Cookie") or "")
        assert "new audience members" not in again.get_data(as_text=True)


def test_an_answered_question_takes_no_more_votes_or_reports(room, live_client, db_session):
    voter = live_client({"event": room.event.slug, "audience": audience_token()})
    vote = {"question_id": room.question_id, "up": True, "client_id": _cid()}
    assert act(voter, "audience.vote", vote)["ok"]
    answered = {"question_id": room.question_id, "answered": True}
    assert act(room.moderator, "moderation.answered", answered)["ok"]
    for name, payload in (
        ("audience.vote", {"question_id": room.question_id, "up": False, "client_id": _cid()}),
        ("audience.report", {"question_id": room.question_id, "reason": "spam", "client_id": _cid()}),
    ):
        latecomer = live_client({"event": room.event.slug, "audience": audience_token()})
        for who in (voter, latecomer):
            ack = act(who, name, payload | {"client_id": _cid()})
            assert ack["error"]["code"] == "question_answered", (name, ack)
            assert "answered" in ack["error"]["message"]
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 1
    # A retry of the vote accepted before the answer still gets its first result.
    assert act(voter, "audience.vote", vote)["ok"]


def test_the_answered_board_offers_no_vote_or_report(app, room, live_client):
    assert act(room.moderator, "moderation.answered", {"question_id": room.question_id, "answered": True})[
        "ok"
    ]
    page = app.test_client().get(f"/e/{room.event.slug}").get_data(as_text=True)
    assert f'id="vote-{room.question_id}"' not in page and f'id="report-{room.question_id}"' not in page


def test_votes_and_reports_are_refused_after_the_session_ends(room, live_client, db_session):
    voter = live_client({"event": room.event.slug, "audience": audience_token()})
    assert act(room.moderator, "session.end")["ok"]
    for name, payload in (
        ("audience.vote", {"question_id": room.question_id, "up": True}),
        ("audience.report", {"question_id": room.question_id, "reason": "spam"}),
    ):
        ack = act(voter, name, payload | {"client_id": _cid()})
        assert ack["error"]["code"] == "event_ended", (name, ack)
    assert db_session.scalar(select(func.count()).select_from(AudienceMember)) == 1  # only the asker
