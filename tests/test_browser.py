"""Journeys in a real browser (the system's Chromium driven by Playwright) against the real server."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.conftest import DEFAULT_PASSWORD
from tests.live_server import LiveServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    # One backend is enough here: the database paths are covered elsewhere on both.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = os.environ.get("FORUM_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    required = os.environ.get("FORUM_TEST_REQUIRE_BROWSER")
    if not os.path.exists(path):
        if required:
            pytest.fail(
                f"FORUM_TEST_REQUIRE_BROWSER is set but no Chromium was found at {path}", pytrace=False
            )
        pytest.skip("Chromium is not installed (Debian package 'chromium'); browser tests skipped")
    return path


@pytest.fixture(scope="module")
def browser():
    path = _chromium()
    playwright_api = pytest.importorskip("playwright.sync_api")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=path, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


@pytest.fixture
def server(database_url, tmp_path, app):
    running = LiveServer(database_url, tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def new_page(browser):
    contexts = []

    def factory(**options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        return page

    yield factory
    for context in contexts:
        for page in context.pages:
            assert page.js_errors == [], page.js_errors
        context.close()


def _sign_in(page, server, email):
    page.goto(server.url + "/auth/signin")
    page.fill("#email", email)
    page.fill("#password", DEFAULT_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url("**/manage/")


def test_organizer_sets_up_an_event_in_the_browser(server, new_page):
    page = new_page()
    page.goto(server.url + "/auth/signup")
    page.fill("#display_name", "Organizer")
    page.fill("#email", "browser@example.org")
    page.fill("#password", "a long enough passphrase")
    page.fill("#confirm", "a long enough passphrase")
    page.click("main button[type=submit]")
    page.click("text=New event")
    page.fill("#title", "텔레그램, 이대로 써도 괜찮은가?")
    page.fill("#starts_at", "2024-11-23T14:00")
    page.select_option("#timezone", "Asia/Seoul")
    page.fill("#venue", "Seoul")
    page.fill("#host_name", "People Outraged by the Nth Room Incident")
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Event created as a draft")
    page.click("text=Add someone")
    page.select_option("#role", "moderator")
    page.fill("#display_name", "Jun-jjang")
    page.click("main button[type=submit]")
    page.click("text=Add someone")
    page.fill("#display_name", "Oh Kyoungmi")
    page.fill("#short_name", "Kimmy")
    page.fill("#affiliation", "Open Net Korea")
    page.click("main button[type=submit]")
    for _ in range(2):
        page.click("text=Add a question")
        page.fill("#text", "Should platforms that do not respond to removal requests be blocked nationally?")
        page.click("main button[type=submit]")
    page.wait_for_selector("text=Same wording as question 1.")
    page.click("#question-2 >> text=Delete")
    page.click("dialog.confirm-dialog >> text=Delete the question")
    page.wait_for_selector("text=Question deleted")
    page.click("text=Schedule the event")
    page.wait_for_selector("text=The event is now scheduled.")
    public = new_page()
    public.goto(server.url + "/e/" + "텔레그램-이대로-써도-괜찮은가")
    public.wait_for_selector("text=Oh Kyoungmi (Open Net Korea)")


def test_live_room_in_the_browser(server, new_page, make_live_event):
    live = make_live_event()
    console = new_page(viewport={"width": 1400, "height": 1000})
    _sign_in(console, server, live.organizer.email)
    console.goto(f"{server.url}/manage/{live.event.id}/live")
    console.wait_for_selector("[data-region=connection][data-status=connected]")
    audience = new_page()
    audience.goto(f"{server.url}/e/{live.event.slug}")
    audience.wait_for_selector("[data-region=connection][data-status=connected]")
    projector = new_page(viewport={"width": 1600, "height": 900})
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector(f"text={live.event.join_code}")

    console.click("form[data-action='session.start'] button")
    audience.wait_for_selector(f"[data-region=current-question] >> text={live.questions[0].text}")
    console.click(f"[data-region=speaking] li[data-participant='{live.people['kimmy'].id}'] button")
    audience.wait_for_selector("[data-region=floor] >> text=Oh Kyoungmi")
    projector.wait_for_selector("[data-region=floor] >> text=Oh Kyoungmi")
    console.fill("#capture-text", "Forums for solidarity are what is missing.")
    console.click("#capture button[type=submit]")
    audience.wait_for_selector("[data-region=feed] >> text=Forums for solidarity are what is missing.")
    assert console.input_value("#capture-text") == ""
    console.click("form[data-action='question.next'] button")
    audience.wait_for_selector(f"[data-region=current-question] >> text={live.questions[1].text}")
    projector.wait_for_selector(f"[data-region=current-question] >> text={live.questions[1].text}")
    for _ in range(30):  # the timer ticks in the page; the CSP forbids evaluating a predicate there
        if audience.text_content("[data-region=floor] .timer") not in {"0:00", None}:
            break
        audience.wait_for_timeout(200)
    assert audience.text_content("[data-region=floor] .timer") != "0:00"
    console.click("[data-contribution] summary")
    console.fill("[data-contribution] textarea", "Forums for solidarity are missing.")
    console.click("[data-contribution] form button")
    audience.wait_for_selector("[data-region=feed] >> text=corrected")
    console.click("form[data-action='feed.set'] button")
    audience.wait_for_selector("[data-region=feed-section]", state="hidden")
    console.click("form[data-action='session.end'] button")
    audience.wait_for_selector("[data-region=session-status] >> text=ended")


def test_panelist_answers_live_and_the_moderator_sees_it(server, new_page, make_live_event):
    live = make_live_event()
    moderator = new_page(viewport={"width": 1400, "height": 1000})
    moderator.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    moderator.wait_for_selector("[data-region=connection][data-status=connected]")
    moderator.click("form[data-action='session.start'] button")
    panelist = new_page()
    panelist.goto(f"{server.url}/invite/{live.tokens['kimmy']}/live")
    panelist.wait_for_selector(f"[data-region=current-question] >> text={live.questions[0].text}")
    panelist.fill("#answer-text", "Blocking would hurt the groups that rely on it.")
    panelist.click("[data-region=answer-form] button[type=submit]")
    panelist.wait_for_selector("[data-region=action-status] >> text=Saved.")
    moderator.wait_for_selector("[data-region=written-answers] >> text=Blocking would hurt the groups")
    moderator.click("form[data-action='question.next'] button")
    panelist.wait_for_selector(f"[data-region=current-question] >> text={live.questions[1].text}")
    assert panelist.input_value("#answer-text") == ""


def test_pages_and_console_work_without_javascript(server, new_page, make_live_event):
    live = make_live_event()
    moderator = new_page(java_script_enabled=False)
    moderator.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    moderator.click("form[data-action='session.start'] button")
    moderator.wait_for_selector("text=The session is live.")
    moderator.click("form[data-action='question.next'] button")
    moderator.wait_for_selector("text=Moved to the next question.")
    audience = new_page(java_script_enabled=False)
    audience.goto(f"{server.url}/e/{live.event.slug}")
    audience.wait_for_selector(f"[data-region=current-question] >> text={live.questions[1].text}")


def test_audience_questions_votes_and_polls_in_the_browser(server, new_page, make_live_event):
    live = make_live_event()
    console = new_page(viewport={"width": 1400, "height": 1000})
    console.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    console.wait_for_selector("[data-region=connection][data-status=connected]")
    console.click("form[data-action='session.start'] button")
    asker = new_page()
    asker.goto(f"{server.url}/e/{live.event.slug}")
    asker.wait_for_selector("[data-region=connection][data-status=connected]")
    voter = new_page()
    voter.goto(f"{server.url}/e/{live.event.slug}")
    voter.wait_for_selector("[data-region=connection][data-status=connected]")

    asker.fill("#ask-text", "Who decides what is illegal content?")
    asker.fill("#ask-name", "Minji")
    asker.click("[data-region=ask] button[type=submit]")
    asker.wait_for_selector("[data-region=my-questions] >> text=waiting for a moderator")
    console.wait_for_selector("[data-region=queue] >> text=Who decides what is illegal content?")
    console.click("[data-region=queue] form[data-action='moderation.approve'] button")
    voter.wait_for_selector("[data-region=board] >> text=Who decides what is illegal content?")
    asker.wait_for_selector("[data-region=my-questions] li", state="detached")

    voter.click("[data-region=board] .vote-button")
    voter.wait_for_selector("[data-region=board] .vote-button[aria-pressed=true]")
    asker.wait_for_selector("[data-region=board] [data-field=votes] >> text=1")
    console.wait_for_selector("[data-region=board] [data-field=votes] >> text=1")

    console.click("form[data-action='poll.open'] button")
    voter.wait_for_selector("[data-region=poll] >> text=Agree")
    voter.click("[data-region=poll] button:has-text('Disagree')")
    voter.wait_for_selector("[data-region=poll] >> text=100% (1)")
    console.wait_for_selector("[data-region=polls] >> text=1 vote")

    console.click("[data-region=board] form[data-action='moderation.highlight'] button")
    projector = new_page(viewport={"width": 1600, "height": 900})
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector("[data-region=highlight] >> text=Who decides what is illegal content?")
