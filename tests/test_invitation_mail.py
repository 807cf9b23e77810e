"""Invitation links sent by e-mail, against a real SMTP server (aiosmtpd) each test starts on loopback."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from forum.config import DEFAULT_RATE_LIMITS, MailSettings
from forum.models import Invitation
from tests.conftest import DEFAULT_PASSWORD
from tests.interface_text import KOREAN, english_in

SENDER = "forum@example.org"
REFUSED = "nobody@example.org"


def _free_port() -> int:
    # A port nothing listens on (the OS picked it, then it was let go).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Inbox:
    """aiosmtpd handler: keeps every message it accepts, refuses mail to REFUSED."""

    messages: list[email.message.EmailMessage] = field(default_factory=list)
    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    """A local SMTP server on a free loopback port, and the inbox it fills."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


def _mail_settings(port: int) -> dict[str, object]:
    return {
        "MAIL_BACKEND": "smtp",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": port,
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_DEFAULT_SENDER": SENDER,
        "MAIL_TIMEOUT": 5,
    }


@pytest.fixture
def with_mail(app_config, smtp_server) -> Inbox:
    """The app under test sends through the local SMTP server; returns its inbox. (Name it before ``app``
    and ``client`` in a test's arguments: the app is built from ``app_config`` when first asked for.)"""
    inbox, port = smtp_server
    app_config.update(_mail_settings(port))
    return inbox


@pytest.fixture
def mail_down(app_config) -> None:
    """The app under test is set up with a mail server that is not there (nothing listens on its port)."""
    app_config.update(_mail_settings(_free_port()))


@pytest.fixture
def one_mail_an_hour(app_config) -> None:
    """The app under test lets an organizer send one invitation e-mail an hour."""
    app_config["RATE_LIMITS"] = {**DEFAULT_RATE_LIMITS, "invitation_mail": "1/hour"}


@pytest.fixture
def panel_of(client, make_organizer, login, make_event, make_participant):
    """Factory: a signed-in organizer's event (keywords for the event) with Kimmy on its panel."""

    def factory(name: str = "Oh Kyoungmi", short_name: str = "Kimmy", **event: Any):
        organizer = make_organizer()
        login(organizer)
        made = make_event(organizer, **event)
        kimmy = make_participant(made, name, short_name=short_name)
        return organizer, made, kimmy

    return factory


def _issue(client, event, person, headers=None) -> tuple[str, str]:
    response = client.post(
        f"/manage/{event.id}/panel/{person.id}/invitation", data={"confirmed": "1"}, headers=headers
    )
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = re.search(r'value="(http[^"]+/invite/([^"]+))"', page)
    assert match, "the page shows the link"
    return match.group(2), page


def _send(client, event, person, token, address="kimmy@example.org", language=None, headers=None):
    data = {"token": token, "email": address}
    if language:
        data["language"] = language
    return client.post(f"/manage/{event.id}/panel/{person.id}/invitation/email", data=data, headers=headers)


def _body(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def test_organizer_mails_a_working_link(with_mail, app, client, panel_of):
    organizer, event, kimmy = panel_of()
    token, page = _issue(client, event, kimmy)
    assert "Send the link by e-mail" in page
    response = _send(client, event, kimmy, token)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    shown = response.get_data(as_text=True)
    assert "The invitation was sent to" in shown and "kimmy@example.org" in shown
    assert f"/invite/{token}" in shown, "the link stays on the page to copy"

    [message] = with_mail.messages
    assert with_mail.envelopes[0].rcpt_tos == ["kimmy@example.org"]
    assert message["To"] == "kimmy@example.org"
    assert message["From"] == SENDER
    assert message["Reply-To"] == organizer.email
    assert message["Subject"] == "Invitation: Is it okay to use Telegram as it is?"
    body = _body(message)
    assert "Hello Oh Kyoungmi," in body
    assert "People Outraged by the Nth Room Incident" in body and "as Panelist" in body
    assert "November 23, 2024" in body and "(Korean Time)" in body
    link = re.search(r"^(http\S+/invite/(\S+))\r?$", body, re.M)
    assert link and link.group(2) == token
    assert app.test_client().get(f"/invite/{link.group(2)}").status_code == 200, "the mailed link works"


def test_a_korean_event_mails_in_korean_unless_the_organizer_picks_english(with_mail, client, panel_of):
    _organizer, event, kimmy = panel_of("오경미", "경미", language="ko", title="텔레그램, 이대로 괜찮은가?")
    token, page = _issue(client, event, kimmy, headers=KOREAN)
    assert re.search(r'<option (selected value="ko"|value="ko" selected)>', page), "the event's language"
    assert english_in(page) == []
    response = _send(client, event, kimmy, token, headers=KOREAN)
    assert response.status_code == 200
    assert english_in(response.get_data(as_text=True)) == []
    assert _send(client, event, kimmy, token, language="en").status_code == 200

    korean, english = with_mail.messages
    # Flask-Mailman folds an encoded subject onto its own line; the space that leaves is not part of it.
    assert korean["Subject"].strip() == "초대: 텔레그램, 이대로 괜찮은가?"
    body = _body(korean)
    assert "2024년 11월 23일" in body and "패널" in body and f"/invite/{token}" in body
    assert english["Subject"].strip() == "Invitation: 텔레그램, 이대로 괜찮은가?"
    assert "Hello 오경미," in _body(english)


def test_without_a_mail_server_the_link_is_only_copied(client, panel_of, db_session):
    _organizer, event, kimmy = panel_of()
    token, page = _issue(client, event, kimmy)
    assert "e-mail" not in page.lower() and 'action="/manage/1/panel/1/invitation/email"' not in page
    assert 'data-copy-target="invite-link-' in page
    # A page left open from before the mail server was removed: told plainly, link still there, nothing sent.
    response = _send(client, event, kimmy, token)
    assert response.status_code == 502
    shown = response.get_data(as_text=True)
    assert "Sending e-mail is not set up on this site" in shown
    assert f"/invite/{token}" in shown and 'action="/manage/1/panel/1/invitation/email"' not in shown


def test_a_mail_server_that_is_down_loses_nothing(mail_down, app, client, panel_of, db_session):
    _organizer, event, kimmy = panel_of()
    token, _page = _issue(client, event, kimmy)
    response = _send(client, event, kimmy, token)
    assert response.status_code == 502
    assert response.headers["Cache-Control"] == "no-store"
    shown = response.get_data(as_text=True)
    assert "The mail server could not be reached, so nothing was sent." in shown
    assert f'value="http://localhost/invite/{token}"' in shown, "the link is still there to copy"
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 1
    assert app.test_client().get(f"/invite/{token}").status_code == 200


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("not an address", "Enter an e-mail address such as name@example.org."),
        ("", "Enter the address to send the link to."),
        (REFUSED, "The mail server refused this address."),
    ],
)
def test_a_bad_address_is_shown_by_the_field(with_mail, client, panel_of, address, message):
    _organizer, event, kimmy = panel_of()
    token, _page = _issue(client, event, kimmy)
    response = _send(client, event, kimmy, token, address=address)
    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert re.search(r'<p class="error" id="email-error">[^<]*' + re.escape(message), shown)
    assert f"/invite/{token}" in shown
    assert with_mail.messages == []


