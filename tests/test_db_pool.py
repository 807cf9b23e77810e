"""Pooled PostgreSQL connections (issue 12's vote storm): one in use moments ago is used as it is, without the
round trip of a ping; one left idle is checked first and replaced if it died; and one that died moments ago
costs one action a clear "try again", never a server error, and the next action goes through."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import create_engine, text

from forum.db import IdlePing, make_engine
from tests.conftest import act, ask
from tests.identities import audience_token

pytestmark = pytest.mark.postgres


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pids: set[int]) -> None:
    admin = create_engine(url)
    with admin.begin() as connection:
        for pid in pids:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()


def _pings(monkeypatch, engine) -> list[int]:
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_a_connection_in_use_moments_ago_is_not_pinged(postgres_schema_url, monkeypatch):
    engine = make_engine(postgres_schema_url)
    pings = _pings(monkeypatch, engine)
    first = _backend_pid(engine)
    assert {_backend_pid(engine) for _ in range(20)} == {first}
    assert pings == []
    monkeypatch.setattr(IdlePing, "after", 0.0)  # from now on every checkout counts as after a long idle
    assert _backend_pid(engine) == first
    assert pings == [1]
    engine.dispose()


def test_a_connection_that_died_while_idle_is_replaced_unseen(postgres_schema_url, monkeypatch):
    engine = make_engine(postgres_schema_url)
    first = _backend_pid(engine)
    _terminate(postgres_schema_url, {first})
    monkeypatch.setattr(IdlePing, "after", 0.0)
    assert _backend_pid(engine) != first
    engine.dispose()


def _pooled_pids(engine) -> set[int]:
    """The backends of every connection the pool holds (all checked out at once, then given back)."""
    held = [engine.connect() for _ in range(engine.pool.checkedin())]
    try:
        return {connection.execute(text("SELECT pg_backend_pid()")).scalar_one() for connection in held}
    finally:
        for connection in held:
            connection.close()


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_connection_that_died_moments_ago_costs_one_clear_try_again(
    app, database_url, make_live_event, live_client
):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(moderator, "session.start")["ok"]
    assert act(moderator, "moderation.settings", {"premoderation": False})["ok"]
    voter = live_client({"event": live.event.slug, "audience": audience_token()})
    question_id = ask(voter, "Is the database back?")["result"]["question_id"]
    engine = app.extensions["forum.db"].engine
    http = app.test_client()
    for attempt in ("live", "http"):
        _terminate(database_url, _pooled_pids(engine))  # a restart: every pooled connection is gone
        if attempt == "live":
            vote = {"question_id": question_id, "up": True, "client_id": secrets.token_hex(8)}
            refused = act(voter, "audience.vote", vote)
            assert refused["error"]["code"] == "database_reconnected", refused
            assert "try again" in refused["error"]["message"]
            assert act(voter, "audience.vote", vote)["ok"]  # the same submission, sent again
        else:
            page = http.get(f"/e/{live.event.slug}")
            assert page.status_code == 409 and "try again" in page.get_data(as_text=True)
            assert http.get(f"/e/{live.event.slug}").status_code == 200
