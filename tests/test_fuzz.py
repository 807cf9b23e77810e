"""Property-based fuzzing (hypothesis): every live action and every form, fed arbitrary input.

Whatever arrives, the answer is clear (an ack with a documented code and a message, a 4xx page with a
message, or a redirect), never a server error, and what is stored stays valid: no control characters,
surrogates or noncharacters, no text longer than forum/limits.py allows.

Both tables are read from the code, so a new action or form is fuzzed without touching this file: the
actions from ``forum.live.actions.ACTIONS`` (with the roles docs/realtime.md says may call them), the forms
from every ``FlaskForm`` subclass in ``forum/`` (found on the routes that build them by posting to each).
Runs are derandomized and short, so CI sees the same examples every time.
"""

from __future__ import annotations

import ast
import operator
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import JSON, Enum, String, func, select
from sqlalchemy import event as sqlalchemy_event

from forum import PROJECT_ROOT, limits
from forum.access import ROLE_CAPABILITIES, Capability, Role
from forum.config import DEFAULT_RATE_LIMITS
from forum.db import Base
from forum.live.actions import ACTIONS
from forum.models import (
    AgendaQuestion,
    AudienceQuestion,
    Contribution,
    ContributionKind,
    Event,
    EventStatus,
    Participant,
    ParticipantRole,
    Poll,
    PollOption,
    PollPhase,
)
from forum.protocol import NAMESPACE
from tests.conftest import DEFAULT_PASSWORD, ORGANIZER_ROUTES, act
from tests.identities import audience_token
from tests.realtime_doc import DOC, doc_table, names

# Examples per (action, role) and per form route; every run tries the same ones (derandomize).
ACTION_EXAMPLES = 20
FORM_EXAMPLES = 15
FUZZ = settings(
    max_examples=ACTION_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the working tree; derandomized runs replay by themselves
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)


@pytest.fixture
def app_config(app_config):
    """Limits out of the way: the fuzzer sends hundreds of audience actions from one member and address."""
    return {**app_config, "RATE_LIMITS": dict.fromkeys(DEFAULT_RATE_LIMITS, "100000/minute")}


@pytest.fixture
def stored(app) -> Iterator[Any]:
    """A session for reading what the server stored, outside any app context: one pushed for the whole
    test would be shared by every request the test clients make (Flask reuses it), and with it ``g``."""
    session = app.extensions["forum.db"].session_factory()
    yield session
    session.close()


@pytest.fixture
def invalid_writes(app) -> Iterator[list[str]]:
    """Every invalid value the app tried to write during the test (each one refused)."""
    with refusing_invalid_writes(app.extensions["forum.db"].engine) as found:
        yield found


# --- What docs/realtime.md promises ----------------------------------------------------------------------


# The codes an action's ack may carry: not those marked "(connect only)" or "(client side)", nor server_error.
ERROR_CODES = {
    names(code)[0] for code, meaning in doc_table("| Code | Meaning |") if not meaning.startswith("(")
} - {"server_error"}
FLAGS = set(names(re.search(r"\*\*Flags\*\* \(([^)]*)\)", DOC).group(1)))
# Action name -> (payload fields, what it needs): "question.add" -> (["text", "make_current"], "moderate").
DOCUMENTED = {
    name: (re.findall(r'"([a-z_]+)"', payload), needs)
    for cell, payload, needs, _result in doc_table("| Action |")
    for name in names(cell)
}
# The organizer has the moderator's capabilities and acts through the same actions.
FUZZED_ROLES = [Role.MODERATOR, Role.SCRIBE, Role.PANELIST, Role.AUDIENCE]


def may_call(role: Role, action: str) -> bool:
    needs = DOCUMENTED.get(action, ([], "—"))[1]
    return needs == "—" or Capability(needs) in ROLE_CAPABILITIES[role]


# Each fuzzed role and the actions it may call, in the action table's order.
ROLE_ACTIONS = {role: [a.value for a in ACTIONS if may_call(role, a.value)] for role in FUZZED_ROLES}


# --- What stored data must look like ------------------------------------------------------------------------

