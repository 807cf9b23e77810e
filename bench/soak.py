"""Waves of audience traffic against one server process (``python app.py``, gevent): does a process that
has served a few events answer the next one as fast as the first?

Run from the project root:

    .venv/bin/python -m bench.soak [--clients 500] [--waves 3] [--seconds 30] [--rate-storage URI]
        [--tree LABEL=PATH ...]

One server process serves every wave, on a temporary SQLite file and with the default rate limits, counted
in memory unless ``--rate-storage`` names another storage (e.g. ``redis://127.0.0.1:6379``). Each wave gets
a new scheduled event built in this process through the services (as bench/live_votes.py does); the
moderator starts it and approves three audience questions. Then ``--clients`` audience sockets connect,
each from its own loopback address (127.0.0.2, 127.0.0.3, …; a new range for every wave, a new audience
each time), because the server counts the "network" limit per peer address. For ``--seconds`` every
client acts every 2–6 s: mostly a vote on one of the three questions, every fifth action a question of its
own (held for the moderator: pre-moderation stays on, as by default). The moderator then ends the session
and the clients leave. Reported per wave: acks received and their latency (p50/p95/max, refusals
included), acks still missing 15 s after the last action, refusals by code, error lines in the server's
log, the server's resident memory a few seconds after the wave's clients left, and the CPU time the server
used per action sent (less at the mercy of other programs on the machine than the latencies are).

``--tree`` runs the same waves against the ``app.py`` of another checkout (e.g. a ``git worktree`` of an
older commit), one after the other, and prints them side by side; events are built by this checkout's code,
so the trees must share the database schema. Audience identities are minted as the server expects them:
signed with LiveServer's key (tests/identities.py), or, for a tree older than signed identities, the
random token such a server still accepts.

Every client is a python-socketio client with two threads of this process, so the clients share one core
with each other (the server has the other, more or less): the "client CPU" column says how busy that core
was, and "load" is the machine's one-minute load average at the end of the wave. One JSON line, then a
table.
"""

from __future__ import annotations

import argparse
import heapq
import ipaddress
import json
import os
import random
import re
import secrets
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import socketio
from flask import Flask

from bench.common import (
    SQLITE,
    clean_environment,
    cpu_seconds,
    machine,
    make_app,
    percentile,
    table,
    throwaway_database,
)
from bench.live_votes import build_event
from forum import PROJECT_ROOT
from forum.protocol import NAMESPACE
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

FIRST_SOURCE = ipaddress.IPv4Address("127.0.0.2")  # 127.0.0.1 is the moderator's
LAST_SOURCE = ipaddress.IPv4Address("127.255.255.254")
GAP_SECONDS = (2.0, 6.0)  # between two actions of one client
ASK_EVERY = 5  # every fifth action is a question, the others are votes
ACK_GRACE = 15.0  # an ack not back this long after the wave's last action counts as missing
SETTLE_SECONDS = 5.0  # after the clients left, before the server's memory is read
CONNECT_WORKERS = 16
SEED_QUESTIONS = 3


@dataclass
class Sent:
    """One action a client sent, and what came back."""

    action: str
    began: float
    latency: float | None = None
    error: str | None = None


