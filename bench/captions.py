"""Live captions under a crowd (issue 13): one captioner posts captions to the caption link at a steady rate
while audience clients are connected; how long until each caption is on every screen, and what it costs the
server.

    .venv/bin/python -m bench.captions [--clients 1000] [--rate 10] [--seconds 20] [--database sqlite]

The real server (``python app.py``, gevent, default settings) runs on a free port of 127.0.0.1 with a
throwaway database; the event is built as the tests build theirs, its session started and the floor given to
a panelist. The Node load generator (``bench/node/loadgen.mjs``, mode ``captions``) connects the clients
(websocket only, spread over loopback source addresses), then posts the captions over HTTP itself, so the
post and every receipt are timed on one clock: latency is from the moment a post is sent until a client has
its ``caption`` delta. Server CPU is read from /proc over the stream.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.common import backend_name, machine, make_app, process_tree, table, throwaway_database
from bench.fanout import NO_LIMIT, LoadGenerator, ensure_node_modules
from bench.live_votes import build_event
from forum.boundary import unit_of_work
from forum.captions import links
from forum.models import Event, Organizer, Participant
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

MAX_CLIENTS = 10_000
SOURCES = 20  # loopback source addresses the clients are spread over
TIMEOUT_S = 30.0


def _ok(ack: dict[str, Any]) -> Any:
    if not ack.get("ok"):
        raise RuntimeError(f"action refused: {ack}")
    return ack.get("result")


def prepare(app: Any) -> tuple[str, str, str, int]:
    """The event (slug), its moderator's token, a caption link's token and a panelist's id."""
    slug, moderator = build_event(app)
    with app.app_context(), unit_of_work() as session:
        event = session.scalar(select(Event).where(Event.slug == slug))
        organizer = session.get(Organizer, event.organizer_id)
        _link, token = links.issue_link(session, organizer, event.id)
        panelist = session.scalar(
            select(Participant.id).where(Participant.event_id == event.id, Participant.short_name == "Kimmy")
        )
    return slug, moderator, token, panelist


def run(clients: int, rate: float, seconds: float, database: str) -> dict[str, Any]:
    label = f"{backend_name(database)} {clients} clients, {rate:g}/s for {seconds:g} s"
    print(f"[captions] {label}", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="forum-captions-") as tmp:
        workdir = Path(tmp)
        with throwaway_database(database, workdir) as url:
            app = make_app(url, workdir)
            slug, moderator_token, caption_token, panelist = prepare(app)
            server = LiveServer(url, workdir, FORUM_MAX_CONNECTIONS_PER_ADDRESS=NO_LIMIT).start()
            moderator = None
            loadgen = None
            try:
                moderator = MirrorClient(server.url, {"invite": moderator_token}).connect()
                _ok(moderator.call("session.start"))
                _ok(moderator.call("floor.give", {"participant_id": panelist}))
                _ok(moderator.call("captions.projector", {"on": True}))
                pid = server.process.pid  # type: ignore[union-attr]
                config = {
                    "url": server.url,
                    "mode": "captions",
                    "kind": "caption",
                    "clients": clients,
                    "concurrency": 100,
                    "audience_auth": [
                        {"event": slug, "audience": e2e_audience_token()} for _ in range(clients)
                    ],
                    "sources": SOURCES,
                    "caption_url": f"{server.url}/captions/{caption_token}",
                    "rate_per_s": rate,
                    "seconds": seconds,
                    "broadcast_timeout_ms": TIMEOUT_S * 1000,
                    "server_pid": process_tree(pid),
                    "clock_ticks": os.sysconf("SC_CLK_TCK"),
                }
                loadgen = LoadGenerator(config, workdir)
                loadgen.expect("ready")
                loadgen.go()
                connected = loadgen.expect("connected", timeout=600)
                loadgen.go()
                result = loadgen.expect("result", timeout=seconds + TIMEOUT_S + 60)
            finally:
                if loadgen:
                    loadgen.stop()
                if moderator:
                    moderator.close()
                server.stop()
    result.pop("phase", None)
    posted = result["captions"] - sum(result["refused"].values())
    cpu = result.get("server_cpu_s")
    return {
        "backend": backend_name(database),
        **result,
        "connect_failures": connected.get("failures"),
        "server_cpu_ms_per_caption": round(1000 * cpu / posted, 1) if cpu is not None and posted else None,
        "server_cpu_share": round(cpu / result["stream_s"], 2) if cpu is not None else None,
        "load_1m": round(os.getloadavg()[0], 1),
    }


def _refused(result: dict[str, Any]) -> str:
    return f"{result['captions']} ({json.dumps(result['refused']) if result['refused'] else 0})"


ROWS = [
    ("clients connected", lambda r: f"{r['connected']:,}"),
    ("captions posted (refused)", _refused),
    ("caption → screen p50 / p99 / max, ms", lambda r: "{p50} / {p99} / {max}".format(**r["per_client_ms"])),
    ("post answered p50 / p99, ms", lambda r: "{p50} / {p99}".format(**r["post_ms"])),
    ("captions missing on screens", lambda r: f"{r['missing']:,}"),
    ("server CPU s over the stream (core share)", lambda r: f"{r['server_cpu_s']} ({r['server_cpu_share']})"),
    ("server CPU ms per caption", lambda r: str(r["server_cpu_ms_per_caption"])),
    ("load generator CPU s", lambda r: f"{r['loadgen_cpu_s']:.1f}"),
    ("sockets dropped", lambda r: str(r["dropped"])),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000, help="audience clients (default 1000)")
    parser.add_argument("--rate", type=float, default=10, help="captions a second (default 10)")
    parser.add_argument("--seconds", type=float, default=20, help="how long the captioner posts (default 20)")
    parser.add_argument(
        "--database", action="append", help="'sqlite' (default) or a postgresql:// URL; repeat to compare"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= MAX_CLIENTS or not 0 < args.rate <= 20 or not 0 < args.seconds <= 600:
        parser.error(f"--clients 1..{MAX_CLIENTS}, --rate up to 20 (the link's limit), --seconds up to 600")
    ensure_node_modules()
    databases = args.database or ["sqlite"]
    results = [run(args.clients, args.rate, args.seconds, database) for database in databases]
    print(json.dumps({"benchmark": "captions", "machine": machine(databases), "results": results}))
    print()
    rows = [[name, *[f(r) for r in results]] for name, f in ROWS]
    print(table(["", *[r["backend"] for r in results]], rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