# Text columns have no length of their own in the schema: the limits the services enforce.
TEXT_LIMITS = {
    ("agenda_questions", "text"): limits.AGENDA_QUESTION_MAX,
    ("audience_questions", "text"): limits.AUDIENCE_QUESTION_MAX,
    ("polls", "prompt"): limits.AGENDA_QUESTION_MAX,
    ("contributions", "text"): limits.CONTRIBUTION_MAX,
    ("contribution_revisions", "text"): limits.CONTRIBUTION_MAX,
    ("host_organisations", "about"): limits.HOST_ABOUT_MAX,
    ("events", "summary"): limits.EVENT_SUMMARY_MAX,
    ("events", "word_list"): limits.WORD_LIST_MAX,
    ("transcript_versions", "correction_note"): limits.CORRECTION_NOTE_MAX,
    ("reader_comments", "text"): limits.COMMENT_MAX,
}
# Control characters (C0 and C1, tab and line feed aside), surrogates and the noncharacters XML forbids.
BAD_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def bad_characters(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in BAD_CHARACTERS.findall(text)]


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def value_problems(column: Any, value: Any) -> list[str]:
    """What is wrong with ``value`` as the content of ``column``: bad characters, too long, out of range."""
    where = f"{column.table.name}.{column.name}"
    problems = [
        f"{where} gets {sorted(set(bad))}" for text in _strings(value) if (bad := bad_characters(text))
    ]
    limit = TEXT_LIMITS.get((column.table.name, column.name)) or getattr(column.type, "length", None)
    if isinstance(value, str) and limit and len(value) > limit:
        problems.append(f"{where} gets {len(value)} characters; the limit is {limit}")
    if column is Event.__table__.c.report_threshold and not 1 <= value <= limits.REPORT_THRESHOLD_MAX:
        problems.append(f"{where} gets {value}")
    return problems


class InvalidWrite(Exception):
    """Raised by the test in place of a statement that would store an invalid value."""


@contextmanager
def refusing_invalid_writes(engine: Any) -> Iterator[list[str]]:
    """Check every value the app inserts or updates as it is written. A write that would store an invalid
    value is refused (the app then fails as it would on any error) and named in the list this yields: the
    failure is pinned on the example that made it, and replays stay the same while hypothesis shrinks."""
    found: list[str] = []

    def check(_conn, _cursor, _statement, _parameters, context, _executemany) -> None:
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        if not (context.isinsert or context.isupdate) or table is None:
            return
        problems = [
            problem
            for parameters in context.compiled_parameters
            for name, value in parameters.items()
            if name in table.c
            for problem in value_problems(table.c[name], value)
        ]
        if problems:
            found.extend(problems)
            raise InvalidWrite("; ".join(problems))

    sqlalchemy_event.listen(engine, "before_cursor_execute", check)
    try:
        yield found
    finally:
        sqlalchemy_event.remove(engine, "before_cursor_execute", check)


def stored_problems(session) -> list[str]:
    """Everything stored that breaks the rules (a last look, after the writes were checked one by one)."""
    session.rollback()  # a fresh look at what the server committed
    problems = []
    for table in Base.metadata.sorted_tables:
        columns = [
            c for c in table.columns if isinstance(c.type, String | JSON) and not isinstance(c.type, Enum)
        ]
        columns += [c for c in table.columns if c is Event.__table__.c.report_threshold]
        if not columns:
            continue
        for row in session.execute(select(*columns)):
            problems.extend(
                p for column, value in zip(columns, row, strict=True) for p in value_problems(column, value)
            )
    largest_poll = session.scalar(
        select(func.count())
        .select_from(PollOption)
        .group_by(PollOption.poll_id)
        .order_by(func.count().desc())
    )
    if (largest_poll or 0) > limits.POLL_OPTION_COUNT_MAX:
        problems.append(f"a poll has {largest_poll} options")
    return problems


# --- Strategies ---------------------------------------------------------------------------------------------

