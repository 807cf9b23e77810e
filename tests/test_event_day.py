"""Event day, server side: what leaves the projector when the question changes, how every open page learns
that the record was published, and what the public event page offers afterwards."""

from __future__ import annotations

import re

import pytest

from forum.protocol import NAMESPACE
from tests.conftest import DEFAULT_PASSWORD, act, ask, deltas
from tests.identities import audience_token


@pytest.fixture
def room(make_live_event, live_client):
    """A live session with a moderator and three audience members, their inboxes emptied."""
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    live.audience = [live_client({"event": live.event.slug, "audience": audience_token()}) for _ in range(3)]
    act(live.moderator, "session.start")
    for client in [live.moderator, *live.audience]:
        client.get_received(NAMESPACE)
    return live


def _projector(app, slug):
    page = app.test_client().get(f"/e/{slug}/projector").get_data(as_text=True)
    highlight = re.search(r'data-region="highlight".*?</section>', page, re.S).group(0)
    poll = re.search(r'data-region="projector_poll".*?</section>', page, re.S).group(0)
    return highlight, poll


def test_the_last_questions_poll_and_highlight_leave_the_projector_with_it(app, room):
    act(room.moderator, "moderation.settings", {"premoderation": False})
    qid = ask(room.audience[0], "Shown while question one is on?")["result"]["question_id"]
    act(room.moderator, "moderation.highlight", {"question_id": qid})
    act(room.moderator, "poll.open", {"prompt": "Telegram should follow Korean law."})
    highlight, poll = _projector(app, room.event.slug)
    assert "Shown while question one is on?" in highlight and "Telegram should follow Korean law." in poll
    room.audience[1].get_received(NAMESPACE)

    act(room.moderator, "question.next")
    received = room.audience[1].get_received(NAMESPACE)
    assert [d["data"] for d in deltas(received, "highlight")] == [{"question_id": None}]
    highlight, poll = _projector(app, room.event.slug)
    assert "Shown while question one is on?" not in highlight and " hidden" in highlight.split(">")[0]
    assert "Telegram should follow Korean law." not in poll, "the poll was about the previous question"


def test_the_moderator_can_keep_them_on_screen(app, room):
    act(room.moderator, "moderation.settings", {"premoderation": False})
    qid = ask(room.audience[0], "Worth keeping up?")["result"]["question_id"]
    act(room.moderator, "moderation.highlight", {"question_id": qid})
    act(room.moderator, "poll.open", {"prompt": "Platforms should answer removal requests."})
    room.audience[1].get_received(NAMESPACE)
    assert act(room.moderator, "projector.keep", {"keep": True})["ok"]
    act(room.moderator, "question.next")
    received = room.audience[1].get_received(NAMESPACE)
    assert [d["data"] for d in deltas(received, "projector")] == [{"keep": True}]
    assert deltas(received, "highlight") == []
    highlight, poll = _projector(app, room.event.slug)
    assert "Worth keeping up?" in highlight and "Platforms should answer removal requests." in poll
    assert act(room.audience[0], "projector.keep", {"keep": False})["error"]["code"] == "forbidden"
    missing = act(room.moderator, "projector.keep", {})
    assert missing["ok"] is False and "keep" in missing["error"]["fields"]


def test_publishing_tells_open_pages_and_the_event_page_links_to_the_record(app, room, client):
    act(room.moderator, "session.end")
    room.audience[0].get_received(NAMESPACE)
    client.post("/auth/signin", data={"email": room.organizer.email, "password": DEFAULT_PASSWORD})
    response = client.post(f"/manage/{room.event.id}/record/publish", data={"confirmed": "1"})
    assert response.status_code in {302, 303}, response.get_data(as_text=True)[:500]
    sessions = deltas(room.audience[0].get_received(NAMESPACE), "session")
    assert sessions and sessions[-1]["data"]["event_status"] == "published"
    page = app.test_client().get(f"/e/{room.event.slug}").get_data(as_text=True)
    notice = re.search(r'data-region="notice".*?</div>', page, re.S).group(0)
    assert f'href="/archive/{room.event.slug}"' in notice and "Read the record" in notice
    status = re.search(r'data-region="status"[^>]*>(.*?)</span>', page, re.S).group(1)
    assert "Record published" in status


def test_staff_are_told_plainly_when_a_question_leaves_their_list(room):
    qid = ask(room.audience[0], "Withdrawn before anyone decided?")["result"]["question_id"]
    room.moderator.get_received(NAMESPACE)
    assert act(room.audience[0], "audience.withdraw", {"question_id": qid})["ok"]
    staff = deltas(room.moderator.get_received(NAMESPACE), "audience_question")
    assert staff[-1]["data"]["id"] == qid and staff[-1]["data"]["removed"] is True


def test_the_projector_shows_a_short_join_address_and_its_qr_code(app, room):
    from forum.live.qr import qr_svg_data_uri

    page = app.test_client().get(f"/e/{room.event.slug}/projector").get_data(as_text=True)
    short = f"localhost/j/{room.event.join_code}"
    assert short in page, "one short line: the site's host and /j/<CODE>"
    assert qr_svg_data_uri(f"http://{short}") in page, "the QR code carries the same short address"
    response = app.test_client().get(f"/j/{room.event.join_code}")
    assert response.status_code in {302, 303}
    assert response.headers["Location"].endswith(f"/e/{room.event.slug}")
