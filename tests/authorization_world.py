"""The events the authorization matrix runs on, and how one cell of it is performed.

One event per stage is built once, through the services, in one SQLite file. A request or action that changed
anything is undone by copying the untouched file back before the next one, so every cell starts from the same
state: cheaper than six new events per cell, and no cell spoils another (a deleted event, a renewed link or a
signed-out organizer is back for the next one). The copy is SQLite's, so the matrix has no PostgreSQL variant;
the rules it checks do not depend on the backend.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask
from flask.testing import FlaskClient
from flask_socketio.test_client import SocketIOTestClient
from socketio import packet
from sqlalchemy import select

from forum import create_app
from forum.access import TOKEN_COOKIE, audience_actor, participant_actor, token_hash
from forum.archive import comments
from forum.boundary import unit_of_work
from forum.config import DEFAULT_RATE_LIMITS
from forum.events import agenda, contributions, events, invitations, panel
from forum.extensions import socketio
from forum.live import actions
from forum.live.state import live_state
from forum.models import EventStatus, Organizer, PollOption
from forum.protocol import NAMESPACE
from forum.publishing import publishing
from tests.authorization_expectations import REFUSALS, Outcome, Role, Stage
from tests.conftest import DEFAULT_PASSWORD
from tests.identities import TEST_SECRET, audience_token

UNKNOWN_INVITATION = "not-an-invitation-this-server-ever-issued-0"
UNKNOWN_ID = "999999"  # a well-formed id of nothing, for a stage that has no such thing (e.g. no comment yet)
# What an ack's error code says about the action (any other code is a rule of the stage or state: REFUSED).
ACK_CODES = {
    "not_found": Outcome.NOT_FOUND,
    **dict.fromkeys(
        ["forbidden", "no_identity", "blocked", "access_revoked", "signed_out"], Outcome.FORBIDDEN
    ),
    **dict.fromkeys(["invalid", "bad_payload", "unknown_action", "client_id_reused"], Outcome.INVALID),
    **dict.fromkeys(["server_error", "not_joined", "busy"], Outcome.ERROR),
}


# --- Filling in a request ---------------------------------------------------------------------------------

_URL_VARIABLE = re.compile(r"<(?:[^<>]*:)?(\w+)>")
_LONE_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def fill(template: str, values: Mapping[str, Any]) -> str:
    return template.format_map(values)


def url(rule: str, params: Mapping[str, str], values: Mapping[str, Any], query: str = "") -> str:
    """A route's address: its variables filled (the event, its slug and the role's token by default)."""
    filled = {"event_id": "{event_id}", "slug": "{slug}", "token": "{token}", **params}
    address = _URL_VARIABLE.sub(lambda m: quote(fill(filled[m.group(1)], values), safe="/"), rule)
    return f"{address}?{fill(query, values)}" if query else address


def payload(template: Mapping[str, object], values: Mapping[str, Any]) -> dict[str, Any]:
    """An action's payload as a socket sends it: placeholders filled, a lone id placeholder kept a number."""
    filled: dict[str, Any] = {}
    for name, value in template.items():
        if isinstance(value, str):
            lone = _LONE_PLACEHOLDER.fullmatch(value)
            filled[name] = values[lone.group(1)] if lone else fill(value, values)
        else:
            filled[name] = value
    return filled


def form(data: Mapping[str, Any]) -> dict[str, str]:
    """The same payload as an HTML form posts it."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in data.items()
    }


# --- The world --------------------------------------------------------------------------------------------


class _RecordingClient(SocketIOTestClient):
    """Flask-SocketIO's test client, keeping why a connection was refused (it keeps only the fact)."""

    connect_error: dict[str, Any] | None = None

    def connect(self, namespace: str | None = None, query_string: str | None = None, **kwargs: Any) -> None:
        server = self.socketio.server
        send = server._send_packet

        def spy(eio_sid: str, pkt: packet.Packet) -> None:
            if eio_sid == self.eio_sid and pkt.packet_type == packet.CONNECT_ERROR:
                self.connect_error = pkt.data if isinstance(pkt.data, dict) else {"message": pkt.data}
            send(eio_sid, pkt)

        server._send_packet = spy
        try:
            super().connect(namespace, query_string, **kwargs)
        finally:
            server._send_packet = send


