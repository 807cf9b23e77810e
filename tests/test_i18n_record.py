"""The archive, the published record and its exports in Korean and English.

The interface (navigation, downloads, comments, the version list) follows the reader's language: the
switcher's cookie, else Accept-Language. The record itself — its fixed phrases as well as its words — is in
the event's language on every page and in every export, whatever the reader's language, and carries that
language in `lang`. Dates are written the event's way, with the time zone named."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from datetime import datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from forum import access
from forum.audience import asking, moderation, polls
from forum.boundary import unit_of_work
from forum.events import agenda, contributions, panel
from forum.events import events as event_service
from forum.i18n import COOKIE
from forum.live import capture, proceedings
from forum.models import Event, EventStatus, Organizer, Participant
from forum.publishing import publishing
from tests.conftest import DEFAULT_PASSWORD

KO = {"Accept-Language": "ko-KR,ko;q=0.9"}
EN = {"Accept-Language": "en-GB,en;q=0.9"}
KO_TITLE = "텔레그램, 이대로 괜찮은가?"
KO_HOST = "N번방에 분노한 사람들"
# Long enough to wrap across lines in the PDF heading; made of ordinary Korean words.
LONG_QUESTION = (
    "딥페이크 성착취물의 국경을 넘는 유통 문제를 해결하기 위해 국제적인 합의와 공동 대응 체계가 "
    "반드시 필요하다고 생각하십니까"
)
ANSWER = "연대를 위한 토론의 장이 필요합니다."
WRITTEN = "미디어 리터러시 교육도 함께 이루어져야 합니다."


def _organizer_actor(session, organizer_id: int, event_id: int):
    return access.organizer_actor(session.get(Organizer, organizer_id), session.get(Event, event_id))


def _run_and_publish(app, organizer, event, people, questions) -> None:
    """A session with a prompt, said and written answers, a taken audience question and a poll; published."""
    kimmy = people["kimmy"]
    with app.app_context(), unit_of_work() as session:
        contributions.save_prepared_answer(
            session, session.get(Participant, kimmy.id), questions[1].id, WRITTEN
        )
    with app.app_context(), unit_of_work() as session:
        actor = _organizer_actor(session, organizer.id, event.id)
        proceedings.start_session(session, actor)
        proceedings.save_prompt(session, actor, questions[0].id, "국경 문제부터 이야기해 봅시다.")
        polls.open_poll(session, actor, phase="before")
        capture.add_contribution(session, actor, participant_id=kimmy.id, text=ANSWER)
        capture.add_contribution(
            session, actor, participant_id=people["hong"].id, text="플랫폼 규제만으로는 부족합니다."
        )
        moderation.update_settings(session, actor, premoderation=False)
        member = access.Actor(event_id=event.id, role="audience", audience_token_hash="a" * 64)
        asked = asking.ask(
            session,
            member,
            text="시그널은 어떤가요?",
            display_name="민지",
            about_current=True,
            client_id="ko-ask-1",
        )
        moderation.mark_answered(session, actor, asked["question_id"], True)
        proceedings.end_session(session, actor)
    with app.app_context(), unit_of_work() as session:
        publishing.publish(session, session.get(Organizer, organizer.id), event.id)


@pytest.fixture
def korean_record(app, make_organizer):
    """A published record of a Korean event, with Korean names, questions and answers."""
    organizer = make_organizer()
    with app.app_context(), unit_of_work() as session:
        owner = session.get(Organizer, organizer.id)
        event = event_service.create_event(
            session,
            owner,
            event_service.EventDetails(
                title=KO_TITLE,
                slug="telegram-ko",
                starts_at_local=datetime(2024, 11, 23, 14, 0),
                timezone="Asia/Seoul",
                language="ko",
                host_name=KO_HOST,
                host_about="N번방 사건에 분노한 시민들이 만든 모임입니다.",
                venue="서울",
                summary="텔레그램 사용을 두고 벌인 토론입니다.",
            ),
        )

        def person(name, **extra):
            return panel.add_participant(
                session, owner, event.id, panel.ParticipantDetails(display_name=name, **extra)
            )

        people = {
            "moderator": person("준짱", role="moderator"),
            "kimmy": person("오경미", role="panelist", short_name="서연", affiliation="오픈넷"),
            "hong": person("홍명교", role="panelist", affiliation="플랫폼C"),
        }
        questions = [
            agenda.add_question(session, owner, event.id, LONG_QUESTION),
            agenda.add_question(session, owner, event.id, "성교육 확대가 필요합니까?"),
        ]
        event_service.change_status(session, owner, event.id, EventStatus.SCHEDULED)
    _run_and_publish(app, organizer, event, people, questions)
    return event


@pytest.fixture
def english_record(app, make_live_event):
    live = make_live_event(host_about="A citizens' group.")
    _run_and_publish(app, live.organizer, live.event, live.people, live.questions)
    return live.event


def _text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _pdf_text(response) -> str:
    assert response.headers["Content-Type"] == "application/pdf"
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.get_data())).pages)


def _element(page: str, pattern: str) -> str:
    found = re.search(pattern, page, re.S)
    assert found, pattern
    return found.group(0)


# --- the interface in Korean ------------------------------------------------------------------------------


def test_archive_index_and_search_speak_korean(app, english_record, korean_record):
    client = app.test_client()
    index = _text(client.get("/archive/", headers=KO))
    assert '<html lang="ko">' in index
    for korean in ["공개된 토론 아카이브", "기록 검색", "주최 기관", "연도", "필터 적용", "Atom 피드"]:
        assert korean in index, korean
    for english in ["Archive of published debates", ">Filter<", "Search every published record", ">Year "]:
        assert english not in index, english
    # Each entry's content is marked with its event's language.
    assert f'<h2 lang="ko"><a href="/archive/{korean_record.slug}">{KO_TITLE}</a></h2>' in index
    assert f'<h2 lang="en"><a href="/archive/{english_record.slug}">' in index
    assert "2024년 11월 23일" in index, "dates in the interface's language"

    search = _text(client.get("/archive/search", query_string={"q": "플랫폼"}, headers=KO))
    assert "기록 검색" in search and '“<span translate="no">플랫폼</span>” 검색 결과 2건' in search
    assert "results for" not in search and "Search the records" not in search
    hit = _element(search, r'<li><a href="/archive/telegram-ko#q1-[^"]+" lang="ko">')
    assert hit
    none = _text(client.get("/archive/search", query_string={"q": "보이콧"}, headers=KO))
    assert "검색 결과 0건" in none


def test_the_cookie_chooses_the_interface_over_accept_language(app, korean_record):
    client = app.test_client()
    client.set_cookie(COOKIE, "ko")
    page = _text(client.get("/archive/search?q=x", headers=EN))
    assert '<html lang="ko">' in page and "기록 검색" in page
    client.set_cookie(COOKIE, "en")
    page = _text(client.get(f"/archive/{korean_record.slug}", headers=KO))
    assert '<html lang="en">' in page and "Download:" in page
    assert "사회:" in page, "the record stays in its event's language"


def test_record_and_panelist_pages_in_korean(app, korean_record):
    client = app.test_client()
    page = _text(client.get(f"/archive/{korean_record.slug}", headers=KO))
    assert '<html lang="ko">' in page
    for korean in ["사회:", "패널:", "내려받기:", "패널별 답변:", "주최 기관 소개", "인용:", "청중 질문"]:
        assert korean in page, korean
    for english in [
        "Moderation:",
        "Panelists:",
        "Download:",
        "About the host",
        "Cite as:",
        "From the audience",
    ]:
        assert english not in page, english
    assert "서면 답변" in page and "세션 중 발언" in page, "delivery labels"
    assert "토론 전 투표:" in page and "(사회자)" in page
    assert "2024년 11월 23일 오후 2:00 (한국 시간)" in page, "the date, at the event's zone, named"
    assert 'title="Asia/Seoul"' in page

    person = _text(client.get(f"/archive/{korean_record.slug}/panelists/서연", headers=KO))
    assert "서연의 주요 질문별 답변" in person, "no English possessive on a Korean name"
    assert "오경미 (오픈넷) 님이 이 토론에 패널로 참여했습니다." in person
    assert "전체 기록" in person and "The full record" not in person and "'s answers" not in person
    assert "<title>서연의 답변 · " in person


def test_versions_and_editor_dates_name_the_zone(app, client, korean_record):
    # (No db_session here: its app context would outlive the requests and keep the first one's language.)
    with app.app_context(), unit_of_work() as session:
        organizer = session.get(Organizer, session.get(Event, korean_record.id).organizer_id)
    client.post("/auth/signin", data={"email": organizer.email, "password": DEFAULT_PASSWORD})
    with app.app_context(), unit_of_work() as session:
        publishing.publish(
            session, session.get(Organizer, organizer.id), korean_record.id, "오타를 고쳤습니다."
        )
    versions = _text(app.test_client().get(f"/archive/{korean_record.slug}/versions", headers=KO))
    assert "이 기록의 버전" in versions and "버전 2" in versions and " UTC" not in versions
    assert re.search(r"\d{4}년 \d{1,2}월 \d{1,2}일 (오전|오후) \d{1,2}:\d{2} \(한국 시간\)", versions)
    assert '<span lang="ko">오타를 고쳤습니다.</span>' in versions

    editor = _text(client.get(f"/manage/{korean_record.id}/record", headers=KO))
    for korean in [
        "기록 검토 및 공개",
        "공개된 버전:",
        "버전 3 공개하기",
        "독자 댓글",
        "정정 저장",
        "미리 보기",
    ]:
        assert korean in editor, korean
    assert "Review and publish the record" not in editor and " UTC by " not in editor
    assert "(한국 시간)" in editor
    english_editor = _text(client.get(f"/manage/{korean_record.id}/record"))
    assert "Review and publish the record" in english_editor and "(Korean Time)" in english_editor

    current = _text(app.test_client().get(f"/archive/{korean_record.slug}", headers=EN))
    notice = _element(current, r'<aside class="version-notice.*?</aside>')
    assert "버전 2," in notice and "정정:" in notice and "오타를 고쳤습니다." in notice
    assert '<p lang="en">' in notice and "All versions" in notice, "navigation in the reader's language"


# --- the record in its event's language, whatever the reader's -------------------------------------------


def test_korean_record_keeps_korean_phrases_for_an_english_reader(app, korean_record):
    client = app.test_client()
    page = _text(client.get(f"/archive/{korean_record.slug}", headers=EN))
    assert '<html lang="en">' in page
    article = _element(page, r'<article class="record" lang="ko">.*')
    for korean in ["사회:", "패널:", "주최 기관 소개", "청중 질문", "서면 답변", "인용:"]:
        assert korean in article, korean
    for english in ["Moderation:", "Panelists:", "About the host", "Cite as:", "written answer"]:
        assert english not in article, english
    # The reader's navigation is English and says so.
    assert '<nav class="exports" aria-label="Download" lang="en">' in page and "Download:" in page
    assert '<nav class="by-panelist" aria-label="Answers by panelist" lang="en">' in page
    assert '<ol lang="ko">' in page, "the table of contents lists Korean questions"
    assert 'aria-label="Link to question 1" lang="en"' in page


def test_korean_exports_carry_korean_phrases_for_an_english_reader(app, korean_record):
    client = app.test_client()
    slug = korean_record.slug
    txt = _text(client.get(f"/archive/{slug}.txt", headers=EN))
    lines = txt.splitlines()
    assert lines[0] == (f"2024년 11월 23일에 “{KO_HOST}” 주최로 열린 패널 토론 “{KO_TITLE}”의 기록입니다.")
    assert lines[1] == "- 사회: 준짱"
    assert lines[2] == "- 패널: 오경미 (오픈넷), 홍명교 (플랫폼C)"
    assert lines[3] == "토론에서 다룬 주요 질문별 기록은 다음과 같습니다:"
    assert "준짱 (사회자): 국경 문제부터 이야기해 봅시다." in lines
    assert "청중 질문(민지, 0표): 시그널은 어떤가요?" in lines
    assert lines[-1] == "*주최 기관 소개: N번방 사건에 분노한 시민들이 만든 모임입니다."
    assert "On " not in txt and "Moderation" not in txt and "votes" not in txt

    person = _text(client.get(f"/archive/{slug}/panelists/서연.txt", headers=EN)).splitlines()
    assert person[0] == (
        f"2024년 11월 23일에 “{KO_HOST}” 주최로 열린 토론 “{KO_TITLE}”에 "
        "오경미 (오픈넷) 님이 패널로 참여했습니다."
    )
    assert person[3] == "서연의 주요 질문별 답변은 다음과 같습니다:"
    assert "(서면 답변) " + WRITTEN in person

    md = _text(client.get(f"/archive/{slug}.md", headers=EN))
    assert f"*주최: {KO_HOST} · 2024년 11월 23일 · 서울*" in md
    assert "**사회:** 준짱" in md and "**패널:** 오경미 (오픈넷), 홍명교 (플랫폼C)" in md
    assert "## 주최 기관 소개" in md and "| 선택지 | 응답 수 | 비율 | 변화 |" in md
    assert "*(세션 중 발언)*" in md and "About the host" not in md
    person_md = _text(client.get(f"/archive/{slug}/panelists/서연.md", headers=EN))
    assert f"# {KO_TITLE} — 서연의 답변" in person_md
    assert "서연의 주요 질문별 답변은 다음과 같습니다." in person_md

    pdf = _pdf_text(client.get(f"/archive/{slug}.pdf", headers=EN))
    for korean in ["사회:", "패널:", "주최 기관 소개", "인용:", "2024년 11월 23일"]:
        assert korean in pdf, korean
    for english in ["Moderation:", "Panelists:", "About the host", "Cite as:"]:
        assert english not in pdf, english


def test_english_exports_stay_english_for_a_korean_reader(app, english_record):
    client = app.test_client()
    client.set_cookie(COOKIE, "ko")
    slug = english_record.slug
    page = _text(client.get(f"/archive/{slug}", headers=KO))
    assert '<html lang="ko">' in page and "내려받기:" in page
    article = _element(page, r'<article class="record" lang="en">.*')
    assert "Moderation:" in article and "About the host" in article and "사회:" not in article
    assert "23 November 2024 2:00\u202fPM (Korean Time)" in article, "CLDR's narrow space before PM"

    txt = _text(client.get(f"/archive/{slug}.txt", headers=KO)).splitlines()
    assert txt[0] == (
        "On 23 November 2024, the panel discussion “Is it okay to use Telegram as it is?” "
        "was hosted by “People Outraged by the Nth Room Incident”."
    )
    assert txt[1] == "- Moderation: Jun-jjang"
    assert txt[3] == "Here is the record of the main questions discussed during the debate:"
    assert "Audience question (민지, 0 votes): 시그널은 어떤가요?" in txt
    assert txt[-1] == "*About the host: A citizens' group."
    person = _text(client.get(f"/archive/{slug}/panelists/kimmy.txt", headers=KO)).splitlines()
    assert person[3] == "Here are Kimmy's answers to the main questions discussed during the debate:"
    md = _text(client.get(f"/archive/{slug}.md", headers=KO))
    assert "**Moderation:** Jun-jjang" in md and "## About the host" in md and "사회" not in md
    pdf = _pdf_text(client.get(f"/archive/{slug}.pdf", headers=KO))
    assert "Moderation:" in pdf and "About the host" in pdf and "사회:" not in pdf and "내려받기" not in pdf


def test_korean_pdf_never_breaks_inside_a_word(app, korean_record):
    """The question's heading wraps over several lines, but only between words."""
    pdf = _pdf_text(app.test_client().get(f"/archive/{korean_record.slug}.pdf"))
    lines = [line.strip() for line in pdf.splitlines()]
    words = LONG_QUESTION.split()
    first = next(i for i, line in enumerate(lines) if line.endswith(words[0]) or words[0] in line.split())
    heading_lines = []
    for line in lines[first:]:
        heading_lines.append(line)
        if words[-1] in line:
            break
    assert len(heading_lines) > 1, f"the heading should wrap: {heading_lines}"
    shown = " ".join(heading_lines).split()
    assert [w for w in shown if w not in {"1."}][-len(words) :] == words, heading_lines
    for word in words:
        assert any(word in line.split() for line in heading_lines), f"“{word}” was split: {heading_lines}"


