"""A crowded board has a bounded snapshot (issue 12): a public connection gets the board's head (the first
100 by votes, the 100 newest, the question on the projector) and how many there are; ``board.page`` brings the
rest; a question that climbs into the head arrives whole with the vote counts; staff still get everything."""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

import pytest

from forum.db import utcnow
from forum.limits import BOARD_SNAPSHOT_QUESTIONS as HEAD
from forum.models import AudienceMember, AudienceQuestion, QuestionStatus, QuestionVote
from forum.protocol import NAMESPACE
from tests.conftest import act, deltas, received
from tests.identities import audience_token
from tests.live_mirror import apply_delta

CROWD = 2 * HEAD + 60  # more than both heads together


@pytest.fixture
def crowded(app, make_live_event, live_client):
    """A live event with CROWD published questions: question i was asked i minutes after the first and has
    i % 7 votes; one old, unvoted question is on the projector."""
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    assert act(moderator, "session.start")["ok"]
    assert act(moderator, "moderation.settings", {"premoderation": False})["ok"]
    start = utcnow() - timedelta(days=1)
    with app.app_context():
        from forum.db import get_session

        session = get_session()
        voters = [AudienceMember(event_id=live.event.id, token_hash=f"{n:064x}") for n in range(7)]
        session.add_all(voters)
        questions = [
            AudienceQuestion(
                event_id=live.event.id,
                text=f"Crowded question number {n}",
                status=QuestionStatus.APPROVED,
                created_at=start + timedelta(minutes=n),
            )
            for n in range(CROWD)
        ]
        session.add_all(questions)
        session.flush()
        session.add_all(
            QuestionVote(question_id=q.id, member_id=voters[v].id)
            for n, q in enumerate(questions)
            for v in range(n % 7)
        )
        session.commit()
        ids = [q.id for q in questions]
    projected = ids[1]  # one vote, and old: in neither head
    assert act(moderator, "moderation.highlight", {"question_id": projected})["ok"]
    app.extensions["forum.room_states"].clear()
    return live, moderator, ids, projected


def _snapshot(live_client, live, **auth):
    client = live_client({"event": live.event.slug, **auth})
    (snapshot,) = received(client, "snapshot")
    return client, snapshot


def _expected_head(ids):
    by_votes = sorted(range(len(ids)), key=lambda n: (-(n % 7), n))[:HEAD]
    newest = list(range(len(ids)))[-HEAD:]
    return {ids[n] for n in [*by_votes, *newest]}


def test_a_public_snapshot_carries_the_boards_head_and_its_size(crowded, live_client):
    live, _moderator, ids, projected = crowded
    _client, snapshot = _snapshot(live_client, live, audience=audience_token())
    held = {q["id"] for q in snapshot["questions"]}
    assert snapshot["questions_total"] == CROWD
    assert held == _expected_head(ids) | {projected}
    assert len(held) <= 2 * HEAD + 1
    # Bounded in bytes too: the whole snapshot of a 260-question board stays far below the full list's size.
    full = sum(len(json.dumps(q)) for q in snapshot["questions"]) / len(held) * CROWD
    assert len(json.dumps(snapshot)) < full


def test_staff_still_get_every_question(crowded):
    _live, moderator, ids, _projected = crowded
    sync = act(moderator, "sync")["result"]
    assert {q["id"] for q in sync["questions"]} == set(ids)
    assert sync["questions_total"] == CROWD


def test_board_page_brings_the_rest_in_board_order(crowded, live_client):
    live, _moderator, ids, _projected = crowded
    client, snapshot = _snapshot(live_client, live)
    state = dict(snapshot)
    seen = {q["id"] for q in state["questions"]}
    offset = HEAD
    while offset < CROWD:  # bounded: CROWD / HEAD pages
        ack = act(client, "board.page", {"sort": "votes", "offset": offset})
        assert ack["ok"], ack
        page = ack["result"]
        assert page["total"] == CROWD and len(page["questions"]) <= HEAD
        votes = [q["votes"] for q in page["questions"]]
        assert votes == sorted(votes, reverse=True)
        seen |= {q["id"] for q in page["questions"]}
        offset += HEAD
    assert seen == set(ids)
    newest = act(client, "board.page", {"sort": "newest"})["result"]["questions"]
    assert [q["id"] for q in newest] == list(reversed(ids))[:HEAD]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"sort": "loudest"}, "sort"),
        ({}, "sort"),
        ({"sort": "votes", "offset": -1}, "offset"),
        ({"sort": "votes", "offset": "many"}, "offset"),
        ({"sort": "votes", "offset": 10**9}, "offset"),
    ],
)
def test_a_bad_page_request_is_refused_with_the_field(crowded, live_client, payload, field):
    live, *_ = crowded
    client = _snapshot(live_client, live)[0]
    ack = act(client, "board.page", payload)
    assert not ack["ok"] and ack["error"]["code"] == "invalid"
    assert field in ack["error"]["fields"]


