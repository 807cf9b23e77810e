"""Field rules shared by services: trimming, length limits, URLs, slugs, wording, yes/no flags."""

from __future__ import annotations

import re
import unicodedata
from typing import TypeVar
from urllib.parse import urlsplit

from flask_babel import gettext as _

from forum.errors import InvalidInput
from forum.limits import SLUG_MAX, URL_MAX

# Words the archive uses as addresses of its own (/archive/search).
RESERVED_SLUGS = frozenset({"search", "new"})
_SLUG_RE = re.compile(r"^[^\W_]+(?:-[^\W_]+)*$")
_NON_SLUG_CHARS = re.compile(r"[\W_]+")
_WHITESPACE = re.compile(r"\s+")
# Characters no text of ours may hold: control characters, C0 and C1 (tab and line breaks aside; NEL, U+0085,
# is a line break), lone surrogates (they cannot be stored as UTF-8) and the noncharacters XML 1.0 forbids
# (one in a title would break the feed).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_DIGITS = re.compile(r"[0-9]{1,10}")
ID_MAX = 2**31 - 1  # the database's INTEGER
_Default = TypeVar("_Default")


def without_forbidden_characters(text: str) -> str:
    """``text`` without the characters :func:`clean_text` keeps out (for output made from older data)."""
    return _CONTROL.sub("", text)


def clean_text(
    value: str | None,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str | None:
    """Trim and NFC-normalise text, drop control characters, and enforce presence and length."""
    text = unicodedata.normalize("NFC", value or "")
    text = _CONTROL.sub("", text)
    if multiline:
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x85", "\n").strip()
    else:
        text = _WHITESPACE.sub(" ", text).strip()
    if not text:
        if required:
            message = _("%(label)s is required.", label=label)
            raise InvalidInput(message, fields={field: message})
        return None
    if len(text) > max_length:
        message = _(
            "%(label)s is too long (%(length)s characters; the limit is %(limit)s).",
            label=label,
            length=len(text),
            limit=max_length,
        )
        raise InvalidInput(message, fields={field: message})
    return text


def clean_url(value: str | None, *, field: str, label: str, required: bool = False) -> str | None:
    """Accept an absolute http(s) URL, or nothing when optional."""
    text = clean_text(value, field=field, label=label, max_length=URL_MAX, required=required)
    if text is None:
        return None
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.netloc or " " in text:
        message = _("%(label)s must be a full web address starting with http:// or https://.", label=label)
        raise InvalidInput(message, fields={field: message})
    return text


def slugify(text: str, max_length: int = 60) -> str:
    """Make a URL slug that keeps letters of every script: "텔레그램 괜찮나?" -> "텔레그램-괜찮나"."""
    normalised = unicodedata.normalize("NFKC", text).lower()
    slug = _NON_SLUG_CHARS.sub("-", normalised).strip("-")
    slug = slug[:max_length].rstrip("-")
    if slug in RESERVED_SLUGS:
        slug = f"{slug}-event"
    return slug or "event"


def clean_slug(value: str, *, field: str = "slug") -> str:
    """Validate a slug typed by an organizer: letters and digits of any script, joined by single hyphens."""
    slug = unicodedata.normalize("NFKC", value or "").strip().lower()
    if not slug:
        raise InvalidInput(_("The web address name is required."), fields={field: _("Required.")})
    if len(slug) > SLUG_MAX:
        message = _("The web address name is too long (limit %(limit)s characters).", limit=SLUG_MAX)
        raise InvalidInput(message, fields={field: message})
    if not _SLUG_RE.match(slug):
        message = _(
            "Use letters and digits (any script) separated by single hyphens, e.g. telegram-panel-2024."
        )
        raise InvalidInput(message, fields={field: message})
    if slug in RESERVED_SLUGS:
        message = _("“%(slug)s” is used by the site itself; choose another web address name.", slug=slug)
        raise InvalidInput(message, fields={field: message})
    return slug


def is_slug(value: str) -> bool:
    """True when ``value`` has the shape of a slug (cheap guard before a lookup)."""
    return 0 < len(value) <= SLUG_MAX and bool(_SLUG_RE.match(value))


def wording_key(text: str) -> str:
    """Reduce a question to what makes it the same question: case, spacing and punctuation ignored."""
    normalised = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NON_SLUG_CHARS.sub(" ", normalised).split())


def parse_flag(value: object, *, field: str) -> bool:
    """A required yes/no field: JSON ``true``/``false``, or the text ``"true"``/``"false"`` of HTML forms.

    Refuses anything else (0 or 1, "yes", "on", "", a missing value), naming the field, so that a typing
    mistake never quietly means "no".
    """
    if isinstance(value, bool):
        return value
    if value == "true":
        return True
    if value == "false":
        return False
    if value is None:
        message = _("'%(field)s' is required: send true or false.", field=field)
    else:
        message = _("'%(field)s' must be true or false.", field=field)
    raise InvalidInput(message, fields={field: _("Send true or false.")})


def parse_optional_flag(value: object, *, field: str, default: _Default) -> bool | _Default:
    """An optional yes/no field: missing (or null) means ``default``; otherwise as :func:`parse_flag`.

    An unchecked HTML checkbox posts nothing, so for a form it is the default.
    """
    return default if value is None else parse_flag(value, field=field)


def parse_id(value: object, *, field: str, required: bool = True) -> int | None:
    """A positive whole number that fits the database's INTEGER (an id), from JSON or a form.

    Accepts an integer (not ``true``/``false``, which Python counts as 1 and 0) or text of ASCII digits,
    spaces around allowed ("12", " 12 "). Missing (None or "") is refused when ``required``, else None.
    """
    if value is None or value == "":
        if required:
            raise InvalidInput(f"'{field}' is required.", fields={field: "Required."})
        return None
    if isinstance(value, bool):
        value = None
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or not 0 < value <= ID_MAX:
        raise InvalidInput(f"'{field}' must be a positive whole number.", fields={field: "Not a number."})
    return value
