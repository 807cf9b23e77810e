"""Full-text search over published records, for Korean as well as English.

Text is prepared before indexing: words in alphabetic scripts stay words (a query word matches as a
prefix, so "regul" finds "regulation"); runs of Hangul, kana and Han characters become every single
character and every two-character pair. A two-syllable word such as 규제 is then a token of its own,
found even inside 규제가 or AI규제 — which a trigram index cannot do. The same preparation runs on both
backends: SQLite matches with FTS5, PostgreSQL with its full-text search ('simple' configuration).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Float, Integer, column, delete, func, literal_column, select, text
from sqlalchemy.orm import Session

from forum.models import Event, EventStatus, SearchEntry

_WORD = re.compile(r"[^\W_]+")
_CJK_RUN = re.compile(
    r"([\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+)"
)
MAX_QUERY_TOKENS = 24


def _pieces(value: str) -> list[tuple[str, bool]]:
    """(piece, is_cjk) for every word of the text, with CJK runs split out of mixed words."""
    normalised = unicodedata.normalize("NFKC", value).casefold()
    pieces = []
    for word in _WORD.findall(normalised):
        for part in _CJK_RUN.split(word):
            if part:
                pieces.append((part, bool(_CJK_RUN.fullmatch(part))))
    return pieces


def _grams(run: str) -> list[str]:
    return list(run) + [run[i : i + 2] for i in range(len(run) - 1)]


def index_terms(value: str) -> str:
    """The text as stored for matching."""
    tokens: list[str] = []
    for piece, cjk in _pieces(value):
        tokens.extend(_grams(piece) if cjk else [piece])
    return " ".join(tokens)


def query_tokens(query: str) -> list[tuple[str, bool]]:
    """(token, is_prefix) that must all match: CJK runs as pairs (or one character), words as prefixes."""
    tokens: list[tuple[str, bool]] = []
    for piece, cjk in _pieces(query):
        if cjk:
            pairs = [piece[i : i + 2] for i in range(len(piece) - 1)] or [piece]
            tokens.extend((pair, False) for pair in pairs)
        else:
            tokens.append((piece, True))
    unique = list(dict.fromkeys(tokens))
    return unique[:MAX_QUERY_TOKENS]


# --- indexing and querying -------------------------------------------------------------------------


def replace_entries(session: Session, event_id: int, entries: list[tuple[str | None, str, str, str]]) -> None:
    """Replace an event's entries with (anchor, kind, heading, body) tuples."""
    session.execute(delete(SearchEntry).where(SearchEntry.event_id == event_id))
    for anchor, kind, heading, body in entries:
        session.add(
            SearchEntry(
                event_id=event_id,
                anchor=anchor,
                kind=kind,
                heading=heading,
                body=body,
                terms=index_terms(f"{heading}\n{body}"),
            )
        )
    session.flush()


def remove_entries(session: Session, event_id: int) -> None:
    session.execute(delete(SearchEntry).where(SearchEntry.event_id == event_id))


@dataclass(frozen=True)
class SearchHit:
    slug: str
    title: str
    host: str
    anchor: str | None
    kind: str
    heading: str
    snippet: str
    language: str = "en"  # the event's: headings and snippets are the record's words


def _snippet(body: str, tokens: list[tuple[str, bool]], width: int = 220) -> str:
    folded = unicodedata.normalize("NFKC", body).casefold()
    positions = [folded.find(token) for token, _ in tokens if folded.find(token) >= 0]
    start = max(0, min(positions) - width // 3) if positions else 0
    excerpt = body[start : start + width].strip()
    return ("…" if start else "") + excerpt + ("…" if start + width < len(body) else "")


def search(session: Session, query: str, limit: int = 50) -> list[SearchHit]:
    """Published pieces matching every word of the query, best first."""
    tokens = query_tokens(query or "")
    if not tokens:
        return []
    dialect = session.get_bind().dialect.name
    base = (
        select(SearchEntry, Event)
        .join(Event, Event.id == SearchEntry.event_id)
        .where(Event.status == EventStatus.PUBLISHED)
    )
    if dialect == "sqlite":
        match = " AND ".join(f'"{token}"' + ("*" if prefix else "") for token, prefix in tokens)
        ranked = text(
            "SELECT rowid AS id, bm25(search_fts) AS rank FROM search_fts WHERE search_fts MATCH :q"
        )
        sub = ranked.columns(column("id", Integer), column("rank", Float)).bindparams(q=match).subquery()
        query_stmt = base.join(sub, sub.c.id == SearchEntry.id).order_by(sub.c.rank).limit(limit)
    else:
        tsquery = " & ".join(token + (":*" if prefix else "") for token, prefix in tokens)
        # terms_tsv: a stored to_tsvector('simple', terms) with a GIN index (migration 0005).
        vector = literal_column("search_entries.terms_tsv")
        ts = func.to_tsquery("simple", tsquery)
        query_stmt = base.where(vector.op("@@")(ts)).order_by(func.ts_rank(vector, ts).desc()).limit(limit)
    hits = []
    for entry, event in session.execute(query_stmt).all():
        hits.append(
            SearchHit(
                slug=event.slug,
                title=event.title,
                host=event.host.name,
                anchor=entry.anchor,
                kind=entry.kind,
                heading=entry.heading,
                snippet=_snippet(entry.body, tokens),
                language=event.language,
            )
        )
    return hits
