"""PDF downloads and ``/healthz`` on the real server, before and after PDFs left the event loop.

Run from the project root:

    .venv/bin/python -m bench.pdf_health [--before-ref 45f3d9b^] [--questions 999] [--paragraphs 2]
        [--clients 4] [--load-seconds 15]

Issue 11, item 7: WeasyPrint rendered a PDF on the gevent loop's own thread, so every other request
waited for it. Commit 45f3d9b renders in one worker thread and keeps each published version's PDF in
the instance folder. This script runs both trees side by side in one invocation: "before" is
``--before-ref`` checked out with ``git worktree add`` in a temporary folder (removed at the end),
"after" is this checkout as it is on disk (uncommitted changes included; the JSON lists them).

For each tree, in a temporary folder: a fresh SQLite database is built by that tree's own code in child
processes (``forum upgrade``; ``forum seed``, which publishes the demo record; ``forum import`` of a
generated panel summary with ``--questions`` numbered questions of ``--paragraphs`` answer paragraphs
each; then that tree's ``publishing.publish``), and that tree's ``python app.py`` (gevent) serves it on
a free port of 127.0.0.1 with ``FORUM_RATE_PDF`` and ``FORUM_RATE_NETWORK`` raised out of the way.

``/healthz`` is probed every 50 ms whether or not the previous probe has answered (at most 100 waiting;
probes due beyond that are skipped and counted). Measured, in order:

- ``/healthz`` with no load, for 5 s;
- the first download of the demo record's PDF (the process's first PDF, which also loads WeasyPrint),
  the first and second download of the long record's PDF, and a second one of the demo's: wall time,
  the server process's CPU time (from /proc; steadier than wall time on a shared machine), and the
  probes in flight during the download (how many, median and max latency);
- ``--clients`` threads downloading the demo record's PDF back to back for ``--load-seconds``: downloads
  completed, and the probes' median, p95 and max latency.

One JSON line, then a table (before and after columns, from this one run).
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from statistics import median
from typing import Any

from bench.common import clean_environment, machine, percentile, table
from bench.search import ENGLISH
from forum import PROJECT_ROOT
from tests.live_server import LiveServer

HIGH_RATE = "1000000/minute"
POLL_INTERVAL = 0.05
IDLE_SECONDS = 5.0
DEMO_ORGANIZER = "demo@example.org"  # the organizer seeds/open_net_telegram_panel.toml creates
# Direct connections only: a proxy named in the environment must not stand between client and server.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Run with cwd = the tree, so `forum` is that tree's package: publish the imported draft with that tree's
# services and list the published records (slug, number of questions in the latest version).
PUBLISH = """
import json, sys
from sqlalchemy import select
from forum import create_app
from forum.boundary import unit_of_work
from forum.models import Event, Organizer
from forum.publishing import publishing
app = create_app()
with app.app_context():
    with unit_of_work() as session:
        event = session.scalar(select(Event).where(Event.slug == sys.argv[1]))
        owner = session.get(Organizer, event.organizer_id)
        publishing.publish(session, owner, event.id)
    with unit_of_work() as session:
        records = {}
        for event in session.scalars(select(Event)):
            version = publishing.latest_version(session, event.id)
            if version is not None:
                records[event.slug] = len(version.content["questions"])
