"""Many real socket.io clients voting at once against the real server: the stored counts are exact,
every client ends with exactly those counts, and vote broadcasts stay within the coalescing bound."""

from __future__ import annotations

import math
import secrets
import threading
import time

import pytest
from sqlalchemy import func, select

from forum.models import QuestionVote
from tests.identities import e2e_audience_token
from tests.live_mirror import MirrorClient
from tests.live_server import LiveServer

pytestmark = pytest.mark.e2e

VOTERS = 30
INTERVAL = 0.2  # the server's coalescing interval (forum/live/tallies.py default)


@pytest.fixture
def server(database_url, tmp_path, make_live_event):
    live = make_live_event()
    running = LiveServer(
        database_url, tmp_path, FORUM_RATE_NETWORK="100000/minute", FORUM_RATE_VOTE="1000/minute"
    ).start()
    yield live, running
    running.stop()


def _vote_burst(client: MirrorClient, question_ids: list[int], failures: list) -> None:
    # Up on every question, down on the first, up again on the first: the end state is "up everywhere".
    plan = [(qid, True) for qid in question_ids] + [(question_ids[0], False), (question_ids[0], True)]
    for qid, up in plan:
        ack = client.call("audience.vote", {"question_id": qid, "up": up, "client_id": secrets.token_hex(8)})
        if not ack["ok"]:
            failures.append(ack)


def test_concurrent_votes_converge_with_bounded_broadcasts(server, db_session):
    live, running = server
    clients: list[MirrorClient] = []
    try:
        moderator = MirrorClient(running.url, {"invite": live.tokens["moderator"]}).connect()
        clients.append(moderator)
        assert moderator.call("session.start")["ok"]
        assert moderator.call("moderation.settings", {"premoderation": False})["ok"]
        voters = [
            MirrorClient(running.url, {"event": live.event.slug, "audience": e2e_audience_token()}).connect()
            for _ in range(VOTERS)
        ]
        clients.extend(voters)
        question_ids = [
            voters[i].call("audience.ask", {"text": f"Question {i}?", "client_id": secrets.token_hex(8)})[
                "result"
            ]["question_id"]
            for i in range(3)
        ]
        watcher = voters[-1]
        assert watcher.wait_until(lambda s: len(s["questions"]) == 3)
        seq_before = watcher.seq

        failures: list = []
        threads = [threading.Thread(target=_vote_burst, args=(v, question_ids, failures)) for v in voters]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        burst = time.monotonic() - started
        assert failures == []

        stored = dict(
            db_session.execute(
                select(QuestionVote.question_id, func.count()).group_by(QuestionVote.question_id)
            ).all()
        )
        assert stored == dict.fromkeys(question_ids, VOTERS)

        def converged(state):
            return {q["id"]: q["votes"] for q in state["questions"]} == stored

        for client in voters:
            assert client.wait_until(converged), f"client ended with {client.state['questions']}"
        time.sleep(3 * INTERVAL)  # let a final flush land, so the count below is complete
        vote_broadcasts = watcher.seq - seq_before
        # One "votes" delta per flush; at most one flush per interval, plus the one after the burst.
        bound = math.ceil(burst / INTERVAL) + 3
        print(f"{VOTERS * 5} votes in {burst:.2f}s -> {vote_broadcasts} broadcasts (bound {bound})")
        assert 1 <= vote_broadcasts <= bound, (vote_broadcasts, bound, burst)
        assert vote_broadcasts < VOTERS * 5, "far fewer broadcasts than votes"
    finally:
        for client in clients:
            client.close()
