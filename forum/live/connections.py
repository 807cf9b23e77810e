"""How many live connections this process holds, in all and per network address, and the refusal past
either limit (``FORUM_MAX_CONNECTIONS``, ``FORUM_MAX_CONNECTIONS_PER_ADDRESS``; per process).

A connection is counted from the moment it is admitted until it disconnects, whatever its role: one
address opening thousands of sockets, or a room fuller than the process can serve, is refused at the door
with a clear reason instead of slowing everyone down.
"""

from __future__ import annotations

import threading
from collections import Counter

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
