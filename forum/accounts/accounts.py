"""Organizer accounts: sign-up, sign-in and password storage (Argon2id via argon2-cffi)."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import rate_limits
from forum.db import utcnow
from forum.errors import Conflict, InvalidInput, NotAuthenticated
from forum.fields import clean_text
from forum.limits import EMAIL_MAX, ORGANIZER_NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from forum.models import Organizer

_hasher = PasswordHasher()
# Deliberately loose: the address only has to be deliverable-looking; we never send mail unasked.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Verifying against this keeps sign-in timing the same whether or not the account exists.
_DUMMY_HASH = _hasher.hash("timing-equaliser-not-a-password")


def normalise_email(value: str | None) -> str:
    """Lower-case and trim an e-mail address; refuse anything that is not shaped like one."""
    email = clean_text(value, field="email", label=_("E-mail address"), max_length=EMAIL_MAX) or ""
    email = email.lower()
    if not _EMAIL_RE.match(email):
        message = _("Enter an e-mail address such as name@example.org.")
        raise InvalidInput(message, fields={"email": message})
    return email


def check_password_rules(password: str | None) -> str:
    """Refuse passwords that are too short or too long; any characters are allowed."""
    password = password or ""
    if len(password) < PASSWORD_MIN:
        message = _("Choose a password of at least %(num)s characters.", num=PASSWORD_MIN)
        raise InvalidInput(message, fields={"password": message})
    if len(password) > PASSWORD_MAX:
        message = _("Passwords are limited to %(num)s characters.", num=PASSWORD_MAX)
        raise InvalidInput(message, fields={"password": message})
    return password


def register_organizer(session: Session, *, email: str, display_name: str, password: str) -> Organizer:
    """Create an organizer account; refuses a taken e-mail address or a weak password."""
    email = normalise_email(email)
    name = clean_text(display_name, field="display_name", label=_("Your name"), max_length=ORGANIZER_NAME_MAX)
    password = check_password_rules(password)
    taken = session.scalar(select(func.count()).select_from(Organizer).where(Organizer.email == email))
    if taken:
        raise Conflict(
            _("An account with this e-mail address already exists. Sign in instead."),
            fields={"email": _("An account with this e-mail address already exists.")},
        )
    organizer = Organizer(email=email, display_name=name, password_hash=_hasher.hash(password))
    session.add(organizer)
    session.flush()
    return organizer


def authenticate(session: Session, *, email: str, password: str, network_key: str | None = None) -> Organizer:
    """Return the organizer whose credentials match; one vague error for any mismatch.

    Attempts count against the sign-in rate limit of the caller's network address.
    """
    rate_limits.enforce("signin", network_key)
    failure = NotAuthenticated(_("That e-mail address and password do not match an account."))
    try:
        email = normalise_email(email)
    except InvalidInput:
        raise failure from None
    organizer = session.scalar(select(Organizer).where(Organizer.email == email))
    stored_hash = organizer.password_hash if organizer else _DUMMY_HASH
    try:
        _hasher.verify(stored_hash, password or "")
    except (VerificationError, InvalidHashError):
        raise failure from None
    if organizer is None:
        raise failure
    if _hasher.check_needs_rehash(organizer.password_hash):
        organizer.password_hash = _hasher.hash(password)
    organizer.last_login_at = utcnow()
    return organizer


def set_password(session: Session, organizer: Organizer, password: str) -> None:
    """Replace an organizer's password (used by the CLI)."""
    organizer.password_hash = _hasher.hash(check_password_rules(password))
