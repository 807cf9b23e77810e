"""Fan-out: how fast does one broadcast reach thousands of open connections, and what does each connection
cost the server? The app (``python app.py``, gevent), side by side with a bare Flask-SocketIO broadcaster on
gevent and a bare Node socket.io server, in one run (issue 12).

Run from the project root:

    .venv/bin/python -m bench.fanout [--clients 5000] [--broadcasts 20] [--concurrency 100]
        [--servers app,app-deflate,flask,node] [--no-offer] [--sources 0]
    .venv/bin/python -m bench.fanout --mode storm [--clients 5000] [--reconnection-delay 1000]
        [--reconnection-delay-max 5000] [--randomization-factor 0.5] [--servers ...]
    .venv/bin/python -m bench.fanout --tree before=/path/to/worktree --servers app@before,app,app-2w,flask

``app-gunicorn``/``flask-gunicorn`` and ``app-uwsgi``/``flask-uwsgi`` serve the app and the bare broadcaster
with gunicorn's gevent worker and with uWSGI in gevent mode (``pip install gunicorn uwsgi`` first; neither is
a dependency of the app). ``app-2w`` is the app with ``FORUM_WORKERS=2`` behind the Redis queue
(``--queue``); its CPU and memory are summed over the workers. ``--tree LABEL=PATH`` adds ``app@LABEL``:
the app of another checkout (for example a ``git worktree`` of an older commit), measured in the same run.
Events are built by this checkout's code, so the trees must share the database schema.

Needs Node (``bench/node``; its ``node_modules`` are installed with ``npm ci`` when missing).

Each server runs in turn in its own process on a free loopback port: ``app`` is this tree's app on a
temporary SQLite file, with WebSocket compression off (the default), ``app-deflate`` the same with
``FORUM_WEBSOCKET_COMPRESSION=1``, ``flask`` is bench/bare_flask_socketio.py (``flask-gc`` the same with the
cycle collector tuned as the app tunes it, ``FORUM_GC_THRESHOLD``) and ``node`` is
bench/node/bare_server.mjs (socket.io 4.8). The app gets a scheduled event built through the services (as
bench/live_votes.py does), its limits on connections lifted (``FORUM_MAX_CONNECTIONS`` and
``FORUM_MAX_CONNECTIONS_PER_ADDRESS`` 100,000: every client comes from 127.0.0.1 unless ``--sources`` spreads
them over that many addresses from 127.0.1.1) and its rate limits raised. Audience identities are minted as
the server expects them (tests/identities.py).

The load generator is one Node process (bench/node/loadgen.mjs) with the official socket.io-client 4.8, over
the WebSocket transport only. It holds the moderator's connection too, so the time a broadcast was sent and
the times it arrived come from one clock. It connects ``--clients`` audience connections, at most
``--concurrency`` attempts at a time, without reconnection; then the moderator sends ``--broadcasts``
actions, alternately ``question.next`` and ``question.previous`` (the bare servers broadcast on any event),
each after every client got the previous one and 0.5 s passed. Each makes the server broadcast a
``current_question`` delta to the public stream. Clients offer permessage-deflate as browsers do (not with
``--no-offer``); only ``app-deflate`` accepts it.

Reported per server: per-client latency from the moderator's emit to the client's receipt (p50/p99 of
clients × broadcasts), the time until every client had it (p50 over broadcasts), the time to connect every
client, the server's resident memory per connection (growth over the connect phase / clients, read after
3 s), the server's CPU time (/proc) per connect over the connect phase, and per broadcast twice: summed over
the windows from each emit until the last client had it (read by the load generator), and over the whole
broadcast phase (which adds the 0.5 s pauses; both include the clients' pings that fall in them, which is
what the server's idle CPU with every client connected shows), the size of the delta's Socket.IO packet, and
the machine's one-minute load average. The load generator shares the 2 cores with the
server: its CPU time is reported too, and so is the CPU time every other program on the machine used from the
first connect to the last broadcast (/proc/stat), because it competes for the same cores. One JSON line, then
a table.

``--mode storm`` measures a reconnect storm instead: the clients connect with reconnection on
(socket.io-client's ``reconnectionDelay``, ``reconnectionDelayMax`` and ``randomizationFactor`` from the
options), then the server is stopped and started again on the same port (the app on the same database, so
the session is still live). Reported: how long the restart took, the time from the first client's
disconnect until every client is connected again with a fresh snapshot (the bare servers send none: a fresh
``connect`` counts), the per-client latency of the broadcasts the moderator sends every second meanwhile, to
the clients that are back by then, the time from stopping the server until the new process answered
/healthz (it answers while the clients reconnect, so this is more than its start-up), and the new process's
CPU time from its start (imports included) until every client was back.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from flask import Flask

from bench.common import (
    SQLITE,
    clean_environment,
    cpu_seconds,
    machine,
    make_app,
    process_tree,
    table,
    throwaway_database,
    tree_cpu_seconds,
)
from bench.live_votes import build_event
from bench.vote_storm import Profiler, top_frames
from forum import PROJECT_ROOT
from tests.identities import e2e_audience_token
from tests.live_server import LiveServer, free_port

NODE_DIR = PROJECT_ROOT / "bench" / "node"
HIGH_RATE = "1000000/minute"
NO_LIMIT = "100000"
# ``flask-gc``: the bare broadcaster with the collector setting the app serves with (FORUM_GC_THRESHOLD).
GC_THRESHOLD = "10000"
SETTLE_SECONDS = 3.0  # after the last connect, before memory is read and the broadcasts start
START_TIMEOUT = 30.0
BARRIER_TIMEOUT = 900.0  # the longest one phase of the load generator may take
STORM_TIMEOUT = 180  # seconds the clients get to come back after a restart
# The maintained WSGI server Flask-SocketIO documents for gevent: one worker (it cannot keep a client on one
# of several), the same listen backlog as the app's own entry. Install it with `pip install gunicorn`.
GUNICORN = [
    str(Path(sys.executable).with_name("gunicorn")),
    *("-k", "gevent", "-w", "1", "--backlog", "2048", "--worker-connections", "100000"),
    *("-b", "127.0.0.1:{port}"),
]
# uWSGI in gevent mode with its own WebSocket support, serving HTTP itself (no router process in front).
# Install it with `pip install uwsgi` (built from source).
UWSGI = [
    str(Path(sys.executable).with_name("uwsgi")),
    *("--http-socket", "127.0.0.1:{port}", "--http-websockets"),
    *("--gevent", "100000", "--gevent-monkey-patch"),
    *("--master", "--listen", "2048", "--disable-logging", "--die-on-term"),
]
SERVERS = {
    "app": "this app (one gevent process)",
    "app-2w": "this app, FORUM_WORKERS=2 (Redis queue)",
    "app-deflate": "this app, permessage-deflate on",
    "app-gunicorn": "this app under gunicorn (gevent worker)",
    "flask": "bare Flask-SocketIO on gevent",
    "flask-gc": "bare Flask-SocketIO on gevent, the app's GC setting",
    "flask-gunicorn": "bare Flask-SocketIO under gunicorn (gevent worker)",
    "app-uwsgi": "this app under uWSGI (gevent, its WebSocket)",
    "flask-uwsgi": "bare Flask-SocketIO under uWSGI (gevent, its WebSocket)",
    "node": "bare Node socket.io 4.8",
}


def rss_kb(pid: int) -> int:
    """Resident memory of a process and its children in KB, from /proc (Linux)."""
    total = 0
    for member in process_tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    if not total:
        raise RuntimeError(f"no VmRSS for process {pid}")
    return total


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used since boot (all cores, idle and I/O wait excluded)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def ensure_node_modules() -> None:
    if not (NODE_DIR / "node_modules" / "socket.io-client").is_dir():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE_DIR, check=True, timeout=600)


class BareServer:
    """A bare server in a child process (Python or Node) on a free loopback port, answering /healthz."""

    def __init__(
        self,
        command: list[str],
        workdir: Path,
        name: str,
        port: int | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # "{port}" in the command is the port; otherwise it is given as --port.
        placed = [part.replace("{port}", str(self.port)) for part in command]
        self.command = placed if placed != command else [*command, "--port", str(self.port)]
        self.log_path = workdir / f"{name}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.env = env or {}

    def start(self) -> BareServer:
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("FORUM_")}, **self.env}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.command} exited early:\n{self.log()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.command} did not answer within {START_TIMEOUT}s:\n{self.log()}")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""


class LoadGenerator:
    """bench/node/loadgen.mjs in a child process, driven line by line through its barriers."""

    def __init__(self, config: dict[str, Any], workdir: Path) -> None:
        path = workdir / f"loadgen-{time.monotonic_ns()}.json"
        path.write_text(json.dumps({**config, "control": True}))
        self.process = subprocess.Popen(
            ["node", str(NODE_DIR / "loadgen.mjs"), "--config", str(path)],
            cwd=NODE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, args=(self.process.stdout,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self.lines.put(line)
        self.lines.put(None)

    def expect(self, phase: str, timeout: float = BARRIER_TIMEOUT) -> dict[str, Any]:
        """The next barrier line, which must be ``phase``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                message = f"the load generator did not reach {phase!r} within {timeout:.0f} s"
                raise RuntimeError(message) from None
            if line is None:
                raise RuntimeError(f"the load generator ended before {phase!r} (exit {self.process.wait()})")
            if not line.startswith("{"):
                continue
            message = json.loads(line)
            if message.get("phase") == "error":
                raise RuntimeError(f"the load generator failed: {message.get('message')}")
            if message.get("phase") != phase:
                raise RuntimeError(f"expected {phase!r} from the load generator, got {message}")
            return message

    def go(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=10)