ODD_CHARACTERS = (
    "\x00\x07\x08\t\n\x0b\x0c\r\x1b\x7f\x80\x85\x9f\xa0\u00ad\u200b\u200d\u202e\u2028\u2029\u3000"
    "\ud800\udbff\udc00\udfff\ufeff\ufffd\ufffe\uffff\U0001f4a5\U0010ffff"
)
# Repeated to just under, at and over every limit: "e\u0301" shrinks under NFC, "\u0958" grows.
UNITS = ["x", " ", "규", "\U0001f4a5", "e\u0301", "\u0958", "\x00", "\n", "\ud83d", "a\ufffe", "\u202e"]
LENGTHS = sorted(
    {n + d for n in vars(limits).values() if isinstance(n, int) and n > 1 for d in (-1, 0, 1)} | {100_000}
)


def texts() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.characters(exclude_categories=()), max_size=40),  # any character, lone surrogates too
        st.text(st.sampled_from("a 규" + ODD_CHARACTERS), max_size=40),
        # Odd characters inside words, so the text is still there to store once cleaned.
        st.text(st.sampled_from(ODD_CHARACTERS), min_size=1, max_size=6).map(lambda odd: f"Why{odd}not?"),
        st.builds(operator.mul, st.sampled_from(UNITS), st.sampled_from(LENGTHS)),
    )


ODD_NUMBERS = [0, -1, 2**31 - 1, 2**31, 2**53 + 1, 2**63, -(2**63), 10**100, 0.5, 1e308, float("nan")]
JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.sampled_from(ODD_NUMBERS),
        st.floats(),
        texts(),
    ),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(texts(), children, max_size=4),
    max_leaves=10,
)
ODD_IDS = [0, -1, 2**31 - 1, 2**31, 10**30, " 7 ", "07", "7.0", "1e3", "+7", "٣", "１", 7.0, "", None]


def ids(known: list[int]) -> st.SearchStrategy[Any]:
    """Mostly the ids of records in the room (so the payload reaches the service), as numbers or digits."""
    real = st.sampled_from(known)
    return st.one_of(real, real, real.map(str), st.sampled_from(ODD_IDS))


CLIENT_IDS = st.from_regex(r"[A-Za-z0-9_-]{8,64}", fullmatch=True)
WORDS = {"kind": [k.value for k in ContributionKind], "phase": [p.value for p in PollPhase]}


def field_values(field: str, known_ids: list[int]) -> st.SearchStrategy[Any]:
    """Values for one payload field: likely ones for its kind, and anything at all (wrong types too)."""
    if field == "client_id":
        likely = CLIENT_IDS
    elif field in FLAGS:
        likely = st.sampled_from([True, False, "true", "false"])
    elif field.endswith("_id"):
        likely = ids(known_ids)
    elif field == "report_threshold":
        likely = st.integers(-2, limits.REPORT_THRESHOLD_MAX + 2) | st.sampled_from(ODD_IDS)
    elif field == "options":
        likely = st.lists(texts(), max_size=limits.POLL_OPTION_COUNT_MAX + 2)
        likely = likely | likely.map("\n".join)
    else:
        likely = texts() | st.sampled_from(WORDS.get(field, ["Why?"]))
    return st.one_of(likely, likely, JSON_VALUES)


def arguments(fields: list[str], known_ids: list[int]) -> st.SearchStrategy[tuple[Any, ...]]:
    """What a client emits with the action: mostly a payload of its fields (all of them, or any subset, and
    some strangers), sometimes nothing, a value that is not an object, or two arguments."""
    values = {field: field_values(field, known_ids) for field in fields}
    payloads = st.builds(
        lambda known, extra: ({**extra, **known},),
        st.fixed_dictionaries(values) | st.fixed_dictionaries({}, optional=values),
        st.dictionaries(texts(), JSON_VALUES, max_size=2),
    )
    others = st.just(()) | JSON_VALUES.map(lambda value: (value,)) | st.tuples(payloads, JSON_VALUES)
    return st.one_of(payloads, payloads, payloads, others)


# --- Socket.IO actions ----------------------------------------------------------------------------------


def assert_clear(ack: Any) -> None:
    """An ack that says ok, or refuses with a documented code (never server_error) and a message."""
    assert isinstance(ack, dict), f"no acknowledgement came back: {ack!r}"
    if ack.get("ok") is True:
        assert "result" in ack, ack
        return
    error = ack.get("error") or {}
    assert ack.get("ok") is False and error.get("code") in ERROR_CODES, ack
    assert isinstance(error.get("message"), str) and error["message"].strip(), ack


