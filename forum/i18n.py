"""Interface language, localized dates and the translation catalogues (Flask-Babel).

The interface follows, in order: the language a person chose with the switcher (a cookie, no account
needed), their browser's Accept-Language, then English. Content (titles, questions, answers, names) keeps
the event's own language; templates mark it with ``lang`` so screen readers switch voice. The published
record's fixed phrases ("…'s answers to the main questions discussed") use the event's language:
``in_language(event.language)``.

The catalogues live in ``forum/translations/<lang>/LC_MESSAGES/messages.po``; the compiled ``.mo`` files
are built from them when the app starts (and are not committed), so a fresh clone needs no extra step.
``make messages`` re-extracts the strings after a change; ``tests/test_i18n.py`` fails while any string
lacks a translation.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_timezone_name
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, current_app, has_request_context, request
from flask_babel import Babel, force_locale, get_locale, refresh
from markupsafe import Markup, escape

log = logging.getLogger(__name__)

LANGUAGES: dict[str, str] = {"ko": "한국어", "en": "English"}
DEFAULT_LANGUAGE = "en"
COOKIE = "forum_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
TRANSLATIONS = Path(__file__).resolve().parent / "translations"


# Where the choice is kept: in the request's WSGI environ, which a live connection keeps for all its events.
_CHOSEN = "forum.locale"


def select_locale() -> str:
    """The interface language of this request: the switcher's cookie, else Accept-Language, else English.

    A live connection chooses once, when it connects: each of its events runs in a request context of its
    own but with the connection's environ, and choosing again (parsing Accept-Language) cost every live
    action as much as its database statement. Changing language reloads the page, so a new connection."""
    if not has_request_context():
        return current_app.config.get("DEFAULT_LANGUAGE", DEFAULT_LANGUAGE)
    chosen = request.environ.get(_CHOSEN)
    if chosen is None:
        chosen = request.cookies.get(COOKIE)
        if chosen not in LANGUAGES:
            chosen = request.accept_languages.best_match(list(LANGUAGES)) or current_app.config.get(
                "DEFAULT_LANGUAGE", DEFAULT_LANGUAGE
            )
        request.environ[_CHOSEN] = chosen
    return chosen


def interface_language() -> str:
    """The language the interface speaks now (a ``lang`` attribute value)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def content_language(code: str | None) -> str:
    """A ``lang`` attribute for content written in ``code`` (an event's language), defaulting sensibly."""
    return (code or DEFAULT_LANGUAGE).strip() or DEFAULT_LANGUAGE


def as_content(text: Any, code: str | None = None) -> Markup:
    """Content inside a translated sentence ("%(name)s 님, 환영합니다."), marked for screen readers: with
    its language when known (an event's), else as words not to translate (a person's name)."""
    escaped = escape("" if text is None else str(text))
    if code:
        return Markup('<span lang="%s">%s</span>') % (content_language(code), escaped)
    return Markup('<span translate="no">%s</span>') % escaped


def language_name(code: str | None) -> str:
    """A language code as people read it ("ko" → "한국어"); unknown codes are shown as they are."""
    return LANGUAGES.get(code or "", code or "")


@contextmanager
def in_language(code: str | None) -> Iterator[None]:
    """Render fixed phrases in ``code`` (the event's language) when the catalogues have it."""
    language = code if code in LANGUAGES else DEFAULT_LANGUAGE
    with force_locale(language):
        yield