class AudienceSocket:
    """One audience member's connection, opened from its own loopback source address. It keeps no state
    of the room (bench/live_votes.py checks that); it only counts the deltas it gets and times its acks."""

    def __init__(self, url: str, auth: dict[str, Any], source: str) -> None:
        self.url, self.auth, self.source = url, auth, source
        self.refusal: Any = None
        self.deltas = 0
        self.sio: socketio.Client | None = None
        self.votes: dict[int, bool] = {}
        self.actions = 0
        self.closing = False
        self.dropped = False  # the server closed the connection during the wave

    def connect(self) -> AudienceSocket:
        parts = urlsplit(self.url)
        # The socket.io client opens its WebSocket on this already connected socket (websocket-client's
        # documented ``socket`` option), which is how the connection gets its own source address.
        sock = socket.create_connection(
            (parts.hostname, parts.port), timeout=10, source_address=(self.source, 0)
        )
        self.sio = socketio.Client(reconnection=False, websocket_extra_options={"socket": sock})
        self.sio.on("connect_error", self._on_refused, namespace=NAMESPACE)
        self.sio.on("delta", self._on_delta, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        try:
            self.sio.connect(
                self.url, namespaces=[NAMESPACE], auth=self.auth, transports=["websocket"], wait_timeout=10
            )
        except Exception:
            sock.close()
            raise
        return self

    def _on_refused(self, data: Any = None) -> None:
        self.refusal = data

    def _on_delta(self, _delta: Any) -> None:
        self.deltas += 1

    def _on_disconnect(self, *_: Any) -> None:
        self.dropped = not self.closing

    def send(self, action: str, payload: dict[str, Any]) -> Sent:
        sent = Sent(action, time.perf_counter())

        def on_ack(ack: Any = None) -> None:
            sent.latency = time.perf_counter() - sent.began
            if not (isinstance(ack, dict) and ack.get("ok")):
                error = ack.get("error") if isinstance(ack, dict) else None
                sent.error = (error or {}).get("code", "unknown") if isinstance(error, dict) else "unknown"

        assert self.sio is not None
        self.sio.emit(action, payload, namespace=NAMESPACE, callback=on_ack)
        return sent

    def close(self) -> None:
        self.closing = True
        if self.sio is not None and self.sio.connected:
            self.sio.disconnect()


class Identities:
    """Audience tokens in the form the server under test accepts (see the module's docstring)."""

    def __init__(self) -> None:
        self.signed = True

    def mint(self) -> str:
        return e2e_audience_token() if self.signed else secrets.token_urlsafe(24)


def refusal_code(refusal: Any) -> str:
    """The code of a refused connection (Flask-SocketIO sends the refusal's details under ``data``)."""
    details = refusal.get("data", refusal) if isinstance(refusal, dict) else None
    return str(details.get("code", "refused")) if isinstance(details, dict) else "refused"


def source_address(wave: int, index: int, clients: int) -> str:
    address = FIRST_SOURCE + wave * clients + index
    if address > LAST_SOURCE:
        raise SystemExit("--clients × --waves needs more loopback addresses than 127.0.0.0/8 has")
    return str(address)


def connect_audience(
    url: str, slug: str, wave: int, clients: int, identities: Identities
) -> tuple[list[AudienceSocket], Counter[str]]:
    """Connect ``clients`` audience sockets, each from its own address; (connected sockets, failures)."""
    failures: Counter[str] = Counter()
    counting = threading.Lock()  # attempts run on several threads

    def attempt(index: int) -> AudienceSocket | None:
        client = AudienceSocket(
            url, {"event": slug, "audience": identities.mint()}, source_address(wave, index, clients)
        )
        try:
            return client.connect()
        except Exception as error:
            with counting:
                failures[refusal_code(client.refusal) if client.refusal else type(error).__name__] += 1
            return None

    first = attempt(0)
    if first is None and failures.get("invalid_identity") and identities.signed:
        identities.signed = False  # a server from before signed identities
        failures.clear()
        first = attempt(0)
    with ThreadPoolExecutor(CONNECT_WORKERS) as pool:
        rest = list(pool.map(attempt, range(1, clients)))
    return [c for c in [first, *rest] if c is not None], failures


def drive(
    sockets: list[AudienceSocket], question_ids: list[int], seconds: float, rng: random.Random
) -> list[Sent]:
    """Every client acts every 2–6 s until ``seconds`` have passed; returns what was sent."""
    sent: list[Sent] = []
    began = time.monotonic()
    end = began + seconds
    due = [(began + rng.uniform(0, GAP_SECONDS[1]), index) for index in range(len(sockets))]
    heapq.heapify(due)
    while due and due[0][0] < end:
        at, index = heapq.heappop(due)
        pause = at - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        client = sockets[index]
        client.actions += 1
        client_id = secrets.token_hex(8)
        try:
            if client.actions % ASK_EVERY == index % ASK_EVERY:
                text = f"Question {client.actions} from member {index}: what about the archive?"
                sent.append(client.send("audience.ask", {"text": text, "client_id": client_id}))
            else:
                question_id = rng.choice(question_ids)
                up = client.votes[question_id] = not client.votes.get(question_id, False)
                payload = {"question_id": question_id, "up": up, "client_id": client_id}
                sent.append(client.send("audience.vote", payload))
        except Exception:  # a socket the server dropped: its later actions are not sent
            sent.append(Sent("dropped", time.perf_counter(), error="not_sent"))
            continue
        heapq.heappush(due, (at + rng.uniform(*GAP_SECONDS), index))
    return sent


def wait_for_acks(sent: list[Sent], grace: float) -> None:
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(s.latency is None and s.error is None for s in sent):
        time.sleep(0.1)


def rss_mb(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    kb = int(re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE).group(1))  # type: ignore[union-attr]
    return round(kb / 1024, 1)


_EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout))\b", re.MULTILINE)


