"""A database pool that stays exhausted (a vote storm on PostgreSQL, issue 12) is an overloaded server, not a
broken one: actions, connections and pages answer ``busy`` with a clear message, never ``server_error``, and
log one line instead of a traceback."""

from __future__ import annotations

import logging
import secrets

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from forum.live import actions
from forum.protocol import NAMESPACE
from tests.conftest import act
from tests.identities import audience_token
from tests.refusals import record_refusals


def _exhausted(*_args, **_kwargs):
    raise PoolTimeout("QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00")


def test_an_action_that_cannot_get_a_connection_is_told_busy(
    make_live_event, live_client, monkeypatch, caplog
):
    live = make_live_event()
    member = live_client({"event": live.event.slug, "audience": audience_token()})
    monkeypatch.setitem(actions.ACTIONS, actions.Action.AUDIENCE_VOTE, _exhausted)
    with caplog.at_level(logging.WARNING):
        ack = act(member, "audience.vote", {"question_id": 1, "up": True, "client_id": secrets.token_hex(8)})
    assert not ack["ok"] and ack["error"]["code"] == "busy"
    assert "try again" in ack["error"]["message"]
    assert not any(record.exc_info for record in caplog.records)
    assert member.is_connected(NAMESPACE)


def test_a_connection_that_cannot_get_a_database_connection_is_refused_busy(
    make_live_event, live_client, monkeypatch
):
    from forum.live import admission

    live = make_live_event()
    refusals = record_refusals(monkeypatch)
    monkeypatch.setattr(admission, "resolve_actor", _exhausted)
    client = live_client({"event": live.event.slug})
    assert not client.is_connected(NAMESPACE)
    ((_message, data),) = refusals
    assert data["code"] == "busy"


@pytest.mark.parametrize("language", ["en", "ko"])
def test_a_page_that_cannot_get_a_connection_says_busy(app, make_live_event, monkeypatch, language, caplog):
    from forum.live import snapshots

    live = make_live_event()
    monkeypatch.setattr(snapshots, "snapshot", _exhausted)
    with caplog.at_level(logging.WARNING):
        answer = app.test_client().get(f"/e/{live.event.slug}", headers={"Accept-Language": language})
    assert answer.status_code == 409
    text = answer.get_data(as_text=True)
    assert ("very busy" if language == "en" else "서버가 매우 바빠") in text
    assert not any(record.exc_info for record in caplog.records)
