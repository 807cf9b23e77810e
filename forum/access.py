"""Who is acting, and what each role may do: the roles, their capabilities and the identity of one actor.

Organizers are recognised by their sign-in, invited moderators, scribes and panelists by their
invitation token, and everyone else is audience (or, on the archive, a reader): no account and no
personal data. The audience's browser identity is a random token signed by the server and kept only as
a hash.
"""

from __future__ import annotations

import base64
import enum
import functools
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from flask_babel import lazy_gettext as _l

from forum.errors import PermissionDenied
from forum.protocol import Stream

if TYPE_CHECKING:
    from forum.models import Organizer, Participant


class Role(enum.StrEnum):
    """Every role an actor can have. The three invited roles share their values with ``ParticipantRole``."""

    ORGANIZER = "organizer"
    MODERATOR = "moderator"
    SCRIBE = "scribe"
    PANELIST = "panelist"
    AUDIENCE = "audience"


class Capability(enum.StrEnum):
    MODERATE = "moderate"  # run the session and moderate the audience
    CAPTURE = "capture"  # record and correct contributions
    ANSWER = "answer"  # write one's own answer (panelists)
    PARTICIPATE = "participate"  # ask, vote, report, answer polls, comment on a record (the public)


ROLE_CAPABILITIES: dict[Role, frozenset[Capability]] = {
    Role.ORGANIZER: frozenset({Capability.MODERATE, Capability.CAPTURE}),
    Role.MODERATOR: frozenset({Capability.MODERATE, Capability.CAPTURE}),
    Role.SCRIBE: frozenset({Capability.CAPTURE}),
    Role.PANELIST: frozenset({Capability.ANSWER}),
    Role.AUDIENCE: frozenset({Capability.PARTICIPATE}),
}

_REFUSALS = {
    Capability.MODERATE: _l("Only the moderator or the organizer can do that."),
    Capability.CAPTURE: _l("Only a scribe, the moderator or the organizer can record contributions."),
    Capability.ANSWER: _l("Only panelists can write answers."),
    Capability.PARTICIPATE: _l("Asking, voting and reporting are for the audience."),
}


@dataclass(frozen=True)
class Actor:
    """The identity behind one live connection, one live HTTP action or one reader's comment."""

    event_id: int
    role: Role
    participant_id: int | None = None
    organizer_id: int | None = None
    organizer_session: int | None = None  # the session version the organizer signed in with, checked again
    label: str = "audience"
    invitation_id: int | None = None  # the link an invited person joined with, checked again on every action
    audience_token_hash: str | None = None  # the browser's identity, hashed (audience and readers)
    network_key: str | None = None  # keyed, daily-rotated hash of the address, for rate limits only

    @property
    def stream(self) -> Stream:
        if Capability.MODERATE in self.capabilities:
            return Stream.STAFF
        return Stream.CREW if Capability.CAPTURE in self.capabilities else Stream.PUBLIC

    @property
    def capabilities(self) -> frozenset[Capability]:
        return ROLE_CAPABILITIES[Role(self.role)]

    def require(self, capability: Capability) -> None:
        """Refuse with a clear message unless this actor's role carries ``capability``."""
        if capability not in self.capabilities:
            raise PermissionDenied(str(_REFUSALS[capability]))


class EventRef(Protocol):
    """What an actor needs of its event: an ORM ``Event`` or the lean row a live connection reads."""

    @property
    def id(self) -> int: ...


def organizer_actor(organizer: Organizer, event: EventRef) -> Actor:
    return Actor(
        event_id=event.id,
        role=Role.ORGANIZER,
        organizer_id=organizer.id,
        organizer_session=organizer.session_version,
        label=organizer.display_name,
    )


def participant_actor(person: Participant, invitation_id: int | None = None) -> Actor:
    return Actor(
        event_id=person.event_id,
        role=Role(person.role.value),
        participant_id=person.id,
        invitation_id=invitation_id,
        label=f"{person.display_name} ({person.role.value})",
    )


def audience_actor(event: EventRef, audience_token_hash: str | None, network_key: str | None) -> Actor:
    return Actor(
        event_id=event.id,
        role=Role.AUDIENCE,
        audience_token_hash=audience_token_hash,
        network_key=network_key,
    )


TOKEN_COOKIE = "forum_audience"
# An audience token is "<random part>.<signature>": only this server, holding the secret key, can make one.
_TOKEN_RE = re.compile(r"^([A-Za-z0-9_-]{32})\.([A-Za-z0-9_-]{43})$")


def _signature(secret: str, random_part: str) -> str:
    digest = hmac.new(secret.encode(), f"audience-token:{random_part}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def new_token(secret: str) -> str:
    """A new audience identity, signed with the server's secret key so that no client can invent one."""
    random_part = secrets.token_urlsafe(24)
    return f"{random_part}.{_signature(secret, random_part)}"


def token_hash(token: str | None, secret: str) -> str | None:
    """The stored form of an audience token, or None for a missing, malformed or unsigned one."""
    match = _TOKEN_RE.match(token) if isinstance(token, str) else None
    if match is None or not hmac.compare_digest(match.group(2), _signature(secret, match.group(1))):
        return None
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def network_key(secret: str, address: str | None, now: datetime | None = None) -> str | None:
    """A keyed hash of a network address that changes every day, for rate limits only; never stored."""
    if not address:
        return None
    day = (now or datetime.now(UTC)).date().isoformat()
    return hmac.new(_daily_key(secret, day), address.encode(), hashlib.sha256).hexdigest()[:32]


@functools.lru_cache(maxsize=4)
def _daily_key(secret: str, day: str) -> bytes:
    # The same for every address on one day: derived once, not for each connection.
    return hmac.new(secret.encode(), f"network-key:{day}".encode(), hashlib.sha256).digest()