def server_errors(log: str) -> dict[str, int]:
    """Error lines in a stretch of the server's log: tracebacks, the exceptions they end with, pool
    timeouts."""
    found: Counter[str] = Counter(_EXCEPTION_LINE.findall(log))
    if tracebacks := log.count("Traceback (most recent call last)"):
        found["tracebacks"] = tracebacks
    if pool_timeouts := log.count("QueuePool limit"):
        found["QueuePool limit … timed out"] = pool_timeouts
    return dict(found)


def ok(ack: dict[str, Any]) -> Any:
    if not ack.get("ok"):
        raise RuntimeError(f"action refused: {ack}")
    return ack.get("result")


class Run:
    """One server process (one tree) and the waves sent to it."""

    def __init__(self, app: Flask, server: LiveServer, args: argparse.Namespace) -> None:
        self.app, self.server, self.args = app, server, args
        self.identities = Identities()
        self.rng = random.Random(args.seed)
        self.log_offset = 0

    def new_log(self) -> str:
        text = self.server.log_path.read_text(errors="replace")
        stretch, self.log_offset = text[self.log_offset :], len(text)
        return stretch

    def wave(self, number: int) -> dict[str, Any]:
        args = self.args
        slug, moderator_token = build_event(self.app, f"soak-organizer-{number}@example.org")
        moderator = MirrorClient(self.server.url, {"invite": moderator_token}).connect()
        sockets: list[AudienceSocket] = []
        try:
            ok(moderator.call("session.start"))
            began = time.perf_counter()
            sockets, failures = connect_audience(self.server.url, slug, number, args.clients, self.identities)
            connect_seconds = time.perf_counter() - began
            if len(sockets) < SEED_QUESTIONS:
                raise RuntimeError(f"only {len(sockets)} audience sockets connected: {dict(failures)}")
            question_ids = []
            for index in range(SEED_QUESTIONS):
                text = f"Seed question {index + 1}: who keeps the record?"
                asked = sockets[index].sio.call(  # type: ignore[union-attr]
                    "audience.ask", {"text": text, "client_id": secrets.token_hex(8)}, namespace=NAMESPACE
                )
                question_ids.append(ok(asked)["question_id"])
                ok(moderator.call("moderation.approve", {"question_id": question_ids[-1]}))

            pid = self.server.process.pid  # type: ignore[union-attr]
            cpu_before, server_before, wall_before = os.times(), cpu_seconds(pid), time.perf_counter()
            sent = drive(sockets, question_ids, args.seconds, self.rng)
            wait_for_acks(sent, ACK_GRACE)
            cpu_after, wall = os.times(), time.perf_counter() - wall_before
            client_cpu = (cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system) / wall
            server_cpu = cpu_seconds(pid) - server_before
            load = os.getloadavg()[0]
            dropped = sum(1 for s in sockets if s.dropped)
            try:
                moderator.wait_connected(timeout=ACK_GRACE)  # it reconnects by itself if it was dropped
                moderator.call("session.end", timeout=ACK_GRACE)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                # The server is far behind; the next wave starts on a new event anyway.
                print(f"wave {number + 1}: the session did not end within {ACK_GRACE:.0f} s", file=sys.stderr)
        finally:
            with ThreadPoolExecutor(CONNECT_WORKERS) as pool:
                list(pool.map(lambda s: s.close(), sockets))
            moderator.close()
        time.sleep(SETTLE_SECONDS)

        latencies = [s.latency for s in sent if s.latency is not None]
        refused = Counter(s.error for s in sent if s.error is not None)
        missing = sum(1 for s in sent if s.latency is None and s.error is None)
        return {
            "wave": number + 1,
            "clients": len(sockets),
            "connect_failures": dict(failures),
            "connect_s": round(connect_seconds, 1),
            "actions_sent": len(sent),
            "acks": len(latencies),
            "ack_p50_s": round(percentile(latencies, 0.50), 3),
            "ack_p95_s": round(percentile(latencies, 0.95), 3),
            "ack_max_s": round(max(latencies), 3) if latencies else None,
            "missing_acks": missing,
            "dropped_sockets": dropped,
            "refused": dict(refused),
            "server_errors": server_errors(self.new_log()),
            "rss_mb": rss_mb(self.server.process.pid),  # type: ignore[union-attr]
            "server_cpu_s": round(server_cpu, 1),
            "server_cpu_ms_per_action": round(1000 * server_cpu / max(1, len(sent)), 2),
            "client_cpu": round(client_cpu, 2),
            "load_1m": round(load, 1),
            "deltas_per_client": round(sum(s.deltas for s in sockets) / max(1, len(sockets)), 1),
        }


