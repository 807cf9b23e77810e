"""The live room and the audience page in Korean and English: the interface follows the reader (switcher
cookie, then Accept-Language), content keeps the event's language and says so with ``lang``, the browser
re-renders regions in the page's language, and the page's one announcer speaks only of four events."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from forum.boundary import unit_of_work
from forum.models import PollOption
from tests.conftest import act
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient

KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}


@pytest.fixture
def live(make_live_event):
    return make_live_event()


def _get(app, url, *, cookie=False):
    client = app.test_client()
    if cookie:
        client.set_cookie("forum_lang", "ko")
        return client.get(url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    return client.get(url, headers=KOREAN).get_data(as_text=True)


def _html(page: str) -> str:
    """The page without its JSON blocks (the browser's catalogue has the English messages as its keys)."""
    return re.sub(r'<script type="application/json".*?</script>', "", page, flags=re.S)


def _ui(page: str) -> dict:
    return json.loads(
        re.search(r'<script type="application/json" id="live-ui">(.*?)</script>', page, re.S).group(1)
    )


def _started(live, live_client):
    moderator = live_client({"invite": live.tokens["moderator"]})
    act(moderator, "session.start")
    act(moderator, "floor.give", {"participant_id": live.people["kimmy"].id})
    return moderator


@pytest.mark.parametrize("cookie", [False, True], ids=["accept-language", "cookie"])
def test_audience_page_in_korean_with_content_in_the_events_language(app, live, live_client, cookie):
    _started(live, live_client)
    page = _get(app, f"/e/{live.event.slug}", cookie=cookie)
    assert '<html lang="ko">' in page
    for korean in ["질문 보내기", "패널에게 질문하기", "질문 1 / 3", "발언 중", "진행 중", "청중 질문"]:
        assert korean in page, korean
    for english in ["Send question", "Ask the panel", "Question 1 of", "On the floor", "Live now", "Sort:"]:
        assert english not in _html(page), english
    assert f'<h1 lang="en">{live.event.title}</h1>' in page.replace("&#39;", "'")
    assert (
        f'lang="en" id="current-question-text" data-field="text" class="short">{live.questions[0].text}'
        in page
    )
    assert '<strong data-field="speaker" lang="en">Oh Kyoungmi</strong>' in page
    assert "(한국 시간)" in page or "한국 표준시" in page, "the date names the zone in Korean"
    ui = _ui(page)
    assert ui["messages"]["poll_opened"] == "투표가 시작되었습니다. 이 페이지에서 응답을 선택하십시오."
    assert ui["catalogue"]["Send question"] == "질문 보내기"


def test_english_stays_english(app, live, live_client):
    _started(live, live_client)
    page = app.test_client().get(f"/e/{live.event.slug}").get_data(as_text=True)
    assert '<html lang="en">' in page and "Send question" in page and "Question 1 of 3" in page
    assert _ui(page)["catalogue"] == {}


@pytest.mark.parametrize("cookie", [False, True], ids=["accept-language", "cookie"])
def test_console_in_korean(app, live, live_client, cookie):
    _started(live, live_client)
    page = _get(app, f"/invite/{live.tokens['moderator']}/live", cookie=cookie)
    assert '<html lang="ko">' in page
    for korean in ["사회자 화면", "다음 질문", "발언권 회수", "입장 투표", "결정 대기 중", "세션 종료"]:
        assert korean in page, korean
    for english in ["Moderator console", "Next question", "Release the floor", "Stance polls", "(moderator)"]:
        assert english not in _html(page), english
    assert '<span lang="en">Jun-jjang</span>' in page, "the moderator's own name is content"
    assert 'data-confirm="모든 참여자의 세션을 종료하시겠습니까?"' in page
    assert "{% block lang %}" not in page and '<html lang="en"' not in page


def test_scribe_console_in_korean(app, live, live_client):
    _started(live, live_client)
    page = _get(app, f"/invite/{live.tokens['scribe']}/live")
    assert "기록 담당자 화면" in page and "발언 기록하기" in page and "Scribe console" not in _html(page)
    assert "Record what is said" not in _html(page) and "What was said" not in _html(page)


def test_panelist_page_in_korean(app, live, live_client):
    _started(live, live_client)
    page = _get(app, f"/invite/{live.tokens['kimmy']}/live", cookie=True)
    assert '<html lang="ko">' in page
    assert "내 서면 답변" in page and "답변 저장" in page and "질문 1 / 3" in page
    assert "Your written answer" not in _html(page) and "Save my answer" not in _html(page)
    assert f'<h1 lang="en">{live.event.title}</h1>'.replace("'", "&#39;") in page
    assert f'<p class="quote" lang="en">{live.questions[0].text}</p>' in page


def test_projector_is_a_korean_document_with_english_content(app, live, live_client):
    _started(live, live_client)
    page = _get(app, f"/e/{live.event.slug}/projector")
    assert page.startswith('<!doctype html>\n<html lang="ko">')
    assert (
        "질문 1 / 3" in page and "발언 중" in page and "참여 방법" in page and "휴대전화로 질문하고" in page
    )
    for english in [
        "Question 1 of",
        "On the floor",
        "How to join",
        "Ask and vote on your phone",
        "QR code for",
    ]:
        assert english not in _html(page), english
    assert '<h1 lang="en" id="current-question-text"' in page
    assert '<p class="title" lang="en">' in page
    assert "aria-live" not in page.replace('data-announcer aria-live="polite"', ""), "one live region only"


def test_socket_acknowledgements_and_refusals_follow_the_readers_language(app, live, live_client):
    korean = app.test_client()
    korean.set_cookie("forum_lang", "ko")
    moderator = live_client({"invite": live.tokens["moderator"]}, flask_client=korean)
    ack = moderator.emit("session.start", {}, namespace="/live", callback=True)
    assert ack["ok"] and ack["message"] == "세션이 시작되었습니다."
    ack = moderator.emit("question.previous", {}, namespace="/live", callback=True)
    assert not ack["ok"] and ack["error"]["message"] == "첫 번째 질문입니다."
    scribe = live_client({"invite": live.tokens["scribe"]}, flask_client=korean)
    ack = scribe.emit("session.end", {}, namespace="/live", callback=True)
    assert ack["error"]["message"] == "사회자나 주최자만 할 수 있습니다."
    english = live_client({"invite": live.tokens["moderator"]})
    ack = english.emit("question.previous", {}, namespace="/live", callback=True)
    assert ack["error"]["message"] == "This is the first question."


def test_a_form_post_flashes_in_korean(app, live):
    client = app.test_client()
    client.set_cookie("forum_lang", "ko")
    client.post(f"/invite/{live.tokens['moderator']}/live/session.start")
    page = client.get(f"/invite/{live.tokens['moderator']}/live").get_data(as_text=True)
    assert "세션이 시작되었습니다." in page
    response = client.get("/join", query_string={"code": "NOPE99"}, follow_redirects=True)
    assert "참여 코드 “NOPE99”에 해당하는 행사가 없습니다." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("event_language", "reader", "expected"),
    [("ko", None, ["찬성", "반대", "미정"]), ("en", "ko", ["Agree", "Disagree", "Undecided"])],
)
def test_default_poll_options_are_in_the_events_language(
    app, make_live_event, live_client, event_language, reader, expected
):
    live = make_live_event(language=event_language)
    flask_client = app.test_client()
    if reader:
        flask_client.set_cookie("forum_lang", reader)
    moderator = live_client({"invite": live.tokens["moderator"]}, flask_client=flask_client)
    act(moderator, "session.start")
    ack = act(moderator, "poll.open")
    assert ack["ok"], ack
    poll_id = ack["result"]["poll_id"]
    with app.app_context(), unit_of_work() as session:
        query = select(PollOption.label).where(PollOption.poll_id == poll_id).order_by(PollOption.position)
        labels = list(session.scalars(query))
    assert labels == expected


