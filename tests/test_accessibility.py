"""axe-core (vendored in tests/vendor/axe-core) on every main page, in Korean and in English, in the
system's Chromium: no serious or critical violation. The live pages are checked while a session runs
(a question on the floor, an open poll, audience questions on the board and in the queue), the record
pages once it is published."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from forum.boundary import unit_of_work
from forum.captions import links, recording
from forum.models import Organizer
from forum.publishing import publishing
from tests.browser_fixtures import sign_in
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
LANGUAGES = {"en": "en-GB", "ko": "ko-KR"}
RUN_AXE = """async () => {
  // label-content-name-mismatch (WCAG 2.5.3, label in name) is experimental in axe and off by default.
  const rules = { "label-content-name-mismatch": { enabled: true } };
  const result = await axe.run(document, { resultTypes: ["violations"], rules });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
                   nodes: v.nodes.slice(0, 4).map((n) => n.target.join(" ") + " :: " + n.failureSummary) }));
}"""


CONNECTION_CONTRAST = """async (status) => {
  const line = document.querySelector("[data-connection]");
  line.dataset.status = status;
  line.textContent = line.textContent || status;
  const result = await axe.run(line, { runOnly: ["color-contrast"], resultTypes: ["violations"] });
  return result.violations.map((v) => v.nodes.map((n) => n.failureSummary).join("; "));
}"""


def _ok(ack):
    assert ack["ok"], ack
    return ack.get("result")


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def _check(pages: dict[str, object], url_by_name: dict[str, str], language: str, found: dict) -> None:
    for name, url in url_by_name.items():
        page = pages["staff" if name.startswith("staff:") else "public"]
        page.goto(url)
        if page.query_selector("[data-connection]"):
            page.wait_for_selector("[data-connection][data-status=connected]", state="attached")
        shown = page.evaluate("document.documentElement.lang")
        if shown != language:
            found[f"{language} {name} lang"] = shown
        violations = _violations(page)
        if violations:
            found[f"{language} {name}"] = violations
        if page.query_selector("[data-connection]"):
            # The connection line shows only when something is wrong: check how it reads then, too.
            for status in ("connecting", "reconnecting", "refused"):
                contrast = page.evaluate(CONNECTION_CONTRAST, status)
                if contrast:
                    found[f"{language} {name} connection {status}"] = contrast


def _pages(new_page, server, organizer_email: str, language: str) -> dict[str, object]:
    options = {"locale": LANGUAGES[language], "bypass_csp": True, "timezone_id": "Asia/Seoul"}
    staff = new_page(viewport={"width": 1366, "height": 768}, **options)
    sign_in(staff, server, organizer_email)
    public = new_page(viewport={"width": 390, "height": 844}, **options)
    return {"staff": staff, "public": public}


@pytest.mark.parametrize("event_language", ["ko", "en"])
def test_no_serious_or_critical_axe_violation_on_the_main_pages(
    app, server, new_page, make_live_event, event_language
):
    live = make_live_event(language=event_language)
    event, base = live.event, server.url
    moderator = MirrorClient(base, {"invite": live.tokens["moderator"]}).connect()
    _ok(moderator.call("session.start", {}))
    _ok(moderator.call("moderation.settings", {"premoderation": True}))
    _ok(moderator.call("floor.give", {"participant_id": live.people["kimmy"].id}))
    # Live captions on the projector's band, the audience's panel and the consoles (issue 13).
    with app.app_context(), unit_of_work() as session:
        _link, caption_token = links.issue_link(session, session.get(Organizer, live.organizer.id), event.id)
    _ok(moderator.call("captions.projector", {"on": True}))
    for seq, text in enumerate(["국제적인 합의가 필요합니다.", "Platforms answer to the law."], start=1):
        request = urllib.request.Request(
            f"{base}/captions/{caption_token}?seq={seq}",
            data=text.encode("utf-8"),
            headers={"Content-Type": "text/plain; charset=utf-8"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10):
            pass
    member = MirrorClient(base, {"event": event.slug, "audience": e2e_audience_token()}).connect()
    first = _ok(
        member.call("audience.ask", {"text": "공개 토론은 어디서 이어지나요?", "client_id": "axe-ask-1"})
    )
    _ok(member.call("audience.ask", {"text": "Who moderates the channels?", "client_id": "axe-ask-2"}))
    _ok(moderator.call("moderation.approve", {"question_id": first["question_id"]}))
    _ok(moderator.call("poll.open", {}))
    live_pages = {
        "home": f"{base}/",
        "audience": f"{base}/e/{event.slug}?captions=1",
        "projector": f"{base}/e/{event.slug}/projector",
        "panelist": f"{base}/invite/{live.tokens['kimmy']}/live",
        "staff:console": f"{base}/manage/{event.id}/live",
    }
    static_pages = {
        "sign-in": f"{base}/auth/signin",
        "staff:my-events": f"{base}/manage/",
        "staff:new-event": f"{base}/manage/new",
        "staff:overview": f"{base}/manage/{event.id}",
        "staff:agenda-question": f"{base}/manage/{event.id}/agenda/new",
        "staff:panel-member": f"{base}/manage/{event.id}/panel/new",
        "invitation": f"{base}/invite/{live.tokens['kimmy']}",
    }
    found: dict[str, list] = {}
    for language in LANGUAGES:
        pages = _pages(new_page, server, live.organizer.email, language)
        _check(pages, live_pages | static_pages, language, found)
    _ok(moderator.call("session.end", {}))
    with app.app_context(), unit_of_work() as session:
        owner = session.get(Organizer, live.organizer.id)
        video = "https://media.example.org/debate.mp4"
        recording.set_record_options(
            session, owner, event.id, recording_url=video, offset="1:35", verbatim=True
        )
        publishing.publish(session, owner, event.id)
    record_pages = {
        "archive": f"{base}/archive/",
        "record": f"{base}/archive/{event.slug}",
        "search": f"{base}/archive/search?q=platform",
        "versions": f"{base}/archive/{event.slug}/versions",
        "staff:editor": f"{base}/manage/{event.id}/record",
    }
    for language in LANGUAGES:
        pages = _pages(new_page, server, live.organizer.email, language)
        _check(pages, record_pages, language, found)
    member.close()
    moderator.close()
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
