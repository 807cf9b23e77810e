"""Shared fixtures: the app on each database backend, clients, and factories that build real records.

Every test that uses ``app`` runs on SQLite and, when ``FORUM_TEST_DATABASE_URL`` is set, on
PostgreSQL as well. Without the variable the PostgreSQL variants are deselected, with one line saying
so at the end; with it set but the server unreachable, the run fails loudly. The SQLite schema is
built once per run and copied for each test.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jinja2
import jinja2.bccache
import pytest
from argon2 import PasswordHasher
from flask import Flask, g
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text

from forum import create_app
from forum.boundary import unit_of_work
from forum.config import normalise_database_url
from forum.db import Base
from forum.events import agenda, events, panel
from forum.models import AgendaQuestion, Event, Organizer, Participant

DEFAULT_PASSWORD = "correct horse battery staple"
_POSTGRES_DESELECTED = pytest.StashKey[int]()

# Chromium through Playwright, a real server process and strict pages, for the browser tests.
pytest_plugins = ("tests.browser_fixtures",)

# Settings from the developer's shell must not leak into tests.
for _name in list(os.environ):
    if _name.startswith("FORUM_") and not _name.startswith("FORUM_TEST_"):
        del os.environ[_name]


# Every organizer-only page and action, with the form data a POST needs: the permission tests try each as a
# stranger and as another organizer; the bad-input tests try each with malformed ids.
ORGANIZER_ROUTES = [
    ("GET", "/manage/{event}", None),
    ("GET", "/manage/{event}/edit", None),
    (
        "POST",
        "/manage/{event}/edit",
        {
            "title": "Hijacked",
            "starts_at": "2024-11-23T14:00",
            "timezone": "UTC",
            "language": "en",
            "host_name": "Evil",
        },
    ),
    ("POST", "/manage/{event}/delete", {}),
    ("POST", "/manage/{event}/status", {"status": "scheduled"}),
    ("GET", "/manage/{event}/panel/new", None),
    ("POST", "/manage/{event}/panel/new", {"role": "panelist", "display_name": "Intruder"}),
    ("GET", "/manage/{event}/panel/{person}/edit", None),
    ("POST", "/manage/{event}/panel/{person}/edit", {"role": "panelist", "display_name": "Renamed"}),
    ("POST", "/manage/{event}/panel/{person}/delete", {}),
    ("POST", "/manage/{event}/panel/{person}/move", {"direction": "up"}),
    ("POST", "/manage/{event}/panel/{person}/invitation", {}),
    ("POST", "/manage/{event}/panel/{person}/invitation/revoke", {}),
    ("GET", "/manage/{event}/agenda/new", None),
    ("POST", "/manage/{event}/agenda/new", {"text": "Injected?"}),
    ("GET", "/manage/{event}/agenda/{question}/edit", None),
    ("POST", "/manage/{event}/agenda/{question}/edit", {"text": "Changed?"}),
    ("POST", "/manage/{event}/agenda/{question}/delete", {}),
    ("POST", "/manage/{event}/agenda/{question}/move", {"direction": "down"}),
    ("GET", "/manage/{event}/answers", None),
]


# --- Helpers for Socket.IO test clients, shared by the live-room test modules --------------------------


def received(client: Any, name: str) -> list[Any]:
    """The payloads of every ``name`` event this test client has received on the live namespace."""
    from forum.protocol import NAMESPACE

    return [m["args"][0] for m in client.get_received(NAMESPACE) if m["name"] == name]


def act(client: Any, name: str, payload: dict[str, Any] | None = None) -> Any:
    """Send one live action and return its ack."""
    from forum.protocol import NAMESPACE

    return client.emit(name, payload if payload is not None else {}, namespace=NAMESPACE, callback=True)


def deltas(messages: list[dict[str, Any]], kind: str | None = None) -> list[Any]:
    """The deltas (of one ``kind``) among messages taken from a test client."""
    return [
        m["args"][0]
        for m in messages
        if m["name"] == "delta" and (kind is None or m["args"][0]["type"] == kind)
    ]


def ask(client: Any, text: str = "Why not regulate AI directly?", **extra: Any) -> Any:
    """An audience member asks a question (a fresh submission id each time)."""
    return act(client, "audience.ask", {"text": text, "client_id": secrets.token_hex(8), **extra})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without FORUM_TEST_DATABASE_URL, PostgreSQL variants are deselected (one summary line, not one
    SKIPPED line each)."""
    if os.environ.get("FORUM_TEST_DATABASE_URL"):
        return
    deselected = [item for item in items if item.get_closest_marker("postgres")]
    if deselected:
        items[:] = [item for item in items if not item.get_closest_marker("postgres")]
        config.hook.pytest_deselected(items=deselected)
        config.stash[_POSTGRES_DESELECTED] = len(deselected)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if count := config.stash.get(_POSTGRES_DESELECTED, 0):
        terminalreporter.write_line(
            f"{count} PostgreSQL variants deselected: set FORUM_TEST_DATABASE_URL to run them (CI does)."
        )