# --- In the browser -----------------------------------------------------------------------------------------

CONNECTED = "[data-connection][data-status=connected]"

# Every text the announcer has held, in order (a MutationObserver, so a same-text rewrite counts too).
WATCH_ANNOUNCER = """() => {
  const region = document.querySelector("[data-announcer]");
  window.announced = [];
  new MutationObserver(() => { if (region.textContent) window.announced.push(region.textContent); })
    .observe(region, { childList: true, characterData: true, subtree: true });
}"""


def _ok(ack):
    assert ack["ok"], ack
    return ack.get("result")


def _korean_page(new_page, url, **options):
    page = new_page(locale="ko-KR", **options)
    page.goto(url)
    page.wait_for_selector(CONNECTED, state="attached")  # the projector shows no connection while it has one
    page.evaluate(WATCH_ANNOUNCER)
    return page


def _announced(page):
    return page.evaluate("window.announced")


def _wait_announced(page, text):
    page.wait_for_function("(text) => window.announced.includes(text)", arg=text)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.browser
@pytest.mark.e2e
def test_live_updates_render_regions_in_korean(server, new_page, make_live_event):
    live = make_live_event()
    audience = _korean_page(
        new_page, f"{server.url}/e/{live.event.slug}", viewport={"width": 390, "height": 844}
    )
    projector = _korean_page(new_page, f"{server.url}/e/{live.event.slug}/projector")
    assert audience.evaluate("document.documentElement.lang") == "ko"
    audience.wait_for_selector("[data-region=status] >> text=시작 전")
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    _ok(moderator.call("question.next"))
    _ok(moderator.call("floor.give", {"participant_id": live.people["kimmy"].id}))
    for page in (audience, projector):
        page.wait_for_selector("[data-region=question] >> text=질문 2 / 3")
        page.wait_for_selector("[data-region=floor] >> text=발언 중")
        region = page.inner_text("[data-region=question]") + page.inner_text("[data-region=floor]")
        assert "Question" not in region and "floor" not in region.lower(), region
        assert page.get_attribute("#current-question-text", "lang") == "en"
    audience.wait_for_selector("[data-region=status] >> text=진행 중")
    member = MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
    _ok(moderator.call("moderation.settings", {"premoderation": False}))
    _ok(member.call("audience.ask", {"text": "Who reads the channels?", "client_id": "ask-one-1"}))
    audience.wait_for_selector("[data-region=board] >> text=Who reads the channels?")
    board = audience.inner_text("[data-region=board]")
    assert "청중 질문" in board and "Questions from the audience" not in board
    name = audience.get_attribute("[data-region=board] .vote-button", "aria-label")
    assert name.startswith("0명 공감"), name
    member.close()
    moderator.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.browser
