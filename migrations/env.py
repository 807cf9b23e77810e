"""Alembic environment. Run through ``flask --app app forum upgrade`` (or ``forum migrate``)."""

from __future__ import annotations

from alembic import context

import forum.models  # noqa: F401 - registers every table on the metadata
from forum.db import Base, UTCDateTime
from forum.migrate import include_object

config = context.config
target_metadata = Base.metadata


def _engine():
    engine = config.attributes.get("engine")
    if engine is not None:
        return engine
    # Plain `alembic` command line: build the app to read FORUM_DATABASE_URL like the server does.
    from forum import create_app

    app = create_app()
    return app.extensions["forum.db"].engine


def render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    # Migrations must not import app code: our UTC wrapper is stored as a plain timezone-aware timestamp.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=str(_engine().url),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table by dropping the old one; with foreign keys enforced that drop would
            # cascade into every table that refers to it (rebuilding organizers would delete their events).
            # The pragma only changes outside a transaction, so it is set before the migration's begins and
            # checked again at the end.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
            render_as_batch=sqlite,
            compare_type=True,
            render_item=render_item,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration left rows pointing at nothing: {broken[:5]}")
        connection.commit()
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
