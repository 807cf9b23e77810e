"""Database plumbing: declarative base, UTC time type, engine set-up and the per-context session.

Models live in :mod:`forum.models`; this module only knows how to talk to the database.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol, TypeVar

from flask import current_app, g
from sqlalchemy import DateTime, MetaData, bindparam, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

from forum.errors import NotFound

# Stable constraint names let Alembic add and drop constraints by name on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware in Python and always UTC in the database.

    SQLite has no time zone support, so values are stored as naive UTC and re-tagged on load;
    PostgreSQL stores ``timestamptz``. Naive datetimes are refused instead of guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime given; attach a time zone before storing it")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


_DETAIL = re.compile(r"\nDETAIL:[^\n]*")


def _without_detail(context: Any) -> None:
    """Drop PostgreSQL's DETAIL line from a failed statement's message before anything logs it: it names the
    values (a duplicate key's token hash, a failing row). The error keeps its class and SQLSTATE, and the
    detail stays on ``error.diag`` for code that needs it."""
    hidden = "\nDETAIL:  [not shown: it names the values]"
    for error in (context.original_exception, context.sqlalchemy_exception):
        if error is not None and error.args and isinstance(error.args[0], str):
            error.args = (_DETAIL.sub(hidden, error.args[0]), *error.args[1:])


def make_engine(url: str, *, pool_size: int = 30, max_overflow: int = 0, **kwargs: Any) -> Engine:
    """Create an engine; SQLite connections get WAL, enforced foreign keys and a busy timeout. Statement
    parameters are never shown in errors or logs: they hold token hashes, member and client ids (and
    neither is PostgreSQL's DETAIL line, which repeats them).

    A PostgreSQL pool keeps ``pool_size`` connections open and opens ``max_overflow`` more only for a
    moment (``FORUM_DB_POOL_SIZE``, ``FORUM_DB_MAX_OVERFLOW``). A gevent process runs hundreds of actions
    at once: with SQLAlchemy's own default (5 kept, 10 more) every action beyond the fifth opened and
    closed a PostgreSQL connection of its own, which cost more than the action (docs/performance.md).
    SQLite keeps SQLAlchemy's defaults: it writes one transaction at a time anyway."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {}).setdefault("timeout", 10)
    else:
        kwargs.setdefault("pool_size", pool_size)
        kwargs.setdefault("max_overflow", max_overflow)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _set_sqlite_pragmas)
    else:
        event.listen(engine, "handle_error", _without_detail)
        if not kwargs.get("pool_pre_ping"):
            IdlePing(engine).install()
    return engine


class IdlePing:
    """Check a pooled PostgreSQL connection before use when it has sat unused for a while.

    A restarted database, a failover or a firewall that drops quiet connections leaves the pool holding
    dead ones; SQLAlchemy's ``pool_pre_ping`` finds them by a round trip before every use, which in a vote
    storm was the price of a sixth of a vote (docs/performance.md). A connection given back moments ago is
    used as it is: if it died meanwhile, the statement fails once, SQLAlchemy sees the disconnect and
    replaces every connection the pool held, and the action is answered "try again". A connection idle
    longer than ``after`` seconds is pinged first, and a dead one is replaced before anyone sees it
    (raising ``DisconnectionError`` on checkout makes the pool connect afresh).
    """

    IDLE_SINCE = "forum.idle_since"
    after = 5.0  # seconds

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def install(self) -> None:
        event.listen(self.engine, "checkin", self._checked_in)
        event.listen(self.engine, "checkout", self._checked_out)

    def _checked_in(self, _dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[self.IDLE_SINCE] = time.monotonic()

    def _checked_out(self, dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(self.IDLE_SINCE)
        if since is None or time.monotonic() - since < self.after:
            return  # new, or back in the pool only moments ago
        dialect = self.engine.dialect
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, None):
                raise DisconnectionError("a pooled connection went away while idle") from error
            raise


class SQLiteWriteLock:
    """One writing transaction at a time per process, for SQLite.

    SQLite has a single writer. When two sessions of one gevent process write at once, the second
    waits in SQLite's busy handler, which sleeps without yielding to other greenlets, so the first can
    never finish: "database is locked". Taking this (cooperative) lock at a session's first write and
    releasing it when the transaction ends makes in-process writers queue politely instead. Across
    processes SQLite's own locking still applies; PostgreSQL needs none of this.
    """

    KEY = "forum.sqlite_write_lock"
    OWNER_KEY = "forum.sqlite_write_lock_owner"  # in every session's info: the lock itself (write_columns)

    def __init__(self, timeout: float = 30.0) -> None:
        # Created after gevent's monkey-patching in the served app, so waiting yields to other greenlets.
        self._lock = threading.Lock()
        self.timeout = timeout

    def install(self, session_factory: sessionmaker[Session]) -> None:
        session_factory.configure(info={self.OWNER_KEY: self})
        event.listen(session_factory, "before_flush", lambda session, *_: self.acquire(session))
        event.listen(session_factory, "do_orm_execute", self._on_execute)
        event.listen(session_factory, "after_transaction_end", self._release)

    def _on_execute(self, state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            self.acquire(state.session)

    def acquire(self, session: Session) -> None:
        """Hold the lock until ``session``'s transaction ends (at once if it already does)."""
        if session.info.get(self.KEY):
            return
        if not self._lock.acquire(timeout=self.timeout):
            from forum.errors import Conflict

            raise Conflict("The database is busy right now; please try again in a moment.", code="busy")
        session.info[self.KEY] = True

    def _release(self, session: Session, transaction: Any) -> None:
        if transaction.parent is None and session.info.pop(self.KEY, False):
            self._lock.release()


_DIALECT_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def insert_unless_present(
    session: Session, model: type[Base], values: dict[str, Any], *, unique: tuple[str, ...]
) -> int | None:
    """Insert one row unless a row with the same ``unique`` columns exists; the new row's id, or None.

    ``INSERT ... ON CONFLICT DO NOTHING`` never fails on a duplicate, so two requests that create the
    same row at once both go on. On PostgreSQL, a duplicate of a row another transaction has inserted but
    not yet committed waits for that transaction: once it commits this does nothing (and a following
    read sees the row); if it rolls back, this insert takes its place.
    """
    statement = _insert_statement(session.get_bind().dialect.name, model, tuple(sorted(values)), unique)
    return write_columns(session, statement, values).scalar_one_or_none()


@contextmanager
def reading() -> Iterator[Connection]:
    """A pooled connection for a read or two of plain columns outside any session: no ORM object, nothing
    written, no unit of work to commit. A live connect reads one row this way; a session's transaction
    around the same statement cost twice as much (docs/performance.md)."""
    with get_db().engine.connect() as connection:
        yield connection


def read_columns(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """Run a prebuilt SELECT of plain columns on the session's connection, in the session's transaction.

    ``Session.execute`` sends every statement through the ORM's execution layer (its hooks, compile state
    and loading), which for a one-row read of a few columns costs more than the query itself; every live
    connect makes three such reads. For reads only: a write uses ``write_columns``, which takes SQLite's
    write lock.
    """
    return session.connection().execute(statement, params)


def write_columns(session: Session, statement: Any, params: dict[str, Any]) -> Any:
    """Run a prebuilt INSERT, UPDATE or DELETE of plain column values on the session's connection, in the
    session's transaction.

    Through ``Session.execute`` such a statement takes the ORM's bulk-persistence path, which costs several
    times the statement (a vote runs three). What the session holds is flushed first, as ``Session.execute``
    would; on SQLite the process's write lock is taken as for any write. Objects the session has loaded are
    not updated: use it for rows the session does not hold.
    """
    session.flush()
    lock = session.info.get(SQLiteWriteLock.OWNER_KEY)
    if lock is not None:
        lock.acquire(session)
    return session.connection().execute(statement, params)


@functools.lru_cache(maxsize=64)
def _insert_statement(
    dialect: str, model: type[Base], columns: tuple[str, ...], unique: tuple[str, ...]
) -> Any:
    """The statement of ``insert_unless_present``, built once per shape with named parameters: building it
    cost more than running it (every vote runs two)."""
    table = model.__table__  # type: ignore[attr-defined]
    return (
        _DIALECT_INSERTS[dialect](model)
        .values({name: bindparam(name, type_=table.c[name].type) for name in columns})
        .on_conflict_do_nothing(index_elements=list(unique))
        .returning(model.id)  # type: ignore[attr-defined]
    )


def _app_context_id() -> int:
    # One session per application context: a request, a Socket.IO event or a CLI command.
    return id(g._get_current_object())


class Database:
    """The engine and the session registry of one app instance."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        # expire_on_commit=False: after the boundary commits, broadcasters still read the objects.
        self.session_factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.session = scoped_session(self.session_factory, scopefunc=_app_context_id)
        if self.engine.dialect.name == "sqlite":
            SQLiteWriteLock().install(self.session_factory)

    def dispose(self) -> None:
        """Close every pooled connection (used by tests and at shutdown)."""
        self.engine.dispose()


def get_db() -> Database:
    """The :class:`Database` of the current app."""
    return current_app.extensions["forum.db"]


def get_session() -> Session:
    """The session of the current application context."""
    return get_db().session()


class _InEvent(Protocol):
    event_id: int


InEvent = TypeVar("InEvent", bound=_InEvent)


def get_in_event(
    session: Session,
    model: type[InEvent],
    record_id: int | None,
    event_id: int,
    message: str,
    *,
    refuse_if: Callable[[InEvent], bool] | None = None,
) -> InEvent:
    """The ``model`` row ``record_id`` when it belongs to event ``event_id`` (and ``refuse_if`` does not
    hold for it), else ``NotFound(message)``: one rule for every "that … is not in this event" lookup, so a
    row of another event is never found through this one's pages, links or sockets."""
    found = session.get(model, record_id) if record_id is not None else None
    return in_event(found, event_id, message, refuse_if=refuse_if)


def columns_in_event(
    session: Session,
    statement: Any,
    record_id: int | None,
    event_id: int,
    message: str,
    *,
    refuse_if: Callable[[Any], bool] | None = None,
) -> Any:
    """``get_in_event`` for a prebuilt SELECT of plain columns (``event_id`` among them) by ``:record_id``:
    the row, read without loading an object (``read_columns``), under the same rule."""
    found = None
    if record_id is not None:
        found = read_columns(session, statement, {"record_id": record_id}).first()
    return in_event(found, event_id, message, refuse_if=refuse_if)


def in_event(
    found: Any, event_id: int, message: str, *, refuse_if: Callable[[Any], bool] | None = None
) -> Any:
    """The rule of ``get_in_event`` for a row or object read some other way (None when there was none): it
    is returned when it belongs to event ``event_id``, else ``NotFound(message)``."""
    if found is None or found.event_id != event_id or (refuse_if is not None and refuse_if(found)):
        raise NotFound(message)
    return found