def _zone(zone: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(zone or "UTC")
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


def zone_name(zone: str | None) -> str:
    """A time zone as people in the interface's language name it ("Korean Time", "한국 시간")."""
    return get_timezone_name(_zone(zone), "long", locale=get_locale() or DEFAULT_LANGUAGE)


def local_date(value: datetime | None, zone: str | None = None, style: str = "long") -> str:
    """A UTC instant's date at ``zone`` in the interface's language ("2025년 6월 14일", "June 14, 2025")."""
    if value is None:
        return ""
    return format_date(value.astimezone(_zone(zone)), style, locale=get_locale() or DEFAULT_LANGUAGE)


def local_time(value: datetime | None, zone: str | None = None) -> str:
    """A UTC instant's wall-clock time at ``zone`` ("오후 2:00", "2:00 PM")."""
    if value is None:
        return ""
    return format_time(value.astimezone(_zone(zone)), "short", locale=get_locale() or DEFAULT_LANGUAGE)


def local_datetime(
    value: datetime | None, zone: str | None = None, style: str = "long", *, show_zone: bool = True
) -> str:
    """Date and time at ``zone``, with the zone named: "2025년 6월 14일 오후 2:00 (한국 시간)"."""
    if value is None:
        return ""
    text = f"{local_date(value, zone, style)} {local_time(value, zone)}"
    return f"{text} ({zone_name(zone)})" if show_zone else text


def compile_catalogues(root: Path = TRANSLATIONS, target: Path | None = None) -> Path:
    """Build each ``messages.mo`` from its ``.po`` when missing or older, under ``target`` (default: beside
    the ``.po``), atomically: several processes may start at once. Returns the folder holding them."""
    target = target or root
    for po_path in root.glob("*/LC_MESSAGES/messages.po"):
        mo_path = target / po_path.relative_to(root).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as handle:
            catalogue = read_po(handle, locale=po_path.parent.parent.name)
        fd, temporary = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write_mo(handle, catalogue, use_fuzzy=False)
            os.replace(temporary, mo_path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
    return target


def language_links() -> list[dict[str, Any]]:
    """The switcher's choices for the current page."""
    current = interface_language()
    here = request.full_path.rstrip("?") if has_request_context() else "/"
    from flask import url_for

    return [
        {
            "code": code,
            "name": name,
            "current": code == current,
            "url": url_for("site.language", code=code, next=here),
        }
        for code, name in LANGUAGES.items()
    ]


def init_app(app: Flask) -> None:
    try:
        compiled = compile_catalogues()
    except OSError:  # an installed, read-only copy: compile into the instance folder instead
        compiled = compile_catalogues(target=Path(app.instance_path) / "translations")
        log.info("Translations compiled into %s (the package folder is read-only)", compiled)
    Babel(app, locale_selector=select_locale, default_translation_directories=str(compiled))
    # Flask-Babel keeps the chosen language on ``g``; a request made inside an app context that is already
    # open (the CLI, tests) shares that ``g``, so each request chooses again.
    app.before_request(refresh)
    app.add_template_filter(local_date, "local_date")
    app.add_template_filter(local_time, "local_clock")
    app.add_template_filter(local_datetime, "local_datetime")
    app.add_template_filter(language_name, "language_name")
    app.add_template_filter(as_content, "as_content")
    app.add_template_filter(content_language, "content_lang")
    app.jinja_env.globals.update(interface_language=interface_language, language_links=language_links)


# --- Keeping the catalogues current (``make messages``) -----------------------------------------------------

KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2")


def extract(project_root: Path, output: Path) -> None:
    """Collect every translatable string of the code and templates into a ``.pot`` file."""
    from babel.messages.frontend import CommandLineInterface

    arguments = ["pybabel", "-q", "extract", "-F", str(project_root / "babel.cfg"), "--no-location"]
    arguments += ["--sort-output", "-o", str(output)]
    for keyword in KEYWORDS:
        arguments += ["-k", keyword]
    CommandLineInterface().run([*arguments, str(project_root)])


def update_catalogues(project_root: Path, root: Path = TRANSLATIONS) -> None:
    """Merge newly extracted strings into each language's ``.po``; English translates to itself."""
    from babel.messages.frontend import CommandLineInterface
    from babel.messages.pofile import write_po

    template = root / "messages.pot"
    extract(project_root, template)
    for code in LANGUAGES:
        po_path = root / code / "LC_MESSAGES" / "messages.po"
        verb = "update" if po_path.exists() else "init"
        arguments = ["pybabel", "-q", verb, "-i", str(template), "-d", str(root), "-l", code]
        if verb == "update":
            arguments += ["--no-fuzzy-matching", "--ignore-obsolete"]
        CommandLineInterface().run(arguments)
        if code == "en":
            with po_path.open("rb") as handle:
                catalogue = read_po(handle, locale=code)
            for message in catalogue:
                untranslated = (
                    not any(message.string) if isinstance(message.id, tuple) else not message.string
                )
                if message.id and untranslated:
                    message.string = message.id
            partial = po_path.with_suffix(".po.tmp")
            with partial.open("wb") as handle:
                write_po(handle, catalogue, omit_header=False, sort_output=True, no_location=True)
            os.replace(partial, po_path)


if __name__ == "__main__":
    update_catalogues(Path(__file__).resolve().parent.parent)
