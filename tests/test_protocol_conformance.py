"""docs/realtime.md against the server: what an independent client written from the page relies on.

Tables in the page (roles, actions, deltas, error codes, flags) are read here and compared with the
code, so the page cannot drift from the server without a failing test. The connection order, the
origin check and the audience identity rules are tested on a real server process, as a client meets them.
"""

from __future__ import annotations

import ast
import base64
import http.client
import json
import os
import re
import secrets
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
import socketio
from sqlalchemy import select

from forum import PROJECT_ROOT
from forum.access import ROLE_CAPABILITIES, Actor, new_token
from forum.config import DEFAULT_RATE_LIMITS
from forum.errors import InvalidInput
from forum.fields import parse_flag, parse_optional_flag
from forum.models import AgendaQuestion, AudienceQuestion, LiveState
from forum.protocol import NAMESPACE, Action, Change
from tests.conftest import DEFAULT_PASSWORD, act, received
from tests.identities import audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer
from tests.realtime_doc import DOC, doc_table, names


@pytest.fixture
def app_config(app_config):
    """Enough questions per minute for the flag table, which asks a handful in a row."""
    return {**app_config, "RATE_LIMITS": {**DEFAULT_RATE_LIMITS, "question": "100/minute"}}


# --- The page's tables are the server's ---------------------------------------------------------------


def test_documented_roles_streams_and_capabilities_are_the_servers():
    documented = {}
    for role_cell, _auth, stream_cell, capabilities_cell in doc_table("| Role (`you.role`)"):
        role = names(role_cell)[0]
        documented[role] = (names(stream_cell), sorted(names(capabilities_cell)))
    actual = {
        role: ([Actor(event_id=1, role=role).stream.value], sorted(c.value for c in capabilities))
        for role, capabilities in ROLE_CAPABILITIES.items()
    }
    assert documented == actual


@pytest.mark.parametrize("role", sorted(ROLE_CAPABILITIES))
def test_each_role_gets_the_documented_capabilities_in_its_snapshot(
    role, make_live_event, live_client, client
):
    live = make_live_event()
    if role == "audience":
        connection = live_client({"event": live.event.slug})
    elif role == "organizer":
        client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
        connection = live_client({"event": live.event.slug}, flask_client=client)
    else:
        person = next(key for key, p in live.people.items() if p.role.value == role)
        connection = live_client({"invite": live.tokens[person]})
    (snapshot,) = received(connection, "snapshot")
    row = next(r for r in doc_table("| Role (`you.role`)") if names(r[0])[0] == role)
    assert snapshot["you"]["role"] == role
    assert snapshot["stream"] == names(row[2])[0]
    assert snapshot["you"]["capabilities"] == sorted(names(row[3])), "the documented list, sorted"


def test_every_action_is_documented_and_every_documented_action_exists():
    documented = {name for row in doc_table("| Action |") for name in names(row[0])}
    assert documented == {action.value for action in Action}
    capabilities = {c.value for caps in ROLE_CAPABILITIES.values() for c in caps}
    for row in doc_table("| Action |"):
        assert row[2] == "—" or row[2] in capabilities, f"{row[0]} needs an unknown capability {row[2]!r}"


def test_every_delta_type_is_documented():
    assert {names(row[0])[0] for row in doc_table("| `type` |")} == {change.value for change in Change}


def test_documented_flags_are_the_ones_the_action_table_parses():
    """The page lists every flag, and which are required, exactly as forum/live/actions.py parses them."""
    tree = ast.parse((PROJECT_ROOT / "forum" / "live" / "actions.py").read_text(encoding="utf-8"))
    parsed: dict[str, set[str]] = {"_flag": set(), "_optional_flag": set()}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in parsed:
            parsed[node.func.id].add(node.args[1].value)
    flags_sentence = re.search(r"\*\*Flags\*\* \(([^)]*)\)", DOC).group(1)
    required_sentence = re.search(r"Required flags \(([^)]*)\)", DOC).group(1)
    assert set(names(flags_sentence)) == parsed["_flag"] | parsed["_optional_flag"]
    assert set(names(required_sentence)) == parsed["_flag"]


