"""Data-layer guarantees: UTC times, SQLite pragmas, constraint names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from forum.boundary import unit_of_work
from forum.db import Base, get_session
from forum.models import Organizer


def test_times_come_back_aware_and_in_utc(app, make_organizer):
    organizer = make_organizer()
    seoul = timezone(timedelta(hours=9))
    with app.app_context(), unit_of_work() as session:
        session.get(Organizer, organizer.id).last_login_at = datetime(2024, 11, 23, 14, 0, tzinfo=seoul)
    with app.app_context():
        stored = get_session().get(Organizer, organizer.id).last_login_at
    assert stored == datetime(2024, 11, 23, 5, 0, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_naive_times_are_refused(app, make_organizer):
    organizer = make_organizer()
    with app.app_context(), pytest.raises(Exception, match="naive datetime"), unit_of_work() as session:
        session.get(Organizer, organizer.id).last_login_at = datetime(2024, 11, 23, 14, 0)
        session.flush()


def test_sqlite_pragmas(app):
    with app.app_context():
        session = get_session()
        if session.bind.dialect.name != "sqlite":
            pytest.skip("SQLite only")
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 10000


def test_constraints_are_named_by_convention():
    names = {c.name for table in Base.metadata.sorted_tables for c in table.constraints}
    assert "uq_events_slug" in names
    assert "ck_events_event_status" in names
    assert "fk_events_host_id_host_organisations" in names
    assert None not in names
