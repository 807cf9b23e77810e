"""The event's word list: submissions containing a listed term are held for a moderator instead of shown."""

from __future__ import annotations

import re
import unicodedata

from forum.limits import WORD_LIST_TERM_COUNT_MAX, WORD_LIST_TERM_MAX


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def parse_terms(word_list: str | None) -> list[str]:
    """One term per line; blank lines and lines starting with '#' are ignored."""
    terms = []
    for line in (word_list or "").splitlines():
        term = _normalise(line.strip())
        if term and not term.startswith("#"):
            terms.append(term[:WORD_LIST_TERM_MAX])
    return terms[:WORD_LIST_TERM_COUNT_MAX]


def matching_terms(text: str, word_list: str | None) -> list[str]:
    """The listed terms found in ``text``.

    Terms made of Latin letters and digits match whole words only ("ass" does not match "class");
    other terms — Korean, Chinese, Japanese, emoji, phrases with punctuation — match anywhere, because
    those scripts attach particles to words ("규제가" contains "규제").
    """
    haystack = _normalise(text)
    found = []
    for term in parse_terms(word_list):
        if re.fullmatch(r"[a-z0-9][a-z0-9 '\-]*", term):
            if re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", haystack):
                found.append(term)
        elif term in haystack:
            found.append(term)
    return found
