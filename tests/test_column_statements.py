"""Hot statements run on the session's connection (``read_columns``, ``write_columns``) keep the session's
rules: they are in its transaction, pending objects are written first, and on SQLite a write takes the
process's write lock like any other."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, func, select, update

from forum.db import SQLiteWriteLock, insert_unless_present, read_columns, write_columns
from forum.errors import Conflict
from forum.models import HostOrganisation, Organizer

_RENAME = update(Organizer).where(Organizer.id == bindparam("who")).values(display_name=bindparam("name"))
_NAME = select(Organizer.display_name).where(Organizer.id == bindparam("who"))


def test_column_statements_share_the_sessions_transaction(app, make_organizer):
    owner = make_organizer()
    db = app.extensions["forum.db"]
    writer, reader = db.session_factory(), db.session_factory()
    try:
        write_columns(writer, _RENAME, {"who": owner.id, "name": "Renamed"})
        assert read_columns(writer, _NAME, {"who": owner.id}).scalar() == "Renamed"
        writer.rollback()
        assert read_columns(reader, _NAME, {"who": owner.id}).scalar() == owner.display_name
    finally:
        writer.close()
        reader.close()


def test_pending_objects_are_written_before_a_column_write(app, make_organizer):
    """A row the session holds unflushed exists before a statement that depends on it runs, as with
    ``Session.execute``: here an insert of a host that another pending host's name must not collide with."""
    owner = make_organizer()
    db = app.extensions["forum.db"]
    session = db.session_factory()
    try:
        session.add(HostOrganisation(organizer_id=owner.id, name="Held by the session"))
        created = insert_unless_present(
            session,
            HostOrganisation,
            {"organizer_id": owner.id, "name": "Held by the session"},
            unique=("organizer_id", "name"),
        )
        assert created is None, "the pending row was flushed first, so this one is a duplicate"
        count = (
            select(func.count())
            .select_from(HostOrganisation)
            .where(HostOrganisation.organizer_id == owner.id)
        )
        assert session.scalar(count) == 1
    finally:
        session.rollback()
        session.close()


def test_a_column_write_takes_the_sqlite_write_lock(app, make_organizer):
    """Two writers of one process on SQLite: the second waits for the first (here: gives up after a short
    wait with a clear ``busy``), instead of both writing and one failing inside SQLite."""
    db = app.extensions["forum.db"]
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the write lock is SQLite's")
    owner = make_organizer()
    first, second = db.session_factory(), db.session_factory()
    lock = first.info[SQLiteWriteLock.OWNER_KEY]
    lock.timeout = 0.2
    try:
        write_columns(first, _RENAME, {"who": owner.id, "name": "First"})
        assert first.info.get(SQLiteWriteLock.KEY), "the first writer holds the lock"
        with pytest.raises(Conflict) as refused:
            write_columns(second, _RENAME, {"who": owner.id, "name": "Second"})
        assert refused.value.code == "busy"
        first.commit()
        write_columns(second, _RENAME, {"who": owner.id, "name": "Second"})
        second.commit()
        assert read_columns(first, _NAME, {"who": owner.id}).scalar() == "Second"
    finally:
        first.rollback()
        second.rollback()
        first.close()
        second.close()
