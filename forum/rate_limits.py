"""Rate limits for audience actions and sign-in, counted with the `limits` library.

Counters live in memory, or in Redis when the app runs on several processes, so a limit holds
across all of them. Keys are member ids and keyed hashes of network addresses, never raw addresses.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from limits import RateLimitItem, parse, storage, strategies
from limits.errors import StorageError
from limits.storage import MemoryStorage

from forum.errors import RateLimited

log = logging.getLogger(__name__)
T = TypeVar("T")

FRIENDLY = {
    "question": _l("You are sending questions faster than the room can read them."),
    "vote": _l("You are voting very quickly."),
    "report": _l("You have sent many reports in a short time."),
    "poll_vote": _l("You are voting very quickly."),
    "comment": _l("You are commenting faster than readers can follow."),
    "network": _l("Many requests are coming from your network right now."),
    "signin": _l("Too many sign-in attempts from your network."),
    "signin_account": _l("Too many failed sign-ins to this account."),
    "join": _l("Many wrong event codes were tried from your network."),
    "pdf": _l("Many PDFs were downloaded from your network just now."),
    "invitation_mail": _l("You have sent many invitation e-mails in a short time."),
    "captions": _l("Captions are arriving faster than this link takes them; send fewer, longer posts."),
    "identity": _l(
        "Many new audience members joined from your network just now; you can follow along, and taking part "
        "opens shortly."
    ),
}


class _ExpiryTimerOff:
    """Stands in for MemoryStorage's expiry timer: the library starts a new timer on a hit only when its
    current one is no longer alive, and this one never stops being alive."""

    def is_alive(self) -> bool:
        return True

    def cancel(self) -> None:
        pass


class SweptMemoryStorage(MemoryStorage):
    """The `limits` library's in-process storage, kept small for a server process that runs for days.

    As shipped, the storage starts a 10 ms timer after a hit, and each time it fires the timer walks every
    key ever counted; a key whose window has passed keeps its (empty) list for good. Every event's members
    and every address that ever took part therefore made each later walk longer, and under gevent the walk
    runs in one piece on the thread that serves every connection. Worse, under gevent starting the timer
    (``Thread.start`` waits for the new thread) hands the loop to every other greenlet in the middle of the
    action's transaction, while it holds a pooled connection and, on SQLite, the write lock: writers queued
    behind it until the pool ran dry (docs/performance.md, "Soak"). Here no timer runs. Instead a hit
    forgets, at most every ``SWEEP_SECONDS``, each key whose last entry has left its window, and a key keeps
    no more entries than its limit (the moving window never looks further back than that).
    """

    SWEEP_SECONDS = 10.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.timer.cancel()  # the one the library starts in its constructor
        self.timer = _ExpiryTimerOff()  # type: ignore[assignment]
        self._guard = threading.Lock()  # a sweep and a hit never interleave (tests run real threads)
        self._window_ends: dict[str, float] = {}
        self._next_sweep = time.time() + self.SWEEP_SECONDS

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        with self._guard:
            if time.time() >= self._next_sweep:
                self._sweep()
            acquired = super().acquire_entry(key, limit, expiry, amount)
            if acquired:
                self._window_ends[key] = time.time() + expiry
                del self.events[key][limit:]  # newest first; older entries can no longer refuse anything
            elif key in self.events:
                self._window_ends.setdefault(key, time.time() + expiry)
            return acquired

    def _sweep(self) -> None:
        now = time.time()
        for key, window_end in list(self._window_ends.items()):
            if window_end <= now:
                del self._window_ends[key]
                self.clear(key)
        self._next_sweep = now + self.SWEEP_SECONDS

    def reset(self) -> int | None:
        with self._guard:
            self._window_ends.clear()
            return super().reset()


def _storage(uri: str, **options: Any) -> storage.Storage:
    """The storage a FORUM_RATE_LIMIT_STORAGE URI names; ``memory://`` is counted in a SweptMemoryStorage."""
    if uri.partition("://")[0] == "memory":
        return SweptMemoryStorage(uri, **options)
    return storage.storage_from_string(uri, **options)


