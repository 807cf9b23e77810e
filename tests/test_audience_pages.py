"""Audience participation through plain pages (no JavaScript), the organizer's settings page and log."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.boundary import unit_of_work
from forum.db import utcnow
from forum.models import (
    AudienceMember,
    AudienceQuestion,
    Event,
    LiveState,
    QuestionReport,
    QuestionStatus,
    QuestionVote,
    SubmissionReceipt,
)
from tests.conftest import DEFAULT_PASSWORD, act
from tests.identities import audience_token


@pytest.fixture
def live(make_live_event, live_client):
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    act(live.moderator, "session.start")
    return live


def _client_id(page: str) -> str:
    """The ask form's submission id, as a browser without JavaScript sends it back."""
    return re.search(r'name="client_id" value="([0-9a-f]+-ask)"', page).group(1)


def test_ask_and_vote_without_javascript(app, live, db_session):
    browser = app.test_client()
    page = browser.get(f"/e/{live.event.slug}").get_data(as_text=True)
    assert 'data-action="audience.ask"' in page
    data = {
        "text": "Would a boycott work?",
        "display_name": "",
        "about_current": "true",
        "client_id": _client_id(page),
    }
    response = browser.post(f"/e/{live.event.slug}/act/audience.ask", data=data)
    assert response.status_code == 303
    page = browser.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your question was sent for review." in page
    assert "waiting for a moderator" in page and "Would a boycott work?" in page
    browser.post(f"/e/{live.event.slug}/act/audience.ask", data=data)  # the same form sent twice
    assert db_session.scalar(select(func.count()).select_from(AudienceQuestion)) == 1
    qid = db_session.scalar(select(AudienceQuestion.id))
    act(live.moderator, "moderation.approve", {"question_id": qid})

    voter = app.test_client()
    page = voter.get(f"/e/{live.event.slug}").get_data(as_text=True)
    assert "Would a boycott work?" in page and 'aria-pressed="false"' in page
    vote = {"question_id": str(qid), "up": "true", "client_id": _client_id(page) + "-v1"}
    assert f'id="vote-{qid}"' in page
    assert voter.post(f"/e/{live.event.slug}/act/audience.vote", data=vote).status_code == 303
    app.extensions["forum.tallies"].flush_pending()
    page = voter.get(f"/e/{live.event.slug}").get_data(as_text=True)
    assert 'aria-pressed="true"' in page and "▲ 1" in page and "you voted" in page
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 1


def test_audience_door_refuses_staff_actions(app, live, db_session):
    browser = app.test_client()
    response = browser.post(f"/e/{live.event.slug}/act/session.end", follow_redirects=True)
    assert "That is not something the audience can do." in response.get_data(as_text=True)
    response = browser.post(
        f"/e/{live.event.slug}/act/audience.ask", data={"text": ""}, follow_redirects=True
    )
    assert "Each submission needs a client_id" in response.get_data(as_text=True)
    assert db_session.get(Event, live.event.id).status.value == "live"


def test_sorting_by_votes_or_newest(app, live):
    act(live.moderator, "moderation.settings", {"premoderation": False})
    tokens = [audience_token() for _ in range(3)]
    from forum.extensions import socketio
    from forum.protocol import NAMESPACE
    from tests.conftest import ask

    audience = [
        socketio.test_client(
            app,
            namespace=NAMESPACE,
            auth={"event": live.event.slug, "audience": t},
            flask_test_client=app.test_client(),
        )
        for t in tokens
    ]
    first = ask(audience[0], "Older question?")["result"]["question_id"]
    ask(audience[1], "Newer question?")
    act(audience[2], "audience.vote", {"question_id": first, "up": True, "client_id": secrets.token_hex(8)})
    app.extensions["forum.tallies"].flush_pending()
    by_votes = app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    newest = app.test_client().get(f"/e/{live.event.slug}?sort=newest").get_data(as_text=True)
    assert by_votes.index("Older question?") < by_votes.index("Newer question?")
    assert newest.index("Newer question?") < newest.index("Older question?")


