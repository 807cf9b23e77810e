"""Concurrent audience votes against the real server (``python app.py``, gevent) in a child process.

Run from the project root:

    .venv/bin/python -m bench.live_votes [--clients 50] [--rounds 3] [--database sqlite]
        [--database postgresql://postgres@127.0.0.1:5432/test]

Per backend: a fresh database (a temporary SQLite file, or a throwaway PostgreSQL schema dropped at the
end) is migrated and given a scheduled event through the services. The server starts on a free port of
127.0.0.1 with rate limits raised out of the way. The moderator starts the session and turns
pre-moderation off; three audience members ask a question each; then every audience client votes on
every question from its own thread, ``--rounds`` times (up, down, up, …), all starting together.
Reported: acknowledged votes, wall time, votes per second, ack latency (p50/p95), how many ``votes``
deltas a non-voting watcher received, and whether the database and every client ended with the exact
counts. One JSON line, then a table (one column per backend, from this one run).
"""

from __future__ import annotations

import argparse
import json
import math
import secrets
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import socketio
from argon2 import PasswordHasher
from flask import Flask
from sqlalchemy import func, select

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
from forum.boundary import unit_of_work
from forum.events import agenda, events, invitations, panel
from forum.models import EventStatus, Organizer, QuestionVote
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

TALLY_INTERVAL = 0.2  # the server's coalescing interval (forum/live/tallies.py default)
ACK_TIMEOUT = 15.0
CONVERGE_TIMEOUT = 20.0
HIGH_RATE = "1000000/minute"


class CountingClient(MirrorClient):
    """A MirrorClient that also counts the deltas it receives, by type."""

    def __init__(self, url: str, auth: dict[str, Any]) -> None:
        super().__init__(url, auth)
        self.delta_types: Counter[str] = Counter()

    def _on_delta(self, delta: dict[str, Any]) -> None:
        with self.lock:
            self.delta_types[delta["type"]] += 1
        super()._on_delta(delta)

    def votes_deltas(self) -> int:
        with self.lock:
            return self.delta_types["votes"]


def build_event(app: Flask, organizer_email: str = "bench-organizer@example.org") -> tuple[str, str]:
    """A scheduled event built the way tests/conftest.py ``make_live_event`` does: (slug, moderator token).
    Each call adds an organizer, so a second event in one database needs another ``organizer_email``."""
    password_hash = PasswordHasher().hash(secrets.token_urlsafe(16))
    with app.app_context(), unit_of_work() as session:
        organizer = Organizer(
            email=organizer_email, display_name="Bench organizer", password_hash=password_hash
        )
        session.add(organizer)
        session.flush()
        event = events.create_event(
            session,
            organizer,
            events.EventDetails(
                title="Is it okay to use Telegram as it is?",
                starts_at_local=datetime(2024, 11, 23, 14, 0),
                timezone="Asia/Seoul",
                language="en",
                host_name="People Outraged by the Nth Room Incident",
                venue="Seoul",
            ),
        )
        people = [
            panel.ParticipantDetails(role="moderator", display_name="Jun-jjang"),
            panel.ParticipantDetails(
                role="panelist", display_name="Oh Kyoungmi", short_name="Kimmy", affiliation="Open Net Korea"
            ),
            panel.ParticipantDetails(
                role="panelist", display_name="Hong Myeong-gyo", affiliation="Platform C"
            ),
            panel.ParticipantDetails(role="scribe", display_name="Note Taker"),
        ]
        added = [panel.add_participant(session, organizer, event.id, details) for details in people]
        for wording in (
            "Is there a need for an international consensus?",
            "Do we need to regulate AI technologies?",
            "Should platforms be blocked nationally?",
        ):
            agenda.add_question(session, organizer, event.id, wording)
        tokens = [invitations.issue_invitation(session, organizer, event.id, p.id)[1] for p in added]
        events.change_status(session, organizer, event.id, EventStatus.SCHEDULED)
        return event.slug, tokens[0]