# Codes that only HTTP pages produce; a code added anywhere else must be documented for live clients.
HTTP_ONLY_CODES = {
    "not_authenticated": "the sign-in form",
    "csrf_failed": "plain HTML form posts",
    "comments_closed": "reader comments on a published record",
    "pdf_unavailable": "the archive's PDF export",
    "mail_not_sent": "sending an invitation link by e-mail",
    # Posting captions to a caption link (docs/captions.md documents them).
    "bad_request": "a caption post's query",
    "too_large": "a caption post's body",
    "unsupported_media_type": "a caption post's body",
    "not_live": "a caption post outside the session",
}


def _codes_in_source() -> dict[str, set[str]]:
    """Every error code the server can send: DomainError subclasses raised, and literal error payloads."""
    trees = {
        path: ast.parse(path.read_text(encoding="utf-8")) for path in (PROJECT_ROOT / "forum").rglob("*.py")
    }
    class_codes: dict[str, str] = {}
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                for statement in node.body:
                    if (
                        isinstance(statement, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "code" for t in statement.targets)
                        and isinstance(statement.value, ast.Constant)
                    ):
                        class_codes[node.name] = statement.value.value
    codes: dict[str, set[str]] = {}
    for path, tree in trees.items():
        where = str(path.relative_to(PROJECT_ROOT))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
                if name in class_codes:
                    explicit = [k.value for k in node.keywords if k.arg == "code"]
                    if not explicit:
                        codes.setdefault(class_codes[name], set()).add(where)
                    elif isinstance(explicit[0], ast.Constant):  # web.py names HTTP errors by their status
                        codes.setdefault(explicit[0].value, set()).add(where)
            elif isinstance(node, ast.Dict):  # a literal error payload: {"code": ..., "message": ...}
                literal = {
                    key.value: value
                    for key, value in zip(node.keys, node.values, strict=True)
                    if isinstance(key, ast.Constant)
                }
                if "message" in literal and isinstance(literal.get("code"), ast.Constant):
                    codes.setdefault(literal["code"].value, set()).add(where)
    return codes


def test_every_error_code_is_documented_and_every_documented_code_exists():
    in_source = _codes_in_source()
    documented = {names(row[0])[0] for row in doc_table("| Code | Meaning |")}
    documented |= {names(row[0])[0] for row in doc_table("| `data.code` | When |")}
    undocumented = {code: sorted(where) for code, where in in_source.items() if code not in documented}
    assert {code: where for code, where in undocumented.items() if code not in HTTP_ONLY_CODES} == {}
    assert documented - {"timeout"} <= set(in_source), "only `timeout` is the client's own"


# --- Flags: one rule ------------------------------------------------------------------------------------

ACCEPTED = [(True, True), (False, False), ("true", True), ("false", False)]
REFUSED = [0, 1, 0.0, 1.0, "yes", "no", "on", "off", "1", "0", "", "True", "FALSE", " true", "null", [], {}]


@pytest.mark.parametrize(("value", "expected"), ACCEPTED)
def test_a_flag_is_a_json_boolean_or_the_text_true_or_false(value, expected):
    assert parse_flag(value, field="up") is expected
    assert parse_optional_flag(value, field="up", default=None) is expected


@pytest.mark.parametrize("value", [*REFUSED, None])
def test_anything_else_is_refused_naming_the_field(value):
    with pytest.raises(InvalidInput) as refusal:
        parse_flag(value, field="pinned")
    assert refusal.value.code == "invalid" and refusal.value.fields == {"pinned": "Send true or false."}
    assert "'pinned'" in refusal.value.message


@pytest.mark.parametrize("default", [False, None])
def test_a_missing_optional_flag_takes_its_default(default):
    assert parse_optional_flag(None, field="make_current", default=default) is default
    with pytest.raises(InvalidInput):
        parse_optional_flag("", field="make_current", default=default)


MISSING = object()
UNCHANGED = object()


def _staff_question(room, qid):
    return next(q for q in act(room.moderator, "sync")["result"]["questions"] if q["id"] == qid)


def _sets_feed(room, ack):
    return act(room.moderator, "sync")["result"]["feed_enabled"]


def _pins(room, ack):
    return _staff_question(room, room.qid)["pinned"]


def _marks_answered(room, ack):
    return _staff_question(room, room.qid)["status"] == "answered"


