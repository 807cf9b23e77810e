"""No English left in the Korean interface: every main page, rendered for a Korean reader in the states
that show the most (a live session with a question on the floor, a poll, audience questions waiting and on
the board; then the published record), holds no English words outside content.

Content — anything the organizer, panel or audience wrote — is marked with its language (``lang``) on its
element, or, where its language is unknown (an organizer's display name), with ``translate="no"``;
interface text is not. So the check reads every text node and the attributes people hear (aria-label,
title, placeholder, alt, button values) outside such elements, and fails on a Latin-script word. That
catches a string nobody marked for translation as well as content nobody marked with its language (its
screen-reader voice would be wrong). The document's <title> cannot hold markup and is left out; codes
with digits (K7M2QX), web addresses and time-zone names (Asia/Seoul) are not words."""

from __future__ import annotations

import secrets

import pytest

from tests.conftest import DEFAULT_PASSWORD
from tests.interface_text import KOREAN, english_in


@pytest.fixture
def korean_day(app, client, make_live_event):
    """A Korean event mid-session, driven through the no-JavaScript forms of the console and the audience
    page: a question on the floor, an open poll, one audience question approved and one waiting."""
    live = make_live_event(language="ko")
    client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
    act = f"/manage/{live.event.id}/live"
    member = app.test_client()
    member.get(f"/e/{live.event.slug}")

    def post(who, url, **fields):
        response = who.post(url, data=fields, headers=KOREAN)
        assert response.status_code in {200, 302, 303}, (url, response.status_code)

    post(client, f"{act}/session.start")
    post(client, f"{act}/floor.give", participant_id=live.people["kimmy"].id)
    post(client, f"{act}/poll.open")
    post(client, f"{act}/moderation.settings", premoderation="true")
    for text in ("발표 자료는 어디서 볼 수 있나요?", "규제는 누가 결정하나요?"):
        post(member, f"/e/{live.event.slug}/act/audience.ask", text=text, client_id=secrets.token_hex(8))
    return live, member


def _pages(live) -> dict[str, str]:
    event = live.event
    return {
        "home": "/",
        "my events": "/manage/",
        "new event": "/manage/new",
        "overview": f"/manage/{event.id}",
        "edit event": f"/manage/{event.id}/edit",
        "panel member": f"/manage/{event.id}/panel/new",
        "agenda question": f"/manage/{event.id}/agenda/new",
        "prepared answers": f"/manage/{event.id}/answers",
        "audience log": f"/manage/{event.id}/audience",
        "console": f"/manage/{event.id}/live",
        "audience": f"/e/{event.slug}",
        "projector": f"/e/{event.slug}/projector",
        "invitation": f"/invite/{live.tokens['kimmy']}",
        "panelist live": f"/invite/{live.tokens['kimmy']}/live",
        "scribe live": f"/invite/{live.tokens['scribe']}/live",
        "archive": "/archive/",
        "search": "/archive/search?q=platform",
        "not found": "/archive/no-such-record",
    }


def _record_pages(live) -> dict[str, str]:
    event = live.event
    return {
        "editor": f"/manage/{event.id}/record",
        "record": f"/archive/{event.slug}",
        "panelist record": f"/archive/{event.slug}/panelists/kimmy",
        "versions": f"/archive/{event.slug}/versions",
        "review link": f"/invite/{live.tokens['kimmy']}/review",
    }


def _english(client, pages: dict[str, str]) -> dict[str, list[str]]:
    found = {}
    for name, url in pages.items():
        response = client.get(url, headers=KOREAN)
        assert response.status_code in {200, 404}, (name, response.status_code)
        assert '<html lang="ko">' in response.get_data(as_text=True), name
        if leftovers := english_in(response.get_data(as_text=True)):
            found[name] = leftovers
    return found


def test_no_english_in_the_korean_interface(client, korean_day):
    live, _member = korean_day
    found = _english(client, _pages(live))
    client.post(f"/manage/{live.event.id}/live/session.end", headers=KOREAN)
    assert client.post(f"/manage/{live.event.id}/record/publish", headers=KOREAN).status_code == 303
    found |= _english(client, _record_pages(live))
    assert found == {}, "\n".join(f"{page}: {texts}" for page, texts in found.items())


def test_the_check_sees_unmarked_english():
    assert english_in('<p>Send question</p><p lang="ko">Oh Kyoungmi</p>') == ["Send question"]
    assert english_in('<button aria-label="Upvote">▲</button>') == ["@aria-label: Upvote"]
    assert english_in('<a href="/x.pdf">PDF</a><span lang="en">English</span>') == []
    assert english_in('<p title="Asia/Seoul">코드 K7M2QX, http://localhost/e/x</p>') == []
    assert english_in('<p>로그아웃 (<span translate="no">Organizer 1</span>)</p>') == []