def test_a_question_climbing_into_the_head_arrives_whole(app, crowded, live_client):
    live, _moderator, ids, _projected = crowded
    client, snapshot = _snapshot(live_client, live, audience=audience_token())
    held = {q["id"] for q in snapshot["questions"]}
    outsider = next(i for i in ids if i not in held)
    voters = [live_client({"event": live.event.slug, "audience": audience_token()}) for _ in range(8)]
    for voter in voters:
        ack = act(
            voter, "audience.vote", {"question_id": outsider, "up": True, "client_id": secrets.token_hex(8)}
        )
        assert ack["ok"], ack
    app.extensions["forum.tallies"].flush_pending()
    state = json.loads(json.dumps(snapshot))
    for delta in deltas(client.get_received(NAMESPACE)):
        if delta["seq"] > state["seq"]:
            apply_delta(state, delta)
            state["seq"] = delta["seq"]
    climbed = next(q for q in state["questions"] if q["id"] == outsider)
    assert climbed["votes"] == 8 and climbed["text"].startswith("Crowded question")
    assert client.is_connected(NAMESPACE)


def test_a_small_board_comes_whole_and_votes_carry_only_counts(app, make_live_event, live_client):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "moderation.settings", {"premoderation": False})
    member = live_client({"event": live.event.slug, "audience": audience_token()})
    asked = act(member, "audience.ask", {"text": "Who keeps the record?", "client_id": secrets.token_hex(8)})
    qid = asked["result"]["question_id"]
    act(member, "audience.vote", {"question_id": qid, "up": True, "client_id": secrets.token_hex(8)})
    app.extensions["forum.tallies"].flush_pending()
    votes = deltas(member.get_received(NAMESPACE), "votes")
    assert votes and all("questions" not in d["data"] for d in votes)
    _client, snapshot = _snapshot(live_client, live)
    assert snapshot["questions_total"] == 1 and [q["id"] for q in snapshot["questions"]] == [qid]


def test_without_javascript_the_page_links_to_the_whole_board(app, crowded):
    live, _moderator, ids, projected = crowded
    page = app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    more = CROWD - len(_expected_head(ids) | {projected})
    assert f"Show {more} more questions" in page and "board=all#questions" in page
    whole = app.test_client().get(f"/e/{live.event.slug}?board=all").get_data(as_text=True)
    assert "more questions" not in whole and whole.count('class="said"') >= CROWD


def test_korean_readers_see_the_link_in_korean(app, crowded):
    live, _moderator, ids, projected = crowded
    page = app.test_client().get(f"/e/{live.event.slug}", headers={"Accept-Language": "ko"})
    more = CROWD - len(_expected_head(ids) | {projected})
    assert f"질문 {more}개 더 보기" in page.get_data(as_text=True)


@pytest.mark.browser
@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_show_more_in_the_browser_adds_a_page_and_keeps_focus(crowded, server, new_page):
    live, _moderator, ids, projected = crowded
    page = new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{server.url}/e/{live.event.slug}")
    page.wait_for_selector("[data-connection][data-status=connected]")
    held = len(_expected_head(ids) | {projected})
    assert page.locator("ol.board > li").count() == held
    page.focus("#board-more")
    page.keyboard.press("Enter")  # a keyboard user: the link is a link
    page.wait_for_selector(f"ol.board > li:nth-child({held + 1})")
    shown = page.locator("ol.board > li").count()
    assert held < shown <= held + HEAD
    if shown < CROWD:
        assert page.evaluate("document.activeElement.id") == "board-more"
        assert f"Show {CROWD - shown} more" in page.inner_text("#board-more")
    assert page.url.endswith(f"/e/{live.event.slug}")  # stayed on the live page, no reload