def _blocks(room, ack):
    return _staff_question(room, room.qid)["author_blocked"]


def _votes(room, ack):
    return room.qid in act(room.member, "sync")["result"]["mine"]["votes"]


def _setting(name):
    return lambda room, ack: act(room.moderator, "sync")["result"]["audience"][name]


def _makes_current(room, ack):
    return act(room.moderator, "sync")["result"]["current_question_id"] == ack["result"]["question_id"]


def _about_current(room, ack):
    return _staff_question(room, ack["result"]["question_id"])["agenda_question_id"] is not None


def _unique_text():
    return f"Question {secrets.token_hex(4)}?"


class FlagCase(NamedTuple):
    action: str
    flag: str
    sender: str  # "moderator" or "member"
    payload: Callable[[Any], dict[str, Any]]  # the rest of the payload
    effect: Callable[[Any, Any], bool]  # reads the flag's effect back from a snapshot
    default: object  # MISSING: required; UNCHANGED: leaves the setting as it is; else the default


def _on_question(room):
    return {"question_id": room.qid}


FLAG_CASES = [
    FlagCase("feed.set", "enabled", "moderator", lambda r: {}, _sets_feed, MISSING),
    FlagCase("moderation.pin", "pinned", "moderator", _on_question, _pins, MISSING),
    FlagCase("moderation.answered", "answered", "moderator", _on_question, _marks_answered, MISSING),
    FlagCase("moderation.block", "blocked", "moderator", _on_question, _blocks, MISSING),
    FlagCase(
        "audience.vote", "up", "member", lambda r: {**_on_question(r), "client_id": _cid()}, _votes, MISSING
    ),
    FlagCase(
        "moderation.settings",
        "questions_enabled",
        "moderator",
        lambda r: {},
        _setting("questions_enabled"),
        UNCHANGED,
    ),
    FlagCase(
        "moderation.settings",
        "premoderation",
        "moderator",
        lambda r: {},
        _setting("premoderation"),
        UNCHANGED,
    ),
    FlagCase(
        "question.add", "make_current", "moderator", lambda r: {"text": _unique_text()}, _makes_current, False
    ),
    FlagCase(
        "audience.ask",
        "about_current",
        "member",
        lambda r: {"text": _unique_text(), "client_id": _cid()},
        _about_current,
        False,
    ),
]


def _cid():
    return secrets.token_hex(8)


@pytest.fixture
def room(make_live_event, live_client):
    """A live session with a moderator, an audience member with an identity, and one approved question."""
    live = make_live_event()
    live.moderator = live_client({"invite": live.tokens["moderator"]})
    live.member = live_client({"event": live.event.slug, "audience": audience_token()})
    assert act(live.moderator, "session.start")["ok"]
    asked = act(live.member, "audience.ask", {"text": "Why not regulate AI directly?", "client_id": _cid()})
    live.qid = asked["result"]["question_id"]
    assert act(live.moderator, "moderation.approve", {"question_id": live.qid})["ok"]
    return live


def _everything(room):
    """What the moderator and the member see, without the clock: a refusal must leave it all as it was."""
    views = [act(room.moderator, "sync")["result"], act(room.member, "sync")["result"]]
    for view in views:
        view.pop("server_time")
    return views


@pytest.mark.parametrize("case", FLAG_CASES, ids=[f"{c.action}:{c.flag}" for c in FLAG_CASES])
def test_every_flag_follows_the_documented_rule(room, case):
    name, flag, who, payload, effect, default = case
    sender = getattr(room, who)
    for value, expected in ACCEPTED:
        ack = act(sender, name, {**payload(room), flag: value})
        assert ack["ok"], (value, ack)
        assert effect(room, ack) is expected, f"{flag}={value!r} should mean {expected}"

    if default is not MISSING:
        for absent in ({}, {flag: None}):
            before = effect(room, None) if default is UNCHANGED else None
            ack = act(sender, name, {**payload(room), **absent})
            assert ack["ok"], (absent, ack)
            assert effect(room, ack) is (before if default is UNCHANGED else default), absent

    refused = list(REFUSED) if default is not MISSING else [*REFUSED, None, MISSING]
    before = _everything(room)
    for value in refused:
        sent = payload(room) if value is MISSING else {**payload(room), flag: value}
        ack = act(sender, name, sent)
        assert ack["ok"] is False, f"{flag}={value!r} was accepted"
        assert ack["error"]["code"] == "invalid" and flag in ack["error"]["fields"], (value, ack)
        assert f"'{flag}'" in ack["error"]["message"]
    assert _everything(room) == before, "refused flags change nothing and send nothing"


