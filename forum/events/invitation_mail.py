"""Sending a person's invitation link by e-mail, through the mail server named by ``FORUM_SMTP_*``.

The database keeps only a hash of each link, so the link can be mailed only from the page that has just shown
it: that page posts it back, and it is sent only while it is still the person's working link. Sending writes
nothing, so a mail server that is down or refuses the message leaves everything as it was, and the organizer
still has the link to copy. Neither the link nor the address is ever logged. Flask-Mailman builds and sends
the message (docs/dependencies.md).
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from flask import current_app, render_template
from flask_babel import gettext as _
from flask_mailman import EmailMessage
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum import rate_limits
from forum.accounts.accounts import normalise_email
from forum.errors import Conflict, DomainError, InvalidInput
from forum.events.events import owned_event
from forum.events.invitations import hash_token
from forum.events.panel import owned_participant
from forum.i18n import LANGUAGES, in_language
from forum.models import Invitation, Organizer, Participant

log = logging.getLogger(__name__)


class MailNotSent(DomainError):
    """The mail server could not be used or did not take the message; nothing was sent."""

    code = "mail_not_sent"
    status = 502


@dataclass(frozen=True)
class SentInvitation:
    """What was sent: to whom, for which person, in which language."""

    participant: Participant
    address: str
    language: str


def mail_configured() -> bool:
    """True when this site has a mail server to send invitation links with (``FORUM_SMTP_HOST``)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def mail_language(event_language: str | None) -> str:
    """The language an invitation e-mail is written in by default: the event's, when it is one we speak."""
    return event_language if event_language in LANGUAGES else "en"


def working_link_holder(
    session: Session, organizer: Organizer, event_id: int, participant_id: int, token: str
) -> Participant:
    """The participant whose working link ``token`` is, in the organizer's event.

    Another organizer's event or person is NotFound; a link that was replaced, revoked or never theirs is a
    Conflict (it must not be sent, nor shown again).
    """
    participant = owned_participant(session, organizer, event_id, participant_id)
    invitation = None
    if token and len(token) <= 200:
        invitation = session.scalar(
            select(Invitation).where(
                Invitation.token_hash == hash_token(token),
                Invitation.participant_id == participant.id,
                Invitation.revoked_at.is_(None),
            )
        )
    if invitation is None:
        raise Conflict(
            _(
                "This link no longer works, so it was not sent. "
                "Create a new link for %(name)s and send that.",
                name=participant.display_name,
            )
        )
    return participant


def send_invitation_mail(
    session: Session,
    organizer: Organizer,
    event_id: int,
    participant_id: int,
    *,
    token: str,
    link: str,
    address: str | None,
    language: str | None,
) -> SentInvitation:
    """E-mail a participant's working link (``link``, built from ``token``) to ``address`` in ``language``.

    Refuses when no mail server is set up, the link is not the person's working one, the address is not
    shaped like one or the organizer has sent too many (``FORUM_RATE_INVITATION_MAIL``); a mail server that
    cannot be reached or refuses the message is a MailNotSent, or an InvalidInput when it refuses the address.
    """
    participant = working_link_holder(session, organizer, event_id, participant_id, token)
    event = owned_event(session, organizer, event_id)
    if not mail_configured():
        raise MailNotSent(
            _("Sending e-mail is not set up on this site. Copy the link and pass it on yourself.")
        )
    recipient = normalise_email(address)
    language = language if language in LANGUAGES else mail_language(event.language)
    rate_limits.enforce("invitation_mail", f"organizer:{organizer.id}")
    with in_language(language):
        subject = _("Invitation: %(title)s", title=event.title)
        body = render_template(
            "events/invitation_mail.txt", event=event, person=participant, organizer=organizer, link=link
        )
    message = EmailMessage(subject=subject, body=body, to=[recipient], reply_to=[organizer.email])
    try:
        message.send()
    except smtplib.SMTPRecipientsRefused as error:
        _log_failure(participant, error)
        refused = _(
            "The mail server refused this address. Check it, or copy the link and pass it on yourself."
        )
        raise InvalidInput(refused, fields={"email": refused}) from error
    except ValueError as error:  # an address or header the message cannot carry
        text = _("Enter an e-mail address such as name@example.org.")
        raise InvalidInput(text, fields={"email": text}) from error
    except (smtplib.SMTPException, OSError) as error:
        _log_failure(participant, error)
        raise MailNotSent(_failure_message(error)) from error
    log.info("invitation e-mail sent for participant %s", participant.id)
    return SentInvitation(participant=participant, address=recipient, language=language)


def _log_failure(participant: Participant, error: Exception) -> None:
    # The kind of failure only: a server's reply may quote the message, and so the link.
    log.warning("invitation e-mail for participant %s not sent: %s", participant.id, type(error).__name__)


def _failure_message(error: Exception) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return _(
            "The mail server did not accept this site's sign-in, so nothing was sent. Tell the site's "
            "administrator; meanwhile copy the link and pass it on yourself."
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return _(
            "The mail server refused this site's sender address, so nothing was sent. Tell the site's "
            "administrator; meanwhile copy the link and pass it on yourself."
        )
    if isinstance(error, smtplib.SMTPResponseException) and not isinstance(error, smtplib.SMTPConnectError):
        return _(
            "The mail server did not accept the message, so nothing was sent. Try again later, or copy the "
            "link and pass it on yourself."
        )
    return _(
        "The mail server could not be reached, so nothing was sent. Try again later, or copy the link and "
        "pass it on yourself."
    )