def test_the_pdf_stylesheet_keeps_korean_words_whole():
    from forum import PROJECT_ROOT

    css = (PROJECT_ROOT / "static" / "css" / "forum.css").read_text(encoding="utf-8")
    printing = css[css.index("@media print {\n  /* The bundled Hangul font") :]
    printing = printing[: printing.index("\n}\n")]
    assert "word-break: keep-all" in printing and "overflow-wrap: break-word" in printing
    assert '"Forum Hangul"' in printing and "ForumHangul-Regular.woff2" in css


def test_the_feed_is_valid_atom_with_each_entry_in_its_language(app, english_record, korean_record):
    from forum.models import TranscriptVersion

    with app.app_context(), unit_of_work() as session:
        organizer = session.get(Organizer, session.get(Event, korean_record.id).organizer_id)
        publishing.publish(session, organizer, korean_record.id, "오타를 고쳤습니다.")
        assert session.query(TranscriptVersion).count() == 3
    feed = app.test_client().get("/archive/feed.atom", headers=EN)
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.get_data())
    atom, xml_lang = "{http://www.w3.org/2005/Atom}", "{http://www.w3.org/XML/1998/namespace}lang"
    assert root.tag == f"{atom}feed" and root.get(xml_lang) == "en"
    for name in ["id", "title", "updated"]:
        assert root.find(f"{atom}{name}").text, name
    entries = {e.find(f"{atom}title").text: e for e in root.findall(f"{atom}entry")}
    assert set(entries) == {KO_TITLE, "Is it okay to use Telegram as it is?"}
    for entry in entries.values():
        for name in ["id", "title", "updated", "summary"]:
            assert entry.find(f"{atom}{name}").text, name
        assert entry.find(f"{atom}link").get("href") and entry.find(f"{atom}author/{atom}name").text
        datetime.fromisoformat(entry.find(f"{atom}updated").text)
    korean = entries[KO_TITLE]
    assert (
        korean.get(xml_lang) == "ko" and entries["Is it okay to use Telegram as it is?"].get(xml_lang) == "en"
    )
    assert korean.find(f"{atom}summary").text.startswith("정정: 오타를 고쳤습니다. — ")