def stored_counts(app: Flask, question_ids: list[int]) -> dict[int, int]:
    with app.app_context(), unit_of_work() as session:
        rows = session.execute(
            select(QuestionVote.question_id, func.count())
            .where(QuestionVote.question_id.in_(question_ids))
            .group_by(QuestionVote.question_id)
        ).all()
    counts = dict.fromkeys(question_ids, 0)
    counts.update({qid: n for qid, n in rows})
    return counts


def ok(ack: dict[str, Any]) -> Any:
    if not ack.get("ok"):
        raise RuntimeError(f"action refused: {ack}")
    return ack.get("result")


def vote_rounds(
    client: MirrorClient,
    question_ids: list[int],
    rounds: int,
    start: threading.Barrier,
    results: list[tuple[float, str | None]],
) -> None:
    """Round r sets every vote up (even r) or down (odd r); records (latency, error code or None)."""
    start.wait(timeout=60)
    for round_number in range(rounds):
        for question_id in question_ids:
            payload = {
                "question_id": question_id,
                "up": round_number % 2 == 0,
                "client_id": secrets.token_hex(8),
            }
            began = time.perf_counter()
            try:
                ack = client.call("audience.vote", payload, timeout=ACK_TIMEOUT)
                error = None if ack.get("ok") else ack.get("error", {}).get("code", "unknown")
            except socketio.exceptions.TimeoutError:
                error = "timeout"
            results.append((time.perf_counter() - began, error))


def run_backend(database: str, clients: int, rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(database, workdir) as url:
            app = make_app(url, workdir)
            server = LiveServer(url, workdir, FORUM_RATE_NETWORK=HIGH_RATE, FORUM_RATE_VOTE=HIGH_RATE)
            connected: list[MirrorClient] = []
            try:
                slug, moderator_token = build_event(app)
                server.start()
                return measure(app, server, slug, moderator_token, clients, rounds, connected, database)
            except Exception:
                print(f"server log tail ({backend_name(database)}):\n{server.log()}", file=sys.stderr)
                raise
            finally:
                for client in connected:
                    try:
                        client.close()
                    except Exception as error:  # a failed close must not keep the server running
                        print(f"closing a client failed: {error}", file=sys.stderr)
                server.stop()
                app.extensions["forum.db"].dispose()


def measure(
    app: Flask,
    server: LiveServer,
    slug: str,
    moderator_token: str,
    clients: int,
    rounds: int,
    connected: list[MirrorClient],
    database: str,
) -> dict[str, Any]:
    moderator = MirrorClient(server.url, {"invite": moderator_token}).connect()
    connected.append(moderator)
    ok(moderator.call("session.start"))
    ok(moderator.call("moderation.settings", {"premoderation": False}))

    began = time.perf_counter()
    voters = []
    for _ in range(clients):
        voter = CountingClient(server.url, {"event": slug, "audience": e2e_audience_token()}).connect()
        connected.append(voter)
        voters.append(voter)
    watcher = CountingClient(server.url, {"event": slug}).connect()  # reads only, never votes
    connected.append(watcher)
    connect_seconds = time.perf_counter() - began

    question_ids = [
        ok(
            voters[i % clients].call(
                "audience.ask", {"text": f"Audience question {i + 1}?", "client_id": f"ask-{i:05d}"}
            )
        )["question_id"]
        for i in range(3)
    ]
    for client in [*voters, watcher]:
        if not client.wait_until(lambda s: len(s["questions"]) == 3):
            raise RuntimeError("a client never saw the three audience questions")
    votes_deltas_before = watcher.votes_deltas()

    start = threading.Barrier(clients + 1)
    per_client: list[list[tuple[float, str | None]]] = [[] for _ in voters]
    threads = [
        threading.Thread(target=vote_rounds, args=(v, question_ids, rounds, start, out), daemon=True)
        for v, out in zip(voters, per_client, strict=True)
    ]
    for thread in threads:
        thread.start()
    start.wait(timeout=60)
    burst_began = time.perf_counter()
    deadline = burst_began + 120
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.perf_counter()))
    wall = time.perf_counter() - burst_began
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("voting threads did not finish within 120 s")

    results = [item for out in per_client for item in out]
    latencies = [latency for latency, error in results if error is None]
    errors = Counter(error for _, error in results if error is not None)

    expected = dict.fromkeys(question_ids, clients if rounds % 2 else 0)
    stored = stored_counts(app, question_ids)

    def converged(state: dict[str, Any]) -> bool:
        return {q["id"]: q["votes"] for q in state["questions"]} == stored

    converge_deadline = time.monotonic() + CONVERGE_TIMEOUT
    converged_clients = sum(
        client.wait_until(converged, timeout=max(0.0, converge_deadline - time.monotonic()))
        for client in [*voters, watcher]
    )
    converge_seconds = time.perf_counter() - burst_began - wall
    time.sleep(3 * TALLY_INTERVAL)  # let a last flush land, so the count below is complete
    votes_deltas = watcher.votes_deltas() - votes_deltas_before

    return {
        "backend": backend_name(database),
        "clients": clients,
        "rounds": rounds,
        "questions": len(question_ids),
        "votes_sent": len(results),
        "acks_ok": len(latencies),
        "acks_failed": dict(errors),
        "wall_s": round(wall, 3),
        "votes_per_s": round(len(latencies) / wall, 1) if wall else None,
        "ack_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "ack_p95_ms": round(percentile(latencies, 0.95) * 1000, 1),
        "ack_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "watcher_votes_deltas": votes_deltas,
        "votes_deltas_bound": math.ceil(wall / TALLY_INTERVAL) + 3,
        "watcher_resyncs": watcher.resyncs,
        "db_counts_exact": stored == expected,
        "clients_converged": f"{converged_clients}/{clients + 1}",
        "converge_s": round(converge_seconds, 3),
        "connect_s": round(connect_seconds, 2),
    }