def _postgres_url_or_skip() -> str:
    url = os.environ.get("FORUM_TEST_DATABASE_URL")
    if not url:
        pytest.skip("FORUM_TEST_DATABASE_URL is not set; PostgreSQL variant skipped")
    return normalise_database_url(url)


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A throwaway schema in the PostgreSQL test database, with every table created; dropped at the end."""
    base_url = _postgres_url_or_skip()
    schema = f"forum_test_{secrets.token_hex(4)}"
    admin = create_engine(base_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as error:
        pytest.fail(f"FORUM_TEST_DATABASE_URL is set but PostgreSQL is unreachable: {error}", pytrace=False)
    separator = "&" if "?" in base_url else "?"
    url = f"{base_url}{separator}options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file with every table (and the search index) created once; each test gets a copy."""
    path = tmp_path_factory.mktemp("schema") / "template.sqlite3"
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The database URL for one backend; the tables exist and are empty."""
    if request.param == "sqlite":
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_schema_url")
    request.addfinalizer(lambda: _empty_postgres(url))
    return url


def _empty_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def app_config(tmp_path) -> dict[str, Any]:
    """Overrides for the app under test; tests may change entries before ``app`` is built."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "INSTANCE_PATH": tmp_path / "instance",
        "SOCKETIO_ASYNC_MODE": "threading",
        # Vote counts are flushed by hand in these tests (the background loop has its own test).
        "TALLY_INTERVAL": 0,
    }


