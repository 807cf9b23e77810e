"""The organizer's pages, accounts and the site's own pages in Korean and English.

The interface speaks the language of the switcher's cookie, else of Accept-Language; what people wrote for an
event (its title, host, questions, names) keeps the event's language and says so with ``lang``.
"""

from __future__ import annotations

import html
import re
from datetime import datetime

import pytest

from forum.boundary import unit_of_work
from forum.events import events, invitations
from forum.i18n import COOKIE
from forum.models import EventStatus, Organizer
from tests.conftest import DEFAULT_PASSWORD

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}

KOREAN_EVENT = {
    "title": "텔레그램, 이대로 써도 괜찮을까?",
    "host_name": "n번방 사건에 분노하는 사람들",
    "language": "ko",
    "summary": "플랫폼 규제를 두고 벌이는 공개 토론입니다.",
}


def _text(response) -> str:
    return response.get_data(as_text=True)


def _html_lang(page: str) -> str:
    return re.search(r'<html lang="([^"]+)"', page).group(1)


def _main(page: str) -> str:
    """The page's own content (without the header's switcher and footer)."""
    return re.search(r'<main id="main">(.*)</main>', page, re.S).group(1)


def _element_lang(page: str, text: str) -> str | None:
    """The ``lang`` of the nearest element inside <main> around ``text`` that has one, or None."""
    page = _main(page)
    index = page.index(html.escape(text, quote=False))
    for match in reversed(list(re.finditer(r"<(\w+)\b([^>]*)>", page[:index]))):
        attrs = match.group(2)
        found = re.search(r'\blang="([^"]+)"', attrs)
        if found:
            closing = page.find(f"</{match.group(1)}>", match.end())
            if closing == -1 or closing >= index:
                return found.group(1)
    return None


@pytest.fixture
def organizer(make_organizer, login):
    person = make_organizer()
    login(person)
    return person


@pytest.fixture
def korean_event(app, organizer, make_event, make_participant, make_question):
    event = make_event(organizer, **KOREAN_EVENT)
    make_participant(event, "진행자", role="moderator")
    kimmy = make_participant(event, "오경미", short_name="키미", affiliation="오픈넷")
    make_question(event, "국제적인 합의가 필요할까요?")
    return event, kimmy


# --- accounts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("way", ["header", "cookie"])
def test_sign_in_and_sign_up_speak_korean(client, way):
    if way == "cookie":
        client.set_cookie(COOKIE, "ko")
        headers = EN  # the cookie wins over the browser's header
    else:
        headers = KO
    page = _text(client.get("/auth/signin", headers=headers))
    assert _html_lang(page) == "ko"
    main = _main(page)
    assert "<h1>로그인</h1>" in main and "이메일 주소" in main and "비밀번호" in main
    assert "계정을 만드십시오" in main
    for english in ("Sign in", "E-mail address", "Password", "No account yet?"):
        assert english not in main

    page = _text(client.get("/auth/signup", headers=headers))
    main = _main(page)
    assert "주최자 계정 만들기" in main and "비밀번호 확인" in main and "10자 이상." in main
    for english in ("Create an organizer account", "Your name", "Repeat the password", "At least"):
        assert english not in main


def test_english_cookie_wins_over_a_korean_browser(client):
    client.set_cookie(COOKIE, "en")
    page = _text(client.get("/auth/signin", headers=KO))
    assert _html_lang(page) == "en" and "<h1>Sign in</h1>" in page and "이메일 주소" not in page


def test_sign_up_validation_and_domain_errors_in_korean(client, make_organizer):
    response = client.post(
        "/auth/signup",
        data={"display_name": "", "email": "new@example.org", "password": "short", "confirm": "other"},
        headers=KO,
    )
    assert response.status_code == 422
    main = _main(_text(response))
    assert "표시된 항목을 고쳐 주십시오." in main
    assert "비밀번호가 서로 다릅니다." in main  # our own validator message
    assert "이 항목은 필수입니다." in main  # WTForms' own, in its Korean catalogue
    assert "Please correct" not in main and "The passwords differ." not in main

    taken = make_organizer()
    response = client.post(
        "/auth/signup",
        data={
            "display_name": "Kim",
            "email": taken.email,
            "password": "long enough 1",
            "confirm": "long enough 1",
        },
        headers=KO,
    )
    assert response.status_code == 422
    assert "이 이메일 주소로 만든 계정이 이미 있습니다." in _text(response)


