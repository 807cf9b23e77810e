"""The live room in a real browser (the system's Chromium through Playwright) against the real server:
journeys through the consoles, the audience page and the projector, and what live updates must never
destroy — typed text, the caret, focus, open details."""

from __future__ import annotations

import difflib
import secrets
import time
from html.parser import HTMLParser

import pytest

from tests.browser_fixtures import sign_in
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient

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
    console.click(f"#floor-{live.people['kimmy'].id} button")
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


# --- One definition per region: what the browser builds from deltas is what the server renders -------------

IGNORED_VALUES = {"csrf_token", "client_id"}  # fresh per render


class _Canonical(HTMLParser):
    """A region's HTML as comparable tokens: attributes sorted, whitespace collapsed, per-render values and
    running timers (which contain text only) blanked."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tokens: list[str] = []
        self.in_timer = False

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        if tag == "input" and values.get("name") in IGNORED_VALUES:
            values["value"] = "…"
        if values.get("class") is not None:
            values["class"] = " ".join(sorted(values["class"].split()))
            if not values["class"]:
                del values["class"]
        values.pop("aria-busy", None)
        shown = " ".join(f"{k}={v!r}" for k, v in sorted(values.items(), key=lambda kv: kv[0]))
        self.tokens.append(f"<{tag} {shown}>")
        self.in_timer = "data-timer" in values

    def handle_endtag(self, tag):
        self.in_timer = False
        self.tokens.append(f"</{tag}>")

    def handle_data(self, data):
        text = " ".join(data.split())
        if text:
            self.tokens.append("⏱" if self.in_timer else text)


def _canonical(html: str) -> list[str]:
    parser = _Canonical()
    parser.feed(html)
    return parser.tokens


def _regions(page) -> dict[str, list[str]]:
    pairs = page.locator("[data-live] [data-region]").evaluate_all(
        "elements => elements.map(e => [e.dataset.region, e.outerHTML])"
    )
    return {name: _canonical(html) for name, html in pairs}


def _fresh_render(browser, url, cookies=()) -> dict[str, list[str]]:
    """The same page as the server renders it now, read without JavaScript."""
    context = browser.new_context(java_script_enabled=False)
    try:
        context.add_cookies(list(cookies))
        page = context.new_page()
        page.goto(url)
        return _regions(page)
    finally:
        context.close()


def _shown_seq(page) -> int:
    return int(page.get_attribute("[data-live]", "data-seq") or -1)


def _drive_a_long_session(server, live) -> dict[str, MirrorClient]:
    """About two hundred numbered changes on every stream, from every kind of participant."""
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    scribe = MirrorClient(server.url, {"invite": live.tokens["scribe"]}).connect()
    kimmy = MirrorClient(server.url, {"invite": live.tokens["kimmy"]}).connect()
    members = [
        MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
        for _ in range(4)
    ]
    kimmy_id, hong_id = live.people["kimmy"].id, live.people["hong"].id
    _ok(moderator.call("session.start"))
    asked = []
    for round_number in range(3):
        _ok(moderator.call("floor.give", {"participant_id": kimmy_id if round_number % 2 == 0 else hong_id}))
        for line in range(2):
            said = f"Round {round_number}, line {line}: solidarity needs <forums> & trust."
            result = _ok(scribe.call("contribution.add", {"participant_id": kimmy_id, "text": said}))
        _ok(
            scribe.call(
                "contribution.edit", {"contribution_id": result["contribution_id"], "text": "Corrected."}
            )
        )
        _ok(
            moderator.call(
                "prompt.save", {"question_id": moderator.state["current_question_id"], "text": "So?"}
            )
        )
        _ok(
            kimmy.call(
                "answer.save", {"question_id": moderator.state["current_question_id"], "text": "In writing."}
            )
        )
        for index, member in enumerate(members):
            text = f"Question {round_number}.{index} — 규제가 답일까요? <b>bold?</b>"
            asked.append(_ok(member.call("audience.ask", {"text": text, "client_id": secrets.token_hex(8)})))
        if round_number < 2:
            _ok(moderator.call("question.next"))
    ids = [a["question_id"] for a in asked]
    for qid in ids[:8]:
        _ok(moderator.call("moderation.approve", {"question_id": qid}))
    _ok(moderator.call("moderation.reject", {"question_id": ids[8], "reason": "Off topic."}))
    for index, member in enumerate(members):
        for qid in ids[index : index + 4]:
            if qid in ids[:8]:
                _ok(
                    member.call(
                        "audience.vote", {"question_id": qid, "up": True, "client_id": secrets.token_hex(8)}
                    )
                )
    _ok(moderator.call("moderation.pin", {"question_id": ids[3], "pinned": True}))
    _ok(moderator.call("moderation.answered", {"question_id": ids[1], "answered": True}))
    _ok(moderator.call("moderation.merge", {"question_id": ids[7], "into_id": ids[6]}))
    _ok(moderator.call("moderation.highlight", {"question_id": ids[2]}))
    _ok(moderator.call("poll.open", {"phase": "before"}))
    poll = moderator.state["polls"][-1]
    for index, member in enumerate(members[:3]):
        option = poll["options"][index % 2]["id"]
        _ok(
            member.call(
                "poll.vote", {"poll_id": poll["id"], "option_id": option, "client_id": secrets.token_hex(8)}
            )
        )
    _ok(moderator.call("poll.close", {"poll_id": poll["id"]}))
    _ok(moderator.call("poll.open", {"phase": "after", "prompt": "Regulation is the answer."}))
    after = moderator.state["polls"][-1]
    for member in members:
        option = after["options"][0]["id"]
        _ok(
            member.call(
                "poll.vote", {"poll_id": after["id"], "option_id": option, "client_id": secrets.token_hex(8)}
            )
        )
    _ok(moderator.call("feed.set", {"enabled": False}))
    _ok(moderator.call("feed.set", {"enabled": True}))
    _ok(moderator.call("projector.keep", {"keep": True}))
    _ok(moderator.call("question.add", {"text": "Added on the day: what next?", "make_current": True}))
    _ok(moderator.call("moderation.settings", {"premoderation": False}))
    _ok(
        members[0].call("audience.ask", {"text": "Straight to the board?", "client_id": secrets.token_hex(8)})
    )
    _ok(moderator.call("moderation.block", {"question_id": ids[9], "blocked": True}))
    for turn in range(40):  # a busy scribe and a busy moderator
        person = kimmy_id if turn % 3 else hong_id
        _ok(
            scribe.call("contribution.add", {"participant_id": person, "text": f"Point {turn}: 플랫폼 책임."})
        )
        if turn % 4 == 0:
            _ok(moderator.call("moderation.pin", {"question_id": ids[turn % 6], "pinned": turn % 8 == 0}))
        if turn % 5 == 0:
            _ok(moderator.call("floor.give", {"participant_id": person}))
    _ok(moderator.call("floor.release"))
    return {
        "moderator": moderator,
        "scribe": scribe,
        "kimmy": kimmy,
        "public": members[0],
        "members": members,
    }


def _settled(pages_and_clients, deadline_seconds=60):
    """Wait until every page shows the number its stream is at, and the streams stand still."""
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        targets = [client.call("sync")["result"]["seq"] for _, client in pages_and_clients]
        shown = [_shown_seq(page) for page, _ in pages_and_clients]
        again = [client.call("sync")["result"]["seq"] for _, client in pages_and_clients]
        if shown == targets == again:
            return
        pages_and_clients[0][0].wait_for_timeout(100)  # pages receive their deltas meanwhile
    raise AssertionError(f"pages show {shown}, the streams are at {again}")


def test_a_long_session_replayed_by_the_pages_matches_a_fresh_server_render(
    server, new_page, browser, make_live_event
):
    live = make_live_event()
    urls = {
        "console": f"{server.url}/invite/{live.tokens['moderator']}/live",
        "scribe": f"{server.url}/invite/{live.tokens['scribe']}/live",
        "panelist": f"{server.url}/invite/{live.tokens['kimmy']}/live",
        "audience": f"{server.url}/e/{live.event.slug}",
        "projector": f"{server.url}/e/{live.event.slug}/projector",
    }
    pages = {}
    for name, url in urls.items():
        page = new_page(viewport={"width": 1366, "height": 900})
        page.goto(url)
        _connected(page) if name != "projector" else page.wait_for_selector("[data-live][data-seq]")
        pages[name] = page
    # The audience page's own member takes part too, through the page.
    pages["audience"].fill("#ask-text", "Asked from the page itself?")
    pages["audience"].click("#ask-form button[type=submit]")
    pages["audience"].wait_for_selector("[data-region=my_questions] >> text=Asked from the page itself?")

    clients = _drive_a_long_session(server, live)
    own = clients["moderator"].state["questions"][-1]["id"]
    _ok(clients["moderator"].call("moderation.approve", {"question_id": own}))
    pages["audience"].click(f"#vote-{own} button")
    pages["audience"].wait_for_selector(f"#vote-{own} button[aria-pressed=true]")
    # The count goes out with the next coalesced flush (up to 0.2 s later): until then the streams stand
    # still at a number the pages already show, and a fresh render would count the vote they have not had.
    for stream in ("moderator", "public"):
        assert clients[stream].wait_until(
            lambda state: any(q["id"] == own and q["votes"] == 1 for q in state["questions"])
        ), f"the page's vote reached the {stream} stream"

    _settled(
        [
            (pages["console"], clients["moderator"]),
            (pages["scribe"], clients["scribe"]),
            (pages["panelist"], clients["kimmy"]),
            (pages["audience"], clients["public"]),
            (pages["projector"], clients["public"]),
        ]
    )
    assert clients["moderator"].seq > 120 and clients["public"].seq > 100, "a long sequence reached the pages"
    cookies = pages["audience"].context.cookies()
    for name, url in urls.items():
        live_dom = _regions(pages[name])
        fresh = _fresh_render(browser, url, cookies if name == "audience" else ())
        assert set(live_dom) == set(fresh), name
        for region, tokens in fresh.items():
            if live_dom[region] != tokens:
                diff = "\n".join(
                    difflib.unified_diff(tokens, live_dom[region], "server", "browser", lineterm="")
                )
                raise AssertionError(
                    f"{name} page, region {region} differs from a fresh server render:\n{diff}"
                )
    for client in clients["members"] + [clients["moderator"], clients["scribe"], clients["kimmy"]]:
        client.close()


# --- Typing through a storm of updates ---------------------------------------------------------------------

FIELD_STATE = """element => ({
    value: element.value,
    focused: document.activeElement === element,
    start: element.selectionStart,
    end: element.selectionEnd,
    open: element.closest('details') ? element.closest('details').open : null,
})"""


def _type(page, selector, text, *, open_details=None):
    if open_details:
        page.click(f"{open_details} > summary")
    page.click(selector)
    page.keyboard.type(text)


def _state(page, selector):
    return page.locator(selector).evaluate(FIELD_STATE)


def test_typed_text_caret_focus_and_open_details_survive_fifty_updates(server, new_page, make_live_event):
    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    members = [
        MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
        for _ in range(6)  # each may ask a few questions a minute
    ]
    kimmy_id, hong_id = live.people["kimmy"].id, live.people["hong"].id
    _ok(moderator.call("session.start"))
    _ok(moderator.call("moderation.settings", {"premoderation": False}))
    _ok(moderator.call("floor.give", {"participant_id": kimmy_id}))
    board_question = _ok(
        members[0].call("audience.ask", {"text": "On the board?", "client_id": "board-question"})
    )
    contribution = _ok(
        moderator.call("contribution.add", {"participant_id": kimmy_id, "text": "First words."})
    )
    _ok(moderator.call("moderation.settings", {"premoderation": True}))
    waiting = _ok(
        members[1].call("audience.ask", {"text": "Waiting for you?", "client_id": "queue-question"})
    )

    audience = new_page(viewport={"width": 390, "height": 844})
    audience.goto(f"{server.url}/e/{live.event.slug}")
    _connected(audience)
    audience.fill("#ask-text", "My own earlier question?")
    audience.click("#ask-form button[type=submit]")
    audience.wait_for_selector("[data-region=my_questions] >> text=My own earlier question?")
    mine = audience.get_attribute("[data-region=my_questions] li", "id").split("-")[1]
    console = new_page(viewport={"width": 1366, "height": 768})
    console.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    _connected(console)
    panelist = new_page(viewport={"width": 390, "height": 844})
    panelist.goto(f"{server.url}/invite/{live.tokens['kimmy']}/live")
    _connected(panelist)

    typed = {
        audience: {
            f"#report-reason-{board_question['question_id']}": (
                "It repeats another one",
                f"#report-{board_question['question_id']}",
            ),
            f"#edit-text-{mine}": (" — reworded", f"#edit-mine-{mine}"),
            "#ask-name": ("Minji", None),
            "#ask-text": ("Who decides what is illegal?", None),  # typed last: focus stays here
        },
        console: {
            "#prompt-text": ("How would you put it?", None),
            f"#edit-{contribution['contribution_id']}": (
                " (checked)",
                f"#correct-{contribution['contribution_id']}",
            ),
            "#capture-text": ("She said blocking hurts", None),
            f"#reject-reason-{waiting['question_id']}": ("Please rephrase", None),
        },
        panelist: {"#answer-text": ("My written answer, half done", None)},
    }
    for page, fields in typed.items():
        for selector, (text, details) in fields.items():
            _type(page, selector, text, open_details=details)
    # The caret goes back into the middle of what was typed last on each page.
    for page in typed:
        for _ in range(5):
            page.keyboard.press("ArrowLeft")
    before = {
        page: {selector: _state(page, selector) for selector in fields} for page, fields in typed.items()
    }
    seq_before = {page: _shown_seq(page) for page in typed}
    scroll_before = audience.locator("html").evaluate("() => window.scrollY")

    # Fifty-odd changes that touch every region those fields live in.
    for turn in range(18):
        _ok(moderator.call("contribution.add", {"participant_id": hong_id, "text": f"Reply {turn}."}))
        _ok(
            members[turn % 6].call("audience.ask", {"text": f"More {turn}?", "client_id": f"more-{turn:04d}"})
        )
        _ok(moderator.call("floor.give", {"participant_id": kimmy_id if turn % 2 else hong_id}))
        vote = {
            "question_id": board_question["question_id"],
            "up": turn % 2 == 0,
            "client_id": f"vote-{turn:04d}",
        }
        _ok(members[2].call("audience.vote", vote))
        # Counts are coalesced: two votes inside one flush can cancel out and send nothing. Each vote's count
        # reaches the room before the next vote, so every turn makes its own numbered change.
        assert members[2].wait_until(
            lambda state, want=int(vote["up"]): any(
                q["id"] == board_question["question_id"] and q["votes"] == want for q in state["questions"]
            )
        ), "the vote's count reached the room"
        if turn == 6:
            _ok(
                moderator.call(
                    "contribution.edit",
                    {"contribution_id": contribution["contribution_id"], "text": "Edited elsewhere."},
                )
            )
            _ok(moderator.call("question.next"))
    for page in typed:
        for _ in range(100):
            if _shown_seq(page) >= seq_before[page] + 50:
                break
            page.wait_for_timeout(100)
        assert _shown_seq(page) >= seq_before[page] + 50, "fifty updates reached the page"

    for page, fields in typed.items():
        for selector in fields:
            assert _state(page, selector) == before[page][selector], (page.url, selector)
    assert audience.locator("html").evaluate("() => window.scrollY") == scroll_before
    # Forms that belong to a question say so once the session moves on, and keep that question.
    console.wait_for_selector("#prompt-form .kept-note")
    panelist.wait_for_selector("#answer-form .kept-note")
    assert panelist.get_attribute("#answer-form", "data-question") == str(live.questions[0].id)
    assert console.input_value("#prompt-form input[name=question_id]") == str(live.questions[0].id)
    for client in [moderator, *members]:
        client.close()


# The id of the focused element, or of its form (buttons carry none of their own).
ACTIVE_ID = """() => {
    const active = document.activeElement;
    return active.id || (active.closest("form") && active.closest("form").id) || active.tagName;
}"""


def _press(page, selector):
    page.focus(selector)
    page.keyboard.press("Enter")


def test_keyboard_focus_stays_on_the_control_that_was_used(server, new_page, make_live_event):
    live = make_live_event()
    console = new_page(viewport={"width": 1366, "height": 768})
    console.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    _connected(console)
    _press(console, "#session-start button")
    console.wait_for_selector("#question-next")
    assert console.evaluate(ACTIVE_ID) == "question-next", "Start hands focus to Next question"
    _press(console, "#question-next button")
    console.wait_for_selector(f"[data-region=question] >> text={live.questions[1].text}")
    assert console.evaluate(ACTIVE_ID) == "question-next"
    kimmy = live.people["kimmy"].id
    _press(console, f"#floor-{kimmy} button")
    console.wait_for_selector(f"#floor-{kimmy} >> text=Release the floor")
    assert console.evaluate(ACTIVE_ID) == f"floor-{kimmy}"
    console.keyboard.press("n")  # the documented shortcut
    console.wait_for_selector(f"[data-region=question] >> text={live.questions[2].text}")

    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("moderation.settings", {"premoderation": False}))
    member = MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
    qid = _ok(member.call("audience.ask", {"text": "Vote for me?", "client_id": "vote-for-me"}))[
        "question_id"
    ]
    audience = new_page(viewport={"width": 390, "height": 844})
    audience.goto(f"{server.url}/e/{live.event.slug}")
    _connected(audience)
    _press(audience, f"#vote-{qid} button")
    audience.wait_for_selector(f"#vote-{qid} button[aria-pressed=true]")
    assert audience.evaluate(ACTIVE_ID) == f"vote-{qid}"
    audience.focus("#ask-text")
    audience.keyboard.type("A question typed and sent with the keyboard?")
    audience.keyboard.press("Tab")  # name
    audience.keyboard.press("Tab")  # about the current question
    audience.keyboard.press("Tab")  # send
    audience.keyboard.press("Enter")
    audience.wait_for_selector("[data-action-status] >> text=Your question is on the board.")
    assert audience.evaluate(ACTIVE_ID) == "ask-form"
    assert audience.input_value("#ask-text") == ""
    member.close()
    moderator.close()


def test_the_scribes_speaker_follows_the_floor_and_stays_after_record(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    scribe = new_page(viewport={"width": 1366, "height": 768})
    scribe.goto(f"{server.url}/invite/{live.tokens['scribe']}/live")
    _connected(scribe)
    kimmy, hong = str(live.people["kimmy"].id), str(live.people["hong"].id)
    _ok(moderator.call("floor.give", {"participant_id": live.people["kimmy"].id}))
    expect(scribe.locator("#capture-speaker")).to_have_value(kimmy)  # the floor preselects the speaker
    scribe.fill("#capture-text", "Blocking hurts the groups that rely on it.")
    scribe.click("#capture button[type=submit]")
    scribe.wait_for_selector("[data-region=feed] >> text=Blocking hurts the groups that rely on it.")
    assert scribe.input_value("#capture-text") == ""
    assert scribe.input_value("#capture-speaker") == kimmy, "recording does not send it back to the moderator"
    # While the scribe types, a new floor does not change whose words these are; once recorded, it does.
    scribe.fill("#capture-text", "And one more thing she said")
    _ok(moderator.call("floor.give", {"participant_id": live.people["hong"].id}))
    scribe.wait_for_selector(f"[data-region=floor] >> text={live.people['hong'].display_name}")
    assert scribe.input_value("#capture-speaker") == kimmy
    scribe.click("#capture button[type=submit]")
    scribe.wait_for_selector("[data-region=feed] >> text=And one more thing she said")
    expect(scribe.locator("#capture-speaker")).to_have_value(hong)
    moderator.close()


def test_a_long_question_fits_the_projector_with_a_poll_and_an_audience_question(
    server, new_page, make_live_event
):
    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    long_ko = (
        "국가가 텔레그램처럼 삭제 요청에 응하지 않는 해외 플랫폼을 전면 차단한다면, "
        "그 조치가 성착취물 유통을 실제로 줄이는지, 아니면 피해자 지원 단체와 "
        "시민들의 소통 수단만 빼앗는지 어떻게 판단할 수 있을까요?"
    )
    _ok(moderator.call("question.add", {"text": long_ko, "make_current": True}))
    _ok(moderator.call("moderation.settings", {"premoderation": False}))
    member = MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
    asked = "Who decides what counts as illegal content on a messenger that encrypts everything end to end?"
    qid = _ok(member.call("audience.ask", {"text": asked, "client_id": "long-question"}))["question_id"]
    _ok(moderator.call("moderation.highlight", {"question_id": qid}))
    _ok(moderator.call("poll.open", {"prompt": "차단보다 국제 공조가 먼저다."}))
    projector = new_page(viewport={"width": 1920, "height": 1080})
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector("[data-region=projector_poll] >> text=Undecided")
    boxes = projector.evaluate(
        """() => {
            const box = (selector) => document.querySelector(selector).getBoundingClientRect().toJSON();
            return {
                question: box('[data-region=question] h1'),
                poll: box('[data-region=projector_poll]'),
                highlight: box('[data-region=highlight]'),
                foot: box('.projector-foot'),
                join: box('.projector-join'),
                width: document.documentElement.scrollWidth,
                height: document.documentElement.scrollHeight,
            };
        }"""
    )
    assert boxes["width"] <= 1920 and boxes["height"] <= 1080, "nothing overflows the screen"
    for name in ("question", "poll", "highlight"):
        assert boxes[name]["bottom"] <= boxes["foot"]["top"], f"the {name} stays above the join line"
        assert boxes[name]["right"] <= boxes["join"]["left"], f"the {name} stays clear of the QR code"
    member.close()
    moderator.close()


def test_a_panelists_draft_is_kept_per_question_and_saved_on_request(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    first, second = (str(q.id) for q in live.questions[:2])
    panelist = new_page(viewport={"width": 390, "height": 844})
    panelist.goto(f"{server.url}/invite/{live.tokens['kimmy']}/live")
    _connected(panelist)
    panelist.fill("#answer-text", "A draft about consensus")
    _ok(moderator.call("question.next"))
    note = panelist.locator("#answer-form .kept-note")
    expect(note).to_be_visible()  # the question changed: the form says so and keeps its question
    expect(panelist.locator("#answer-form")).to_have_attribute("data-question", first)
    panelist.click("[data-follow-current]")  # on to the current question; the draft waits in this browser
    expect(panelist.locator("#answer-form")).to_have_attribute("data-question", second)
    expect(panelist.locator("#answer-text")).to_have_value("")
    _ok(moderator.call("question.previous"))
    expect(panelist.locator("#answer-form")).to_have_attribute("data-question", first)
    expect(panelist.locator("#answer-text")).to_have_value("A draft about consensus")
    expect(panelist.locator("#answer-form .draft-note")).to_be_visible()  # "your draft was restored"
    panelist.click("#answer-form button[type=submit]")  # saved only when asked
    panelist.wait_for_selector("[data-action-status] >> text=Your answer is saved.")
    assert moderator.wait_until(
        lambda state: any(
            a["question_id"] == int(first) and a["text"] == "A draft about consensus"
            for a in state.get("written_answers", [])
        )
    )
    panelist.reload()
    _connected(panelist)
    expect(panelist.locator("#answer-text")).to_have_value("A draft about consensus")
    expect(panelist.locator("#answer-form .draft-note")).to_have_count(0)  # saved: nothing left to restore
    moderator.close()


def test_choices_survive_reordering_and_a_cleared_form_catches_up(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    _ok(moderator.call("moderation.settings", {"premoderation": False}))
    members = [
        MirrorClient(server.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
        for _ in range(3)
    ]
    ids = [
        _ok(member.call("audience.ask", {"text": f"Board question {n}?", "client_id": f"board-{n:04d}"}))[
            "question_id"
        ]
        for n, member in enumerate(members)
    ]
    console = new_page(viewport={"width": 1366, "height": 768})
    console.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    _connected(console)
    console.select_option(f"#merge-into-{ids[0]}", str(ids[2]))
    # Votes reorder the board: the question being merged moves, the choice stays.
    for member in members:
        vote = {"question_id": ids[1], "up": True, "client_id": secrets.token_hex(8)}
        _ok(member.call("audience.vote", vote))
    console.wait_for_selector(f"[data-region=board] li:first-child#aq-{ids[1]}")
    expect(console.locator(f"#merge-into-{ids[0]}")).to_have_value(str(ids[2]))

    # The scribe's form is kept while typing; emptied, it follows the room again at once.
    scribe = new_page(viewport={"width": 1366, "height": 768})
    scribe.goto(f"{server.url}/invite/{live.tokens['scribe']}/live")
    _connected(scribe)
    scribe.fill("#capture-text", "Started for question one")
    _ok(moderator.call("floor.give", {"participant_id": live.people["hong"].id}))
    _ok(moderator.call("question.next"))
    scribe.wait_for_selector("#capture .kept-note")
    expect(scribe.locator("#capture input[name=question_id]")).to_have_value(str(live.questions[0].id))
    scribe.fill("#capture-text", "")
    expect(scribe.locator("#capture input[name=question_id]")).to_have_value(str(live.questions[1].id))
    expect(scribe.locator("#capture-speaker")).to_have_value(str(live.people["hong"].id))
    expect(scribe.locator("#capture .kept-note")).to_have_count(0)
    for client in [moderator, *members]:
        client.close()


def test_a_double_tap_sends_once_and_a_new_question_alerts_the_moderator(server, new_page, make_live_event):
    from playwright.sync_api import expect

    live = make_live_event()
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start"))
    console = new_page(viewport={"width": 1366, "height": 768})
    console.goto(f"{server.url}/invite/{live.tokens['moderator']}/live")
    _connected(console)
    audience = new_page(viewport={"width": 390, "height": 844})
    audience.goto(f"{server.url}/e/{live.event.slug}")
    _connected(audience)
    audience.fill("#ask-text", "Sent with a double tap?")
    audience.dblclick("#ask-form button[type=submit]")
    audience.wait_for_selector("[data-action-status] >> text=Your question was sent for review.")
    console.wait_for_selector("[data-region=queue] >> text=Sent with a double tap?")
    expect(console.locator("[data-region=queue] li[id^=queue-]")).to_have_count(1)
    expect(console.locator("[data-region=queue] .count-badge")).to_have_text("1")
    expect(console.locator("p[aria-live=polite].visually-hidden")).to_have_text(
        "New audience question waiting for a decision."
    )
    assert moderator.wait_until(lambda state: len(state["questions"]) == 1)
    moderator.close()


def test_a_delta_that_overtakes_the_one_before_it_waits_instead_of_a_resync(server, new_page):
    """With several processes a later change can arrive first. The client holds it briefly: when the
    missing one follows, both apply in order without a new snapshot; when it never comes, the client asks
    for one (once) after GAP_WAIT_MS."""
    page = new_page()
    page.goto(f"{server.url}/")
    outcome = page.evaluate(
        """async () => {
            const { LiveClient, GAP_WAIT_MS } = await import("/static/js/live/client.js");
            const client = new LiveClient({ event: "x", onState: () => {} });
            const syncs = [];
            client.act = (name) => { syncs.push(name); return new Promise(() => {}); };
            client.applySnapshot({ seq: 0, server_time: new Date().toISOString(), event: { id: 1 },
                                   projector_keep: null });
            const keep = (seq, value, event_id = 1) =>
                client.receive({ event_id, seq, type: "projector", data: { keep: value } });
            keep(1, "other", 2);  // another event's: the connection was moved from it to this one
            const otherIgnored = [client.seq, client.state.projector_keep];
            keep(2, true);  // overtook seq 1
            const heldBack = client.seq;
            keep(1, false);
            const caughtUp = [client.seq, client.state.projector_keep, syncs.length];
            keep(4, false);  // seq 3 never comes
            await new Promise((done) => setTimeout(done, GAP_WAIT_MS + 300));
            return { otherIgnored, heldBack, caughtUp, syncs, seq: client.seq };
        }"""
    )
    assert outcome["otherIgnored"] == [0, None], "a delta of another event is not applied"
    assert outcome["heldBack"] == 0, "a delta that skips a number is not applied at once"
    assert outcome["caughtUp"] == [2, True, 0], "applied in order when the missing one came, no resync"
    assert outcome["syncs"] == ["sync"], "a gap that stays is resolved by one fresh snapshot"