FLAG_INPUT = re.compile(
    r"<input\b[^>]*\bname=\"(up|pinned|answered|blocked|enabled|make_current|about_current|"
    r"questions_enabled|premoderation)\"[^>]*>"
)


def test_the_pages_post_only_flag_values_the_server_accepts(room, client, app):
    """Every flag input of the console and the audience page (hidden or checkbox) posts "true" or "false"."""
    client.post("/auth/signin", data={"email": room.organizer.email, "password": DEFAULT_PASSWORD})
    console = client.get(f"/manage/{room.event.id}/live").get_data(as_text=True)
    audience = app.test_client().get(f"/e/{room.event.slug}").get_data(as_text=True)
    inputs = FLAG_INPUT.findall(console) + FLAG_INPUT.findall(audience)
    assert {"make_current", "enabled", "about_current", "up"} <= set(inputs), "the forms this test relies on"
    for tag in FLAG_INPUT.finditer(console + audience):
        value = re.search(r'\bvalue="([^"]*)"', tag.group(0))
        assert value and value.group(1) in {"true", "false"}, tag.group(0)


def test_no_javascript_forms_unchecked_box_means_the_default(room, client, app, db_session):
    client.post("/auth/signin", data={"email": room.organizer.email, "password": DEFAULT_PASSWORD})
    door = f"/manage/{room.event.id}/live/question.add"

    def current():
        db_session.expire_all()
        return db_session.get(LiveState, room.event.id).current_question_id

    first = current()
    assert client.post(door, data={"text": "Unchecked box?"}).status_code == 303
    assert current() == first, "an unchecked box posts nothing: not made current"
    assert client.post(door, data={"text": "Checked box?", "make_current": "true"}).status_code == 303
    checked = db_session.scalar(select(AgendaQuestion.id).where(AgendaQuestion.text == "Checked box?"))
    assert current() == checked
    refused = client.post(door, data={"text": "A typo?", "make_current": "on"}, follow_redirects=True)
    assert "&#39;make_current&#39; must be true or false." in refused.get_data(as_text=True)
    assert db_session.scalar(select(AgendaQuestion.id).where(AgendaQuestion.text == "A typo?")) is None

    browser = app.test_client()
    browser.get(f"/e/{room.event.slug}")  # sets the identity cookie, as the page does
    ask = f"/e/{room.event.slug}/act/audience.ask"
    browser.post(ask, data={"text": "General question?", "client_id": _cid()})
    browser.post(ask, data={"text": "About this one?", "client_id": _cid(), "about_current": "true"})
    asked = dict(db_session.execute(select(AudienceQuestion.text, AudienceQuestion.agenda_question_id)).all())
    assert asked["General question?"] is None and asked["About this one?"] == checked


# --- session.start --------------------------------------------------------------------------------------


def test_session_start_sets_the_first_question_when_none_is_current(make_live_event, live_client):
    live = make_live_event()
    moderator = live_client({"invite": live.tokens["moderator"]})
    streams = {
        "public": live_client({"event": live.event.slug}),
        "crew": live_client({"invite": live.tokens["scribe"]}),
        "staff": moderator,
    }
    starts = {name: received(c, "snapshot")[0] for name, c in streams.items()}
    assert all(s["current_question_id"] is None for s in starts.values())

    ack = act(moderator, "session.start")
    assert ack["ok"] and ack["result"] is None
    first = live.questions[0].id
    for name, connection in streams.items():
        deltas = received(connection, "delta")
        assert [(d["type"], d["seq"]) for d in deltas] == [
            ("session", starts[name]["seq"] + 1),
            ("current_question", starts[name]["seq"] + 2),
        ], name
        assert deltas[0]["data"]["status"] == "live" and deltas[0]["data"]["event_status"] == "live"
        assert deltas[1]["data"] == {"question_id": first}
    started_at = deltas[0]["data"]["started_at"]

    # Resuming keeps the question the room was on, and still announces it.
    act(moderator, "question.goto", {"question_id": live.questions[2].id})
    act(moderator, "session.end")
    received(streams["public"], "delta")
    assert act(moderator, "session.start")["ok"]
    resumed = received(streams["public"], "delta")
    assert [d["type"] for d in resumed] == ["session", "current_question"]
    assert resumed[0]["data"]["started_at"] == started_at and resumed[0]["data"]["ended_at"] is None
    assert resumed[1]["data"] == {"question_id": live.questions[2].id}


