"""Full-text search over published records, in process, on SQLite (FTS5) and PostgreSQL (tsvector).

Run from the project root:

    .venv/bin/python -m bench.search [--records 200] [--repetitions 100] [--database sqlite]
        [--database postgresql://postgres@127.0.0.1:5432/test]

Per backend: a fresh database (a temporary SQLite file, or a throwaway PostgreSQL schema dropped at the
end) is migrated; ``--records`` synthetic events are built through the services (two panelists, three
questions, a prepared answer from each panelist to each question, in English or Korean, generated from
a fixed seed so both backends hold the same text) and published with ``publishing.publish``, which
writes the search entries. PostgreSQL then gets ``ANALYZE`` (so the plan does not depend on when
autovacuum runs). Then ``forum.archive.search.search`` runs for each query, ``--repetitions`` times in
rotation, each call in a fresh session as an archive request would be. Reported per query and backend:
median and p95 time of the call, hits returned (the archive's limit of 50), all matches, and whether
the plan (EXPLAIN of the same statement) uses the full-text index. Both backends must find the same.
"""

from __future__ import annotations

import argparse
import json
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import event, text

from bench.common import (
    SQLITE,
    backend_name,
    clean_environment,
    machine,
    make_app,
    percentile,
    table,
    throwaway_database,
)
from forum.archive import search
from forum.boundary import unit_of_work
from forum.db import get_session
from forum.events import agenda, contributions, events, panel
from forum.models import Organizer
from forum.publishing import publishing

QUERIES = [
    ("English word", "regulation"),
    ("English prefix", "regul"),
    ("Korean two-syllable word", "규제"),
    ("miss", "boycott"),
]

ENGLISH = [
    "Platform regulation alone fails to protect users.",
    "We need forums for solidarity and shared reports.",
    "Encryption is a basic tool for journalists and activists.",
    "Any regulation should respect freedom of expression.",
    "Regulators move slower than the services they oversee.",
    "Education and media literacy come first.",
    "Blocking a whole service punishes ordinary users.",
    "International consensus takes years to build.",
    "Cooperation with investigators must follow due process.",
    "Victims of digital sex crimes need fast takedowns.",
    "A regulatory sandbox lets new services try rules safely.",
    "Transparency reports show how requests are handled.",
]
KOREAN = [
    "플랫폼 규제가 답은 아닙니다.",
    "표현의 자유를 지켜야 합니다.",
    "국제적인 합의가 필요합니다.",
    "텔레그램은 수사에 협조해야 합니다.",
    "이용자 보호가 우선입니다.",
    "암호화는 중요한 기술입니다.",
    "규제를 강화하면 부작용이 생깁니다.",
    "디지털 성범죄에 빠르게 대응해야 합니다.",
    "교육이 먼저입니다.",
    "투명성 보고서가 필요합니다.",
]
QUESTIONS = [
    "Is there a need for an international consensus?",
    "Do we need to regulate AI technologies?",
    "Should platforms be blocked nationally?",
    "How should messengers cooperate with investigators?",
    "What protects victims of digital sex crimes?",
    "Is end-to-end encryption worth its risks?",
]
TOPICS = ["Telegram", "encryption", "platforms", "AI", "privacy", "online safety", "messengers"]
HOSTS = ["Open Net Korea", "People Outraged by the Nth Room Incident", "Digital Rights Forum"]
PANELISTS = [("Oh Kyoungmi", "Kimmy"), ("Hong Myeong-gyo", "Hong"), ("Lee Sora", "Sora"), ("Park Jin", "Jin")]


def answer_text(rng: random.Random, korean: bool) -> str:
    pool = KOREAN if korean else ENGLISH
    return " ".join(rng.sample(pool, rng.randint(3, 6)))


def publish_records(app: Flask, count: int, seed: int) -> None:
    """``count`` published events built through the services; the same text for the same seed."""
    rng = random.Random(seed)
    with app.app_context(), unit_of_work() as session:
        organizer = Organizer(
            email="bench-organizer@example.org",
            display_name="Bench organizer",
            password_hash=PasswordHasher().hash(secrets.token_urlsafe(16)),
        )
        session.add(organizer)
    for n in range(count):
        with app.app_context(), unit_of_work() as session:
            owner = session.get(Organizer, organizer.id)
            korean_event = n % 2 == 1
            event = events.create_event(
                session,
                owner,
                events.EventDetails(
                    title=f"Debate {n + 1} on {rng.choice(TOPICS)}",
                    starts_at_local=datetime(2024, 1 + n % 12, 1 + n % 28, 14, 0),
                    timezone="Asia/Seoul",
                    language="ko" if korean_event else "en",
                    host_name=rng.choice(HOSTS),
                    venue="Seoul",
                ),
            )
            people = [
                panel.add_participant(
                    session,
                    owner,
                    event.id,
                    panel.ParticipantDetails(role="panelist", display_name=name, short_name=short),
                )
                for name, short in rng.sample(PANELISTS, 2)
            ]
            questions = [agenda.add_question(session, owner, event.id, q) for q in rng.sample(QUESTIONS, 3)]
            for i, person in enumerate(people):
                for question in questions:
                    # Korean events: one panelist answers in Korean, the other in English; and vice versa.
                    korean = (i == 0) == korean_event
                    contributions.save_prepared_answer(session, person, question.id, answer_text(rng, korean))
            publishing.publish(session, owner, event.id)


