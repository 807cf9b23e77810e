"""Live captions in a real browser (the system's Chromium) against the real server (issue 13): a captioner's
post reaches the projector's caption band once a moderator switches it on, and the audience's caption panel,
which stays closed until the person opens it and keeps their focus as captions arrive."""

from __future__ import annotations

import urllib.request
from urllib.parse import urlsplit

import pytest

from forum.boundary import unit_of_work
from forum.captions import links
from forum.models import Organizer
from tests.browser_fixtures import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

CONNECTED = "[data-connection][data-status=connected]"


def _caption_path(app, live) -> str:
    with app.app_context(), unit_of_work() as session:
        _link, token = links.issue_link(session, session.get(Organizer, live.organizer.id), live.event.id)
    return f"/captions/{token}"


def _post(server, path: str, text: str, seq: int) -> None:
    request = urllib.request.Request(
        f"{server.url}{path}?seq={seq}&lang=en-US",
        data=text.encode("utf-8"),
        headers={"Content-Type": "text/plain; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
    assert urlsplit(server.url).hostname == "127.0.0.1"


def _live_console(app, server, new_page, make_live_event):
    """A live event with a caption link, and its organizer's console open in the browser."""
    live = make_live_event()
    path = _caption_path(app, live)
    console = new_page(viewport={"width": 1366, "height": 768})
    sign_in(console, server, live.organizer.email)
    console.goto(f"{server.url}/manage/{live.event.id}/live")
    console.wait_for_selector(CONNECTED)
    return live, path, console


def test_captions_on_the_projector_and_the_audience_page(app, server, new_page, make_live_event):
    live, path, console = _live_console(app, server, new_page, make_live_event)
    projector = new_page(viewport={"width": 1920, "height": 1080})
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector("[data-live][data-seq]")
    audience = new_page(viewport={"width": 390, "height": 844})
    audience.goto(f"{server.url}/e/{live.event.slug}")
    audience.wait_for_selector(CONNECTED)

    console.click("#session-start button")
    console.click(f"#floor-{live.people['kimmy'].id} button")
    console.click("#switch-captions-projector button")
    console.wait_for_selector("#switch-captions-projector >> text=Hide captions on the projector")
    _post(server, path, "We need an international consensus.", 1)
    band = "[data-region=captions_band]"
    projector.wait_for_selector(f"{band} >> text=We need an international consensus.")
    assert projector.inner_text(f"{band} .speaker") == "Kimmy"
    _post(server, path, "Platforms answer to the law of each country.", 2)
    _post(server, path, "A third line pushes the first out.", 3)
    projector.wait_for_selector(f"{band} >> text=A third line pushes the first out.")
    assert projector.locator(f"{band} .caption-line").count() == 2
    box = projector.locator(band).bounding_box()
    assert box and box["y"] + box["height"] <= 1080, "the band stays on the screen"

    # The audience's panel is closed until the person opens it; opening keeps focus on the toggle.
    toggle = "[data-captions-toggle]"
    audience.wait_for_selector(f"{toggle} >> text=Show captions")
    assert audience.locator(".caption-lines").count() == 0
    audience.focus(toggle)
    audience.keyboard.press("Enter")
    audience.wait_for_selector(".caption-lines >> text=A third line pushes the first out.")
    assert audience.get_attribute(toggle, "aria-expanded") == "true"
    _post(server, path, "Captions keep coming while you read.", 4)
    audience.wait_for_selector(".caption-lines >> text=Captions keep coming while you read.")
    assert audience.evaluate("document.activeElement.hasAttribute('data-captions-toggle')")
    # The choice is the person's own, kept by their browser.
    audience.reload()
    audience.wait_for_selector(".caption-lines >> text=Captions keep coming while you read.")
    for page in (console, projector, audience):
        assert page.js_errors == []


def test_a_scribe_turns_a_caption_run_into_a_draft(app, server, new_page, make_live_event):
    live, path, console = _live_console(app, server, new_page, make_live_event)
    scribe = new_page(viewport={"width": 1366, "height": 900})
    scribe.goto(f"{server.url}/invite/{live.tokens['scribe']}/live")
    scribe.wait_for_selector(CONNECTED)
    console.click("#session-start button")
    console.click(f"#floor-{live.people['hong'].id} button")
    _post(server, path, "Platforms answer", 1)
    _post(server, path, "to the law of each country.", 2)
    console.click(f"#floor-{live.people['kimmy'].id} button")
    _post(server, path, "We need a consensus.", 3)
    runs = "[data-region=caption_runs] .run"
    scribe.wait_for_selector(f"{runs} >> text=We need a consensus.")
    assert scribe.locator(runs).count() == 2
    # The speaker follows the floor (Kimmy); the draft of Hong's run brings Hong back with his words.
    scribe.fill("#capture-text", "Hong said:")
    scribe.locator(runs).first.locator("button[data-caption-run]").click()
    assert scribe.input_value("#capture-text") == "Hong said:\nPlatforms answer to the law of each country."
    assert scribe.input_value("#capture-speaker") == str(live.people["hong"].id)
    assert scribe.evaluate("document.activeElement.id") == "capture-text"
    _post(server, path, "A new caption arrives while the scribe corrects.", 4)
    scribe.wait_for_selector(f"{runs} >> text=A new caption arrives while the scribe corrects.")
    assert scribe.input_value("#capture-text").startswith("Hong said:\nPlatforms answer")
    scribe.fill("#capture-text", "Platforms answer to the law of each country where they operate.")
    scribe.click("#capture button[type=submit]")
    scribe.wait_for_selector(
        "[data-region=feed] >> text=Platforms answer to the law of each country where they operate."
    )
    assert scribe.js_errors == []
