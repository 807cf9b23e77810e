"""The live room in a real browser (the system's Chromium through Playwright) against the real server:
journeys through the consoles, the audience page and the projector, and what live updates must never
destroy — typed text, the caret, focus, open details."""

from __future__ import annotations

import pytest

from tests.browser_fixtures import sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

CONNECTED = "[data-connection][data-status=connected]"


def _connected(page):
    page.wait_for_selector(CONNECTED)
    return page


def _ok(ack):
    assert ack["ok"], ack
    return ack.get("result")


def test_live_room_in_the_browser(server, new_page, make_live_event):
    live = make_live_event()
    console = new_page(viewport={"width": 1366, "height": 768})
    sign_in(console, server, live.organizer.email)
    console.goto(f"{server.url}/manage/{live.event.id}/live")
    _connected(console)
    audience = new_page(viewport={"width": 390, "height": 844})
    audience.goto(f"{server.url}/e/{live.event.slug}")
    _connected(audience)
    projector = new_page(viewport={"width": 1920, "height": 1080})
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector(f"text={live.event.join_code}")
    audience.wait_for_selector("[data-region=status] >> text=Not started yet")

    console.click("#session-start button")
    audience.wait_for_selector(f"[data-region=question] >> text={live.questions[0].text}")
    audience.wait_for_selector("[data-region=status] >> text=Live now")
    console.click(f"#give-{live.people['kimmy'].id} button")
    audience.wait_for_selector("[data-region=floor] >> text=Oh Kyoungmi")
    projector.wait_for_selector("[data-region=floor] >> text=Oh Kyoungmi")
    console.fill("#capture-text", "Forums for solidarity are what is missing.")
    console.click("#capture button[type=submit]")
    audience.wait_for_selector("[data-region=feed] >> text=Forums for solidarity are what is missing.")
    assert console.input_value("#capture-text") == ""
    console.click("#question-next button")
    audience.wait_for_selector(f"[data-region=question] >> text={live.questions[1].text}")
    projector.wait_for_selector(f"[data-region=question] >> text={live.questions[1].text}")
    for _ in range(30):  # the timer ticks in the page; the CSP forbids evaluating a predicate there
        if audience.text_content("[data-region=floor] .timer") not in {"0:00", None}:
            break
        audience.wait_for_timeout(200)
    assert audience.text_content("[data-region=floor] .timer") != "0:00"
    console.click("[data-region=feed] details.edit summary")
    console.fill("[data-region=feed] textarea", "Forums for solidarity are missing.")
    console.click("[data-region=feed] details.edit button[type=submit]")
    audience.wait_for_selector("[data-region=feed] >> text=corrected")
    console.click("#switch-feed button")
    audience.wait_for_selector("[data-region=feed]", state="hidden")
    console.click("#session-end button")
    console.click("dialog.confirm-dialog button:has-text('End the session')")
    audience.wait_for_selector("[data-region=status] >> text=Session ended")
    audience.wait_for_selector("[data-region=notice] >> text=The session has ended")
    projector.wait_for_selector("[data-region=status] >> text=Session ended")


def test_panelist_answers_live_and_the_moderator_sees_it(server, new_page, make_live_event):
    live = make_live_event()
    moderator = new_page(viewport={"width": 1366, "height": 768})
    moderator.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    _connected(moderator)
    moderator.click("#session-start button")
    panelist = new_page(viewport={"width": 390, "height": 844})
    panelist.goto(f"{server.url}/invite/{live.tokens['kimmy']}/live")
    panelist.wait_for_selector(f"[data-region=question] >> text={live.questions[0].text}")
    panelist.fill("#answer-text", "Blocking would hurt the groups that rely on it.")
    panelist.click("#answer-form button[type=submit]")
    panelist.wait_for_selector("[data-action-status] >> text=Your answer is saved.")
    moderator.wait_for_selector("[data-region=written] >> text=Blocking would hurt the groups")
    moderator.click("#question-next button")
    panelist.wait_for_selector(f"[data-region=question] >> text={live.questions[1].text}")
    panelist.wait_for_selector(f"#answer-form[data-question='{live.questions[1].id}']")
    assert panelist.input_value("#answer-text") == ""


def test_pages_and_console_work_without_javascript(server, new_page, make_live_event):
    live = make_live_event()
    moderator = new_page(java_script_enabled=False)
    moderator.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    moderator.click("#session-start button")
    moderator.wait_for_selector("text=The session is live.")
    moderator.click("#question-next button")
    moderator.wait_for_selector("text=Moved to the next question.")
    audience = new_page(java_script_enabled=False)
    audience.goto(f"{server.url}/e/{live.event.slug}")
    audience.wait_for_selector(f"[data-region=question] >> text={live.questions[1].text}")
    audience.fill("#ask-text", "Can I ask without JavaScript?")
    audience.click("#ask-form button[type=submit]")
    audience.wait_for_selector("text=Your question was sent for review.")
    audience.wait_for_selector("[data-region=my_questions] >> text=waiting for a moderator")


def test_audience_questions_votes_and_polls_in_the_browser(server, new_page, make_live_event):
    live = make_live_event()
    console = new_page(viewport={"width": 1366, "height": 768})
    console.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    _connected(console)
    console.click("#session-start button")
    asker = new_page(viewport={"width": 390, "height": 844})
    asker.goto(f"{server.url}/e/{live.event.slug}")
    _connected(asker)
    voter = new_page(viewport={"width": 390, "height": 844})
    voter.goto(f"{server.url}/e/{live.event.slug}")
    _connected(voter)

    asker.fill("#ask-text", "Who decides what is illegal content?")
    asker.fill("#ask-name", "Minji")
    asker.click("#ask-form button[type=submit]")
    asker.wait_for_selector("[data-action-status] >> text=Your question was sent for review.")
    asker.wait_for_selector("[data-region=my_questions] >> text=waiting for a moderator")
    console.wait_for_selector("[data-region=queue] >> text=Who decides what is illegal content?")
    console.wait_for_selector("[data-region=queue] .count-badge >> text=1")
    console.click("[data-region=queue] form[data-action='moderation.approve'] button")
    voter.wait_for_selector("[data-region=board] >> text=Who decides what is illegal content?")
    asker.wait_for_selector("[data-region=board] >> text=your question")
    asker.wait_for_selector("[data-region=my_questions]", state="hidden")

    voter.click("[data-region=board] .vote-button")
    voter.wait_for_selector("[data-region=board] .vote-button[aria-pressed=true]")
    voter.wait_for_selector("[data-region=board] >> text=you voted")
    asker.wait_for_selector("[data-region=board] .vote-button >> text=▲ 1")
    console.wait_for_selector("[data-region=board] .count >> text=▲ 1")

    console.fill("#poll-prompt", "Telegram should answer to Korean law.")
    console.click("#open-poll button[type=submit]")
    voter.wait_for_selector("[data-region=poll] >> text=Telegram should answer to Korean law.")
    voter.click("[data-region=poll] button:has-text('Disagree')")
    voter.wait_for_selector("[data-region=poll] >> text=100% (1)")
    voter.wait_for_selector("[data-region=poll] >> text=You answered: Disagree")
    console.wait_for_selector("[data-region=polls] >> text=1 vote")

    console.click("[data-region=board] form[data-action='moderation.highlight'] button")
    projector = new_page(viewport={"width": 1920, "height": 1080})
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector("[data-region=highlight] >> text=Who decides what is illegal content?")
    projector.wait_for_selector("[data-region=projector_poll] >> text=Telegram should answer to Korean law.")