def run_tree(label: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="forum-soak-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(SQLITE, workdir) as url:
            app = make_app(url, workdir)
            env = {"FORUM_RATE_LIMIT_STORAGE": args.rate_storage} if args.rate_storage else {}
            server = LiveServer(url, workdir, root=root, **env)
            try:
                server.start()
                run = Run(app, server, args)
                time.sleep(1)
                run.new_log()
                start_rss = rss_mb(server.process.pid)  # type: ignore[union-attr]
                waves = []
                for number in range(args.waves):
                    waves.append(run.wave(number))
                    print(f"[{label}] {json.dumps(waves[-1])}", file=sys.stderr, flush=True)
                return {
                    "tree": label,
                    "identities": "signed" if run.identities.signed else "unsigned (older server)",
                    "rss_start_mb": start_rss,
                    "waves": waves,
                }
            except Exception:
                print(f"server log tail ({label}):\n{server.log()}", file=sys.stderr)
                raise
            finally:
                server.stop()
                app.extensions["forum.db"].dispose()


def tree_argument(value: str) -> tuple[str, Path]:
    label, _, path = value.rpartition("=")
    root = Path(path).resolve()
    if not (root / "app.py").is_file():
        raise argparse.ArgumentTypeError(f"no app.py in {path!r}")
    return label or root.name, root


def _refusals(wave: dict[str, Any]) -> str:
    return ", ".join(f"{code} {n}" for code, n in sorted(wave["refused"].items())) or "0"


def _errors(wave: dict[str, Any]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in sorted(wave["server_errors"].items())) or "0"


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("clients", lambda w: w["clients"]),
    ("sent", lambda w: w["actions_sent"]),
    ("acks", lambda w: w["acks"]),
    ("p50 s", lambda w: w["ack_p50_s"]),
    ("p95 s", lambda w: w["ack_p95_s"]),
    ("max s", lambda w: w["ack_max_s"]),
    ("missing", lambda w: w["missing_acks"]),
    ("dropped", lambda w: w["dropped_sockets"]),
    ("refused", _refusals),
    ("server errors", _errors),
    ("RSS MB", lambda w: w["rss_mb"]),
    ("server CPU ms/action", lambda w: w["server_cpu_ms_per_action"]),
    ("client CPU", lambda w: w["client_cpu"]),
    ("load", lambda w: w["load_1m"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=500, help="audience sockets per wave (default 500)")
    parser.add_argument("--waves", type=int, default=3, help="waves on the one process (default 3)")
    parser.add_argument("--seconds", type=float, default=30, help="length of each wave (default 30)")
    parser.add_argument("--rate-storage", help="FORUM_RATE_LIMIT_STORAGE for the server (default: memory)")
    parser.add_argument(
        "--tree",
        action="append",
        type=tree_argument,
        help="LABEL=PATH of a checkout whose app.py to run (default: this one); repeat to compare",
    )
    parser.add_argument("--seed", type=int, default=11, help="seed of the clients' timing (default 11)")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 2000 or not 1 <= args.waves <= 20 or not 1 <= args.seconds <= 600:
        parser.error("--clients must be 1..2000, --waves 1..20 and --seconds 1..600")
    if args.clients < SEED_QUESTIONS:
        parser.error(f"--clients must be at least {SEED_QUESTIONS}")
    trees = args.tree or [("this tree", PROJECT_ROOT)]
    clean_environment()

    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    results = [run_tree(label, root, args) for label, root in trees]
    settings = {k: getattr(args, k) for k in ("clients", "waves", "seconds", "rate_storage", "seed")}
    summary = {"benchmark": "soak", "date": date, "settings": settings, "machine": machine([SQLITE])}
    print(json.dumps({**summary, "results": results}, ensure_ascii=False))
    print()
    header = ["tree", "wave", *(name for name, _ in COLUMNS)]
    rows: list[list[str]] = []
    for result in results:
        start = ["" if name != "RSS MB" else str(result["rss_start_mb"]) for name, _ in COLUMNS]
        rows.append([result["tree"], "start", *start])
        rows.extend(
            [result["tree"], str(w["wave"]), *(str(f(w)) for _, f in COLUMNS)] for w in result["waves"]
        )
    print(table(header, rows))
    healthy = all(w["missing_acks"] == 0 for r in results for w in r["waves"])
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
