"""Several processes behind one Redis queue send one ``votes`` delta per event per interval between them,
not one each (issue 12): the changes every process marked are broadcast by whichever takes the window, and
none is left behind. Two coalescers on one app stand for two processes; the window is real Redis."""

from __future__ import annotations

import secrets

import pytest

from forum.live.coalescer import RedisTallyWindow, TallyCoalescer

EVENT = 7


@pytest.fixture
def published(monkeypatch):
    """Every broadcast of counts, as (event id, question ids, poll ids), instead of sending it."""
    from forum.audience import tallies

    sent: list[tuple[int, set[int], set[int]]] = []
    monkeypatch.setattr(tallies, "publish_tallies", lambda _s, e, q, p: sent.append((e, set(q), set(p))))
    return sent


@pytest.fixture
def window_of(redis_url, monkeypatch):
    """Windows on the real Redis, under a prefix of this test's own. A window lasts a minute unless the test
    lets it pass (``_window_passes``), so a slow moment cannot end one early."""
    from forum.live import coalescer

    monkeypatch.setattr(coalescer, "MIN_WINDOW", 60.0)
    prefix = f"forum-test-{secrets.token_hex(4)}"
    made: list[RedisTallyWindow] = []

    def factory() -> RedisTallyWindow:
        made.append(RedisTallyWindow(redis_url, prefix))
        return made[-1]

    yield factory
    if made:
        keys = list(made[0].redis.scan_iter(f"{prefix}:*"))
        if keys:
            made[0].redis.delete(*keys)


def _window_passes(window: RedisTallyWindow) -> None:
    """The window's key expires (as it would after the interval)."""
    window.redis.delete(f"{window.prefix}:tallies-window:{EVENT}")


@pytest.mark.redis
def test_two_processes_voting_at_once_send_one_delta_each_window(app, published, window_of):
    first = TallyCoalescer(app, interval=0, window=window_of())
    second = TallyCoalescer(app, interval=0, window=window_of())
    first.mark({(EVENT, "question", 1)})
    first.flush_pending()
    assert published == [(EVENT, {1}, set())]
    # Within the window the other process's votes, and more of the first's, wait in Redis.
    second.mark({(EVENT, "question", 2), (EVENT, "poll", 5)})
    second.flush_pending()
    first.mark({(EVENT, "question", 3)})
    first.flush_pending()
    assert published == [(EVENT, {1}, set())]
    _window_passes(first.window)
    first.flush_pending()  # nothing new of its own: it tries again for what waits
    assert published[1:] == [(EVENT, {2, 3}, {5})]
    _window_passes(first.window)
    second.flush_pending()  # its changes went out with the first's: nothing is sent twice
    assert len(published) == 2
    # Finding nothing left to send, it did not keep the window: the next change goes out at once.
    first.mark({(EVENT, "question", 4)})
    first.flush_pending()
    assert published[2:] == [(EVENT, {4}, set())]


@pytest.mark.redis
def test_a_change_marked_while_another_process_holds_the_window_goes_out_after_it(app, published, window_of):
    holder = TallyCoalescer(app, interval=0, window=window_of())
    late = TallyCoalescer(app, interval=0, window=window_of())
    holder.mark({(EVENT, "question", 1)})
    holder.flush_pending()
    late.mark({(EVENT, "question", 2)})
    late.flush_pending()
    assert published == [(EVENT, {1}, set())]
    _window_passes(late.window)
    late.flush_pending()
    assert published == [(EVENT, {1}, set()), (EVENT, {2}, set())]
    late.flush_pending()
    holder.flush_pending()
    assert len(published) == 2


@pytest.mark.redis
def test_a_waiting_process_keeps_flushing_until_its_changes_are_out(app, published, window_of):
    """Its flushing task does not stop while changes wait in Redis, even with no new votes."""
    from forum.extensions import socketio

    waiting = TallyCoalescer(app, interval=0.05, idle_stop=0.1, window=window_of())
    taken = f"{waiting.window.prefix}:tallies-window:{EVENT}"
    waiting.window.redis.set(taken, "1", px=60_000)  # another process holds the window
    waiting.mark({(EVENT, "question", 2)})  # starts its task, which finds the window taken
    for _ in range(200):  # bounded: the task flushes every 50 ms
        if EVENT in waiting._waiting:
            break
        socketio.sleep(0.02)
    assert EVENT in waiting._waiting and published == []
    waiting.window.redis.delete(taken)  # the other process's window passes
    for _ in range(200):
        if published:
            break
        socketio.sleep(0.02)
    assert published == [(EVENT, {2}, set())]


class _FlakyWindow:
    """A shared window whose answers are given in turn: taken (None), Redis failing, then claimed items."""

    def __init__(self, *answers):
        self.answers = list(answers)

    def claim(self, _event_id, _changed, _window):
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def test_a_change_waiting_in_redis_is_not_dropped_when_redis_fails_once(app, published):
    answers = _FlakyWindow(None, ConnectionError("gone"), {("question", 2)})
    coalescer = TallyCoalescer(app, interval=0, window=answers)
    coalescer.mark({(EVENT, "question", 2)})
    coalescer.flush_pending()  # another process holds the window: the change waits in Redis
    coalescer.flush_pending()  # Redis fails: nothing of its own to send, and the wait goes on
    assert published == []
    coalescer.flush_pending()
    assert published == [(EVENT, {2}, set())]


def test_without_redis_a_process_sends_its_own_counts(app, published):
    """A message queue that cannot be reached leaves each process to send what it knows (as with no queue)."""
    unreachable = RedisTallyWindow("redis://127.0.0.1:1/0", "forum-test", timeout=0.5)
    coalescer = TallyCoalescer(app, interval=0, window=unreachable)
    coalescer.mark({(EVENT, "question", 1)})
    coalescer.flush_pending()
    assert published == [(EVENT, {1}, set())]