# --- Audience identity at connect -----------------------------------------------------------------------

VALID_TOKEN = audience_token()
# Shaped like a token, but not signed by this server: one a client made up, and one signed with another key.
INVENTED_TOKEN = "A" * 32 + "." + "B" * 43
FOREIGN_TOKEN = new_token("another-server's-key")
NOT_ISSUED_HERE = "Not an identity this server issued; get one from POST /api/audience-identity."


@pytest.mark.parametrize(
    ("cookie", "auth_token"),
    [
        ("short", MISSING),
        ("x" * 129, MISSING),
        ("has spaces in it, twenty-two+", MISSING),
        (MISSING, "short"),
        (MISSING, ""),
        (MISSING, 12345678901234567890123),
        (MISSING, ["A" * 22]),
        ("short", VALID_TOKEN),  # the cookie is the token when there is one
        (MISSING, INVENTED_TOKEN),
        (MISSING, FOREIGN_TOKEN),
        (INVENTED_TOKEN, MISSING),
        (VALID_TOKEN[:-1] + ("A" if VALID_TOKEN[-1] != "A" else "B"), MISSING),
    ],
)
def test_a_malformed_audience_token_is_refused_at_connect(
    make_live_event, live_client, app, cookie, auth_token, monkeypatch
):
    from forum.live import handlers

    live = make_live_event()
    browser = app.test_client()
    if cookie is not MISSING:
        browser.set_cookie("forum_audience", cookie)
    auth = {"event": live.event.slug}
    if auth_token is not MISSING:
        auth["audience"] = auth_token
    refusals = []
    original = handlers.admission.resolve_actor

    def spy(*args, **kwargs):
        try:
            return original(*args, **kwargs)
        except Exception as error:
            refusals.append(error)
            raise

    monkeypatch.setattr(handlers.admission, "resolve_actor", spy)
    connection = live_client(auth, flask_client=browser)
    assert not connection.is_connected(NAMESPACE)
    (refusal,) = refusals
    assert refusal.code == "invalid_identity" and refusal.fields == {"audience": NOT_ISSUED_HERE}


def test_no_token_follows_the_room_and_is_told_why_it_cannot_take_part(make_live_event, live_client):
    live = make_live_event()
    for auth in ({"event": live.event.slug}, {"event": live.event.slug, "audience": None}):
        reader = live_client(auth)
        assert reader.is_connected(NAMESPACE) and received(reader, "snapshot")[0]["you"]["role"] == "audience"
        ack = act(reader, "audience.ask", {"text": "Can I ask?", "client_id": _cid()})
        assert ack["error"]["code"] == "no_identity" and "cookies" in ack["error"]["message"]
    member = live_client({"event": live.event.slug, "audience": VALID_TOKEN})
    assert act(member, "audience.ask", {"text": "Can I ask?", "client_id": _cid()})["ok"]


def test_staff_connections_ignore_a_bad_audience_cookie(make_live_event, live_client, app, client):
    live = make_live_event()
    client.post("/auth/signin", data={"email": live.organizer.email, "password": DEFAULT_PASSWORD})
    client.set_cookie("forum_audience", "short")
    organizer = live_client({"event": live.event.slug}, flask_client=client)
    assert received(organizer, "snapshot")[0]["you"]["role"] == "organizer"
    invited = app.test_client()
    invited.set_cookie("forum_audience", "short")
    moderator = live_client({"invite": live.tokens["moderator"]}, flask_client=invited)
    assert received(moderator, "snapshot")[0]["you"]["role"] == "moderator"


# --- On a real server: connection order, origins, refusals as a client sees them -----------------------


@pytest.fixture
def live(make_live_event):
    return make_live_event()