ODD_TEXT = f"Why{ODD_CHARACTERS}not?"  # every odd character, in a text that is still there once cleaned


class Room:
    """A live session with something for every action to act on, and a connection for each fuzzed role."""

    def __init__(self, make_live_event: Callable[..., Any], live_client: Callable[..., Any]) -> None:
        self.live, self.live_client = make_live_event(), live_client
        tokens = self.live.tokens
        self.moderator = live_client({"invite": tokens["moderator"]})
        self.clients = {
            Role.MODERATOR: self.moderator,
            Role.SCRIBE: live_client({"invite": tokens["scribe"]}),
            Role.PANELIST: live_client({"invite": tokens["kimmy"]}),
        }
        self.prime()
        self.speaker = self.live.people["kimmy"].id
        self.contribution = self.expect_ok(
            self.clients[Role.SCRIBE], "contribution.add", participant_id=self.speaker
        )["contribution_id"]
        self.expect_ok(self.clients[Role.PANELIST], "answer.save", question_id=self.live.questions[0].id)

    def newcomer(self) -> Any:
        return self.live_client({"event": self.live.event.slug, "audience": audience_token()})

    def expect_ok(self, client: Any, name: str, **payload: Any) -> Any:
        ack = act(client, name, {"text": f"Set up for {name}?", **payload})
        assert ack["ok"], (name, ack)
        return ack["result"]

    def prime(self) -> None:
        """Undo what fuzzing the previous action may have left (the session ended, questions closed, every
        question decided, the poll closed, a member blocked): the session runs, a question is on the board
        with a vote, one waits for the moderator, a new fuzzing member has one of their own waiting, and a
        poll is open."""
        assert_clear(ack := act(self.moderator, "session.start"))
        assert ack["ok"] or ack["error"]["code"] == "already_live", ack
        self.expect_ok(self.moderator, "moderation.settings", questions_enabled=True, premoderation=True)
        asker = self.newcomer()  # a new member each time: an earlier one may have been blocked
        self.board = self.expect_ok(asker, "audience.ask", client_id=secrets.token_hex(8))["question_id"]
        self.expect_ok(self.moderator, "moderation.approve", question_id=self.board)
        self.waiting = self.expect_ok(asker, "audience.ask", client_id=secrets.token_hex(8))["question_id"]
        member = self.clients[Role.AUDIENCE] = self.newcomer()  # the next action's, never blocked yet
        self.expect_ok(
            member, "audience.vote", question_id=self.board, up=True, client_id=secrets.token_hex(8)
        )
        self.own = self.expect_ok(member, "audience.ask", client_id=secrets.token_hex(8))["question_id"]
        self.poll = self.expect_ok(self.moderator, "poll.open")["poll_id"]
        polls = self.expect_ok(self.moderator, "sync")["polls"]
        self.option = next(p for p in polls if p["id"] == self.poll)["options"][0]["id"]

    def known_ids(self, session: Any) -> list[int]:
        """The ids of everything in the room: questions, people, contributions, polls and their options."""
        session.rollback()
        event_id = self.live.event.id
        return sorted(
            {
                *session.scalars(select(AgendaQuestion.id).where(AgendaQuestion.event_id == event_id)),
                *session.scalars(select(AudienceQuestion.id).where(AudienceQuestion.event_id == event_id)),
                *session.scalars(select(Participant.id).where(Participant.event_id == event_id)),
                *session.scalars(select(Contribution.id).where(Contribution.event_id == event_id)),
                *session.scalars(select(Poll.id).where(Poll.event_id == event_id)),
                *session.scalars(select(PollOption.id).join(Poll).where(Poll.event_id == event_id)),
            }
        )

    def likely_payloads(self, fields: list[str]) -> list[dict[str, Any]]:
        """Payloads the action probably accepts in the primed room, every text holding every odd character:
        tried first, so each text field meets them whatever the generator draws. A ``question_id`` may mean
        an agenda question or an audience question (on the board, waiting, the member's own): one each."""
        values: dict[str, Any] = {
            "participant_id": self.speaker,
            "contribution_id": self.contribution,
            "poll_id": self.poll,
            "option_id": self.option,
            "into_id": self.board,
            "client_id": secrets.token_hex(8),
            "report_threshold": 5,
            "options": [ODD_TEXT, "No"],
            **{flag: True for flag in FLAGS},
            **{field: words[0] for field, words in WORDS.items()},
        }
        payload = {field: values.get(field, ODD_TEXT) for field in fields}
        if "question_id" not in fields:
            return [payload]
        questions = [self.live.questions[1].id, self.board, self.waiting, self.own]
        return [{**payload, "question_id": question} for question in questions]


