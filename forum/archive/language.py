"""The record speaks its event's language; the page around it speaks the reader's.

A published record's fixed phrases ("Moderation:", "About the host", "… took part as a panelist …") are
part of the record: they are in the event's language on every page and in every export, whatever the
reader's interface language. The navigation around the record (downloads, comments, the version list)
follows the interface. Templates switch with a call block::

    {% call speaking(record.event.language) %} … the record … {% endcall %}

and dates in the record are written the way the event's language writes them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import get_locale
from markupsafe import Markup

from forum.i18n import DEFAULT_LANGUAGE, in_language, local_date, local_datetime

# How a record's date is written in each language. English keeps the day-month-year form the published
# summaries have always used ("23 November 2024"); other languages use their long form ("2024년 11월 23일").
DATE_PATTERNS = {"en": "d MMMM y"}


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def date_pattern() -> str:
    """The date format of the current language (the event's, inside a record)."""
    return DATE_PATTERNS.get(current_language(), "long")


def speaking(code: str | None, caller: Callable[[], str]) -> Markup:
    """A template call block whose fixed phrases (and dates) are in ``code``."""
    with in_language(code):
        return Markup(caller())


def instant(value: str | datetime | None) -> datetime | None:
    """A record document's timestamp ("2024-11-23T05:00:00.000Z") as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def day(value: str | datetime | None, zone: str | None) -> str:
    """A document timestamp's date at ``zone``, as the current language writes a record's dates."""
    return local_date(instant(value), zone, date_pattern())


def record_date(record: dict[str, Any]) -> str:
    """A record's start in the current language (the event's, inside a record), at the event's zone and
    naming it: "23 November 2024 2:00 PM (Korean Time)", "2024년 11월 23일 오후 2:00 (한국 시간)"."""
    event = record["event"]
    return local_datetime(instant(event["starts_at"]), event["timezone"], date_pattern())


def init_app(app: Flask) -> None:
    globals_: dict[str, Any] = {"speaking": speaking}
    app.jinja_env.globals.update(globals_)
    app.add_template_filter(instant, "instant")
    app.add_template_filter(day, "record_day")
    app.add_template_filter(record_date, "record_date")