@pytest.fixture
def server(database_url, tmp_path, live):
    running = LiveServer(database_url, tmp_path).start()
    yield running
    running.stop()


@pytest.fixture
def clients():
    made: list[MirrorClient] = []
    yield made
    for client in made:
        client.close()


class Polling:
    """A raw Engine.IO long-polling session, to see the packets exactly as the server sends them."""

    def __init__(self, server: LiveServer, headers: dict[str, str] | None = None) -> None:
        self.connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        self.headers = headers or {}
        self.sid: str | None = None

    def request(self, method: str, body: str | None = None) -> tuple[int, str]:
        path = "/socket.io/?EIO=4&transport=polling" + (f"&sid={self.sid}" if self.sid else "")
        headers = {**self.headers, "Content-Type": "text/plain;charset=UTF-8"} if body else self.headers
        self.connection.request(method, path, body=body, headers=headers)
        response = self.connection.getresponse()
        return response.status, response.read().decode()

    def open(self) -> tuple[int, str]:
        status, body = self.request("GET")
        if status == 200:
            self.sid = json.loads(body[1:])["sid"]
        return status, body

    def packets_until(self, prefix: str, timeout: float = 10) -> list[str]:
        """Poll until a packet starting with ``prefix`` arrives; every packet received, in order."""
        packets: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status, body = self.request("GET")
            assert status == 200, body
            packets += body.split("\x1e")
            if any(p.startswith(prefix) for p in packets):
                return packets
        raise AssertionError(f"no {prefix!r} packet within {timeout}s: {packets}")

    def close(self) -> None:
        self.connection.close()


@pytest.mark.e2e
def test_the_snapshot_arrives_before_the_connection_is_confirmed(server, live, clients):
    # On the wire: no Origin header (a non-browser client), accepted; the snapshot packet precedes CONNECT.
    raw = Polling(server)
    try:
        assert raw.open()[0] == 200
        assert raw.request("POST", "40/live," + json.dumps({"event": live.event.slug}))[0] == 200
        packets = raw.packets_until("40/live,")
    finally:
        raw.close()
    kinds = [
        "snapshot"
        if p.startswith('42/live,["snapshot"')
        else "connect"
        if p.startswith("40/live,")
        else p[:10]
        for p in packets
    ]
    assert kinds.index("snapshot") < kinds.index("connect")

    # As the reference client sees it: handlers registered before connecting, "connect" after the snapshot.
    client = MirrorClient(server.url, {"event": live.event.slug}).connect()
    clients.append(client)
    assert client.events[:2] == ["snapshot", "connect"] and client.state is not None


def _websocket_handshake(server: LiveServer, origin: str | None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    headers = {
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        "Sec-WebSocket-Version": "13",
    }
    if origin:
        headers["Origin"] = origin
    try:
        connection.request("GET", "/socket.io/?EIO=4&transport=websocket", headers=headers)
        return connection.getresponse().status
    finally:
        connection.close()


@pytest.mark.e2e
def test_foreign_origins_get_http_400_at_the_handshake_and_no_origin_is_accepted(server):
    own = f"http://{urlsplit(server.url).netloc}"
    foreign = Polling(server, {"Origin": "http://evil.example"})
    try:
        status, body = foreign.open()
    finally:
        foreign.close()
    assert (status, json.loads(body)) == (400, "Not an accepted origin.")
    assert _websocket_handshake(server, "http://evil.example") == 400

    for headers in ({"Origin": own}, {}):
        polling = Polling(server, headers)
        try:
            assert polling.open()[0] == 200, headers
        finally:
            polling.close()
    assert _websocket_handshake(server, own) == 101
    assert _websocket_handshake(server, None) == 101
    assert "http://evil.example is not an accepted origin" in server.log()


@pytest.mark.e2e
def test_a_malformed_audience_token_gets_a_reason_at_connect(server, live, clients):
    client = MirrorClient(server.url, {"event": live.event.slug, "audience": "too-short"})
    clients.append(client)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect()
    message = "Your audience identity is not valid. Open the event page again to get a new one."
    assert client.connect_errors == [
        {
            "message": message,
            "data": {
                "code": "invalid_identity",
                "message": message,
                "fields": {"audience": NOT_ISSUED_HERE},
            },
        }
    ]
    assert client.state is None