import forum
print(json.dumps({"package": forum.__file__, "records": records}))
"""

TOPICS = ["messengers", "encryption", "platforms", "AI systems", "privacy", "online safety", "takedowns"]


def long_summary(questions: int, paragraphs: int, seed: int) -> str:
    """A panel summary in the importer's numbered layout (tests/fixtures/summary_layout.txt): ``questions``
    questions, each answered in ``paragraphs`` paragraphs of three sentences; the same text for the same
    seed."""
    rng = random.Random(seed)
    lines = [
        "On 5 March 2025, researcher Minji (Mina) Park took part as a panelist in a discussion titled "
        "“A very long record” hosted by “Bench Forum.”",
        "- Moderation: Lee Dana",
        "- Panelist: Park Minji (Open Data Lab), Choi Jun (Civic Tech Korea)",
        "Here are Mina's answers to the main questions discussed during the debate:",
    ]
    for number in range(1, questions + 1):
        lines.append(f"{number}. What should be done about {rng.choice(TOPICS)}, point {number}?")
        for _ in range(paragraphs):
            lines.append(" ".join(rng.sample(ENGLISH, 3)))
    lines.append("*About the host: A benchmark's made-up host.")
    return "\n".join(lines) + "\n"


def git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"git {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.rstrip("\n")


@contextmanager
def worktree(ref: str) -> Iterator[Path]:
    """``ref`` checked out (detached) in a temporary folder; the worktree is removed at the end."""
    parent = Path(tempfile.mkdtemp(prefix="forum-bench-tree-"))
    root = parent / "tree"
    git("worktree", "add", "--detach", str(root), ref)
    try:
        yield root
    finally:
        try:
            git("worktree", "remove", "--force", str(root))
        finally:
            shutil.rmtree(parent, ignore_errors=True)


def tree_env(database_url: str, workdir: Path) -> dict[str, str]:
    """The environment the tree's commands run in: the same settings as the server's (tests/live_server)."""
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("FORUM_")},
        "FORUM_DATABASE_URL": database_url,
        "FORUM_SECRET_KEY": "e2e-secret",
        "FORUM_INSTANCE_PATH": str(workdir / "instance"),
    }


def run_in_tree(root: Path, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=root, env=env, capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:6])} failed in {root.name}:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def build_records(root: Path, env: dict[str, str], workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    """The demo record and the long record, published by the tree's own commands and services."""
    flask = ["-m", "flask", "--app", "app", "forum"]
    run_in_tree(root, env, *flask, "upgrade")
    run_in_tree(root, env, *flask, "seed")
    source = workdir / "long-record.txt"
    source.write_text(long_summary(args.questions, args.paragraphs, args.seed), encoding="utf-8")
    imported = run_in_tree(
        root, env, *flask, "import", str(source), "--organizer", DEMO_ORGANIZER, "--timezone", "Asia/Seoul"
    )
    draft = re.search(r"Draft event \d+ \('([^']+)'\)", imported)
    if draft is None:
        raise RuntimeError(f"the import did not name its draft:\n{imported}")
    began = time.perf_counter()
    listed = json.loads(run_in_tree(root, env, "-c", PUBLISH, draft.group(1)).strip().splitlines()[-1])
    publish_seconds = time.perf_counter() - began
    if not Path(listed["package"]).resolve().is_relative_to(root.resolve()):
        raise RuntimeError(f"the tree's commands imported another checkout: {listed['package']}")
    records = listed["records"]
    demo = [slug for slug in records if slug != draft.group(1)]
    if records.get(draft.group(1)) != args.questions or len(demo) != 1:
        raise RuntimeError(f"unexpected published records: {records}")
    return {
        "long": draft.group(1),
        "demo": demo[0],
        "demo_questions": records[demo[0]],
        "publish_long_s": round(publish_seconds, 2),
    }


