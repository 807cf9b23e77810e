"""Alembic, driven from Python: the app's only way to create or change the schema."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from forum import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


# Made by raw SQL per backend (forum/models/publishing.py, migrations 0004 and 0005), not by the models.
SEARCH_INDEX_OBJECTS = {"ix_search_entries_terms_fts", "ix_search_entries_terms_tsv", "terms_tsv"}


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    """Leave the full-text index objects (made by raw SQL per backend) out of model comparisons."""
    return not (name and (name.startswith("search_fts") or name in SEARCH_INDEX_OBJECTS))


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that runs on ``engine`` instead of reading a URL from a file."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision``."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision`` (``base`` empties it)."""
    command.downgrade(alembic_config(engine), revision)


def make_revision(engine: Engine, message: str) -> None:
    """Write a new migration file by comparing the models with the database."""
    command.revision(alembic_config(engine), message=message, autogenerate=True)


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at, or None for an unmigrated database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