def test_failed_sign_in_and_the_sign_in_prompt_are_korean(client, make_organizer):
    person = make_organizer()
    response = client.post("/auth/signin", data={"email": person.email, "password": "wrong"}, headers=KO)
    assert "이메일 주소와 비밀번호가 일치하는 계정이 없습니다." in _text(response)
    turned_away = client.get("/manage/", headers=KO, follow_redirects=True)
    assert "행사를 관리하려면 로그인하십시오." in _text(turned_away)
    response = client.post(
        "/auth/signin", data={"email": person.email, "password": DEFAULT_PASSWORD}, headers=KO
    )
    assert response.status_code == 302


# --- the organizer's pages ------------------------------------------------------------------------------


def test_my_events_in_korean_with_content_in_the_events_language(client, organizer, make_event):
    make_event(organizer, **KOREAN_EVENT)
    make_event(organizer, title="An English debate")
    page = _text(client.get("/manage/", headers=KO))
    main = _main(page)
    assert "<h1>내 행사</h1>" in main and "새 행사" in main and ">초안</span>" in main
    for english in ("New event", ">Starts<", ">Status<", ">draft<"):
        assert english not in main
    assert _element_lang(page, KOREAN_EVENT["title"]) == "ko"
    assert _element_lang(page, KOREAN_EVENT["host_name"]) == "ko"
    assert _element_lang(page, "An English debate") == "en"
    assert "2024. 11. 23. 오후 2:00 (한국 시간)" in main


def test_new_event_form_in_korean_names_the_languages(client, organizer):
    page = _text(client.get("/manage/new", headers=KO))
    main = _main(page)
    for korean in (
        "제목",
        "웹 주소 이름",
        "시작 일시(행사 장소의 현지 시각)",
        "시간대",
        "토론 언어",
        "주최 기관",
        "초안 행사 만들기",
    ):
        assert korean in main, korean
    for english in (
        "Title",
        "Time zone",
        "Language of the debate",
        "Create draft event",
        "Host organisation",
    ):
        assert english not in main
    options = dict(re.findall(r'<option[^>]*value="([a-z]{2})"[^>]*>([^<]*)</option>', main))
    assert options["ko"] == "한국어" and options["en"] == "영어" and options["ja"] == "일본어"
    assert re.search(r'<option selected value="UTC">UTC</option>', main), "the server's default zone"
    assert "data-browser-zone" in main and "js/browser-zone.js" in page
    english = _text(client.get("/manage/new", headers=EN))
    options = dict(re.findall(r'<option[^>]*value="([a-z]{2})"[^>]*>([^<]*)</option>', english))
    assert options["ko"] == "Korean" and options["en"] == "English" and options["ja"] == "Japanese"


def test_event_form_errors_in_korean(client, organizer):
    form = {
        "title": "",
        "starts_at": "2025-06-14T14:00",
        "timezone": "Asia/Seoul",
        "language": "ko",
        "host_name": "주최",
    }
    response = client.post("/manage/new", data=form, headers=KO)
    assert response.status_code == 422
    assert "이 항목은 필수입니다." in _text(response)
    assert "data-browser-zone" not in _text(response), "a submitted form keeps the zone it was sent with"

    response = client.post("/manage/new", data={**form, "title": "토론", "online_url": "ftp://x"}, headers=KO)
    assert response.status_code == 422
    assert "‘온라인 링크’ 항목에는 http:// 또는 https://로 시작하는 전체 웹 주소를 입력하십시오." in _text(
        response
    )
    assert "must be a full web address" not in _text(response)