class _SharedTemplateCode(jinja2.BytecodeCache):
    """Compiled templates kept in memory for the whole run: every test builds a new app (and Jinja
    environment), but a template's code depends only on its source, which the cache key covers."""

    def __init__(self) -> None:
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if (code := self.code.get(bucket.key + bucket.checksum)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.code[bucket.key + bucket.checksum] = bucket.bytecode_to_string()


_TEMPLATE_CODE = _SharedTemplateCode()


@pytest.fixture
def app(database_url: str, app_config: dict[str, Any]) -> Iterator[Flask]:
    """The app bound to a fresh, empty database of the current backend."""
    application = create_app({**app_config, "DATABASE_URL": database_url})
    application.jinja_env.bytecode_cache = _TEMPLATE_CODE

    @application.before_request
    def _each_request_signs_in_for_itself() -> None:
        # With ``db_session`` the test holds an app context open, and Flask reuses it for every request of
        # every test client, with its ``g``: the user Flask-Login cached there for one client would be
        # everyone's. Each request looks its own sign-in up, as in a served app.
        g.pop("_login_user", None)

    yield application
    application.extensions["forum.db"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


# Argon2 is slow on purpose (about 0.15 s a verification here); signing in hundreds of times would spend a
# fifth of the suite on it. In this process the accounts service hashes with the lowest cost Argon2id allows,
# so sign-in still runs the real algorithm; test_auth checks the production hasher's parameters, and the
# servers that browser and end-to-end tests start keep them.
QUICK_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PRODUCTION_HASHER: list[PasswordHasher] = []


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashing() -> Iterator[None]:
    from forum.accounts import accounts

    PRODUCTION_HASHER.append(accounts._hasher)
    accounts._hasher = QUICK_HASHER
    yield
    accounts._hasher = PRODUCTION_HASHER.pop()


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One Argon2 hash of DEFAULT_PASSWORD, computed once."""
    return QUICK_HASHER.hash(DEFAULT_PASSWORD)


@pytest.fixture
def make_organizer(app: Flask, password_hash: str) -> Callable[..., Organizer]:
    """Factory: an organizer account whose password is DEFAULT_PASSWORD."""
    counter = iter(range(1, 10_000))

    def factory(email: str | None = None, display_name: str = "Organizer") -> Organizer:
        n = next(counter)
        with app.app_context(), unit_of_work() as session:
            organizer = Organizer(
                email=email or f"organizer{n}@example.org",
                display_name=f"{display_name} {n}",
                password_hash=password_hash,
            )
            session.add(organizer)
        return organizer

    return factory


@pytest.fixture
def make_event(app: Flask, make_organizer: Callable[..., Organizer]) -> Callable[..., Event]:
    """Factory: a draft event built through the events service."""

    def factory(organizer: Organizer | None = None, **overrides: Any) -> Event:
        organizer = organizer or make_organizer()
        details = {
            "title": "Is it okay to use Telegram as it is?",
            "starts_at_local": datetime(2024, 11, 23, 14, 0),
            "timezone": "Asia/Seoul",
            "language": "en",
            "host_name": "People Outraged by the Nth Room Incident",
            "venue": "Seoul",
            **overrides,
        }
        with app.app_context(), unit_of_work() as session:
            return events.create_event(session, organizer, events.EventDetails(**details))

    return factory


@pytest.fixture
def make_participant(app: Flask) -> Callable[..., Participant]:
    """Factory: a person on an event's panel (panelist unless told otherwise)."""

    def factory(event: Event, display_name: str = "Oh Kyoungmi", **overrides: Any) -> Participant:
        details = {"role": "panelist", "display_name": display_name, **overrides}
        with app.app_context(), unit_of_work() as session:
            organizer = session.get(Organizer, event.organizer_id)
            return panel.add_participant(session, organizer, event.id, panel.ParticipantDetails(**details))

    return factory


@pytest.fixture
def make_question(app: Flask) -> Callable[..., AgendaQuestion]:
    """Factory: a question appended to an event's agenda."""

    def factory(event: Event, text: str = "Should platforms be blocked nationally?") -> AgendaQuestion:
        with app.app_context(), unit_of_work() as session:
            organizer = session.get(Organizer, event.organizer_id)
            return agenda.add_question(session, organizer, event.id, text)

    return factory


@pytest.fixture
def login(client: FlaskClient) -> Callable[[Organizer], None]:
    """Sign ``client`` in as an organizer through the real sign-in form."""

    def do_login(organizer: Organizer) -> None:
        response = client.post("/auth/signin", data={"email": organizer.email, "password": DEFAULT_PASSWORD})
        assert response.status_code == 302, response.get_data(as_text=True)

    return do_login


@pytest.fixture
def db_session(app: Flask) -> Iterator[Any]:
    """A session inside an app context, for reading back what a request stored."""
    with app.app_context():
        from forum.db import get_session

        session = get_session()
        yield session
        session.rollback()


@pytest.fixture
def make_live_event(
    app: Flask,
    make_organizer: Callable[..., Organizer],
    make_event: Callable[..., Event],
    make_participant: Callable[..., Participant],
    make_question: Callable[..., AgendaQuestion],
) -> Callable[..., SimpleNamespace]:
    """Factory: a scheduled event with moderator, two panelists, scribe, three questions, invite links."""
    from forum.events import invitations
    from forum.models import EventStatus

    def factory(**event_overrides: Any) -> SimpleNamespace:
        organizer = make_organizer()
        event = make_event(organizer, **event_overrides)
        people = {
            "moderator": make_participant(event, "Jun-jjang", role="moderator"),
            "kimmy": make_participant(event, "Oh Kyoungmi", short_name="Kimmy", affiliation="Open Net Korea"),
            "hong": make_participant(event, "Hong Myeong-gyo", affiliation="Platform C"),
            "scribe": make_participant(event, "Note Taker", role="scribe"),
        }
        questions = [
            make_question(event, "Is there a need for an international consensus?"),
            make_question(event, "Do we need to regulate AI technologies?"),
            make_question(event, "Should platforms be blocked nationally?"),
        ]
        tokens = {}
        with app.app_context(), unit_of_work() as session:
            owner = session.get(Organizer, organizer.id)
            for key, person in people.items():
                tokens[key] = invitations.issue_invitation(session, owner, event.id, person.id)[1]
            events.change_status(session, owner, event.id, EventStatus.SCHEDULED)
        return SimpleNamespace(
            organizer=organizer, event=event, people=people, questions=questions, tokens=tokens
        )

    return factory


@pytest.fixture
def live_client(app: Flask) -> Callable[..., Any]:
    """Factory: a Flask-SocketIO test client on the /live namespace (``flask_client`` carries a sign-in)."""
    from forum.extensions import socketio
    from forum.protocol import NAMESPACE

    made = []

    def factory(auth: dict[str, Any] | None = None, flask_client: FlaskClient | None = None) -> Any:
        # A Flask test client supplies what a real handshake has: cookies and a remote address.
        client = socketio.test_client(
            app, namespace=NAMESPACE, auth=auth, flask_test_client=flask_client or app.test_client()
        )
        made.append(client)
        return client

    yield factory
    for client in made:
        if client.is_connected(NAMESPACE):
            client.disconnect(NAMESPACE)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The Redis server of FORUM_TEST_REDIS_URL; skipped when unset, a loud failure when unreachable."""
    url = os.environ.get("FORUM_TEST_REDIS_URL")
    if not url:
        pytest.skip("FORUM_TEST_REDIS_URL is not set; Redis tests skipped")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.fail(f"FORUM_TEST_REDIS_URL is set but Redis is unreachable: {error}", pytrace=False)
    return url
