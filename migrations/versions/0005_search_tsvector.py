"""search: a stored tsvector column on PostgreSQL, so ranking does not rebuild vectors per row

Revision ID: 0005_search_tsvector
Revises: 0004_publishing
Create Date: 2026-11-22 00:10:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_search_tsvector"
down_revision: str | None = "0004_publishing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return  # SQLite keeps its FTS5 index
    op.execute(
        "ALTER TABLE search_entries ADD COLUMN terms_tsv tsvector "
        "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED"
    )
    op.execute("DROP INDEX IF EXISTS ix_search_entries_terms_fts")
    op.execute("CREATE INDEX ix_search_entries_terms_tsv ON search_entries USING gin (terms_tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_entries_terms_tsv")
    op.execute("ALTER TABLE search_entries DROP COLUMN IF EXISTS terms_tsv")
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_search_entries_terms_fts ON search_entries "
        "USING gin (to_tsvector('simple', terms))"
    )