def test_projector_shows_highlight_and_open_poll(app, live):
    act(live.moderator, "moderation.settings", {"premoderation": False})
    from forum.extensions import socketio
    from forum.protocol import NAMESPACE
    from tests.conftest import ask

    member = socketio.test_client(
        app,
        namespace=NAMESPACE,
        auth={"event": live.event.slug, "audience": audience_token()},
        flask_test_client=app.test_client(),
    )
    qid = ask(member, "Shown on the big screen?", display_name="Minji")["result"]["question_id"]
    act(live.moderator, "moderation.highlight", {"question_id": qid})
    act(live.moderator, "poll.open", {})
    page = app.test_client().get(f"/e/{live.event.slug}/projector").get_data(as_text=True)
    assert "Shown on the big screen?" in page and "From the audience — Minji" in page
    poll = re.search(r'data-region="projector_poll".*?</section>', page, re.S).group(0)
    assert live.questions[0].text in poll and "Undecided" in poll


def test_organizer_settings_page_and_moderation_log(app, live, client, db_session):
    client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
    page = client.get(f"/manage/{live.event.id}/audience").get_data(as_text=True)
    assert "Nothing has been moderated yet." in page
    response = client.post(
        f"/manage/{live.event.id}/audience",
        data={"questions_enabled": "y", "word_list": "idiot\n바보", "report_threshold": "5"},
    )
    assert response.status_code == 302
    event = db_session.get(Event, live.event.id)
    assert (event.premoderation, event.word_list, event.report_threshold) == (False, "idiot\n바보", 5)
    page = client.get(f"/manage/{live.event.id}/audience").get_data(as_text=True)
    assert "premoderation=off" in page and "word list" in page and "report threshold=5" in page
    assert response.status_code == 302
    bad = client.post(f"/manage/{live.event.id}/audience", data={"report_threshold": "0"})
    assert bad.status_code == 422 and "Number must be between 1 and 1000." in bad.get_data(as_text=True)


def test_other_organizers_cannot_see_the_log(app, live, make_organizer, login, client):
    login(make_organizer())
    assert client.get(f"/manage/{live.event.id}/audience").status_code == 404


def test_purge_removes_unpublished_content_and_tokens(app, live, runner, db_session):
    from forum.extensions import socketio
    from forum.protocol import NAMESPACE
    from tests.conftest import ask

    members = [
        socketio.test_client(
            app,
            namespace=NAMESPACE,
            auth={"event": live.event.slug, "audience": audience_token()},
            flask_test_client=app.test_client(),
        )
        for _ in range(2)
    ]
    kept = ask(members[0], "Published one")["result"]["question_id"]
    dropped = ask(members[1], "Rejected one")["result"]["question_id"]
    ask(members[1], "Still pending")
    act(live.moderator, "moderation.approve", {"question_id": kept})
    act(live.moderator, "moderation.reject", {"question_id": dropped, "reason": "No."})
    act(members[1], "audience.vote", {"question_id": kept, "up": True, "client_id": secrets.token_hex(8)})
    act(members[1], "audience.report", {"question_id": kept, "client_id": secrets.token_hex(8)})
    act(live.moderator, "session.end")

    result = runner.invoke(args=["forum", "purge-audience"])
    assert "0 event(s) past retention" in result.output, "ended just now: nothing is old enough"
    with app.app_context(), unit_of_work() as session:
        session.get(LiveState, live.event.id).ended_at = utcnow() - timedelta(days=31)
    result = runner.invoke(args=["forum", "purge-audience", "--dry-run"])
    assert "Dry run" in result.output and "removed 2 unpublished question(s)" in result.output
    assert db_session.scalar(select(func.count()).select_from(AudienceQuestion)) == 3
    result = runner.invoke(args=["forum", "purge-audience"])
    assert result.exit_code == 0, result.output
    assert "removed 2 unpublished question(s), 1 report(s)" in result.output
    db_session.expire_all()
    remaining = db_session.scalars(select(AudienceQuestion)).all()
    assert [(q.id, q.status) for q in remaining] == [(kept, QuestionStatus.APPROVED)]
    assert db_session.scalar(select(func.count()).select_from(QuestionVote)) == 1, "published votes stay"
    assert db_session.scalar(select(func.count()).select_from(QuestionReport)) == 0
    assert db_session.scalar(select(func.count()).select_from(SubmissionReceipt)) == 0
    assert db_session.scalar(select(func.count()).where(AudienceMember.token_hash.is_not(None))) == 0
    again = runner.invoke(args=["forum", "purge-audience"])
    assert "removed 0 unpublished question(s)" in again.output
    assert "past retention" in runner.invoke(args=["forum", "purge-audience", "--days", "60"]).output
