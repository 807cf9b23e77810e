"""Coalesced vote counts and poll tallies.

A vote does not broadcast by itself. Its commit marks the question or poll as changed; a background
task of this process wakes at most every ``interval`` seconds, reads the exact counts from the
database and queues one numbered delta per event. However fast votes arrive, an event's counts are
broadcast at most 1/interval times a second, and since each broadcast carries counts read after the votes
committed, every client ends with exactly what the database holds.

Several processes behind one Redis message queue share the interval (``RedisTallyWindow``): otherwise each
would send its own ``votes`` delta to every connection of every process, N workers N times as many.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from flask import Flask

from forum.extensions import socketio

log = logging.getLogger(__name__)

Mark = tuple[int, str, int]  # (event id, "question" | "poll", id)
Item = tuple[str, int]  # a mark within its event
MAX_ATTEMPTS = 3
# A crowded process sends counts less often: each `votes` delta goes to every connection, and at 2,000 phones
# five a second took about 40% of the process's CPU during a vote storm (bench/vote_storm.py), time the votes
# themselves were waiting for. Twice a second still shows everyone the stored counts within a second.
CROWD = 1_000  # live connections on this process
CROWD_INTERVAL = 0.5


# The shortest window a flush takes in Redis (a process flushing by hand, with no interval, still takes one).
MIN_WINDOW = 0.05


class RedisTallyWindow:
    """One flush of an event's counts per interval across every process behind one Redis message queue.

    A process adds what its votes changed to the event's set in Redis, then tries to take the event's
    window: a key that only one process can set, and that expires after the interval. The process that takes
    it empties the set and broadcasts the counts of everything in it, its own changes and the others'. The
    others leave theirs in the set and try again once the window has passed, so a change is never left
    behind: either the next window's taker broadcasts it, or they find the set emptied already.
    """

    def __init__(self, url: str, prefix: str, timeout: float = 2.0) -> None:
        import redis

        self.redis = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
        self.prefix = prefix

    def claim(self, event_id: int, changed: set[Item], window: float) -> set[Item] | None:
        """Add ``changed`` to the event's set; if this process takes the window, everything in the set (now
        emptied), else None."""
        pending, taken = f"{self.prefix}:tallies:{event_id}", f"{self.prefix}:tallies-window:{event_id}"
        pipe = self.redis.pipeline(transaction=False)
        if changed:
            pipe.sadd(pending, *(f"{kind}:{item_id}" for kind, item_id in changed))
        pipe.set(taken, "1", nx=True, px=max(1, int(window * 1000)))
        if not pipe.execute()[-1]:
            return None
        with self.redis.pipeline(transaction=True) as take:
            members, _deleted = take.smembers(pending).delete(pending).execute()
        if not members and not changed:
            # Only trying again for what waited, and another process sent it already: nothing is sent, so
            # the window is not needed, and keeping it would hold up the next process's counts.
            self.redis.delete(taken)
        claimed: set[Item] = set()
        for member in members:
            kind, _, item_id = (member.decode() if isinstance(member, bytes) else member).partition(":")
            claimed.add((kind, int(item_id)))
        return claimed


class TallyCoalescer:
    def __init__(
        self,
        app: Flask,
        interval: float = 0.2,
        idle_stop: float = 5.0,
        window: RedisTallyWindow | None = None,
    ) -> None:
        self.app = app
        self.interval = interval
        self.idle_stop = idle_stop
        self.window = window
        self._lock = threading.Lock()
        self._marks: set[Mark] = set()
        # Events whose changes wait in Redis for a window this process did not get.
        self._waiting: set[int] = set()
        self._window_down = False  # the shared window's Redis did not answer (warned once per outage)
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
                if not self._marks and not self._waiting:
                    idle += pause
                    if idle >= self.idle_stop:
                        self._running = False  # stops by itself; the next mark starts it again
                        return
                    continue
            idle = 0.0
            self.flush_pending()

    def flush_pending(self) -> None:
        """Broadcast the current counts of everything marked since the last flush (with a shared window:
        of everything the processes marked, if this process takes the window)."""
        with self._lock:
            marks, self._marks = self._marks, set()
            waiting, self._waiting = self._waiting, set()
        if not marks and not waiting:
            return
        marks = self._through_window(marks, waiting)
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

    def _through_window(self, marks: set[Mark], waiting: set[int]) -> set[Mark]:
        """What this process broadcasts now: its own marks without a shared window; with one, everything
        the processes marked for each event whose window it takes (the other events wait for their next)."""
        if self.window is None:
            return marks
        changed: dict[int, set[Item]] = {event_id: set() for event_id in waiting}
        for event_id, kind, item_id in marks:
            changed.setdefault(event_id, set()).add((kind, item_id))
        window = max(self.current_interval(), MIN_WINDOW)
        to_send: set[Mark] = set()
        for event_id, items in changed.items():
            try:
                claimed = self.window.claim(event_id, items, window)
            except Exception:
                # Redis unreachable (the queue is too): send what this process knows, and keep trying for
                # what may wait there, the other processes' changes or its own from before.
                if not self._window_down:
                    log.warning("no shared window for vote counts; sending this process's own", exc_info=True)
                self._window_down = True
                claimed = None
                to_send |= {(event_id, kind, item_id) for kind, item_id in items}
            else:
                self._window_down = False
            if claimed is None:
                with self._lock:
                    self._waiting.add(event_id)
                continue
            to_send |= {(event_id, kind, item_id) for kind, item_id in claimed}
        return to_send
