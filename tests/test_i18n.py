"""The interface's languages: complete catalogues (the CI check that no string is untranslated), how a
request's language is chosen, the switcher, and localized dates."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from babel.messages.pofile import read_po
from flask import render_template_string

from forum import PROJECT_ROOT, i18n

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """Every translatable string in the code and templates as they are now (not as the .pot says)."""
    template = tmp_path_factory.mktemp("i18n") / "messages.pot"
    i18n.extract(PROJECT_ROOT, template)
    with template.open("rb") as handle:
        return read_po(handle)


def _catalogue(code: str):
    with (i18n.TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=code)


def _forms(message) -> list[str]:
    return list(message.string) if isinstance(message.id, tuple) else [message.string]


@pytest.mark.parametrize("code", sorted(i18n.LANGUAGES))
def test_every_interface_string_is_translated(extracted, code):
    """Fails when a string was added or changed without `make messages` and a translation."""
    catalogue = _catalogue(code)
    missing, fuzzy, broken = [], [], []
    for message in extracted:
        if not message.id:
            continue
        entry = catalogue.get(message.id)
        if entry is None or not all(_forms(entry)):
            missing.append(message.id)
            continue
        if entry.fuzzy:
            fuzzy.append(message.id)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        wanted = set().union(*(PLACEHOLDER.findall(text) for text in ids))
        for text in _forms(entry):
            # A plural's singular may leave out %(num)s ("one vote"); anything else must match.
            if set(PLACEHOLDER.findall(text)) - wanted or wanted - set(PLACEHOLDER.findall(text)) - {"num"}:
                broken.append((message.id, text))
    assert missing == [], f"{len(missing)} strings lack a {code} translation (run `make messages`): {missing}"
    assert fuzzy == [], f"fuzzy {code} translations need a look: {fuzzy}"
    assert broken == [], f"{code} translations whose placeholders differ from the original: {broken}"


def test_korean_differs_from_english_where_it_should(extracted):
    """A Korean 'translation' that is the English text again is a missed translation, except for words
    that read the same (codes, names, symbols)."""
    catalogue = _catalogue("ko")
    same = [
        m.id
        for m in extracted
        if m.id
        and isinstance(m.id, str)
        and (entry := catalogue.get(m.id)) is not None
        and entry.string == m.id
        and re.search(r"[A-Za-z]{4,}", PLACEHOLDER.sub("", m.id))
    ]
    assert same == [], same


def test_the_compiled_catalogues_follow_the_sources(tmp_path):
    source = i18n.TRANSLATIONS / "ko" / "LC_MESSAGES" / "messages.po"
    root = tmp_path / "translations"
    (root / "ko" / "LC_MESSAGES").mkdir(parents=True)
    copy = root / "ko" / "LC_MESSAGES" / "messages.po"
    copy.write_bytes(source.read_bytes())
    i18n.compile_catalogues(root)
    compiled = copy.with_suffix(".mo")
    assert compiled.stat().st_size > 0
    first = compiled.stat().st_mtime_ns
    i18n.compile_catalogues(root)  # up to date: left alone
    assert compiled.stat().st_mtime_ns == first
    elsewhere = tmp_path / "instance" / "translations"
    assert i18n.compile_catalogues(root, elsewhere) == elsewhere  # a read-only package compiles elsewhere
    assert (elsewhere / "ko" / "LC_MESSAGES" / "messages.mo").stat().st_size == compiled.stat().st_size


@pytest.mark.parametrize(
    ("headers", "cookie", "expected"),
    [
        ({}, None, "en"),
        ({"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.8"}, None, "ko"),
        ({"Accept-Language": "en-US,en;q=0.9,ko;q=0.5"}, None, "en"),
        ({"Accept-Language": "fr-FR,fr;q=0.9"}, None, "en"),
        ({"Accept-Language": "ko"}, "en", "en"),
        ({"Accept-Language": "en"}, "ko", "ko"),
        ({"Accept-Language": "ko"}, "xx", "ko"),
    ],
)
def test_the_interface_language_follows_the_switcher_then_the_browser(client, headers, cookie, expected):
    if cookie:
        client.set_cookie(i18n.COOKIE, cookie)
    page = client.get("/auth/signin", headers=headers).get_data(as_text=True)
    assert f'<html lang="{expected}">' in page
    assert ("로그인" in page) is (expected == "ko")


def test_the_switcher_remembers_the_choice_and_returns_to_the_page(client):
    page = client.get("/archive/?year=2025", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'hreflang="ko"' in page and 'lang="ko"' in page and "한국어" in page
    link = re.search(r'href="([^"]+)" lang="ko" hreflang="ko"', page).group(1).replace("&amp;", "&")
    response = client.get(link)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/archive/?year=2025")
    cookie = client.get_cookie(i18n.COOKIE)
    assert cookie is not None and cookie.value == "ko" and cookie.max_age and cookie.max_age > 86400 * 300
    assert cookie.http_only and cookie.same_site == "Lax"
    again = client.get("/archive/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ko">' in again and 'aria-current="true">한국어' in again


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_the_switcher_never_sends_people_off_site(client, target):
    response = client.get("/language/en", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] in {"/", "http://localhost/"}


def test_an_unknown_language_changes_nothing(client):
    response = client.get("/language/xx", query_string={"next": "/archive/"})
    assert response.status_code == 303
    assert client.get_cookie(i18n.COOKIE) is None


def test_dates_are_localized_with_the_zone_named(app):
    instant = datetime(2025, 6, 14, 5, 0, tzinfo=UTC)  # 14:00 in Seoul
    template = (
        "{{ t|local_datetime('Asia/Seoul') }} | {{ t|local_date('Asia/Seoul') }} | {{ t|local_clock('UTC') }}"
    )
    with app.test_request_context(headers={"Accept-Language": "ko"}):
        korean = render_template_string(template, t=instant)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        english = render_template_string(template, t=instant)
    assert korean == "2025년 6월 14일 오후 2:00 (한국 시간) | 2025년 6월 14일 | 오전 5:00"
    assert english == "June 14, 2025 2:00\u202fPM (Korean Time) | June 14, 2025 | 5:00\u202fAM"


def test_fixed_phrases_can_follow_the_events_language_whatever_the_interface(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        with i18n.in_language("ko"):
            assert render_template_string("{{ _('Sign in') }}") == "로그인"
        with i18n.in_language("fr"):  # no catalogue: English
            assert render_template_string("{{ _('Sign in') }}") == "Sign in"
        assert render_template_string("{{ _('Sign in') }}") == "Sign in"


def test_a_language_code_reads_as_its_name(app):
    with app.test_request_context():
        assert i18n.language_name("ko") == "한국어"
        assert i18n.language_name("en") == "English"
        assert i18n.language_name("de") == "de"
