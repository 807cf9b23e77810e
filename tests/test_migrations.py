"""Alembic is the schema's only path: migrations build, match the models and unwind, on both backends."""

from __future__ import annotations

import secrets

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text

from forum import create_app
from forum.db import Base
from forum.migrate import include_object


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_database_url(request, tmp_path):
    """A database with no tables at all."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    from tests.conftest import _postgres_url_or_skip

    base_url = _postgres_url_or_skip()
    schema = f"forum_migrate_{secrets.token_hex(4)}"
    admin = create_engine(base_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))

    def drop():
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()

    request.addfinalizer(drop)
    return f"{base_url}?options=-csearch_path%3D{schema}"


def test_upgrade_from_empty_matches_models_and_downgrades(empty_database_url, app_config):
    app = create_app({**app_config, "DATABASE_URL": empty_database_url})
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forum", "upgrade"])
    assert result.exit_code == 0, result.output
    engine = app.extensions["forum.db"].engine
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": include_object}
        )
        assert compare_metadata(context, Base.metadata) == []

    assert runner.invoke(args=["forum", "upgrade"]).exit_code == 0, "upgrading twice is harmless"
    result = runner.invoke(args=["forum", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_seed_runs_on_a_migrated_database(empty_database_url, app_config):
    app = create_app({**app_config, "DATABASE_URL": empty_database_url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["forum", "upgrade"]).exit_code == 0
    result = runner.invoke(args=["forum", "seed", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "Loaded the demo event" in result.output
    app.extensions["forum.db"].engine.dispose()


def test_the_local_year_is_filled_in_for_events_made_before_it_existed(empty_database_url, app_config):
    """0008 adds the start's year at the venue; events already stored get it from starts_at and timezone."""
    from datetime import datetime

    from forum.accounts import accounts
    from forum.boundary import unit_of_work
    from forum.events import events
    from forum.models import Event

    app = create_app({**app_config, "DATABASE_URL": empty_database_url})
    runner = app.test_cli_runner()
    assert runner.invoke(args=["forum", "upgrade"]).exit_code == 0
    with app.app_context(), unit_of_work() as session:
        owner = accounts.register_organizer(
            session, email="year@example.org", display_name="Year", password="long enough password"
        )
        details = events.EventDetails(
            title="New Year debate",
            starts_at_local=datetime(2025, 1, 1, 0, 30),  # 2024-12-31 15:30 UTC
            timezone="Asia/Seoul",
            language="ko",
            host_name="Host",
        )
        event_id = events.create_event(session, owner, details).id
    assert runner.invoke(args=["forum", "downgrade", "0007_projector_keep"]).exit_code == 0
    assert runner.invoke(args=["forum", "upgrade"]).exit_code == 0
    with app.app_context(), unit_of_work() as session:
        assert session.get(Event, event_id).local_year == 2025
    app.extensions["forum.db"].dispose()
