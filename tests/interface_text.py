"""Reading a page as a Korean reader hears it: the interface text outside content marked with its language,
and the Latin-script words left in it (tests/test_i18n_coverage.py explains the rule)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9"}
TOKEN = re.compile(r"[A-Za-z0-9_]+(?:/[A-Za-z0-9_/+-]+)?")
URL = re.compile(r"https?://\S*")
ZONE = re.compile(r"^(?:UTC|[A-Z][A-Za-z_]+(?:/[A-Za-z_ +-]+)+)$")  # time-zone names in the zone pickers
# Words that are the same in Korean interfaces: names of formats and things, and the switcher's "English"
# (which carries lang="en").
ALLOWED = {"PDF", "QR", "URL", "JSON", "Markdown", "Atom", "txt", "md", "json", "pdf", "RSS", "CSV", "ID"}
SPOKEN_ATTRIBUTES = {"aria-label", "title", "placeholder", "alt", "aria-description"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class InterfaceText(HTMLParser):
    """Collects text and spoken attributes that are not inside an element with its own ``lang``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, bool]] = []  # (tag, is content or skipped)
        self.found: list[str] = []

    def _skipped(self) -> bool:
        return any(skip for _, skip in self.stack)

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        skip = (tag != "html" and "lang" in values) or values.get("translate") == "no"
        skip = skip or tag in {"script", "style", "code", "kbd", "template", "title"}
        if not skip and not self._skipped():
            for name in SPOKEN_ATTRIBUTES & values.keys():
                self.found.append(f"@{name}: {values[name]}")
            if tag == "input" and values.get("type") in {"submit", "button"} and values.get("value"):
                self.found.append(f"@value: {values['value']}")
        if tag not in VOID:
            self.stack.append((tag, skip))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if data.strip() and not self._skipped():
            self.found.append(data.strip())


def _words(text: str) -> list[str]:
    return [
        token
        for token in TOKEN.findall(URL.sub(" ", text))
        if len(token) > 1 and token.isalpha() and token.isascii() and token not in ALLOWED
    ]


def english_in(html: str) -> list[str]:
    parser = InterfaceText()
    parser.feed(html)
    shown = ((text, text.split(": ", 1)[-1] if text[0] == "@" else text) for text in parser.found)
    return [text for text, value in shown if not ZONE.match(value) and _words(value)]