def fuzz_action(room: Room, role: Role, action: str, stored: Any, invalid_writes: list[str]) -> None:
    """Send generated payloads with one action; raises on the first unclear answer or invalid write."""
    client, fields = room.clients[role], DOCUMENTED.get(action, ([], ""))[0]

    @FUZZ
    @given(args=arguments(fields, room.known_ids(stored)))
    def send(args: tuple[Any, ...]) -> None:
        invalid_writes.clear()
        ack = client.emit(action, *args, namespace=NAMESPACE, callback=True)
        assert invalid_writes == [], "an invalid value reached the database"
        assert_clear(ack)
        assert client.is_connected(NAMESPACE)

    for payload in room.likely_payloads(fields):
        send = example(args=(payload,))(send)
    send()


def failure_report(where: str, failure: AssertionError) -> str:
    """The failure with hypothesis's notes (the falsifying example), for a list of several."""
    return "\n".join([f"{where}: {failure}", *getattr(failure, "__notes__", [])])


@pytest.mark.parametrize("role", FUZZED_ROLES)
def test_any_payload_gets_a_clear_answer_and_stores_only_valid_data(
    role, make_live_event, live_client, stored, invalid_writes
):
    """Each action the role may call, fuzzed in turn in one room (set up again before each)."""
    room = Room(make_live_event, live_client)
    failures = []
    for action in ROLE_ACTIONS[role]:
        room.prime()
        try:
            fuzz_action(room, role, action, stored, invalid_writes)
        except AssertionError as failure:
            failures.append(failure_report(action, failure))
    assert not failures, "\n\n".join(failures)
    assert stored_problems(stored) == []


# Packets a socket.io client library would never produce, sent raw: the payload cannot be decoded.
UNDECODABLE = [
    '{"question_id": ' + "7" * 5000 + "}",  # Python refuses integers of more than 4300 digits
    '{"text": "unterminated',
    "{'text': 'single quotes'}",
]


@pytest.mark.parametrize("payload", UNDECODABLE, ids=["long-integer", "unterminated", "quotes"])
def test_a_payload_that_cannot_be_decoded_still_gets_an_ack(make_live_event, live_client, payload):
    """docs/realtime.md: every event name gets an ack. A payload the JSON decoder refuses is a bad payload."""
    live = make_live_event()
    member = live_client({"event": live.event.slug, "audience": audience_token()})
    member.acks = None
    packet = f'2{NAMESPACE},7["audience.vote",{payload}]'
    member.socketio.server._handle_eio_message(member.eio_sid, packet)
    assert member.acks is not None, "no acknowledgement came"
    assert member.acks["args"][0]["error"]["code"] == "bad_payload"
    assert member.is_connected(NAMESPACE)


# --- Forms ---------------------------------------------------------------------------------------------


def form_classes_in_source() -> set[str]:
    """The name of every FlaskForm subclass defined anywhere in forum/ (including ones made in functions)."""
    found = set()
    for path in (PROJECT_ROOT / "forum").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(
                getattr(base, "id", getattr(base, "attr", None)) == "FlaskForm" for base in node.bases
            ):
                found.add(node.name)
    return found