def test_event_overview_in_korean(client, korean_event):
    event, _kimmy = korean_event
    page = _text(client.get(f"/manage/{event.id}", headers=KO))
    main = _main(page)
    for korean in (
        "행사 진행 상황",
        "세부 정보",
        "주최 기관",
        "청중 참여 코드",
        "초대 링크",
        "진행 순서",
        "사전 답변",
    ):
        assert korean in main, korean
    for english in ("Where this event stands", "Details", "Audience join code", "Invitation links", "Agenda"):
        assert english not in main, english
    assert re.search(r"<dt>언어</dt><dd><span lang=\"ko\">한국어</span></dd>", main), "the language by name"
    assert ">ko<" not in main
    assert "2024년 11월 23일 토요일 오후 2:00 (한국 시간)" in main
    assert 'title="Asia/Seoul"' in main and "(Asia/Seoul)" not in main
    assert "사회자를 정하십시오." not in main and "행사 예정으로 바꾸기" in main
    # Content in the event's language, the interface around it in the reader's.
    assert _element_lang(page, KOREAN_EVENT["title"]) == "ko"
    assert _element_lang(page, KOREAN_EVENT["summary"]) == "ko"
    assert _element_lang(page, "국제적인 합의가 필요할까요?") == "ko"
    assert _element_lang(page, "오경미") == "ko" and _element_lang(page, "오픈넷") == "ko"
    assert _element_lang(page, "행사 진행 상황") is None  # only <html lang="ko"> around it
    # The confirmation texts that confirm.js shows are Korean too.
    assert 'data-confirm="오경미 님을 패널 목록에서 빼시겠습니까?"' in main


def test_english_event_read_in_korean_keeps_its_english_content(client, organizer, make_event):
    event = make_event(organizer)
    page = _text(client.get(f"/manage/{event.id}", headers=KO))
    assert _html_lang(page) == "ko"
    assert _element_lang(page, "Is it okay to use Telegram as it is?") == "en"
    assert re.search(r"<dt>언어</dt><dd><span lang=\"en\">English</span></dd>", page)
    # What still stops the draft from being scheduled, in Korean.
    assert "사회자를 정하십시오." in page and "패널을 한 명 이상 추가하십시오." in page


def test_scheduling_refusal_is_a_korean_domain_error(client, organizer, make_event):
    event = make_event(organizer)
    response = client.post(f"/manage/{event.id}/status", data={"status": "scheduled"}, headers=KO)
    assert response.status_code == 409
    page = _text(response)
    assert "아직 행사를 예정으로 바꿀 수 없습니다: 사회자를 정하십시오." in page
    assert "<h1>지금은 할 수 없는 작업입니다</h1>" in page
    assert "not ready" not in page


def test_question_and_participant_forms_in_korean(client, korean_event):
    event, kimmy = korean_event
    page = _text(client.get(f"/manage/{event.id}/agenda/new", headers=KO))
    main = _main(page)
    assert "<h1>질문 추가</h1>" in main and "진행 순서에 추가" in main and "취소" in main
    assert "Add to the agenda" not in main and ">Cancel<" not in main
    assert re.search(r'<textarea[^>]*lang="ko"[^>]*name="text"', main), "the question is content"

    response = client.post(f"/manage/{event.id}/agenda/new", data={"text": "  "}, headers=KO)
    assert response.status_code == 422 and "이 항목은 필수입니다." in _text(response)

    response = client.post(f"/manage/{event.id}/agenda/new", data={"text": "새 질문입니다"}, headers=KO)
    follow = client.get(response.headers["Location"], headers=KO)
    assert "2번 질문을 추가했습니다." in _text(follow)

    page = _text(client.get(f"/manage/{event.id}/panel/{kimmy.id}/edit", headers=KO))
    main = _main(page)
    assert "<h1>오경미 님 정보 수정</h1>" in main and "짧은 이름" in main and "소속" in main
    assert (
        '<option value="moderator">사회자</option>' in main
        and '<option value="scribe">기록 담당자</option>' in main
    )
    assert "Short name" not in main and "Affiliation" not in main
    assert re.search(r'<input[^>]*lang="ko"[^>]*name="display_name"', main)

    response = client.post(
        f"/manage/{event.id}/panel/new", data={"role": "panelist", "display_name": "키미"}, headers=KO
    )
    assert response.status_code == 422
    assert "“키미”은(는) 이미 오경미 님의 짧은 이름입니다. 다른 이름을 고르십시오." in _text(response)