def get(url: str, timeout: float) -> tuple[int, bytes]:
    try:
        with OPENER.open(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


class HealthPoller:
    """Sends GET /healthz every ``POLL_INTERVAL`` whether or not the last one has answered (each from its
    own thread), so a stall shows in every probe sent while it lasts rather than in one. Each sample is
    (sent at, latency, ok)."""

    # Below the server's listen backlog (gevent's default, 128) less the download clients: past it the
    # kernel drops new connections and TCP retries them after 1, 3, 7, 15 … s, which would measure the
    # client's back-off rather than the server. Probes due while this many wait are skipped and counted.
    MAX_IN_FLIGHT = 100

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url + "/healthz"
        self.timeout = timeout
        self.samples: list[tuple[float, float, bool]] = []
        self.skipped: list[float] = []  # when probes were due but not sent, MAX_IN_FLIGHT being in flight
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.probes: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _probe(self) -> None:
        sent = time.perf_counter()
        try:
            ok = get(self.url, self.timeout)[0] == 200
        except OSError:
            ok = False
        with self.lock:
            self.samples.append((sent, time.perf_counter() - sent, ok))

    def _run(self) -> None:
        deadline = time.perf_counter() + 4 * self.timeout  # a bound, whatever happens to stop()
        next_at = time.perf_counter()
        while not self.stop_event.is_set() and time.perf_counter() < deadline:
            self.probes = [probe for probe in self.probes if probe.is_alive()]
            if len(self.probes) < self.MAX_IN_FLIGHT:
                probe = threading.Thread(target=self._probe, daemon=True)
                probe.start()
                self.probes.append(probe)
            else:
                self.skipped.append(time.perf_counter())
            next_at += POLL_INTERVAL
            self.stop_event.wait(max(0.0, next_at - time.perf_counter()))

    def __enter__(self) -> HealthPoller:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop_event.set()
        self.thread.join(timeout=10)
        deadline = time.perf_counter() + self.timeout + 5
        for probe in self.probes:
            probe.join(timeout=max(0.0, deadline - time.perf_counter()))

    def during(self, start: float, end: float) -> dict[str, Any]:
        """Latency of the samples in flight at some moment between ``start`` and ``end``."""
        chosen = [(lat, ok) for sent, lat, ok in self.samples if sent < end and sent + lat > start]
        latencies = [lat for lat, _ in chosen]
        return {
            "samples": len(chosen),
            "skipped": sum(1 for due in self.skipped if start <= due < end),
            "failed": sum(1 for _, ok in chosen if not ok),
            "median_ms": round(median(latencies) * 1000, 1) if latencies else None,
            "p95_ms": round(percentile(latencies, 0.95) * 1000, 1) if latencies else None,
            "max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        }


def pdf_pages(data: bytes) -> int | None:
    try:
        from pypdf import PdfReader  # a test dependency; only used to describe the PDF
    except ImportError:
        return None
    return len(PdfReader(BytesIO(data)).pages)


def cpu_seconds(server: LiveServer) -> float | None:
    """CPU time the server process has used so far (user + system, from /proc; None elsewhere). Unlike the
    wall time it hardly depends on what else the machine is running."""
    try:
        fields = Path(f"/proc/{server.process.pid}/stat").read_text().rpartition(")")[2].split()
    except (AttributeError, OSError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_used(began: float | None, server: LiveServer) -> float | None:
    ended = cpu_seconds(server)
    return None if began is None or ended is None else round(ended - began, 2)


def timed_download(server: LiveServer, path: str, timeout: float) -> tuple[dict[str, Any], bytes]:
    """One download, with /healthz probed from 0.5 s before it until 0.3 s after it."""
    with HealthPoller(server.url, timeout) as poller:
        time.sleep(0.5)
        cpu = cpu_seconds(server)
        start = time.perf_counter()
        status, body = get(server.url + path, timeout)
        end = time.perf_counter()
        server_cpu = cpu_used(cpu, server)
        time.sleep(0.3)
    if status != 200 or not body.startswith(b"%PDF"):
        raise RuntimeError(f"GET {path} answered {status}: {body[:80]!r}")
    return {
        "seconds": round(end - start, 3),
        "server_cpu_s": server_cpu,
        "bytes": len(body),
        "healthz": poller.during(start, end),
    }, body


def idle_health(url: str, timeout: float) -> dict[str, Any]:
    with HealthPoller(url, timeout) as poller:
        start = time.perf_counter()
        time.sleep(IDLE_SECONDS)
        end = time.perf_counter()
    return poller.during(start, end)


def downloads_under_load(
    server: LiveServer, path: str, clients: int, seconds: float, timeout: float
) -> dict[str, Any]:
    """``clients`` threads download ``path`` back to back until ``seconds`` have passed; /healthz polled."""
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()
    start_barrier = threading.Barrier(clients + 1)

    def loop(stop_at: list[float]) -> None:
        start_barrier.wait(timeout=30)
        while time.perf_counter() < stop_at[0]:
            began = time.perf_counter()
            try:
                status, body = get(server.url + path, timeout)
                ok = status == 200 and body.startswith(b"%PDF")
            except OSError:
                ok = False
            with lock:
                results.append((time.perf_counter() - began, ok))

    stop_at = [time.perf_counter() + seconds + 60]  # set again once every thread is ready
    threads = [threading.Thread(target=loop, args=(stop_at,), daemon=True) for _ in range(clients)]
    with HealthPoller(server.url, timeout) as poller:
        time.sleep(0.5)
        for thread in threads:
            thread.start()
        cpu = cpu_seconds(server)
        start_barrier.wait(timeout=30)
        start = time.perf_counter()
        stop_at[0] = start + seconds
        for thread in threads:
            thread.join(timeout=max(0.0, stop_at[0] + timeout - time.perf_counter()))
        end = time.perf_counter()
        server_cpu = cpu_used(cpu, server)
    if any(thread.is_alive() for thread in threads):
        raise RuntimeError("download threads did not finish in time")
    latencies = [lat for lat, ok in results if ok]
    return {
        "clients": clients,
        "seconds": round(end - start, 2),
        "downloads_ok": len(latencies),
        "downloads_failed": sum(1 for _, ok in results if not ok),
        "download_median_s": round(median(latencies), 3) if latencies else None,
        "server_cpu_s": server_cpu,
        "healthz": poller.during(start, stop_at[0]),
    }


def run_tree(name: str, root: Path, args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="forum-bench-") as tmp:
        workdir = Path(tmp)
        url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        env = tree_env(url, workdir)
        records = build_records(root, env, workdir, args)
        server = LiveServer(
            url, workdir, root=root, FORUM_RATE_PDF=HIGH_RATE, FORUM_RATE_NETWORK=HIGH_RATE
        ).start()
        try:
            idle = idle_health(server.url, args.timeout)
            # The demo's PDF first: the process's first PDF also loads WeasyPrint and its fonts.
            demo_first, demo_pdf = timed_download(server, f"/archive/{records['demo']}.pdf", args.timeout)
            long_first, long_pdf = timed_download(server, f"/archive/{records['long']}.pdf", args.timeout)
            long_second, _ = timed_download(server, f"/archive/{records['long']}.pdf", args.timeout)
            demo_second, _ = timed_download(server, f"/archive/{records['demo']}.pdf", args.timeout)
            load = downloads_under_load(
                server, f"/archive/{records['demo']}.pdf", args.clients, args.load_seconds, args.timeout
            )
        except Exception:
            print(f"server log tail ({name}):\n{server.log()}", file=sys.stderr)
            raise
        finally:
            server.stop()
        return {
            "tree": name,
            "commit": git("-C", str(root), "rev-parse", "--short", "HEAD"),
            "records": records,
            "long_pdf_pages": pdf_pages(long_pdf),
            "demo_pdf_pages": pdf_pages(demo_pdf),
            "healthz_idle": idle,
            "long_first": long_first,
            "long_second": long_second,
            "demo_first": demo_first,
            "demo_second": demo_second,
            "load": load,
        }


def ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def print_table(results: list[dict[str, Any]], questions: int, clients: int) -> None:
    def row(label: str, pick: Any) -> list[str]:
        return [label, *(str(pick(r)) for r in results)]

    def during(key: str) -> Any:
        return lambda r: "{samples} ({skipped}) / {median} / {max}".format(
            samples=r[key]["healthz"]["samples"],
            skipped=r[key]["healthz"]["skipped"],
            median=ms(r[key]["healthz"]["median_ms"]),
            max=ms(r[key]["healthz"]["max_ms"]),
        )

    def took(key: str) -> Any:
        return lambda r: f"{r[key]['seconds']:.2f} / {r[key]['server_cpu_s']}"

    probes = "  /healthz during it: probes (skipped) / median / max ms"

    header = ["", *(f"{r['tree']} ({r['commit']})" for r in results)]
    rows = [
        row(
            "/healthz idle: median / p95 ms",
            lambda r: f"{ms(r['healthz_idle']['median_ms'])} / {ms(r['healthz_idle']['p95_ms'])}",
        ),
        row(
            "demo PDF: pages / kB", lambda r: f"{r['demo_pdf_pages']} / {r['demo_first']['bytes'] / 1e3:.0f}"
        ),
        row("  first download (the process's first PDF): wall / server CPU s", took("demo_first")),
        row(probes, during("demo_first")),
        row(
            f"{questions}-question PDF: pages / kB",
            lambda r: f"{r['long_pdf_pages']} / {r['long_first']['bytes'] / 1e3:.0f}",
        ),
        row("  first download: wall / server CPU s", took("long_first")),
        row(probes, during("long_first")),
        row("  second download: wall / server CPU s", took("long_second")),
        row(probes, during("long_second")),
        row("demo PDF second download: wall / server CPU s", took("demo_second")),
        row(
            f"{clients} clients looping on the demo PDF: downloads (failed)",
            lambda r: f"{r['load']['downloads_ok']} ({r['load']['downloads_failed']})",
        ),
        row("  download median, s", lambda r: f"{r['load']['download_median_s']}"),
        row("  server CPU, s", lambda r: f"{r['load']['server_cpu_s']}"),
        row(
            "  /healthz: probes (skipped) / failed",
            lambda r: (
                f"{r['load']['healthz']['samples']} ({r['load']['healthz']['skipped']}) / "
                f"{r['load']['healthz']['failed']}"
            ),
        ),
        row("  /healthz: median ms", lambda r: ms(r["load"]["healthz"]["median_ms"])),
        row(
            "  /healthz: p95 / max ms",
            lambda r: f"{ms(r['load']['healthz']['p95_ms'])} / {ms(r['load']['healthz']['max_ms'])}",
        ),
    ]
    print(table(header, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-ref", default="45f3d9b^", help="the tree before the fix (default 45f3d9b^)")
    parser.add_argument(
        "--questions", type=int, default=999, help="questions in the long record (default 999)"
    )
    parser.add_argument(
        "--paragraphs", type=int, default=2, help="answer paragraphs per question in it (default 2; 0..5)"
    )
    parser.add_argument("--clients", type=int, default=4, help="threads looping on the demo PDF (default 4)")
    parser.add_argument("--load-seconds", type=float, default=15.0, help="length of that loop (default 15)")
    parser.add_argument("--timeout", type=float, default=300.0, help="per request, seconds (default 300)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the long record's text (default 1)")
    args = parser.parse_args(argv)
    if not 1 <= args.questions <= 999:
        parser.error("--questions must be 1..999 (the importer reads question numbers of up to 3 digits)")
    if not 0 <= args.paragraphs <= 5:
        parser.error("--paragraphs must be 0..5")
    if not 1 <= args.clients <= 32 or not 1 <= args.load_seconds <= 300 or not 1 <= args.timeout <= 1800:
        parser.error("--clients must be 1..32, --load-seconds 1..300 and --timeout 1..1800")
    if "root" not in inspect.signature(LiveServer).parameters:
        raise SystemExit("tests/live_server.LiveServer needs its `root` parameter to serve another tree")
    clean_environment()

    date = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    load_before = os.getloadavg()
    before_commit = git("rev-parse", "--short", args.before_ref)
    changed = git("status", "--porcelain", "--", "forum", "app.py", "templates", "static", "migrations")
    results = []
    with worktree(args.before_ref) as before_root:
        results.append(run_tree("before", before_root, args))
    results.append(run_tree("after", PROJECT_ROOT, args))
    summary = {
        "benchmark": "pdf_health",
        "date": date,
        "machine": machine([]),
        "load_average_1_5_15": {
            "start": [round(x, 2) for x in load_before],
            "end": [round(x, 2) for x in os.getloadavg()],
        },
        "before_ref": f"{args.before_ref} = {before_commit}",
        "after_uncommitted_app_files": changed.splitlines(),
        "questions": args.questions,
        "paragraphs": args.paragraphs,
        "seed": args.seed,
        "results": results,
    }
    print(json.dumps(summary, ensure_ascii=False))
    print()
    print_table(results, args.questions, args.clients)
    print()
    print(f"load average (1, 5, 15 min): {summary['load_average_1_5_15']}")
    if changed:
        print(
            "the 'after' tree has uncommitted changes in: "
            + ", ".join(line[3:] for line in changed.splitlines())
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