ROWS = [
    ("audience clients (+1 watcher)", "clients"),
    ("vote actions sent", "votes_sent"),
    ("acks ok", "acks_ok"),
    ("acks failed", "acks_failed"),
    ("wall time, s", "wall_s"),
    ("votes/s", "votes_per_s"),
    ("ack latency p50, ms", "ack_p50_ms"),
    ("ack latency p95, ms", "ack_p95_ms"),
    ("ack latency max, ms", "ack_max_ms"),
    ("'votes' deltas at watcher", "watcher_votes_deltas"),
    ("coalescing bound (wall/0.2s + 3)", "votes_deltas_bound"),
    ("db counts exact", "db_counts_exact"),
    ("clients converged", "clients_converged"),
    ("time to converge after burst, s", "converge_s"),
    ("connecting all clients, s", "connect_s"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50, help="audience clients voting (default 50)")
    parser.add_argument("--rounds", type=int, default=3, help="votes per client and question (default 3)")
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite' (default) or a postgresql:// URL; repeat to compare backends in one run",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 500 or not 1 <= args.rounds <= 20:
        parser.error("--clients must be 1..500 and --rounds 1..20")
    databases = args.database or [SQLITE]
    clean_environment()

    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = [run_backend(database, args.clients, args.rounds) for database in databases]
    summary = {"benchmark": "live_votes", "date": date, "machine": machine(databases), "results": results}
    print(json.dumps(summary, ensure_ascii=False))
    print()
    header = ["", *(r["backend"] for r in results)]
    rows = [[label, *(str(r[key]) if r[key] != {} else "0" for r in results)] for label, key in ROWS]
    print(table(header, rows))
    healthy = all(
        r["acks_ok"] == r["votes_sent"]
        and r["db_counts_exact"]
        and r["clients_converged"] == f"{r['clients'] + 1}/{r['clients'] + 1}"
        and r["watcher_votes_deltas"] < r["votes_sent"]
        for r in results
    )
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