def test_invitation_link_page_in_korean(client, korean_event):
    event, kimmy = korean_event
    response = client.post(f"/manage/{event.id}/panel/{kimmy.id}/invitation", headers=KO)
    main = _main(_text(response))
    assert (
        '<h1><span lang="ko">오경미</span> 님의 초대 링크</h1>' in main
        and "이 링크는 지금만 볼 수 있습니다." in main
    )
    assert 'data-copied="복사했습니다"' in main and ">복사</button>" in main
    assert '<span class="badge">패널</span>' in main
    assert "This link is shown only now" not in main and ">Copy<" not in main


# --- the panelist's invitation portal -------------------------------------------------------------------


def test_invitation_portal_in_korean_with_the_questions_in_the_events_language(app, client, korean_event):
    event, kimmy = korean_event
    with app.app_context(), unit_of_work() as session:
        owner = session.get(Organizer, event.organizer_id)
        token = invitations.issue_invitation(session, owner, event.id, kimmy.id)[1]
    visitor = app.test_client()
    page = _text(visitor.get(f"/invite/{token}", headers=KO))
    main = _main(page)
    assert _html_lang(page) == "ko"
    assert '<span lang="ko">오경미</span> 님, 환영합니다. <strong>패널</strong>로 초대받았습니다.' in main
    assert "내 사전 답변" in main and "답변 저장" in main and "진행 화면 열기" in main
    for english in ("Welcome,", "Your prepared answers", "Save my answers", "Open the live page"):
        assert english not in main
    assert re.search(r'<h1 lang="ko">', main) and _element_lang(page, KOREAN_EVENT["host_name"]) == "ko"
    assert re.search(r'<label for="answer_\d+" lang="ko">1\. 국제적인 합의가 필요할까요\?</label>', main)
    assert re.search(r'<textarea id="answer_\d+" lang="ko"', main), (
        "the answer is written in the event's language"
    )
    assert "2024년 11월 23일 오후 2:00 (한국 시간)" in main

    field = re.search(r'<textarea[^>]*name="(answer_\d+)"', main).group(1)
    response = visitor.post(f"/invite/{token}", data={field: "합의가 필요합니다."}, headers=KO)
    saved = _text(visitor.get(response.headers["Location"], headers=KO))
    assert "답변을 저장했습니다." in saved and "버전 1 저장됨" in saved
    # The organizer reads the prepared answers in Korean too.
    answers = _text(client.get(f"/manage/{event.id}/answers", headers=KO))
    assert "<h1>사전 답변</h1>" in answers and "버전 1, 저장" in answers
    assert _element_lang(answers, "합의가 필요합니다.") == "ko"

    refused = visitor.get("/invite/not-a-real-token", headers=KO)
    assert refused.status_code == 404
    assert "유효하지 않거나 취소된 초대 링크입니다. 주최자에게 새 링크를 요청하십시오." in _text(refused)


# --- the home page and the error page -------------------------------------------------------------------


@pytest.mark.parametrize("way", ["header", "cookie"])
def test_home_page_in_korean(app, client, make_organizer, make_event, way):
    organizer = make_organizer()
    event = make_event(organizer, **KOREAN_EVENT, starts_at_local=datetime(2099, 6, 14, 14, 0))
    with app.app_context(), unit_of_work() as session:
        owner = session.get(Organizer, organizer.id)
        stored = events.owned_event(session, owner, event.id)
        stored.status = EventStatus.SCHEDULED
    if way == "cookie":
        client.set_cookie(COOKIE, "ko")
    page = _text(client.get("/", headers=KO if way == "header" else EN))
    main = _main(page)
    for korean in (
        "청중이신가요?",
        "행사장 화면에 나온 코드를 입력하십시오",
        "예정된 토론",
        "최근 기록",
        "로그인",
    ):
        assert korean in main, korean
    for english in ("In the audience?", "Upcoming", "Latest records", "Join the room", "Hosted by"):
        assert english not in main
    assert 'placeholder="예: K7M2QX"' in main
    assert "2099년 6월 14일 오후 2:00 (한국 시간)" in main
    assert _element_lang(page, KOREAN_EVENT["title"]) == "ko"
    assert f'주최: <span lang="ko">{KOREAN_EVENT["host_name"]}</span>' in main


