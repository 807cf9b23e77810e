"""A vote on PostgreSQL is one statement (issue 12's vote storm): the receipt's claim, the question's read and
the vote's write run together, and the room's rules are checked on what that statement read. These tests hold
that path to the same rules as SQLite's, where the three run one after another: a refused vote leaves no
receipt and no vote, a retry sets nothing again, and another event's question is never touched."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from forum.models import AudienceMember, QuestionVote, SubmissionReceipt
from tests.conftest import act, ask
from tests.identities import audience_token
from tests.sql_watch import statements_during


def _cid() -> str:
    return secrets.token_hex(8)


@pytest.fixture
def room(make_live_event, live_client):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(live.moderator, "session.start")["ok"]
    live.voter = live_client({"event": live.event.slug, "audience": audience_token()})
    return live


def _counts(db_session, client_id: str | None = None) -> tuple[int, int]:
    db_session.rollback()  # a fresh snapshot: what the live actions have committed since
    receipts = select(func.count()).select_from(SubmissionReceipt)
    if client_id is not None:
        receipts = receipts.where(SubmissionReceipt.client_id == client_id)
    return db_session.scalar(receipts), db_session.scalar(select(func.count()).select_from(QuestionVote))


def test_a_vote_is_one_statement_on_postgresql(app, room, live_client, db_session):
    """Also a member's first vote, which creates the member."""
    assert act(room.moderator, "moderation.settings", {"premoderation": False})["ok"]
    first, second = (ask(room.voter, text)["result"]["question_id"] for text in ("Who decides?", "And how?"))
    newcomer = live_client({"event": room.event.slug, "audience": audience_token()})
    postgres = app.extensions["forum.db"].engine.dialect.name == "postgresql"
    for who, question_id, up, on_sqlite in (
        (newcomer, first, True, 6),  # member (find, create, find again), receipt, question, vote
        (room.voter, first, True, 4),  # member, receipt, question, vote
        (room.voter, second, True, 4),
        (room.voter, first, False, 4),
    ):
        payload = {"question_id": question_id, "up": up, "client_id": _cid()}
        statements, ack = statements_during(app, lambda w=who, p=payload: act(w, "audience.vote", p))
        assert ack["ok"], ack
        assert len(statements) == (1 if postgres else on_sqlite), statements
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(AudienceMember)) == 2
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 2


def test_a_refused_vote_leaves_nothing_and_its_retry_is_judged_afresh(room, db_session):
    """Premoderation: the question waits, so a vote on it is refused; once approved, the same submission
    (its client id) is taken, because the refusal kept no receipt."""
    asker_question = ask(room.voter, "Is this waiting?")["result"]["question_id"]
    vote = {"question_id": asker_question, "up": True, "client_id": _cid()}
    refused = act(room.voter, "audience.vote", vote)
    assert refused["error"]["code"] == "not_found", refused
    assert _counts(db_session, vote["client_id"]) == (0, 0)
    assert act(room.moderator, "moderation.approve", {"question_id": asker_question})["ok"]
    accepted = act(room.voter, "audience.vote", vote)
    assert accepted["ok"] and accepted["result"] == {"question_id": asker_question, "up": True}
    assert _counts(db_session, vote["client_id"]) == (1, 1)


def test_a_retried_vote_sets_nothing_again(room, db_session):
    """Up, then down, then the first submission again (a retry after a lost answer): it gets its first
    answer and the vote stays taken back."""
    assert act(room.moderator, "moderation.settings", {"premoderation": False})["ok"]
    question_id = ask(room.voter, "Who decides?")["result"]["question_id"]
    up = {"question_id": question_id, "up": True, "client_id": _cid()}
    assert act(room.voter, "audience.vote", up)["ok"]
    down = {"question_id": question_id, "up": False, "client_id": _cid()}
    assert act(room.voter, "audience.vote", down)["ok"]
    assert _counts(db_session)[1] == 0
    again = act(room.voter, "audience.vote", up)
    assert again["ok"] and again["result"] == {"question_id": question_id, "up": True}
    assert _counts(db_session)[1] == 0


def test_a_vote_on_another_events_question_touches_nothing(room, make_live_event, live_client, db_session):
    other = make_live_event()
    moderator = live_client({"invite": other.tokens["moderator"]})
    assert act(moderator, "session.start")["ok"]
    assert act(moderator, "moderation.settings", {"premoderation": False})["ok"]
    elsewhere = live_client({"event": other.event.slug, "audience": audience_token()})
    theirs = ask(elsewhere, "A question of another room")["result"]["question_id"]
    before = _counts(db_session)
    for up in (True, False):
        ack = act(room.voter, "audience.vote", {"question_id": theirs, "up": up, "client_id": _cid()})
        assert ack["error"]["code"] == "not_found", ack
    assert _counts(db_session) == before