class RateLimits:
    """The limits of one app, with the storage they count in.

    When the shared storage (Redis) cannot be reached, counting goes on in this process instead of failing
    the action: limits then hold per process rather than across all of them, which is logged once; the
    shared storage is tried again every few seconds and used as soon as it answers.
    """

    RETRY_SECONDS = 5.0

    def __init__(self, rules: dict[str, str], storage_uri: str) -> None:
        try:
            self.items: dict[str, RateLimitItem] = {name: parse(rule) for name, rule in rules.items()}
        except ValueError as error:
            raise ValueError(f"A FORUM_RATE_* setting is not a rate such as '5/minute': {error}") from error
        options: dict[str, float] = {}
        if storage_uri.startswith(("redis", "rediss")):
            # An outage must not hang the actions that count: give up on Redis within a second.
            options = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
        self.storage = _storage(storage_uri, wrap_exceptions=True, **options)
        self.limiter = strategies.MovingWindowRateLimiter(self.storage)
        self.local = strategies.MovingWindowRateLimiter(SweptMemoryStorage())
        self.degraded = False
        self._retry_at = 0.0

    def _counted(self, operation: Callable[[strategies.MovingWindowRateLimiter], T]) -> T:
        """Run ``operation`` on the shared limiter, or on this process's while the shared one is down."""
        if not self.degraded or time.monotonic() >= self._retry_at:
            try:
                result = operation(self.limiter)
            except StorageError as error:
                if not self.degraded:
                    log.warning(
                        "rate-limit storage unreachable (%s): counting in this process until it returns",
                        type(error.storage_error).__name__,
                    )
                self.degraded = True
                self._retry_at = time.monotonic() + self.RETRY_SECONDS
            else:
                if self.degraded:
                    log.warning("rate-limit storage reachable again: counting there")
                    self.degraded = False
                return result
        return operation(self.local)

    def hit(self, name: str, key: str) -> None:
        """Count one action; refuse with a friendly message and a wait time once the limit is reached."""
        item = self.items[name]
        if self._counted(lambda limiter: limiter.hit(item, "forum", name, key)):
            return
        self._refuse(name, key)

    def ensure_room(self, name: str, key: str) -> None:
        """Refuse, without counting, while limit ``name`` is already reached for ``key`` (for limits that
        count only failures: the next attempt is refused even if it would succeed)."""
        item = self.items[name]
        if not self._counted(lambda limiter: limiter.test(item, "forum", name, key)):
            self._refuse(name, key)

    def _refuse(self, name: str, key: str) -> None:
        item = self.items[name]
        reset_at, _remaining = self._counted(
            lambda limiter: limiter.get_window_stats(item, "forum", name, key)
        )
        wait = max(1, math.ceil(reset_at - time.time()))
        raise RateLimited(
            ngettext(
                "%(reason)s Please wait %(num)s second and try again.",
                "%(reason)s Please wait %(num)s seconds and try again.",
                wait,
                reason=str(FRIENDLY.get(name, _l("Too many requests."))),
            ),
            retry_after=wait,
        )

    def reset(self) -> None:
        """Forget every counter (tests)."""
        self.local.storage.reset()
        self._counted(lambda limiter: limiter.storage.reset())


def current_limits() -> RateLimits:
    return current_app.extensions["forum.rate_limits"]


def enforce(name: str, key: str | None) -> None:
    """Apply limit ``name`` to ``key``; nothing to count without a key."""
    if key:
        current_limits().hit(name, key)


def ensure_room(name: str, key: str | None) -> None:
    """Refuse while limit ``name`` is reached for ``key``, without counting this attempt."""
    if key:
        current_limits().ensure_room(name, key)