def measure(pid: int, config: dict[str, Any], workdir: Path, profile: Path | None = None) -> dict[str, Any]:
    """Run the load generator against the server ``pid`` and read the server at each barrier."""
    config = {**config, "server_pid": process_tree(pid), "clock_ticks": os.sysconf("SC_CLK_TCK")}
    loadgen = LoadGenerator(config, workdir)
    try:
        loadgen.expect("ready", timeout=60)
        own = (*process_tree(pid), loadgen.process.pid)
        busy_before, ours_before = machine_busy_seconds(), sum(cpu_seconds(p) for p in own)
        rss_before, cpu_before = rss_kb(pid), tree_cpu_seconds(pid)
        connect_profile = profile.with_name(f"connect-{profile.name}") if profile is not None else None
        profiler = Profiler(pid, connect_profile) if connect_profile is not None else None
        loadgen.go()
        connected = loadgen.expect("connected")
        cpu_connected = tree_cpu_seconds(pid)
        if profiler is not None:
            profiler.stop()
        time.sleep(SETTLE_SECONDS)
        rss_connected, cpu_settled = rss_kb(pid), tree_cpu_seconds(pid)
        profiler = Profiler(pid, profile) if profile is not None else None  # the broadcasts only
        loadgen.go()
        broadcasts_began = time.monotonic()
        loadgen.expect("broadcasts_done")
        broadcast_seconds = time.monotonic() - broadcasts_began
        if profiler is not None:
            profiler.stop()
        cpu_broadcasts = tree_cpu_seconds(pid)
        others = machine_busy_seconds() - busy_before - (sum(cpu_seconds(p) for p in own) - ours_before)
        rss_after = rss_kb(pid)
        load = os.getloadavg()[0]
        loadgen.go()
        result = loadgen.expect("result", timeout=120)
    finally:
        loadgen.stop()
    clients = max(1, connected["connected"])
    broadcasts = max(1, result["broadcasts"])
    return {
        **{k: v for k, v in result.items() if k != "phase"},
        "rss_before_mb": round(rss_before / 1024, 1),
        "rss_connected_mb": round(rss_connected / 1024, 1),
        "rss_after_broadcasts_mb": round(rss_after / 1024, 1),
        "kb_per_connection": round((rss_connected - rss_before) / clients, 1),
        "server_cpu_connect_s": round(cpu_connected - cpu_before, 2),
        "server_cpu_ms_per_connect": round(1000 * (cpu_connected - cpu_before) / clients, 2),
        "server_idle_cpu_ms_per_s": round(1000 * (cpu_settled - cpu_connected) / SETTLE_SECONDS, 1),
        "server_cpu_broadcast_phase_s": round(cpu_broadcasts - cpu_settled, 2),
        "server_cpu_ms_per_broadcast": round(1000 * (cpu_broadcasts - cpu_settled) / broadcasts, 1),
        "broadcast_phase_s": round(broadcast_seconds, 1),
        # What other programs used while the clients connected and the broadcasts ran (the machine is shared).
        "other_cpu_s": round(others, 1),
        "load_1m": round(load, 1),
        **({"profile": top_frames(profile, limit=30)} if profile is not None else {}),
        **({"connect_profile": top_frames(connect_profile, limit=30)} if connect_profile is not None else {}),
    }