def test_panelist_review_and_static_export(app, runner, korean_record, tmp_path):
    from forum.events import invitations

    with app.app_context(), unit_of_work() as session:
        event = session.get(Event, korean_record.id)
        owner = session.get(Organizer, event.organizer_id)
        kimmy = session.scalar(
            select(Participant).where(Participant.event_id == event.id, Participant.short_name == "서연")
        )
        token = invitations.issue_invitation(session, owner, event.id, kimmy.id)[1]
    review = _text(app.test_client().get(f"/invite/{token}/review"))
    assert '<html lang="en">' in review and "Review your answers" in review
    assert f'<h2 lang="ko">1. {LONG_QUESTION}</h2>' in review
    korean_review = _text(app.test_client().get(f"/invite/{token}/review", headers=KO))
    assert "내 답변 검토" in korean_review and "내 답변 모두 승인" in korean_review

    out = tmp_path / "site"
    base = ["--base-url", "https://archive.example.org"]
    result = runner.invoke(args=["forum", "export-site", str(out), *base])
    assert result.exit_code == 0, result.output
    exported = (out / "archive" / "telegram-ko" / "index.html").read_text(encoding="utf-8")
    assert '<html lang="ko">' in exported and "내려받기:" in exported and "사회:" in exported
    assert (out / "archive" / "telegram-ko.txt").read_text(encoding="utf-8").startswith("2024년 11월 23일에")
