"""Journeys in a real browser (the system's Chromium driven by Playwright) against the real server."""

from __future__ import annotations

import pytest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    # One backend is enough here: the database paths are covered elsewhere on both.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


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