def run_backend(database: str, records: int, repetitions: int, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(database, workdir) as url:
            app = make_app(url, workdir)
            try:
                began = time.perf_counter()
                publish_records(app, records, seed)
                publish_seconds = time.perf_counter() - began
                if backend_name(database) != SQLITE:
                    analyze(app)
                return {
                    "backend": backend_name(database),
                    "records": records,
                    "publish_s": round(publish_seconds, 2),
                    "queries": time_queries(app, repetitions),
                }
            finally:
                app.extensions["forum.db"].dispose()


def analyze(app: Flask) -> None:
    """Give the PostgreSQL planner statistics now rather than whenever autovacuum gets to them."""
    with app.app_context(), unit_of_work() as session:
        session.execute(text("ANALYZE"))


def plan_of(app: Flask, query: str) -> str:
    """Whether the database answers the search statement from its full-text index, read from EXPLAIN."""
    engine = app.extensions["forum.db"].engine
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with app.app_context():
            search.search(get_session(), query)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = next((s, p) for s, p in captured if "search_entries" in s)
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters
        )
        plan = "\n".join(" ".join(str(cell) for cell in row) for row in rows)
    if sqlite:
        return "FTS5 index" if "VIRTUAL TABLE INDEX" in plan else "no FTS5 index"
    return "GIN index" if "ix_search_entries_terms_fts" in plan else "seq scan"


def time_queries(app: Flask, repetitions: int) -> dict[str, dict[str, Any]]:
    timings: dict[str, list[float]] = {query: [] for _, query in QUERIES}
    results: dict[str, dict[str, Any]] = {}
    for _, query in QUERIES:  # untimed: warm caches, count hits and all matches
        with app.app_context():
            session = get_session()
            hits = search.search(session, query)
            everything = search.search(session, query, limit=1_000_000)
        results[query] = {
            "hits": len(hits),
            "matches": len(everything),
            "match_keys": sorted((h.slug, h.kind, h.heading) for h in everything),
            "plan": plan_of(app, query),
        }
    for _ in range(repetitions):
        for _, query in QUERIES:
            with app.app_context():
                session = get_session()
                began = time.perf_counter()
                search.search(session, query)
                timings[query].append(time.perf_counter() - began)
    for query, values in timings.items():
        results[query]["median_ms"] = round(percentile(values, 0.50) * 1000, 2)
        results[query]["p95_ms"] = round(percentile(values, 0.95) * 1000, 2)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=200, help="published records (default 200)")
    parser.add_argument("--repetitions", type=int, default=100, help="timed calls per query (default 100)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the synthetic text (default 1)")
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite' (default) or a postgresql:// URL; repeat to compare backends in one run",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.records <= 5000 or not 1 <= args.repetitions <= 10_000:
        parser.error("--records must be 1..5000 and --repetitions 1..10000")
    databases = args.database or [SQLITE]
    clean_environment()

    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = [run_backend(db, args.records, args.repetitions, args.seed) for db in databases]
    same_matches = all(
        r["queries"][q]["match_keys"] == results[0]["queries"][q]["match_keys"]
        for r in results
        for _, q in QUERIES
    )
    for result in results:
        for entry in result["queries"].values():
            del entry["match_keys"]
    summary = {
        "benchmark": "search",
        "date": date,
        "machine": machine(databases),
        "repetitions": args.repetitions,
        "seed": args.seed,
        "same_matches_on_every_backend": same_matches,
        "results": results,
    }
    print(json.dumps(summary, ensure_ascii=False))
    print()
    header = ["query"]
    for r in results:
        header += [
            f"{r['backend']} median ms",
            f"{r['backend']} p95 ms",
            f"{r['backend']} hits/matches",
            f"{r['backend']} plan",
        ]
    rows = []
    for label, query in QUERIES:
        row = [f"{query} ({label})"]
        for r in results:
            entry = r["queries"][query]
            row += [
                f"{entry['median_ms']:.2f}",
                f"{entry['p95_ms']:.2f}",
                f"{entry['hits']}/{entry['matches']}",
                entry["plan"],
            ]
        rows.append(row)
    print(table(header, rows))
    print()
    for r in results:
        print(f"{r['backend']}: {r['records']} records published in {r['publish_s']} s")
    print(f"same matches on every backend: {same_matches}")
    return 0 if same_matches else 1


if __name__ == "__main__":
    sys.exit(main())