def test_a_replaced_link_is_neither_sent_nor_shown_again(with_mail, client, panel_of):
    _organizer, event, kimmy = panel_of()
    old, _page = _issue(client, event, kimmy)
    _issue(client, event, kimmy)
    response = _send(client, event, kimmy, old)
    assert response.status_code == 303
    overview = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "This link no longer works, so it was not sent." in overview and old not in overview
    assert _send(client, event, kimmy, "made-up").status_code == 303
    assert with_mail.messages == []


def test_another_organizers_person_is_not_found(with_mail, app, client, panel_of, make_organizer):
    _organizer, event, kimmy = panel_of()
    token, _page = _issue(client, event, kimmy)
    stranger, someone = app.test_client(), make_organizer()
    stranger.post("/auth/signin", data={"email": someone.email, "password": DEFAULT_PASSWORD})
    assert _send(stranger, event, kimmy, token).status_code == 404
    assert with_mail.messages == []


def test_sending_is_rate_limited_per_organizer(one_mail_an_hour, with_mail, client, panel_of):
    _organizer, event, kimmy = panel_of()
    token, _page = _issue(client, event, kimmy)
    assert _send(client, event, kimmy, token).status_code == 200
    response = _send(client, event, kimmy, token, address="other@example.org")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    shown = response.get_data(as_text=True)
    assert "You have sent many invitation e-mails in a short time." in shown and f"/invite/{token}" in shown
    assert len(with_mail.messages) == 1


def test_the_link_never_reaches_the_logs(with_mail, app, client, panel_of, caplog):
    _organizer, event, kimmy = panel_of()
    token, _page = _issue(client, event, kimmy)
    with caplog.at_level(logging.DEBUG):
        assert _send(client, event, kimmy, token).status_code == 200
        app.extensions["mailman"].port = _free_port()  # the mail server goes away
        assert _send(client, event, kimmy, token).status_code == 502
    # aiosmtpd, the test's own mail server, logs what it receives; the app's records are the ones that count.
    ours = [r for r in caplog.records if not r.name.startswith("mail.log")]
    assert any("invitation e-mail sent" in r.getMessage() for r in ours)
    assert any("not sent: ConnectionRefusedError" in r.getMessage() for r in ours)
    for record in ours:
        text = record.getMessage() + (record.exc_text or "")
        assert token not in text and "kimmy@example.org" not in text


def test_mail_settings_are_read_and_checked(monkeypatch):
    monkeypatch.setenv("FORUM_SMTP_HOST", "mail.example.org")
    with pytest.raises(ValueError, match="FORUM_MAIL_FROM"):
        MailSettings.from_environ()
    monkeypatch.setenv("FORUM_MAIL_FROM", "Debate forum <forum@example.org>")
    monkeypatch.setenv("FORUM_SMTP_SSL", "true")
    settings = MailSettings.from_environ()
    assert (settings.port, settings.ssl, settings.starttls) == (465, True, False)
    monkeypatch.setenv("FORUM_SMTP_STARTTLS", "true")
    with pytest.raises(ValueError, match="cannot both be on"):
        MailSettings.from_environ()
    for name in ("FORUM_SMTP_HOST", "FORUM_MAIL_FROM", "FORUM_SMTP_SSL", "FORUM_SMTP_STARTTLS"):
        monkeypatch.delenv(name)
    assert MailSettings.from_environ().flask_config()["MAIL_SERVER"] is None
