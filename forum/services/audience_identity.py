"""Audience identity without personal data: a random per-browser token, kept only as a hash, and
receipts that make retried submissions land once."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.errors import InvalidInput, PermissionDenied
from forum.models import AudienceMember, SubmissionReceipt
from forum.services import rate_limits
from forum.services.fields import clean_text
from forum.services.live_access import Capability, LiveActor

TOKEN_COOKIE = "forum_audience"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{22,128}$")
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


def new_token() -> str:
    """A random identity for a browser that has none yet."""
    return secrets.token_urlsafe(24)


def token_hash(token: str | None) -> str | None:
    """The stored form of an audience token, or None for a missing or malformed one."""
    if not token or not _TOKEN_RE.match(token):
        return None
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def network_key(secret: str, address: str | None, now: datetime | None = None) -> str | None:
    """A keyed hash of a network address that changes every day, for rate limits only; never stored."""
    if not address:
        return None
    day = (now or datetime.now(UTC)).strftime("%Y-%m-%d")
    daily_key = hmac.new(secret.encode(), f"network-key:{day}".encode(), hashlib.sha256).digest()
    return hmac.new(daily_key, address.encode(), hashlib.sha256).hexdigest()[:32]


def find_member(session: Session, actor: LiveActor) -> AudienceMember | None:
    """The member behind an audience actor, if they have taken part before."""
    if actor.audience_token_hash is None:
        return None
    return session.scalar(
        select(AudienceMember).where(
            AudienceMember.event_id == actor.event_id, AudienceMember.token_hash == actor.audience_token_hash
        )
    )


def member_for(session: Session, actor: LiveActor) -> AudienceMember:
    """The member behind an audience actor, created on first participation."""
    if actor.audience_token_hash is None:
        raise PermissionDenied(
            "Your browser has no audience identity. Allow cookies for this site and reload the page.",
            code="no_identity",
        )
    member = find_member(session, actor)
    if member is None:
        member = AudienceMember(event_id=actor.event_id, token_hash=actor.audience_token_hash)
        session.add(member)
        session.flush()
    return member


def clean_client_id(value: Any) -> str:
    """Validate a client-generated submission id."""
    if not isinstance(value, str) or not _CLIENT_ID_RE.match(value):
        raise InvalidInput(
            "Each submission needs a client_id of 8 to 64 letters, digits, '-' or '_'.",
            fields={"client_id": "Missing or malformed."},
        )
    return value


def earlier_result(session: Session, member: AudienceMember, client_id: str, action: str) -> dict | None:
    """What the same submission produced before, if this is a retry."""
    receipt = session.scalar(
        select(SubmissionReceipt).where(
            SubmissionReceipt.member_id == member.id, SubmissionReceipt.client_id == client_id
        )
    )
    if receipt is None:
        return None
    if receipt.action != action:
        raise InvalidInput(
            "This client_id was already used for another kind of submission.", code="client_id_reused"
        )
    return receipt.result or {}


def keep_receipt(session: Session, member: AudienceMember, client_id: str, action: str, result: dict) -> None:
    session.add(SubmissionReceipt(member_id=member.id, client_id=client_id, action=action, result=result))
    session.flush()


@dataclass(frozen=True)
class Submission:
    """One audience submission: who sends it, its client-generated id, and what a retry already produced."""

    member: AudienceMember
    client_id: str
    action: str
    earlier: dict | None

    def done(self, session: Session, result: dict) -> dict:
        """Keep the result for retries of the same submission, and return it."""
        keep_receipt(session, self.member, self.client_id, self.action, result)
        return result


def submission(session: Session, actor: LiveActor, client_id: Any, action: str) -> Submission:
    """Start a submission: the actor must be audience with an identity and send a well-formed client id."""
    actor.require(Capability.PARTICIPATE)
    member = member_for(session, actor)
    client_id = clean_client_id(client_id)
    return Submission(member, client_id, action, earlier_result(session, member, client_id, action))


NAME_MAX = 60


def clean_post(text: Any, display_name: Any, *, label: str, max_length: int) -> tuple[str, str | None]:
    """The text of an audience question or reader comment, and the optional name it is signed with."""
    cleaned = (
        clean_text(
            text if isinstance(text, str) else "",
            field="text",
            label=label,
            max_length=max_length,
            multiline=True,
        )
        or ""
    )
    name = clean_text(
        display_name if isinstance(display_name, str) else "",
        field="display_name",
        label="Your name",
        max_length=NAME_MAX,
        required=False,
    )
    return cleaned, name


def may_post(member: AudienceMember) -> None:
    """Refuse members a moderator has blocked in this event."""
    if member.blocked_at is not None:
        raise PermissionDenied("A moderator has stopped you from posting in this event.", code="blocked")


def count_against_limits(actor: LiveActor, member: AudienceMember, name: str) -> None:
    """One action against the network's limit and the member's limit called ``name``."""
    rate_limits.enforce("network", actor.network_key)
    rate_limits.enforce(name, f"member:{member.id}")