@dataclass
class World:
    """The app, its database and the untouched copy, what the placeholders of the expectations stand for in
    each stage's event, and each role's credentials."""

    app: Flask
    path: Path
    pristine: Path
    values: dict[Stage, dict[str, Any]]
    invitations: dict[Stage, dict[Role, str]]
    tokens: dict[Role, str]  # audience identities
    sessions: dict[Role, str]  # signed-in session cookies
    sockets: dict[tuple[Role, Stage], SocketIOTestClient] = field(default_factory=dict)
    answered: dict[tuple[Any, ...], tuple[Outcome, str]] = field(default_factory=dict)

    def values_for(self, role: Role, stage: Stage) -> dict[str, Any]:
        """The placeholders of ``stage``'s event; ``{token}`` is the role's invitation, or an unknown one."""
        return {**self.values[stage], "token": self.invitations[stage].get(role, UNKNOWN_INVITATION)}

    def committed(self) -> bool:
        """Whether anything was committed since the last restore (only a commit writes to the WAL file, which
        is empty after each restore)."""
        wal = Path(f"{self.path}-wal")
        return wal.exists() and wal.stat().st_size > 0

    def restore_if_changed(self) -> None:
        """Put the untouched database back if the last request or action committed anything."""
        if self.committed():
            self.app.extensions["forum.db"].dispose()
            shutil.copyfile(self.pristine, self.path)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self.app.extensions["forum.room_states"].clear()  # its sequence numbers went back

    def browser(self, role: Role) -> FlaskClient:
        """A fresh browser with the role's cookies: its sign-in, or its audience identity."""
        client = self.app.test_client()
        if role in self.sessions:
            client.set_cookie("session", self.sessions[role])
        if role in self.tokens:
            client.set_cookie(TOKEN_COOKIE, self.tokens[role])
        return client

    def request(
        self, role: Role, method: str, address: str, data: dict[str, str] | None
    ) -> tuple[Outcome, str]:
        """Send one request as ``role`` and say what came of it. Roles whose browsers send the same cookies
        make the same request (panelists outside their links are anonymous): it is answered once."""
        key = (
            self.sessions.get(role),
            self.tokens.get(role),
            method,
            address,
            tuple(sorted((data or {}).items())),
        )
        if key not in self.answered:
            self.restore_if_changed()
            client = self.browser(role)
            response = client.open(address, method=method, data=data)
            self.answered[key] = self._unchanged_if_refused(*self._http_outcome(client, response))
        return self.answered[key]

    def _unchanged_if_refused(self, outcome: Outcome, detail: str) -> tuple[Outcome, str]:
        """A refusal must leave everything as it was: one that committed a change is reported as such."""
        if outcome in REFUSALS and self.committed():
            return Outcome.CHANGED, f"{outcome}: {detail}"
        return outcome, detail

    def _http_outcome(self, client: FlaskClient, response: Any) -> tuple[Outcome, str]:
        status = response.status_code
        location = response.headers.get("Location", "")
        detail = f"{status} {location}".strip()
        if status >= 500:
            return Outcome.ERROR, detail
        if status == 404:
            return Outcome.NOT_FOUND, detail
        if status in (401, 403):
            return Outcome.FORBIDDEN, detail
        if status in (409, 422):
            return Outcome.REFUSED, detail
        if status >= 400:
            return Outcome.INVALID, detail
        if "/auth/signin" in location:
            return Outcome.SIGN_IN, detail
        if errors := self._error_messages(client):  # a form post sent back with what was wrong
            return Outcome.REFUSED, f"{detail} “{errors[0]}”"
        return Outcome.OK, detail

    def _error_messages(self, client: FlaskClient) -> list[str]:
        cookie = client.get_cookie("session")
        if cookie is None or not cookie.value:
            return []
        session = self.app.session_interface.get_signing_serializer(self.app).loads(cookie.value)
        return [message for category, message in session.get("_flashes", []) if category == "error"]

    def socket(self, role: Role, stage: Stage) -> tuple[SocketIOTestClient | None, str]:
        """This role's connection to this stage's room (made again after the server closed it, e.g. when a
        link was renewed), or the code it was refused with."""
        client = self.sockets.get((role, stage))
        if client is not None and client.is_connected(NAMESPACE):
            return client, ""
        if role in self.invitations[stage]:
            auth = {"invite": self.invitations[stage][role]}
        else:
            auth = {"event": self.values[stage]["slug"]}
            if role in self.tokens:
                auth["audience"] = self.tokens[role]
        client = _RecordingClient(
            self.app, socketio, namespace=NAMESPACE, auth=auth, flask_test_client=self.browser(role)
        )
        if not client.is_connected(NAMESPACE):
            return None, (client.connect_error or {}).get("data", {}).get("code", "no reason given")
        self.sockets[(role, stage)] = client
        return client, ""

    def emit(self, role: Role, stage: Stage, action: str, data: dict[str, Any]) -> tuple[Outcome, str]:
        """Send one live action over ``role``'s connection to ``stage``'s room and say what came of it."""
        self.restore_if_changed()
        client, refusal = self.socket(role, stage)
        # Opening an invited person's connection notes when their link was last used: not the action's doing.
        self.restore_if_changed()
        if client is None:
            return self._unchanged_if_refused(
                ACK_CODES.get(refusal, Outcome.ERROR), f"connection refused: {refusal}"
            )
        try:
            ack = client.emit(action, data, namespace=NAMESPACE, callback=True)
        except TypeError:  # the test client found no acknowledgement to return
            return Outcome.ERROR, "no ack"
        client.get_received(NAMESPACE)  # deltas and notices are not the matrix's business
        if ack.get("ok"):
            return Outcome.OK, "ok"
        code = ack["error"]["code"]
        refusal_detail = f"{code}: {ack['error'].get('message', '')}"
        return self._unchanged_if_refused(ACK_CODES.get(code, Outcome.REFUSED), refusal_detail)

    def close(self) -> None:
        for client in self.sockets.values():
            if client.is_connected(NAMESPACE):
                client.disconnect(NAMESPACE)
        self.app.extensions["forum.db"].dispose()


