"""Vote storms (issue 12): thousands of audience clients vote within seconds. Is every vote stored exactly
once, and does every client show the stored counts soon after the last vote?

Run from the project root (Node 18+ for the clients; ``npm ci --no-audit --no-fund`` in bench/node once):

    .venv/bin/python -m bench.vote_storm [--clients 2000] [--votes 10000] [--seconds 10]
        [--shape CLIENTSxVOTESxSECONDS ...] [--database sqlite] [--database postgresql://…]
        [--profile DIR] [--workers N ... --queue redis://127.0.0.1:6379/0]

Per shape and backend: a fresh database (a temporary SQLite file, or a throwaway PostgreSQL schema dropped at
the end) is migrated and given a scheduled event through the services (bench/live_votes.py's
``build_event``). The real server (``python app.py``, gevent) starts on a free port of 127.0.0.1 with its
default settings and rate limits: every client connects from its own loopback address (127.0.0.2,
127.0.0.3, …), so the per-address connection and "network" limits apply to each as to a phone of its own,
and each member casts only as many votes as there are questions (5 for 2,000 clients and 10,000 votes). The
moderator (a python-socketio client) starts the session and turns pre-moderation off.

The clients are socket.io-client connections in one Node process (bench/node/vote_storm.mjs), which this
script feeds with server-signed identities (tests/identities.py) and the plan as JSON lines: 2,000
python-socketio clients (two threads each) would need most of a core of their own on this 2-core machine,
and every ``votes`` delta fans out to all of them. Each client mirrors the room's vote counts as
docs/realtime.md says (snapshot, numbered ``votes`` and ``audience_question`` deltas in order, ``sync`` after
a lasting gap). The first ``ceil(votes / clients)`` members each ask one question; once every client shows
them all, the storm starts: each member votes up once on each question (``audience.vote`` with a fresh
``client_id``), the votes spread evenly over ``--seconds`` in a seeded random order, sent on schedule
whether or not earlier acks came back (an open loop, like a real audience).

Reported: votes sent, acknowledged (ok) and refused by code; ack latency p50/p99/max; votes/s (ok acks over
the time from the first send to the last ack); the server's CPU seconds per 1,000 votes sent, over that same
time (from /proc/PID/stat; on PostgreSQL also the CPU of its processes); stored rows against ok acks per
question and duplicate (question, member) rows, i.e. whether every vote was stored exactly once; how many
clients ended with the database's counts and, for them, the time from the last vote's ack until their counts
equalled the database's (p50/p99/max), and the same from the moment the last vote was sent; connect time (all
clients, and per client p50/p99); sockets lost during the run, by reason (the clients do not reconnect, so a
lost socket shows; its client then misses the final counts); error lines in the server's log; whether the run
met issue 12's targets (every vote sent on time, acknowledged and stored once, and every client showing the
stored counts within 1 s of the last vote sent). One JSON line, then a table (one column per shape and
backend, from this run).

``--profile DIR`` samples the server with py-spy (``pip install py-spy`` into .venv) from the first vote to
the last ack (every worker of ``--workers N``: py-spy follows the server's subprocesses), writes the collapsed
stacks to DIR, and prints the functions that were on the stack most often. Profiled runs are slower; do not
compare their timings with unprofiled ones.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

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
    tree_cpu_seconds,
)
from bench.live_votes import build_event
from bench.soak import server_errors
from forum import PROJECT_ROOT
from forum.boundary import unit_of_work
from forum.models import QuestionVote
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

NODE_DIR = PROJECT_ROOT / "bench" / "node"
FIRST_SOURCE = ipaddress.IPv4Address("127.0.0.2")  # 127.0.0.1 is the moderator's
MAX_CLIENTS = 20_000
MAX_QUESTIONS = 20
CONNECT_IN_FLIGHT = 50  # connections the Node process opens at once
ACK_TIMEOUT = 60.0  # a vote not acknowledged by then counts as a timeout
CONVERGE_TIMEOUT = 30.0  # after the database was read, how long the clients get to show its counts
PHASE_TIMEOUT = 600.0  # for the Node process to report a phase (connecting 20,000 clients takes a while)
TARGET_CONVERGE_MS = 1000.0  # issue 12: all clients show the database's counts within 1 s of the last vote
SEED = 12


def shape_argument(value: str) -> tuple[int, int, float]:
    match = re.fullmatch(r"(\d+)x(\d+)x(\d+(?:\.\d+)?)", value)
    if not match:
        raise argparse.ArgumentTypeError(f"a shape is CLIENTSxVOTESxSECONDS, e.g. 200x1000x10, not {value!r}")
    return int(match[1]), int(match[2]), float(match[3])


def check_shape(clients: int, votes: int, seconds: float) -> str | None:
    if not 1 <= clients <= MAX_CLIENTS:
        return f"clients must be 1..{MAX_CLIENTS}"
    if not 1 <= votes <= clients * MAX_QUESTIONS:
        return f"votes must be 1..{MAX_QUESTIONS} × clients (each member votes once per question)"
    if votes < clients:
        return "votes must be at least clients (each member votes at least once)"
    if not 0.1 <= seconds <= 600:
        return "seconds must be 0.1..600"
    return None


def postgres_cpu() -> dict[int, float]:
    """CPU seconds so far of every local process named ``postgres`` (the database and its backends)."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # the process ended meanwhile
            continue
        if text[text.find("(") + 1 : text.rfind(")")] != "postgres":
            continue
        fields = text.rpartition(")")[2].split()
        found[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def stored_votes(app: Flask, question_ids: list[int]) -> tuple[dict[int, int], int]:
    """Stored votes per question, and how many (question, member) pairs are stored more than once."""
    with app.app_context(), unit_of_work() as session:
        counts = dict(
            session.execute(
                select(QuestionVote.question_id, func.count())
                .where(QuestionVote.question_id.in_(question_ids))
                .group_by(QuestionVote.question_id)
            ).all()
        )
        duplicates = session.execute(
            select(func.count()).select_from(
                select(QuestionVote.question_id, QuestionVote.member_id)
                .where(QuestionVote.question_id.in_(question_ids))
                .group_by(QuestionVote.question_id, QuestionVote.member_id)
                .having(func.count() > 1)
                .subquery()
            )
        ).scalar_one()
    return {qid: counts.get(qid, 0) for qid in question_ids}, duplicates


class NodeClients:
    """The Node load generator: JSON lines in on stdin, JSON lines out on stdout (read on a thread)."""

    def __init__(self, log: IO[bytes]) -> None:
        node = shutil.which("node")
        if node is None:
            raise SystemExit("node is not on PATH; the clients run in Node (bench/node/vote_storm.mjs)")
        if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
            raise SystemExit("run `npm ci --no-audit --no-fund` in bench/node first")
        self.process = subprocess.Popen(
            [node, "vote_storm.mjs"],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def expect(self, phase: str, timeout: float = PHASE_TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"no {phase!r} from the Node clients within {timeout:.0f} s") from None
            if line is None:
                raise RuntimeError(f"the Node clients exited before {phase!r}")
            message = json.loads(line)
            if message.get("phase") == "failed":
                raise RuntimeError(f"the Node clients failed: {message}")
            if message.get("phase") == phase:
                return message

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Profiler:
    """py-spy sampling the server process into a collapsed-stack file, until stopped."""

    def __init__(self, pid: int, path: Path) -> None:
        spy = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if spy is None:
            raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
        self.path = path
        self.process = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--rate",
                "200",
                "--format",
                "raw",
                "--output",
                str(path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(1.0)  # let it attach before the storm starts

    def stop(self) -> None:
        self.process.send_signal(2)  # SIGINT: py-spy writes its file and exits
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def top_frames(collapsed: Path, limit: int = 25) -> dict[str, Any]:
    """From py-spy's collapsed stacks: the share of samples each function was on the stack (inclusive)
    and at the top of it (self), for the busiest functions."""
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]  # one entry per function, not line
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
    share = lambda n: round(100 * n / total, 1) if total else 0.0  # noqa: E731
    return {
        "samples": total,
        "inclusive_pct": [(f, share(n)) for f, n in inclusive.most_common(limit)],
        "self_pct": [(f, share(n)) for f, n in own.most_common(limit)],
    }


def start_server(url: str, workdir: Path, workers: int = 1, queue: str | None = None) -> LiveServer:
    """The server, with default settings (``workers`` gevent processes on one port behind ``queue`` when
    more than one, as ``FORUM_WORKERS`` runs them); a second try on a new port if the first process exits
    at once (seen once between two cases, with an empty log)."""
    env = {}
    if workers > 1:
        env = {
            "FORUM_WORKERS": str(workers),
            "FORUM_MESSAGE_QUEUE": queue or "",
            "FORUM_MESSAGE_QUEUE_CHANNEL": f"forum-storm-{workdir.name}",
        }
    for attempt in (1, 2):
        server = LiveServer(url, workdir, **env)
        try:
            return server.start()
        except RuntimeError:
            code = server.process.returncode if server.process else None
            print(f"the server exited at start (exit code {code}), attempt {attempt}", file=sys.stderr)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def ok(ack: dict[str, Any]) -> Any:
    if not ack.get("ok"):
        raise RuntimeError(f"action refused: {ack}")
    return ack.get("result")


def run_case(
    clients: int,
    votes: int,
    seconds: float,
    database: str,
    profile: Path | None,
    workers: int = 1,
    queue: str | None = None,
) -> dict[str, Any]:
    questions = math.ceil(votes / clients)
    label = f"{backend_name(database)} {clients}x{votes}x{seconds:g}"
    print(f"[{label}] starting", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="forum-storm-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(database, workdir) as url:
            app = make_app(url, workdir)
            server = LiveServer(url, workdir)  # replaced by the one that started
            node_log = (workdir / "node.log").open("wb")
            node: NodeClients | None = None
            moderator: MirrorClient | None = None
            try:
                slug, moderator_token = build_event(app)
                server = start_server(url, workdir, workers, queue)
                pid = server.process.pid  # type: ignore[union-attr]
                moderator = MirrorClient(server.url, {"invite": moderator_token}).connect()
                ok(moderator.call("session.start"))
                ok(moderator.call("moderation.settings", {"premoderation": False}))

                node = NodeClients(node_log)
                node.send(
                    {
                        "url": server.url,
                        "slug": slug,
                        "tokens": [e2e_audience_token() for _ in range(clients)],
                        "sources": [str(FIRST_SOURCE + i) for i in range(clients)],
                        "questions": questions,
                        "votes": votes,
                        "seconds": seconds,
                        "seed": SEED,
                        "connect_in_flight": CONNECT_IN_FLIGHT,
                        "ack_timeout_s": ACK_TIMEOUT,
                        "converge_timeout_s": CONVERGE_TIMEOUT,
                        "result_path": str(workdir / "node-result.json"),
                    }
                )
                ready = node.expect("ready")
                question_ids = ready["question_ids"]
                log_offset = len(server.log_path.read_text(errors="replace"))
                profiler = Profiler(pid, profile / f"{label.replace(' ', '-')}.txt") if profile else None
                server_before, pg_before = tree_cpu_seconds(pid), postgres_cpu()
                node.send({"go": True})
                acked = node.expect("acked", timeout=seconds + ACK_TIMEOUT + 60)
                server_cpu = tree_cpu_seconds(pid) - server_before
                pg_after = postgres_cpu()
                load = os.getloadavg()[0]
                if profiler:
                    profiler.stop()
                pg_cpu = sum(cpu - pg_before.get(p, 0.0) for p, cpu in pg_after.items())
                stored, duplicates = stored_votes(app, question_ids)
                node.send({"db_counts": {str(q): n for q, n in stored.items()}})
                finished = node.expect("done", timeout=CONVERGE_TIMEOUT + 60)
                done = json.loads(Path(finished["path"]).read_text())
                errors = server_errors(server.log_path.read_text(errors="replace")[log_offset:])
            except Exception:
                print(f"server log tail ({label}):\n{server.log()}", file=sys.stderr)
                node_log.flush()
                print(f"node log ({label}):\n{(workdir / 'node.log').read_text()[-4000:]}", file=sys.stderr)
                raise
            finally:
                if node is not None:
                    node.stop()
                node_log.close()
                if moderator is not None:
                    moderator.close()
                server.stop()
                app.extensions["forum.db"].dispose()

    ack_ms, converge_all = done["ack_ms"], done["converge_ms"]
    converged = [ms for ms in converge_all if ms is not None]
    from_send = [ms for ms in done["converge_from_last_send_ms"] if ms is not None]
    acks_ok = len(ack_ms)
    ok_per_question = {int(q): n for q, n in acked["per_question_ok"].items()}
    span = acked["first_send_to_last_ack_s"]
    rounded = lambda v, digits=1: None if v is None or math.isnan(v) else round(v, digits)  # noqa: E731
    result = {
        "backend": backend_name(database) + (f" ×{workers}" if workers > 1 else ""),
        "shape": f"{clients}x{votes}x{seconds:g}",
        "workers": workers,
        "clients": clients,
        "clients_connected": ready["connected"],
        "connect_failures": done["connect_failures"],
        "connect_s": round(ready["connect_s"], 1),
        "connect_p50_ms": rounded(percentile(done["connect_ms"], 0.50)),
        "connect_p99_ms": rounded(percentile(done["connect_ms"], 0.99)),
        "questions": questions,
        "votes_planned": votes,
        "seconds_planned": seconds,
        "votes_sent": acked["sent"],
        "send_s": round(acked["send_s"], 2),
        "max_send_lag_ms": round(acked["max_send_lag_ms"], 1),
        "acks_ok": acks_ok,
        "refused": done["refused"],
        "ack_p50_ms": rounded(percentile(ack_ms, 0.50)),
        "ack_p99_ms": rounded(percentile(ack_ms, 0.99)),
        "ack_max_ms": rounded(max(ack_ms)) if ack_ms else None,
        "first_send_to_last_ack_s": rounded(span, 2),
        "votes_per_s": round(acks_ok / span, 1) if span else None,
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_s_per_1000_votes": round(1000 * server_cpu / max(1, acked["sent"]), 2),
        "postgres_cpu_s": round(pg_cpu, 2) if database != SQLITE else None,
        "client_cpu_s": round(acked["client_cpu_s"], 2),
        "load_1m": round(load, 1),
        "stored_rows": sum(stored.values()),
        "duplicate_rows": duplicates,
        "stored_equals_ok_acks": stored == ok_per_question,
        "clients_equal_db": len(converged),
        "converge_p50_ms": rounded(percentile(converged, 0.50)),
        "converge_p99_ms": rounded(percentile(converged, 0.99)),
        "converge_max_ms": rounded(max(converged)) if converged else None,
        "equal_before_last_ack": done["before_last_ack"],
        "converge_from_last_send_p50_ms": rounded(percentile(from_send, 0.50)),
        "converge_from_last_send_max_ms": rounded(max(from_send)) if from_send else None,
        "votes_deltas_per_client": round(done["votes_deltas_mean"], 1),
        "resyncs": done["resyncs"],
        "dropped": done["dropped"],
        "server_errors": errors,
    }
    result["meets_issue_targets"] = bool(
        result["send_s"] <= seconds + 0.5
        and acks_ok == votes
        and result["stored_equals_ok_acks"]
        and duplicates == 0
        and len(converged) == clients
        and not result["dropped"]
        and (result["converge_from_last_send_max_ms"] or 0) <= TARGET_CONVERGE_MS
    )
    if profile:
        result["profile"] = top_frames(profile / f"{label.replace(' ', '-')}.txt")
    print(f"[{label}] {json.dumps({k: v for k, v in result.items() if k != 'profile'})}", file=sys.stderr)
    return result


def _codes(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {n}" for code, n in sorted(counts.items())) or "0"


ROWS: list[tuple[str, Any]] = [
    ("clients connected / planned", lambda r: f"{r['clients_connected']}/{r['clients']}"),
    ("connect failures", lambda r: _codes(r["connect_failures"])),
    ("connecting all clients, s", lambda r: r["connect_s"]),
    ("connect p50 / p99 per client, ms", lambda r: f"{r['connect_p50_ms']} / {r['connect_p99_ms']}"),
    ("questions (votes per member)", lambda r: r["questions"]),
    ("votes sent (in s)", lambda r: f"{r['votes_sent']} ({r['send_s']})"),
    ("acked ok", lambda r: r["acks_ok"]),
    ("refused, by code", lambda r: _codes(r["refused"])),
    ("ack p50 / p99 / max, ms", lambda r: f"{r['ack_p50_ms']} / {r['ack_p99_ms']} / {r['ack_max_ms']}"),
    ("first send to last ack, s", lambda r: r["first_send_to_last_ack_s"]),
    ("votes/s (ok acks / that time)", lambda r: r["votes_per_s"]),
    ("server CPU s (per 1,000 votes)", lambda r: f"{r['server_cpu_s']} ({r['server_cpu_s_per_1000_votes']})"),
    ("PostgreSQL CPU s", lambda r: "" if r["postgres_cpu_s"] is None else r["postgres_cpu_s"]),
    ("client (Node) CPU s", lambda r: r["client_cpu_s"]),
    ("load average (1 min) at the last ack", lambda r: r["load_1m"]),
    ("stored rows = ok acks, per question", lambda r: "yes" if r["stored_equals_ok_acks"] else "NO"),
    ("stored rows (duplicates)", lambda r: f"{r['stored_rows']} ({r['duplicate_rows']})"),
    ("clients with the DB's counts", lambda r: f"{r['clients_equal_db']}/{r['clients_connected']}"),
    (
        "last ack → client converged p50 / p99 / max, ms",
        lambda r: f"{r['converge_p50_ms']} / {r['converge_p99_ms']} / {r['converge_max_ms']}",
    ),
    (
        "last vote sent → client converged p50 / max, ms",
        lambda r: f"{r['converge_from_last_send_p50_ms']} / {r['converge_from_last_send_max_ms']}",
    ),
    ("'votes' deltas per client", lambda r: r["votes_deltas_per_client"]),
    ("resyncs", lambda r: r["resyncs"]),
    ("sockets lost during the run, by reason", lambda r: _codes(r["dropped"])),
    ("server log errors", lambda r: _codes(r["server_errors"])),
    ("meets issue 12's targets", lambda r: "yes" if r["meets_issue_targets"] else "no"),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000, help="audience clients (default 2000)")
    parser.add_argument("--votes", type=int, default=10000, help="votes in the storm (default 10000)")
    parser.add_argument("--seconds", type=float, default=10, help="the storm's length (default 10)")
    parser.add_argument(
        "--shape",
        action="append",
        type=shape_argument,
        help="CLIENTSxVOTESxSECONDS, instead of the three above; repeat to run several shapes in turn",
    )
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite' (default) or a postgresql:// URL; repeat to compare backends in one run",
    )
    parser.add_argument("--profile", type=Path, help="sample the server with py-spy into this folder")
    parser.add_argument(
        "--workers",
        type=int,
        action="append",
        help="server processes on the one port (FORUM_WORKERS; above 1 needs --queue); repeat to compare",
    )
    parser.add_argument(
        "--queue", help="FORUM_MESSAGE_QUEUE for several workers, e.g. redis://127.0.0.1:6379/0"
    )
    args = parser.parse_args(argv)
    worker_counts = args.workers or [1]
    if max(worker_counts) > 1 and not args.queue:
        parser.error("--workers above 1 needs --queue (a Redis URL)")
    shapes = args.shape or [(args.clients, args.votes, args.seconds)]
    for shape in shapes:
        if problem := check_shape(*shape):
            parser.error(f"{'x'.join(f'{v:g}' for v in shape)}: {problem}")
    databases = args.database or [SQLITE]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    clean_environment()

    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = [
        run_case(*shape, database, args.profile, workers, args.queue)
        for shape in shapes
        for database in databases
        for workers in worker_counts
    ]
    summary = {"benchmark": "vote_storm", "date": date, "machine": machine(databases), "results": results}
    print(json.dumps(summary, ensure_ascii=False))
    print()
    header = ["", *(f"{r['backend']} {r['shape']}" for r in results)]
    print(table(header, [[label, *(str(cell(r)) for r in results)] for label, cell in ROWS]))
    for r in results:
        if "profile" in r:
            print(f"\npy-spy, {r['backend']} {r['shape']}: {r['profile']['samples']} samples, % on the stack")
            for frame, pct in r["profile"]["inclusive_pct"]:
                print(f"  {pct:5.1f}  {frame}")
    healthy = all(r["stored_equals_ok_acks"] and r["duplicate_rows"] == 0 for r in results)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
