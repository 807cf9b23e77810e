"""How many live connections this process holds, in all and per network address, and the refusal past
either limit (``FORUM_MAX_CONNECTIONS``, ``FORUM_MAX_CONNECTIONS_PER_ADDRESS``; per process); and how fast
it lets them in (``FORUM_ADMISSION_RATE``).

A connection is counted from the moment it is admitted until it disconnects, whatever its role: one
address opening thousands of sockets, or a room fuller than the process can serve, is refused at the door
with a clear reason instead of slowing everyone down.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable

from flask_babel import gettext as _

from forum.errors import DomainError


class TooManyConnections(DomainError):
    code = "too_many_connections"
    status = 503


class ConnectionLimits:
    def __init__(self, total: int, per_address: int) -> None:
        self.total, self.per_address = total, per_address
        self._lock = threading.Lock()  # gevent's, once patched; a real one in threaded tests
        self._address_of: dict[str, str | None] = {}
        self._per_address: Counter[str] = Counter()

    def admit(self, sid: str, network_key: str | None) -> None:
        """Count connection ``sid`` from ``network_key``, or refuse it (counting nothing)."""
        with self._lock:
            if sid in self._address_of:
                return
            if len(self._address_of) >= self.total:
                raise TooManyConnections(
                    _("The live room is full right now. Please try again in a few minutes."),
                )
            if network_key is not None and self._per_address[network_key] >= self.per_address:
                raise TooManyConnections(
                    _(
                        "Too many live connections come from your network. Close the tabs you do not need "
                        "and try again."
                    ),
                )
            self._address_of[sid] = network_key
            if network_key is not None:
                self._per_address[network_key] += 1

    def release(self, sid: str) -> None:
        """Forget connection ``sid`` (a disconnect, or a refusal after admission)."""
        with self._lock:
            if sid not in self._address_of:
                return
            network_key = self._address_of.pop(sid)
            if network_key is not None:
                self._per_address[network_key] -= 1
                if self._per_address[network_key] <= 0:
                    del self._per_address[network_key]

    def counts(self) -> tuple[int, int]:
        """(connections held, addresses they come from)."""
        with self._lock:
            return len(self._address_of), len(self._per_address)


# The longest a connection waits in line before it is told to come back later instead.
ADMISSION_MAX_WAIT = 10.0


class AdmissionBusy(DomainError):
    code = "busy"
    status = 503


class AdmissionPace:
    """Lets connections in at most ``rate`` a second (after a first ``burst``), so that a crowd arriving at
    once (thousands of phones reconnecting after a restart) is served in turn while broadcasts to those
    already in the room go on.

    ``reserve`` says how long the caller must wait for its turn; the caller sleeps that long (a greenlet:
    nobody else waits with it). Past ``max_wait`` the connection is refused with ``busy`` instead, and the
    browser tries again a few seconds later (static/js/live/client.js). A ``rate`` of 0 lets everyone in
    at once. The pace is per process: N workers admit N times as many.
    """

    def __init__(
        self, rate: float, burst: int, max_wait: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate, self.burst, self.max_wait, self._clock = rate, max(1, burst), max_wait, clock
        self._lock = threading.Lock()
        self._due = 0.0  # when the line of admitted connections will have been let through

    def reserve(self) -> float:
        """Seconds to wait before going in, or ``AdmissionBusy`` when the line is longer than ``max_wait``."""
        if self.rate <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            due = max(self._due, now)
            wait = due - now - (self.burst - 1) / self.rate
            if wait > self.max_wait:
                raise AdmissionBusy(
                    _("Many people are joining right now. The page connects by itself in a few seconds."),
                )
            self._due = due + 1 / self.rate
            return max(0.0, wait)