def loadgen_config(args: argparse.Namespace, url: str, deflate_offer: bool) -> dict[str, Any]:
    return {
        "url": url,
        "namespace": "/live",
        "mode": "fanout",
        "clients": args.clients,
        "broadcasts": args.broadcasts,
        "concurrency": args.concurrency,
        "deflate": deflate_offer,
        "sources": args.sources,
        "actions": ["question.next", "question.previous"],
        "kind": "current_question",
    }


class Target:
    """One kind of server under test: starts its process (again on the same port, for a restart) and says
    how the load generator joins it."""

    def __init__(self, name: str, workdir: Path, args: argparse.Namespace) -> None:
        self.name, self.workdir, self.args = name, workdir, args
        self.app: Flask | None = None
        self.database_url = ""
        self.env: dict[str, str] = {}
        self.auth: dict[str, Any] = {"audience_auth": [{}], "moderator_auth": {"moderator": True}}

    def prepare(self, database_url: str) -> None:
        """For the app: the database, the event, the audience identities and the server's settings."""
        self.database_url = database_url
        self.app = make_app(database_url, self.workdir)
        slug, moderator_token = build_event(self.app)
        self.env = {
            "FORUM_MAX_CONNECTIONS": NO_LIMIT,
            "FORUM_MAX_CONNECTIONS_PER_ADDRESS": NO_LIMIT,
            "FORUM_WEBSOCKET_COMPRESSION": "1" if self.name == "app-deflate" else "0",
            "FORUM_RATE_NETWORK": HIGH_RATE,
            "FORUM_RATE_JOIN": HIGH_RATE,
            "FORUM_RATE_IDENTITY": HIGH_RATE,
        }
        self.env |= dict(self.args.app_env)
        if self.name == "app-2w":
            self.env |= {
                "FORUM_WORKERS": "2",
                "FORUM_MESSAGE_QUEUE": self.args.queue,
                "FORUM_MESSAGE_QUEUE_CHANNEL": f"forum-fanout-{self.workdir.name}",
            }
        audience = [{"event": slug, "audience": e2e_audience_token()} for _ in range(self.args.clients)]
        self.auth = {
            "audience_auth": audience,
            "moderator_auth": {"invite": moderator_token},
            "prepare": ["session.start"],
        }

    def start(self, port: int | None = None) -> LiveServer | BareServer:
        if self.name == "app-gunicorn":
            env = {
                **self.env,
                "FORUM_DATABASE_URL": self.database_url,
                "FORUM_SECRET_KEY": "e2e-secret",  # tests/identities.py signs the audience with it
                "FORUM_INSTANCE_PATH": str(self.workdir / "instance"),
            }
            return BareServer([*GUNICORN, "app:app"], self.workdir, self.name, port, env).start()
        if self.name == "app-uwsgi":
            env = {
                **self.env,
                "FORUM_DATABASE_URL": self.database_url,
                "FORUM_SECRET_KEY": "e2e-secret",
                "FORUM_INSTANCE_PATH": str(self.workdir / "instance"),
            }
            return BareServer([*UWSGI, "--module", "app:app"], self.workdir, self.name, port, env).start()
        if self.name.startswith("app"):
            # "app@LABEL": the app.py of another checkout (--tree LABEL=PATH).
            root = self.args.trees.get(self.name.partition("@")[2]) if "@" in self.name else None
            return LiveServer(self.database_url, self.workdir, port=port, root=root, **self.env).start()
        if self.name == "flask":
            command = [sys.executable, "-m", "bench.bare_flask_socketio"]
        elif self.name == "flask-gc":
            command = [sys.executable, "-m", "bench.bare_flask_socketio", "--gc-threshold", GC_THRESHOLD]
        elif self.name == "flask-gunicorn":
            command = [*GUNICORN, "bench.bare_flask_socketio:gunicorn_app()"]
        elif self.name == "flask-uwsgi":
            command = [*UWSGI, "--module", "bench.bare_flask_socketio:uwsgi_app()"]
        else:
            command = ["node", str(NODE_DIR / "bare_server.mjs")]
        return BareServer(command, self.workdir, self.name, port).start()

    def close(self) -> None:
        if self.app is not None:
            self.app.extensions["forum.db"].dispose()


