"""Organizer accounts: sign-up, sign-in and password storage (Argon2id via argon2-cffi)."""

from __future__ import annotations

import hashlib
import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum import outbox, rate_limits
from forum.db import utcnow
from forum.errors import Conflict, InvalidInput, NotAuthenticated
from forum.fields import clean_text
from forum.limits import EMAIL_MAX, ORGANIZER_NAME_MAX, PASSWORD_MAX, PASSWORD_MIN
from forum.models import Organizer
from forum.protocol import organizer_room

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


def _account_key(email: str | None) -> str:
    """The key a sign-in's account is counted under: a hash of the address as typed, normalised loosely, so
    the rate-limit storage never holds e-mail addresses."""
    return hashlib.sha256(" ".join((email or "").split()).casefold().encode()).hexdigest()[:32]


def authenticate(session: Session, *, email: str, password: str, network_key: str | None = None) -> Organizer:
    """Return the organizer whose credentials match; one vague error for any mismatch.

    Failed attempts count against two limits: the caller's network address ("signin") and the account
    tried ("signin_account"), so guesses spread over many addresses still slow down. Once either is reached,
    every attempt waits, even a right one; successful sign-ins never count, so a whole office behind one
    address can still sign in.
    """
    account = _account_key(email)
    rate_limits.ensure_room("signin", network_key)
    rate_limits.ensure_room("signin_account", account)
    try:
        email = normalise_email(email)
        organizer = session.scalar(select(Organizer).where(Organizer.email == email))
        _hasher.verify(organizer.password_hash if organizer else _DUMMY_HASH, password or "")
        if organizer is None:
            raise VerificationError
    except (InvalidInput, VerificationError, InvalidHashError):
        rate_limits.enforce("signin", network_key)
        rate_limits.enforce("signin_account", account)
        raise NotAuthenticated(_("That e-mail address and password do not match an account.")) from None
    if _hasher.check_needs_rehash(organizer.password_hash):
        organizer.password_hash = _hasher.hash(password)
    organizer.last_login_at = utcnow()
    return organizer


def organizer_for_session(session: Session, session_id: str) -> Organizer | None:
    """The organizer a session cookie names ("<id>.<version>"), unless that session was ended since."""
    organizer_id, _dot, version = session_id.partition(".")
    if not (organizer_id.isdigit() and version.isdigit()):
        return None
    organizer = session.get(Organizer, int(organizer_id))
    if organizer is None or organizer.session_version != int(version):
        return None
    return organizer


def end_every_session(session: Session, organizer: Organizer) -> None:
    """Sign the organizer out everywhere: every session cookie (copies too) stops working, and their open
    live connections are closed and refused any further action."""
    organizer.session_version += 1
    session.flush()
    outbox.evict(session, organizer_room(organizer.id))


def set_password(session: Session, organizer: Organizer, password: str) -> None:
    """Replace an organizer's password (used by the CLI); every session signed in with the old one ends."""
    organizer.password_hash = _hasher.hash(check_password_rules(password))
    end_every_session(session, organizer)