# --- Building it ------------------------------------------------------------------------------------------


def build_world(folder: Path, schema: Path, password_hash: str) -> World:
    """The app on a copy of the ``schema`` database; an event per stage owned by one organizer, another
    organizer, both signed in; three audience identities (one blocked in every event)."""
    path = folder / "matrix.sqlite3"
    shutil.copyfile(schema, path)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "WTF_CSRF_ENABLED": False,  # as in every in-process test; CSRF has tests of its own
            "INSTANCE_PATH": folder / "instance",
            "SOCKETIO_ASYNC_MODE": "threading",
            "TALLY_INTERVAL": 0,
            "DATABASE_URL": f"sqlite:///{path}",
            # Thousands of actions come from one address here; the limits have tests of their own.
            "RATE_LIMITS": {name: "1000000/minute" for name in DEFAULT_RATE_LIMITS},
        }
    )
    members = {"audience": audience_token(), "blocked": audience_token(), "third": audience_token()}
    with app.app_context():
        with unit_of_work() as session:
            owner = Organizer(email="owner@example.org", display_name="Owner", password_hash=password_hash)
            other = Organizer(email="other@example.org", display_name="Other", password_hash=password_hash)
            session.add_all([owner, other])
        built = {stage: _build_event(owner.id, stage, members) for stage in Stage}
    sessions = {Role.OWNER: _sign_in(app, owner.email), Role.OTHER_ORGANIZER: _sign_in(app, other.email)}
    app.extensions["forum.db"].dispose()  # the last connection closing folds the WAL into the file
    pristine = folder / "pristine.sqlite3"
    shutil.copyfile(path, pristine)
    return World(
        app=app,
        path=path,
        pristine=pristine,
        values={stage: {**values, "other_email": other.email} for stage, (values, _) in built.items()},
        invitations={stage: tokens for stage, (_, tokens) in built.items()},
        tokens={Role.AUDIENCE: members["audience"], Role.BLOCKED: members["blocked"]},
        sessions=sessions,
    )