@contextmanager
def target(args: argparse.Namespace, name: str) -> Iterator[Target]:
    with tempfile.TemporaryDirectory(prefix="forum-fanout-") as tmp:
        workdir = Path(tmp)
        chosen = Target(name, workdir, args)
        if not name.startswith("app"):
            yield chosen
            return
        with throwaway_database(SQLITE, workdir) as url:
            try:
                chosen.prepare(url)
                yield chosen
            finally:
                chosen.close()


def run_server(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Fan-out against one server."""
    with target(args, name) as chosen:
        server = chosen.start()
        try:
            time.sleep(1)
            config = {**loadgen_config(args, server.url, not args.no_offer), **chosen.auth}
            profile = args.profile / f"broadcast-{name}.txt" if args.profile else None
            return measure(server.process.pid, config, chosen.workdir, profile)  # type: ignore[union-attr]
        except Exception:
            print(f"server log tail:\n{server.log()}", file=sys.stderr)
            raise
        finally:
            server.stop()


def run_storm(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Reconnect storm against one server: connect every client (with reconnection on), restart the server on
    the same port, and let the load generator measure how the clients come back."""
    with target(args, name) as chosen:
        server = chosen.start()
        try:
            time.sleep(1)
            config = {
                **loadgen_config(args, server.url, not args.no_offer),
                **chosen.auth,
                "mode": "storm",
                "reconnection_delay": args.reconnection_delay,
                "reconnection_delay_max": args.reconnection_delay_max,
                "randomization_factor": args.randomization_factor,
                "storm_timeout_ms": STORM_TIMEOUT * 1000,
            }
            loadgen = LoadGenerator(config, chosen.workdir)
            try:
                loadgen.expect("storm_ready")
                loadgen.go()
                stopped = time.monotonic()
                server.stop()
                stop_s = time.monotonic() - stopped
                server = chosen.start(server.port)
                restart_s = time.monotonic() - stopped
                loadgen.expect("storm_done", timeout=STORM_TIMEOUT + 60)
                # The new process's CPU time so far: its start-up and every reconnect.
                storm_cpu = tree_cpu_seconds(server.process.pid)  # type: ignore[union-attr]
                rss = rss_kb(server.process.pid)  # type: ignore[union-attr]
                load = os.getloadavg()[0]
                loadgen.go()
                result = loadgen.expect("result", timeout=120)
            finally:
                loadgen.stop()
            return {
                **{k: v for k, v in result.items() if k != "phase"},
                "stop_s": round(stop_s, 1),
                "restart_s": round(restart_s, 1),
                "server_cpu_storm_s": round(storm_cpu, 2),
                "rss_after_storm_mb": round(rss / 1024, 1),
                "load_1m": round(load, 1),
            }
        except Exception:
            print(f"server log tail:\n{server.log()}", file=sys.stderr)
            raise
        finally:
            server.stop()


def _ms(value: Any) -> str:
    return "-" if value is None else f"{value:,.0f}"


def _pair(stats: dict[str, Any]) -> str:
    return f"{_ms(stats['p50'])} / {_ms(stats['p99'])}"


def _broadcast_cpu(result: dict[str, Any]) -> str:
    window, phase = result["server_cpu_ms_per_broadcast_window"], result["server_cpu_ms_per_broadcast"]
    return f"{_ms(window)} / {_ms(phase)}"


def _loadgen_cpu(result: dict[str, Any]) -> str:
    return f"{result['loadgen_cpu_connect_s']:.1f} / {result['loadgen_cpu_broadcast_s']:.1f}"


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("connected", lambda r: f"{r['connected']:,}"),
    ("per-client p50 / p99 ms", lambda r: _pair(r["per_client_ms"])),
    ("all received p50 ms", lambda r: _ms(r["all_received_ms"]["p50"])),
    ("missing", lambda r: r["missing"]),
    ("connect all s", lambda r: r["connect_all_s"]),
    ("KB per connection", lambda r: r["kb_per_connection"]),
    ("server CPU ms per broadcast: window / phase", _broadcast_cpu),
    ("server CPU ms per connect", lambda r: r["server_cpu_ms_per_connect"]),
    ("packet bytes", lambda r: r["frame_bytes"]),
    ("loadgen CPU s (connect / broadcasts)", _loadgen_cpu),
    ("other programs' CPU s", lambda r: r["other_cpu_s"]),
    ("load", lambda r: r["load_1m"]),
]