@contextmanager
def forms_built() -> Iterator[list[FlaskForm]]:
    """Every form instance a request builds meanwhile."""
    built: list[FlaskForm] = []
    original = FlaskForm.__init__

    def recording(self: FlaskForm, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        built.append(self)

    FlaskForm.__init__ = recording
    try:
        yield built
    finally:
        FlaskForm.__init__ = original


def url_values(live: Any) -> dict[str, Any]:
    """A value for every argument of a POST route, from one live event (a new argument fails loudly)."""
    return {
        "event_id": live.event.id,
        "question_id": live.questions[0].id,
        "participant_id": live.people["hong"].id,
        "token": live.tokens["kimmy"],  # a panelist: the invitation page has answer fields for them
        "slug": live.event.slug,
        "name": "sync",
        "op": "approve",
        "decision": "approve",
        "comment_id": 1,
        "contribution_id": 1,
    }


def post_url(app, endpoint: str, live: Any) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint) if "POST" in r.methods)
    values = url_values(live)
    missing = set(rule.arguments) - set(values)
    assert not missing, f"{rule.rule}: add a value for {sorted(missing)} to url_values()"
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


class Visitor:
    """Who posts a form: someone who is not signed in (a fresh browser each time), or the event's owner."""

    def __init__(self, app, live: Any, signed_in: bool) -> None:
        self.app, self.live, self.signed_in = app, live, signed_in
        self.client = self._browser() if signed_in else None

    def _browser(self):
        browser = self.app.test_client()
        if self.signed_in:
            answer = browser.post(
                "/auth/signin", data={"email": self.live.organizer.email, "password": DEFAULT_PASSWORD}
            )
            assert answer.status_code == 302
        return browser

    def post(self, url: str, body: bytes):
        browser = self.client or self._browser()
        return browser.post(url, data=body, content_type="application/x-www-form-urlencoded")


def discover_form_routes(app, make_live_event) -> dict[str, tuple[str, bool]]:
    """Post an empty form to every POST route, first without and then with a sign-in, in an event of its
    own; the routes that build a form: endpoint -> (form class, whether it needs the owner's sign-in)."""
    live = make_live_event()
    routes = {}
    for rule in app.url_map.iter_rules():
        if "POST" not in rule.methods:
            continue
        for signed_in in (False, True):
            visitor = Visitor(app, live, signed_in)
            with forms_built() as built:
                visitor.post(post_url(app, rule.endpoint, live), b"")
            if built:
                routes[rule.endpoint] = (type(built[0]).__name__, signed_in)
                break
    return routes


MESSAGE = re.compile(
    r'role="alert">\s*<p>([^<]+)</p>'  # on the form
    r'|<p class="error"[^>]*>([^<]+)</p>'  # by a field
    r'|class="panel error-page">\s*<h1>[^<]*</h1>\s*<p>([^<]+)</p>'  # the error page
)
# Values that mean something to some field: the set-up forms' own examples, statuses, directions, roles.
LIKELY_WORDS = sorted(
    {value for _, _, data in ORGANIZER_ROUTES if data for value in data.values()}
    | {s.value for s in EventStatus}
    | {r.value for r in ParticipantRole}
    | {"up", "down", DEFAULT_PASSWORD, "y", "on", "2024-11-23T14:00", "2024-02-30T25:61", "Asia/Seoul"}
)
# A value each field accepts (the set-up forms' own examples, else one by the field's kind).
FORM_DEFAULTS = {name: value for _, _, data in ORGANIZER_ROUTES if data for name, value in data.items()}
KIND_DEFAULTS = {
    "IntegerField": "5",
    "BooleanField": "y",
    "EmailField": "odd@example.org",
    "PasswordField": DEFAULT_PASSWORD,
    "DateTimeLocalField": "2024-11-23T14:00",
}
TEXT_KINDS = {"StringField", "TextAreaField", "EmailField", "PasswordField", "HiddenField"}


def form_body(data: dict[str, Any]) -> bytes:
    """A urlencoded body; lone surrogates go out as the invalid UTF-8 a broken client would send."""
    return urlencode(data, doseq=True, encoding="utf-8", errors="surrogatepass").encode()


