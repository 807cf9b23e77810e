"""Several server processes on one address: ``FORUM_WORKERS=N python app.py`` (docs/deploy.md).

The first process started is a supervisor, which serves nothing itself. It starts N copies of ``app.py``
(the workers), each with ``FORUM_WORKER_INDEX`` set. Every worker opens its own listening socket on the
same host and port with ``SO_REUSEPORT``, so the kernel spreads new TCP connections across them: no proxy
in between and no process that every byte passes through. A connection stays with the process that accepted
it, and the workers hear each other's broadcasts through the message queue (``FORUM_MESSAGE_QUEUE``),
which is therefore required.

Because consecutive HTTP requests of one browser may reach different workers, Socket.IO's long-polling
transport (whose requests must all reach the process holding the session) cannot be used: the live pages
connect over WebSocket only (``FORUM_LIVE_TRANSPORTS``). Pages and forms are stateless and work anywhere.

The supervisor passes SIGTERM and SIGINT on to the workers and waits for them. A worker that dies is
started again; one that keeps dying within seconds of its start (a taken port, a bad setting) stops the
whole server with its exit status instead of restarting forever.

This module imports nothing from the app at run time: the supervisor must not load gevent, open the
database or create the app, all of which belong to the workers.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import FrameType

WORKERS_VARIABLE = "FORUM_WORKERS"
INDEX_VARIABLE = "FORUM_WORKER_INDEX"
MAX_WORKERS = 64
QUICK_EXIT_SECONDS = 10.0  # a worker that dies sooner than this after its start failed to start
QUICK_EXITS_ALLOWED = 3  # in a row, for one worker, before the supervisor gives up
STOP_GRACE_SECONDS = 15.0  # after SIGTERM, before the workers still running are killed
POLL_SECONDS = 0.2


class WorkersSettingError(ValueError):
    """``FORUM_WORKERS`` or what it needs is not usable; the message says why and what to do."""


def worker_count(environ: Mapping[str, str]) -> int:
    """``FORUM_WORKERS`` as a number of processes (1 when unset)."""
    raw = (environ.get(WORKERS_VARIABLE) or "").strip()
    if not raw:
        return 1
    try:
        count = int(raw)
    except ValueError:
        raise WorkersSettingError(
            f"{WORKERS_VARIABLE} must be a whole number of processes (1 to {MAX_WORKERS}), not {raw!r}."
        ) from None
    if not 1 <= count <= MAX_WORKERS:
        raise WorkersSettingError(f"{WORKERS_VARIABLE} must be between 1 and {MAX_WORKERS}, not {count}.")
    return count


def is_worker(environ: Mapping[str, str]) -> bool:
    """True in a process the supervisor started."""
    return bool((environ.get(INDEX_VARIABLE) or "").strip())


def check_environment(environ: Mapping[str, str], count: int) -> None:
    """Refuse settings under which several processes would serve a room that does not hold together."""
    if count > 1 and not (environ.get("FORUM_MESSAGE_QUEUE") or "").strip():
        raise WorkersSettingError(
            f"{WORKERS_VARIABLE}={count} needs FORUM_MESSAGE_QUEUE (for example redis://127.0.0.1:6379/0): "
            "without it a change made through one process never reaches the people connected to the others."
        )
    transports = (environ.get("FORUM_LIVE_TRANSPORTS") or "").replace(" ", "")
    if count > 1 and "polling" in transports.split(","):
        raise WorkersSettingError(
            f"{WORKERS_VARIABLE}={count} cannot serve FORUM_LIVE_TRANSPORTS={transports}: long-polling needs "
            "every request of a connection to reach the same process. Leave FORUM_LIVE_TRANSPORTS unset, or "
            "run one process per port behind a proxy with sticky sessions (docs/deploy.md)."
        )


@dataclass
class Worker:
    index: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    quick_exits: int = 0


@dataclass
class Supervisor:
    """Starts, watches and stops the workers. ``command`` runs one worker (``python app.py``)."""

    count: int
    command: Sequence[str]
    environ: Mapping[str, str]
    workers: list[Worker] = field(default_factory=list)
    stopping: bool = False
    failure: int | None = None

    def start(self) -> None:
        self.workers = [Worker(index) for index in range(self.count)]
        for worker in self.workers:
            self._spawn(worker)

    def _spawn(self, worker: Worker) -> None:
        env = {**self.environ, INDEX_VARIABLE: str(worker.index)}
        worker.process = subprocess.Popen(list(self.command), env=env)
        worker.started = time.monotonic()

    def stop(self, *_: object) -> None:
        """Ask every worker to finish (a signal handler, or after a failure)."""
        self.stopping = True
        for worker in self.workers:
            if worker.process is not None and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)

    def watch_once(self) -> None:
        """Restart a worker that died, unless it keeps dying at its start; then stop them all."""
        for worker in self.workers:
            process = worker.process
            if process is None or self.stopping:
                continue
            status = process.poll()
            if status is None:
                continue
            lived = time.monotonic() - worker.started
            worker.quick_exits = worker.quick_exits + 1 if lived < QUICK_EXIT_SECONDS else 0
            if worker.quick_exits >= QUICK_EXITS_ALLOWED:
                print(
                    f"Worker {worker.index} stopped {worker.quick_exits} times within "
                    f"{QUICK_EXIT_SECONDS:.0f} s of its start (last exit status {status}); "
                    "stopping the server. Its output above says why.",
                    file=sys.stderr,
                    flush=True,
                )
                self.failure = status or 1
                self.stop()
                return
            print(f"Worker {worker.index} exited with status {status}; starting it again.", file=sys.stderr)
            self._spawn(worker)

    def wait(self) -> int:
        while not self.stopping:
            self.watch_once()
            time.sleep(POLL_SECONDS)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for worker in self.workers:
            if worker.process is None:
                continue
            try:
                worker.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
        return self.failure or 0


def supervise(command: Sequence[str], environ: Mapping[str, str] | None = None) -> int:
    """Run ``command`` as ``FORUM_WORKERS`` workers until a signal stops them; the exit status."""
    environ = dict(os.environ if environ is None else environ)
    try:
        count = worker_count(environ)
        check_environment(environ, count)
    except WorkersSettingError as error:
        print(f"Cannot start: {error}", file=sys.stderr)
        return 2
    supervisor = Supervisor(count, command, environ)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        supervisor.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    supervisor.start()
    print(f"Started {count} worker processes.", flush=True)
    return supervisor.wait()
