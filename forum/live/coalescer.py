"""Coalesced vote counts and poll tallies.

A vote does not broadcast by itself. Its commit marks the question or poll as changed; a background
task of this process wakes at most every ``interval`` seconds, reads the exact counts from the
database and queues one numbered delta per event. However fast votes arrive, an event's counts are
broadcast at most 1/interval times a second per process, and since each broadcast carries counts read
after the votes committed, every client ends with exactly what the database holds.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from flask import Flask

from forum.extensions import socketio

log = logging.getLogger(__name__)

Mark = tuple[int, str, int]  # (event id, "question" | "poll", id)
MAX_ATTEMPTS = 3
# A crowded process sends counts less often: each `votes` delta goes to every connection, and at 2,000 phones
# five a second took about 40% of the process's CPU during a vote storm (bench/vote_storm.py), time the votes
# themselves were waiting for. Twice a second still shows everyone the stored counts within a second.
CROWD = 1_000  # live connections on this process
CROWD_INTERVAL = 0.5


class TallyCoalescer:
    def __init__(self, app: Flask, interval: float = 0.2, idle_stop: float = 5.0) -> None:
        self.app = app
        self.interval = interval
        self.idle_stop = idle_stop
        self._lock = threading.Lock()
        self._marks: set[Mark] = set()
        self._attempts: dict[Mark, int] = {}
        self._running = False
        self.flushes = 0

    def mark(self, marks: set[Mark]) -> None:
        """Remember changed counts; start the flushing task if it is not running (interval 0: manual)."""
        with self._lock:
            self._marks |= marks
            start = self.interval > 0 and not self._running
            if start:
                self._running = True
        if start:
            socketio.start_background_task(self._run)

    def current_interval(self) -> float:
        """Seconds between two flushes: ``interval``, or ``CROWD_INTERVAL`` while the process is crowded."""
        connections = self.app.extensions.get("forum.connections")
        if connections is not None and connections.counts()[0] >= CROWD:
            return max(self.interval, CROWD_INTERVAL)
        return self.interval

    def _run(self) -> None:
        idle = 0.0
        while True:
            pause = self.current_interval()
            socketio.sleep(pause)
            with self._lock:
                if not self._marks:
                    idle += pause
                    if idle >= self.idle_stop:
                        self._running = False  # stops by itself; the next mark starts it again
                        return
                    continue
            idle = 0.0
            self.flush_pending()

    def flush_pending(self) -> None:
        """Broadcast the current counts of everything marked since the last flush."""
        with self._lock:
            marks, self._marks = self._marks, set()
        if not marks:
            return
        from forum.audience.tallies import publish_tallies
        from forum.boundary import unit_of_work

        by_event: dict[int, dict[str, set[int]]] = defaultdict(lambda: {"question": set(), "poll": set()})
        for event_id, kind, item_id in marks:
            by_event[event_id][kind].add(item_id)
        try:
            with self.app.app_context(), unit_of_work() as session:
                for event_id, groups in by_event.items():
                    publish_tallies(session, event_id, groups["question"], groups["poll"])
            self.flushes += 1
            self._attempts = {k: v for k, v in self._attempts.items() if k not in marks}
        except Exception:
            log.exception("could not broadcast vote counts; will retry")
            with self._lock:
                for mark in marks:
                    self._attempts[mark] = self._attempts.get(mark, 0) + 1
                    if self._attempts[mark] < MAX_ATTEMPTS:
                        self._marks.add(mark)