def likely_bodies(fields: dict[str, Any]) -> list[bytes]:
    """Bodies the form probably accepts, but for every odd character in one of its text fields: tried first,
    so each text field meets them whatever the generator draws."""
    defaults = {}
    for name, field in fields.items():
        choices = getattr(field, "choices", None)
        default = FORM_DEFAULTS.get(name) or KIND_DEFAULTS.get(type(field).__name__)
        if default is None and choices:
            default = str(getattr(choices[0], "value", choices[0]))
        if default is not None:
            defaults[name] = default
    return [
        form_body({**defaults, name: ODD_TEXT})
        for name, field in fields.items()
        if type(field).__name__ in TEXT_KINDS
    ]


def form_field_values(field: Any, extra_words: list[str]) -> st.SearchStrategy[str | list[str]]:
    kind = type(field).__name__
    likely = [st.sampled_from(LIKELY_WORDS + extra_words)]
    if choices := getattr(field, "choices", None):
        likely.append(st.sampled_from([str(getattr(choice, "value", choice)) for choice in choices]))
    if kind == "DateTimeLocalField":
        moments = st.datetimes(datetime(1, 1, 1), datetime(9999, 12, 31))
        likely.append(moments.map(lambda moment: moment.strftime("%Y-%m-%dT%H:%M")))
    if kind == "IntegerField":
        likely.append(st.integers(-5, 2000).map(str) | st.sampled_from(["1e3", "9" * 30, "-0", "٣", " 7 "]))
    one = st.one_of(*likely, texts())
    return st.one_of(one, one, st.lists(one, min_size=2, max_size=3))  # a list: the field sent repeatedly


def form_bodies(fields: dict[str, Any], extra_words: list[str]) -> st.SearchStrategy[bytes]:
    """A body with any subset of the form's fields and some strangers."""
    known = st.fixed_dictionaries(
        {}, optional={name: form_field_values(field, extra_words) for name, field in fields.items()}
    )
    strangers = st.dictionaries(st.text(min_size=1, max_size=8), texts(), max_size=2)
    return st.builds(lambda k, s: form_body({**s, **k}), known, strangers)


def assert_clear_page(response) -> None:
    """A redirect (it worked) or a 4xx page that says what is wrong."""
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    if 300 <= response.status_code < 400:
        assert response.location
        return
    assert 400 <= response.status_code < 500, response.status_code
    messages = [m.strip() for groups in MESSAGE.findall(response.get_data(as_text=True)) for m in groups]
    assert any(messages), f"{response.status_code} without a message"


def test_every_form_is_found_on_a_route(app, make_live_event):
    """Each FlaskForm subclass in forum/ is built by some POST route, so the fuzzer below reaches it."""
    found = {form for form, _signed_in in discover_form_routes(app, make_live_event).values()}
    assert form_classes_in_source() <= found, "a form no route builds on an empty post"


def fuzz_form(app, live: Any, endpoint: str, signed_in: bool, invalid_writes: list[str]) -> None:
    """Post generated bodies to one form route of ``live``'s event; raises on the first unclear answer."""
    visitor = Visitor(app, live, signed_in)
    url = post_url(app, endpoint, live)
    with forms_built() as built:
        visitor.post(url, b"")  # the form's fields, as this route builds it for this event
    fields = {name: field for name, field in built[0]._fields.items() if name != "csrf_token"}

    @settings(FUZZ, max_examples=FORM_EXAMPLES)
    @given(body=form_bodies(fields, [live.organizer.email, live.event.slug]))
    def post(body: bytes) -> None:
        invalid_writes.clear()
        try:
            response = visitor.post(url, body)
        finally:  # a refused write may also break the error page the app then shows: name the write
            assert invalid_writes == [], "an invalid value reached the database"
        assert_clear_page(response)

    for body in likely_bodies(fields):
        post = example(body=body)(post)
    post()


def test_any_form_post_gets_a_clear_answer_and_stores_only_valid_data(
    app, make_live_event, stored, invalid_writes
):
    failures = []
    for endpoint, (form_name, signed_in) in sorted(discover_form_routes(app, make_live_event).items()):
        # A fresh event for each route: one route's changes (a new status, a renamed panelist) stay there.
        try:
            fuzz_form(app, make_live_event(), endpoint, signed_in, invalid_writes)
        except AssertionError as failure:
            failures.append(failure_report(f"{endpoint} ({form_name})", failure))
    assert not failures, "\n\n".join(failures)
    assert stored_problems(stored) == []