@pytest.mark.e2e
def test_the_announcer_speaks_of_four_events_only(server, new_page, make_live_event):
    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    _ok(moderator.call("moderation.settings", {"premoderation": True}))
    console = _korean_page(
        new_page,
        f"{server.url}/invite/{live.tokens['moderator']}/live",
        viewport={"width": 1366, "height": 768},
    )
    audience = _korean_page(
        new_page, f"{server.url}/e/{live.event.slug}", viewport={"width": 390, "height": 844}
    )
    # One announcer per page; the only other live region answers the person's own action.
    for page in (console, audience):
        assert page.locator("[data-announcer][aria-live=polite]").count() == 1
        assert page.locator("[aria-live], [role=status], [role=alert]").count() == 2
        assert page.locator("[data-action-status][role=status]").count() == 1

    # A running timer and vote counts change nothing in the announcer.
    _ok(moderator.call("floor.give", {"participant_id": live.people["kimmy"].id}))
    audience.wait_for_selector("[data-region=floor] .timer")
    before = audience.inner_text("[data-region=floor] .timer")
    audience.wait_for_function(
        "(before) => document.querySelector('[data-region=floor] .timer').textContent !== before", arg=before
    )
    assert _announced(audience) == [] and _announced(console) == []

    # 1. A question arrives in the moderator's queue.
    audience.fill("#ask-text", "질문이 대기열에 들어갑니까?")
    audience.click("#ask-form button[type=submit]")
    _wait_announced(console, "결정을 기다리는 새 청중 질문이 있습니다.")
    mine = (
        moderator.wait_until(lambda state: len(state["questions"]) == 1)
        and moderator.state["questions"][0]["id"]
    )

    # 2. The person's own question is approved (and, for another one, rejected).
    _ok(moderator.call("moderation.approve", {"question_id": mine}))
    _wait_announced(audience, "사회자가 질문을 승인했습니다. 이제 질문 목록에 표시됩니다.")
    audience.fill("#ask-text", "두 번째 질문입니다.")
    audience.click("#ask-form button[type=submit]")
    assert moderator.wait_until(lambda state: len(state["questions"]) == 2)
    second = max(q["id"] for q in moderator.state["questions"])
    _ok(moderator.call("moderation.reject", {"question_id": second, "reason": "중복"}))
    _wait_announced(audience, "사회자가 질문을 게시하지 않았습니다.")

    # Votes tick on the board without a word.
    heard = len(_announced(audience)), len(_announced(console))
    voters = [
        MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
        for _ in range(2)
    ]
    for number, voter in enumerate(voters):
        _ok(voter.call("audience.vote", {"question_id": mine, "up": True, "client_id": f"vote-{number}-abc"}))
    audience.wait_for_selector(f"#vote-{mine} button >> text=▲ 2")
    console.wait_for_selector(f"#aq-{mine} .count >> text=▲ 2")
    assert (len(_announced(audience)), len(_announced(console))) == heard

    # 3. A poll opens (for the audience, who answer it).
    _ok(moderator.call("poll.open", {}))
    _wait_announced(audience, "투표가 시작되었습니다. 이 페이지에서 응답을 선택하십시오.")
    poll = audience.locator("[data-region=poll] .poll-options button").first
    assert poll.get_attribute("lang") == "en" and poll.inner_text() == "Agree"
    heard = len(_announced(audience))
    opened = moderator.state["polls"][-1]
    choice = {"poll_id": opened["id"], "option_id": opened["options"][0]["id"], "client_id": "poll-vote-1"}
    _ok(voters[0].call("poll.vote", choice))
    audience.wait_for_timeout(1500)
    assert len(_announced(audience)) == heard, "a poll's running count is not announced"

    # 4. The session ends.
    _ok(moderator.call("session.end"))
    _wait_announced(audience, "세션이 끝났습니다.")
    _wait_announced(console, "세션이 끝났습니다.")
    assert "투표가 시작되었습니다. 이 페이지에서 응답을 선택하십시오." not in _announced(console)
    for client in [moderator, *voters]:
        client.close()
