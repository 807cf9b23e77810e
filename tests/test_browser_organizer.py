"""The organizer's event day in a real browser: confirming destructive actions, passing links on."""

from __future__ import annotations

import re

import pytest

from tests.browser_fixtures import sign_in as _sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    # One backend is enough here: the database paths are covered elsewhere on both.
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]


def test_remove_asks_in_a_dialog_cancel_keeps_confirm_removes(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    page = new_page()
    _sign_in(page, server, live.organizer.email)
    page.goto(f"{server.url}/manage/{live.event.id}")
    person = page.locator("#panel li", has_text="Hong Myeong-gyo")
    remove = person.get_by_role("button", name="Remove")
    dialog = page.locator("dialog.confirm-dialog")

    remove.click()
    expect(dialog).to_be_visible()
    expect(page.get_by_role("dialog", name="Remove Hong Myeong-gyo from the panel?")).to_be_visible()
    cancel = dialog.get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()
    expect(dialog.get_by_role("button", name="Remove")).to_be_visible()
    cancel.click()
    expect(dialog).to_have_count(0)
    expect(remove).to_be_focused()
    expect(person).to_have_count(1)

    remove.click()
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(remove).to_be_focused()
    expect(person).to_have_count(1)

    remove.click()
    dialog.get_by_role("button", name="Remove").click()
    page.wait_for_selector("text=Removed from the panel.")
    expect(page.locator("#panel li", has_text="Hong Myeong-gyo")).to_have_count(0)
    expect(page.locator("#panel li", has_text="Oh Kyoungmi")).to_have_count(1)


def test_without_javascript_a_page_asks_before_removing(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    page = new_page(java_script_enabled=False)
    _sign_in(page, server, live.organizer.email)
    page.goto(f"{server.url}/manage/{live.event.id}")
    page.locator("#panel li", has_text="Hong Myeong-gyo").get_by_role("button", name="Remove").click()
    expect(page.get_by_role("heading", name="Remove Hong Myeong-gyo from the panel?")).to_be_visible()
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("#panel li", has_text="Hong Myeong-gyo")).to_have_count(1)
    page.locator("#panel li", has_text="Hong Myeong-gyo").get_by_role("button", name="Remove").click()
    page.locator("main").get_by_role("button", name="Remove").click()
    page.wait_for_selector("text=Removed from the panel.")
    expect(page.locator("#panel li", has_text="Hong Myeong-gyo")).to_have_count(0)


def test_links_for_everyone_copy_with_a_visible_confirmation(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    _sign_in(page, server, live.organizer.email)
    page.goto(f"{server.url}/manage/{live.event.id}")
    # Everyone already has a link from the factory: renewing asks first, then shows the new ones.
    page.get_by_role("button", name="Renew all links").click()
    dialog = page.get_by_role("dialog", name="Renew everyone's invitation link?")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Renew all links").click()
    page.wait_for_selector("text=These links are shown only now.")
    cards = page.locator(".invitation-card")
    expect(cards).to_have_count(4)

    card = cards.filter(has_text="Oh Kyoungmi")
    field = card.get_by_label("Invitation link for Oh Kyoungmi", exact=True)
    link = field.input_value()
    assert link.startswith(f"{server.url}/invite/")
    expect(card.get_by_role("img", name="QR code of the invitation link for Oh Kyoungmi")).to_be_visible()
    card.get_by_role("button", name="Copy the invitation link for Oh Kyoungmi").click()
    expect(card.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == link

    visitor = new_page()
    visitor.goto(link)
    visitor.wait_for_selector("text=Welcome, Oh Kyoungmi.")
    visitor.goto(f"{server.url}/invite/{live.tokens['kimmy']}")
    visitor.wait_for_selector("text=Ask the organizer for a new one")


def test_links_page_without_javascript_shows_links_and_qr_codes(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    page = new_page(java_script_enabled=False)
    _sign_in(page, server, live.organizer.email)
    page.goto(f"{server.url}/manage/{live.event.id}/panel/new")
    page.fill("#display_name", "Late Addition")
    page.click("main button[type=submit]")
    page.get_by_role("button", name="Create invitation links for everyone").click()
    page.wait_for_selector("text=These links are shown only now.")
    cards = page.locator(".invitation-card")
    expect(cards).to_have_count(1)
    expect(cards.get_by_label("Invitation link for Late Addition", exact=True)).to_have_value(
        re.compile(r"/invite/[\w-]{40,}$")
    )
    qr = cards.get_by_role("img", name="QR code of the invitation link for Late Addition")
    expect(qr).to_be_visible()
    assert qr.bounding_box()["width"] > 100
    expect(cards.get_by_role("button", name="Copy the invitation link for Late Addition")).to_be_hidden()
    expect(page.get_by_text("Already invited")).to_be_visible()