def _sign_in(app: Flask, email: str) -> str:
    client = app.test_client()
    response = client.post("/auth/signin", data={"email": email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get_cookie("session").value


def _run(actor: Any, name: str, data: dict[str, Any] | None = None) -> Any:
    with unit_of_work() as session:
        return actions.run(session, actor, name, data or {})


def _build_event(
    owner_id: int, stage: Stage, members: dict[str, str]
) -> tuple[dict[str, Any], dict[Role, str]]:
    """An event taken through the services to ``stage``: a panel with invitation links, an agenda, a prepared
    answer, audience questions (one waiting, two published, one whose author was then blocked) and a poll;
    from ``live`` on a current question, someone with the floor and a contribution; then the record.
    Returns the placeholders' values and the invitation tokens."""
    with unit_of_work() as session:
        owner = session.get(Organizer, owner_id)
        details = events.EventDetails(
            title=f"Is it okay to use Telegram as it is? ({stage})",
            starts_at_local=datetime(2024, 11, 23, 14, 0),
            timezone="Asia/Seoul",
            language="en",
            host_name="People Outraged by the Nth Room Incident",
            venue="Seoul",
        )
        event = events.create_event(session, owner, details)
        people = {
            key: panel.add_participant(session, owner, event.id, panel.ParticipantDetails(role, name, short))
            for key, role, name, short in [
                ("moderator", "moderator", "Jun-jjang", None),
                ("kimmy", "panelist", "Oh Kyoungmi", "Kimmy"),
                ("hong", "panelist", "Hong Myeong-gyo", None),
                ("scribe", "scribe", "Note Taker", None),
                ("spare", "panelist", "Spare Panelist", None),  # nothing on record: may be removed
            ]
        }
        questions = [
            agenda.add_question(session, owner, event.id, text).id
            for text in (
                "Is there a need for an international consensus?",
                "Do we need to regulate AI technologies?",
                "Should platforms be blocked nationally?",
            )
        ]
        invited = {Role.MODERATOR: "moderator", Role.PANELIST: "kimmy", Role.SCRIBE: "scribe"}
        tokens = {
            role: invitations.issue_invitation(session, owner, event.id, people[key].id)[1]
            for role, key in invited.items()
        }
        contributions.save_prepared_answers(session, people["kimmy"], {questions[0]: "We need rules."})
        prepared = contributions.prepared_answers(session, people["kimmy"])[questions[0]].id
        events.change_status(session, owner, event.id, EventStatus.SCHEDULED)
        live_state(session, event.id)  # made by the first page or connection otherwise: made once, here

    def member(key: str) -> Any:
        return audience_actor(event, token_hash(members[key], TEST_SECRET), None)

    moderator = participant_actor(people["moderator"])
    ask = {"text": "Why not regulate the platforms instead?"}
    pending = _run(member("audience"), "audience.ask", {**ask, "client_id": "setup-pending"})["question_id"]
    approved = _run(member("third"), "audience.ask", {**ask, "client_id": "setup-approved"})["question_id"]
    duplicate = _run(member("third"), "audience.ask", {**ask, "client_id": "setup-duplicate"})["question_id"]
    blocked = _run(member("blocked"), "audience.ask", {**ask, "client_id": "setup-blocked"})["question_id"]
    for question in (approved, duplicate):
        _run(moderator, "moderation.approve", {"question_id": question})
    _run(moderator, "moderation.block", {"question_id": blocked, "blocked": True})
    poll = _run(moderator, "poll.open", {"question_id": questions[0]})["poll_id"]
    values: dict[str, Any] = {
        "event_id": event.id,
        "slug": event.slug,
        "join_code": event.join_code,
        **{key: person.id for key, person in people.items()},
        **{f"q{n}": question for n, question in enumerate(questions, start=1)},
        "prepared": prepared,
        "contribution": prepared,  # until the session runs, the panelist's only contribution
        "pending": pending,
        "approved": approved,
        "duplicate": duplicate,
        "poll": poll,
        "comment": UNKNOWN_ID,
        "panelist_key": "kimmy",
        "anchor": "q1-kimmy",
    }
    with unit_of_work() as session:
        values["option"] = session.scalar(select(PollOption.id).where(PollOption.poll_id == poll).limit(1))
        if stage is Stage.DRAFT:  # back to draft after the audience had its say
            events.change_status(session, session.get(Organizer, owner_id), event.id, EventStatus.DRAFT)
    if stage in (Stage.DRAFT, Stage.SCHEDULED):
        return values, tokens
    _run(moderator, "session.start")
    _run(moderator, "question.next")  # the second question is current: there is a next and a previous one
    _run(moderator, "floor.give", {"participant_id": people["hong"].id})
    said = {"participant_id": people["kimmy"].id, "question_id": questions[1], "text": "Consensus first."}
    values["contribution"] = _run(participant_actor(people["scribe"]), "contribution.add", said)[
        "contribution_id"
    ]
    if stage is not Stage.LIVE:
        _run(moderator, "session.end")
    if stage in (Stage.PUBLISHED, Stage.UNPUBLISHED):
        _publish_with_a_comment(owner_id, event.id, member("third"), values)
    if stage is Stage.UNPUBLISHED:
        with unit_of_work() as session:
            publishing.unpublish(session, session.get(Organizer, owner_id), event.id)
    return values, tokens


def _publish_with_a_comment(owner_id: int, event_id: int, reader: Any, values: dict[str, Any]) -> None:
    """Publish the record with comments on, and have a reader comment on an answer."""
    with unit_of_work() as session:
        owner = session.get(Organizer, owner_id)
        comments.set_enabled(session, owner, event_id, True)
        content = publishing.publish(session, owner, event_id).content
    anchors = {item["anchor"] for question in content["questions"] for item in question["contributions"]}
    values["anchor"] = sorted(anchors)[0]
    values["panelist_key"] = next(p["key"] for p in content["panelists"] if p["short_name"] == "Kimmy")
    with unit_of_work() as session:
        posted = comments.post(
            session,
            reader,
            anchor=values["anchor"],
            anchors=anchors,
            text="A fair point.",
            display_name=None,
            client_id="setup-comment",
        )
    values["comment"] = posted["comment_id"]
