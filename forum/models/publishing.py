"""The published record: immutable numbered versions, the search index, and reader comments."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, utcnow
from forum.models._types import str_enum


class TranscriptVersion(Base):
    """One published version of an event's record. ``content`` never changes once written."""

    __tablename__ = "transcript_versions"
    __table_args__ = (UniqueConstraint("event_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    correction_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by: Mapped[str] = mapped_column(String(160))


class SearchEntry(Base):
    """One searchable piece of a published record (an answer, a question, the event itself).

    ``terms`` holds the text prepared for matching (see forum/services/search.py); a full-text index
    over it is created per backend: FTS5 on SQLite, a GIN index on PostgreSQL.
    """

    __tablename__ = "search_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    anchor: Mapped[str | None] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(30))
    heading: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    terms: Mapped[str] = mapped_column(Text)


# The per-backend full-text index over search_entries.terms (forum/services/search.py queries it).

SQLITE_DDL = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS search_fts USING fts5("
    "terms, content='search_entries', content_rowid='id', tokenize='unicode61')",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ai AFTER INSERT ON search_entries BEGIN "
    "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_ad AFTER DELETE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); END",
    "CREATE TRIGGER IF NOT EXISTS search_entries_au AFTER UPDATE ON search_entries BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, terms) VALUES ('delete', old.id, old.terms); "
    "INSERT INTO search_fts(rowid, terms) VALUES (new.id, new.terms); END",
]
POSTGRES_DDL = [
    "ALTER TABLE search_entries ADD COLUMN IF NOT EXISTS terms_tsv tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple', terms)) STORED",
    "CREATE INDEX IF NOT EXISTS ix_search_entries_terms_tsv ON search_entries USING gin (terms_tsv)",
]


def _install(target: object, connection: Connection, **_: object) -> None:
    statements = {"sqlite": SQLITE_DDL, "postgresql": POSTGRES_DDL}.get(connection.dialect.name, [])
    for statement in statements:
        connection.execute(text(statement))


def _uninstall(target: object, connection: Connection, **_: object) -> None:
    if connection.dialect.name == "sqlite":
        for name in ("search_entries_ai", "search_entries_ad", "search_entries_au"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
        connection.execute(text("DROP TABLE IF EXISTS search_fts"))


# create_all (tests) builds the index too; migrations carry their own copy of these statements.
event.listen(SearchEntry.__table__, "after_create", _install)
event.listen(SearchEntry.__table__, "before_drop", _uninstall)


class CommentStatus(enum.StrEnum):
    VISIBLE = "visible"
    HELD = "held"  # matched the word list
    HIDDEN = "hidden"  # hidden after reports, or by a moderator


class ReaderComment(Base):
    """A reader's comment on one answer of a published record."""

    __tablename__ = "reader_comments"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("audience_members.id", ondelete="SET NULL"))
    anchor: Mapped[str] = mapped_column(String(120))
    display_name: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[CommentStatus] = mapped_column(str_enum(CommentStatus, "comment_status"))
    held_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CommentReport(Base):
    __tablename__ = "comment_reports"
    __table_args__ = (UniqueConstraint("comment_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("reader_comments.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("audience_members.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