def test_short_join_link_flash_in_korean(client):
    response = client.get("/j/NOPE42", headers=KO, follow_redirects=True)
    assert "참여 코드가 “NOPE42”인 행사가 없습니다." in _text(response)


@pytest.mark.parametrize("way", ["header", "cookie"])
def test_error_page_in_korean(client, way):
    if way == "cookie":
        client.set_cookie(COOKIE, "ko")
    response = client.get("/no/such/page", headers=KO if way == "header" else EN)
    assert response.status_code == 404
    page = _text(response)
    assert _html_lang(page) == "ko"
    assert (
        "<h1>찾을 수 없음</h1>" in page
        and "이 주소에는 아무것도 없습니다." in page
        and ">홈페이지</a>" in page
    )
    assert "Not found" not in page and "Home page" not in page


def test_error_page_stays_english_without_a_korean_choice(client):
    page = _text(client.get("/no/such/page"))
    assert "<h1>Not found</h1>" in page and "찾을 수 없음" not in page


def test_json_errors_carry_translated_text(client, organizer):
    response = client.get("/manage/999999", headers={**KO, "Accept": "application/json"})
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "내 행사 중에 그 번호의 행사가 없습니다."


# --- the new-event form starts in the organizer's own time zone (static/js/browser-zone.js) ---------------


@pytest.mark.browser
@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_new_event_form_defaults_to_the_browsers_time_zone(server, new_page, make_organizer, make_event):
    from playwright.sync_api import expect

    from tests.browser_fixtures import sign_in

    organizer = make_organizer()
    stored = make_event(organizer, timezone="Europe/Berlin")
    page = new_page(timezone_id="Asia/Seoul", locale="ko-KR", extra_http_headers=KO)
    sign_in(page, server, organizer.email)
    page.goto(f"{server.url}/manage/new")
    zone = page.locator("select#timezone")
    expect(zone).to_have_value("Asia/Seoul")
    expect(page.get_by_label("시간대")).to_have_value("Asia/Seoul")

    # Created with it: the overview names the zone the browser chose.
    page.fill("#title", "브라우저 시간대 토론")
    page.fill("#starts_at", "2030-06-14T14:00")
    page.fill("#host_name", "주최 기관")
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/manage/\d+$"))
    expect(page.locator("#details time")).to_have_text("2030년 6월 14일 금요일 오후 2:00 (한국 시간)")
    expect(page.locator("#details time")).to_have_attribute("title", "Asia/Seoul")

    # The edit form keeps the zone the event was stored with.
    page.goto(f"{server.url}/manage/{stored.id}/edit")
    expect(page.locator("select#timezone")).to_have_value("Europe/Berlin")


@pytest.mark.browser
@pytest.mark.e2e
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_zone_the_organizer_chose_or_no_javascript_is_left_alone(server, new_page, make_organizer):
    from playwright.sync_api import expect

    from tests.browser_fixtures import sign_in

    organizer = make_organizer()
    # Without JavaScript the server's default stays.
    page = new_page(timezone_id="Asia/Seoul", java_script_enabled=False)
    sign_in(page, server, organizer.email)
    page.goto(f"{server.url}/manage/new")
    expect(page.locator("select#timezone")).to_have_value("UTC")

    # A form sent back with an error keeps the zone it was sent with, even if that is the default.
    page = new_page(timezone_id="Asia/Seoul")
    sign_in(page, server, organizer.email)
    page.goto(f"{server.url}/manage/new")
    page.select_option("select#timezone", "UTC")
    page.fill("#starts_at", "2030-06-14T14:00")
    page.locator("main button[type=submit]").click()
    expect(page.locator(".form-errors")).to_be_visible()
    expect(page.locator("select#timezone")).to_have_value("UTC")
