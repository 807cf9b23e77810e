"""Korean never breaks inside a word: long Korean headings and questions on a phone, on the projector
and on the published record, measured in the system's Chromium (every word's text sits on one line)."""

from __future__ import annotations

import pytest

from forum.boundary import unit_of_work
from forum.models import Organizer
from forum.publishing import publishing
from tests.live_mirror import MirrorClient

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.parametrize("database_url", ["sqlite"], indirect=True),
]

TITLE = "텔레그램 같은 해외 메신저 플랫폼을 국가 차원에서 차단하는 것이 정말로 필요한가?"
QUESTION = (
    "국경을 넘어 운영되는 메신저 플랫폼의 불법 콘텐츠에 대응하려면 국제적인 합의와 국가별 규제 가운데 "
    "무엇이 먼저 필요하다고 보십니까?"
)

# For each element, at several widths (all wider than its longest word): every Korean word whose glyphs
# sit on more than one line. ``wordBreak`` overrides the page's rule (the control: without keep-all, words
# do split).
SPLIT_WORDS = """([selector, wordBreak]) => {
  const broken = new Set();
  for (const element of document.querySelectorAll(selector)) {
    const saved = [element.style.width, element.style.wordBreak];
    if (wordBreak) element.style.wordBreak = wordBreak;
    const em = parseFloat(getComputedStyle(element).fontSize);
    for (let width = 7; width <= 21; width += 0.7) {  // in em: wider than any word here, up to a long line
      element.style.width = width * em + "px";
      const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        for (const match of node.textContent.matchAll(/\\S+/g)) {
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const tops = new Set(Array.from(range.getClientRects()).filter((r) => r.width > 0)
            .map((r) => Math.round(r.top)));
          if (tops.size > 1 && /[\uac00-\ud7a3]/.test(match[0])) broken.add(match[0]);
        }
      }
    }
    [element.style.width, element.style.wordBreak] = saved;
  }
  return Array.from(broken);
}"""


def _lines(page, selector) -> int:
    return page.evaluate(
        """(selector) => {
          const range = document.createRange();
          range.selectNodeContents(document.querySelector(selector));
          return new Set(Array.from(range.getClientRects()).map((x) => Math.round(x.top))).size;
        }""",
        selector,
    )


def _assert_whole_words(page, selector, *, wraps=True):
    page.wait_for_selector(selector)
    assert page.evaluate(SPLIT_WORDS, [selector, None]) == [], f"Korean words split in {selector}"
    if wraps:
        assert _lines(page, selector) > 1, f"{selector} should wrap here (the test would prove nothing)"


def test_long_korean_headings_wrap_between_words_on_phone_projector_and_record(
    app, server, new_page, make_live_event
):
    live = make_live_event(language="ko", title=TITLE)
    moderator = MirrorClient(server.url, {"invite": live.tokens["moderator"]}).connect()
    assert moderator.call("session.start", {})["ok"]
    assert moderator.call("question.add", {"text": QUESTION, "make_current": True})["ok"]

    phone = new_page(viewport={"width": 360, "height": 740}, locale="ko-KR")
    phone.goto(f"{server.url}/e/{live.event.slug}")
    phone.wait_for_selector(f"[data-region=question] >> text={QUESTION[:12]}")
    _assert_whole_words(phone, "main h1")
    # The measurement can see a split: without keep-all the same heading breaks inside words.
    assert phone.evaluate(SPLIT_WORDS, ["main h1", "normal"]) != []
    _assert_whole_words(
        phone, "[data-region=question] h2, [data-region=question] h1, [data-region=question] p", wraps=False
    )

    projector = new_page(viewport={"width": 1920, "height": 1080}, locale="ko-KR")
    projector.goto(f"{server.url}/e/{live.event.slug}/projector")
    projector.wait_for_selector(f"[data-region=question] >> text={QUESTION[:12]}")
    _assert_whole_words(projector, ".current-question h1")

    assert moderator.call("session.end", {})["ok"]
    moderator.close()
    with app.app_context(), unit_of_work() as session:
        publishing.publish(session, session.get(Organizer, live.organizer.id), live.event.id)
    phone.goto(f"{server.url}/archive/{live.event.slug}")
    _assert_whole_words(phone, "article.record h1")
    _assert_whole_words(phone, "article.record h2, article.record h3", wraps=False)