STORM_COLUMNS: list[tuple[str, Callable[[dict[str, Any]], Any]]] = [
    ("connected", lambda r: f"{r['connected']:,}"),
    ("back", lambda r: f"{r['back']:,}"),
    ("all back s", lambda r: r["all_back_s"]),
    ("back p50 / p99 ms", lambda r: _pair(r["back_ms"])),
    ("stop to /healthz s", lambda r: r["restart_s"]),
    ("broadcasts during", lambda r: r["broadcasts_during"]),
    ("per-client p50 / p99 ms during", lambda r: _pair(r["during_per_client_ms"])),
    ("server CPU s", lambda r: r["server_cpu_storm_s"]),
    ("load", lambda r: r["load_1m"]),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=5000, help="audience connections (default 5000)")
    parser.add_argument("--broadcasts", type=int, default=20, help="broadcasts timed (default 20)")
    parser.add_argument("--concurrency", type=int, default=100, help="connect attempts at once (default 100)")
    every = ",".join(SERVERS)
    parser.add_argument("--servers", default=every, help=f"comma-separated, in order (default {every})")
    parser.add_argument("--no-offer", action="store_true", help="clients do not offer permessage-deflate")
    parser.add_argument(
        "--sources", type=int, default=0, help="spread clients over this many loopback addresses (default 0)"
    )
    parser.add_argument(
        "--mode", choices=("fanout", "storm"), default="fanout", help="fanout (default) or storm"
    )
    storm = parser.add_argument_group("storm", "restart each server once every client is connected")
    storm.add_argument("--reconnection-delay", type=int, default=1000, help="first delay, ms (1000)")
    storm.add_argument("--reconnection-delay-max", type=int, default=5000, help="longest delay, ms (5000)")
    storm.add_argument("--randomization-factor", type=float, default=0.5, help="jitter, 0..1 (0.5)")
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL=PATH",
        help="also run the app of another checkout as server app@LABEL (name it in --servers)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="sample each server with py-spy during the connects and the broadcasts, into this folder",
    )
    parser.add_argument("--queue", default="redis://127.0.0.1:6379/0", help="FORUM_MESSAGE_QUEUE for app-2w")
    parser.add_argument(
        "--app-env",
        action="append",
        default=[],
        type=lambda value: tuple(value.split("=", 1)),
        metavar="NAME=VALUE",
        help="a FORUM_* setting for every app server (e.g. FORUM_ADMISSION_RATE=0)",
    )
    args = parser.parse_args(argv)
    args.trees = {}
    for tree in args.tree:
        label, _, path = tree.partition("=")
        if not label or not (Path(path) / "app.py").exists():
            parser.error(f"--tree takes LABEL=PATH of a checkout with app.py, not {tree!r}")
        args.trees[label] = Path(path).resolve()
    servers = [s.strip() for s in args.servers.split(",") if s.strip()]
    if not 1 <= args.clients <= 15000 or not 1 <= args.broadcasts <= 200 or not 1 <= args.concurrency <= 1000:
        parser.error("--clients must be 1..15000, --broadcasts 1..200 and --concurrency 1..1000")
    for label in args.trees:
        SERVERS[f"app@{label}"] = f"this app, tree {label}"
    if unknown := [s for s in servers if s not in SERVERS]:
        parser.error(f"unknown servers {unknown}; choose from {list(SERVERS)}")
    if not 0 <= args.sources <= 60000:
        parser.error("--sources must be 0..60000")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    clean_environment()
    ensure_node_modules()

    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    run, columns = (run_storm, STORM_COLUMNS) if args.mode == "storm" else (run_server, COLUMNS)
    results = []
    for name in servers:
        print(f"[fanout] {args.mode} {name}: {args.clients} clients …", file=sys.stderr, flush=True)
        result = {"server": name, **run(args, name)}
        print(f"[fanout] {json.dumps(result)}", file=sys.stderr, flush=True)
        results.append(result)
        time.sleep(3)
    names = ["mode", "clients", "broadcasts", "concurrency", "no_offer", "sources"]
    if args.mode == "storm":
        names += ["reconnection_delay", "reconnection_delay_max", "randomization_factor"]
    settings = {k: getattr(args, k) for k in names}
    summary = {"benchmark": "fanout", "date": date, "settings": settings, "machine": machine([SQLITE])}
    print(json.dumps({**summary, "results": results}, ensure_ascii=False))
    print()
    header = ["server", *(name for name, _ in columns)]
    rows = [[SERVERS[r["server"]], *(str(f(r)) for _, f in columns)] for r in results]
    print(table(header, rows))
    for r in results:
        for key, phase in (("connect_profile", "the connects"), ("profile", "the broadcasts")):
            if key not in r:
                continue
            print(f"\npy-spy during {phase}, {r['server']}: {r[key]['samples']} samples")
            print("  % on the stack (inclusive):")
            for frame, pct in r[key]["inclusive_pct"]:
                print(f"  {pct:5.1f}  {frame}")
            print("  % at the top of the stack (self):")
            for frame, pct in r[key]["self_pct"]:
                print(f"  {pct:5.1f}  {frame}")
    if args.mode == "storm":
        return 0 if all(r["back"] == r["connected"] == args.clients for r in results) else 1
    return 0 if all(r["missing"] == 0 and not r["failures"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
