"""What keeps a long-running process as fast on its tenth event as on its first (bench/soak.py measures it):
in-memory rate-limit counters are forgotten once their window has passed, and counting starts no timer,
so under gevent a hit (made inside the action's transaction) never hands the loop to other greenlets.

The clock is the storage's own (``time.time``), moved by hand, so nothing here waits.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from forum import PROJECT_ROOT
from forum.errors import RateLimited
from forum.rate_limits import RateLimits

MEMBERS = 500
SWEEP_SECONDS = 10  # how often forum.rate_limits.SweptMemoryStorage forgets passed windows


@pytest.fixture
def clock(monkeypatch):
    """A settable ``time.time`` for the rate-limit storage (and everything else in this test)."""
    now = [1_800_000_000.0]
    monkeypatch.setattr(time, "time", lambda: now[0])

    def advance(seconds: float) -> None:
        now[0] += seconds

    return advance


def kept_keys(rates: RateLimits) -> int:
    """How many counters the in-memory storage holds (its moving-window lists and their locks)."""
    return max(len(rates.storage.events), len(rates.storage.locks))


def test_counters_of_a_past_event_are_forgotten(clock):
    rates = RateLimits({"vote": "60/minute", "network": "300/minute"}, "memory://")
    for member in range(MEMBERS):  # one event's audience, each from its own address
        rates.hit("network", f"address-{member}")
        rates.hit("vote", f"member:{member}")
    assert kept_keys(rates) == 2 * MEMBERS

    clock(60 + SWEEP_SECONDS)  # the event is over and its windows have passed
    rates.hit("vote", "member:next-event")

    assert kept_keys(rates) == 1


def test_a_sweep_keeps_the_windows_still_running(clock):
    rates = RateLimits({"question": "2/minute"}, "memory://")
    rates.hit("question", "member:1")
    rates.hit("question", "member:1")

    clock(SWEEP_SECONDS + 1)
    rates.hit("question", "member:2")  # sweeps; member 1's window runs for another 49 s
    with pytest.raises(RateLimited):
        rates.hit("question", "member:1")

    clock(60)
    rates.hit("question", "member:1")


def test_a_busy_key_keeps_no_more_entries_than_its_limit(clock):
    rates = RateLimits({"network": "5/second"}, "memory://")
    for _ in range(200):  # one address that never rests: 4 actions a second for 50 s
        rates.hit("network", "address")
        clock(0.25)

    assert [len(entries) for entries in rates.storage.events.values()] == [5]


def test_counting_leaves_no_expiry_timer_to_fire(monkeypatch):
    timers: list[threading.Timer] = []

    class RecordedTimer(threading.Timer):
        """Recorded instead of started: what matters is whether one is left waiting to fire."""

        def start(self) -> None:
            timers.append(self)

    monkeypatch.setattr(threading, "Timer", RecordedTimer)
    rates = RateLimits({"vote": "60/minute"}, "memory://")
    for member in range(20):
        rates.hit("vote", f"member:{member}")
        rates.ensure_room("vote", f"member:{member}")

    assert [timer for timer in timers if not timer.finished.is_set()] == []


GEVENT_HITS = """
from gevent import monkey

monkey.patch_all()
import gevent

from forum.rate_limits import RateLimits

rates = RateLimits({"vote": "60/minute"}, "memory://")
gevent.sleep(0.05)
others_ran, yielded = [], 0
for member in range(30):
    others_ran.clear()
    gevent.spawn(others_ran.append, member)  # runs as soon as the loop gets a turn
    rates.hit("vote", f"member:{member}")
    yielded += bool(others_ran)
    gevent.sleep(0.02)  # the next action comes a little later, as in a room
print(yielded)
"""


def test_under_gevent_a_hit_never_lets_other_greenlets_run():
    """A hit is counted while the action holds a pooled connection (and, on SQLite, the write lock): were it
    to yield, everything else the loop has to do would run first, and other writers would queue behind it."""
    result = subprocess.run(
        [sys.executable, "-c", GEVENT_HITS], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"
