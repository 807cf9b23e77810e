"""Crash test: the server process is killed (SIGKILL) while audience members ask and vote. After a restart
on the same database every acknowledged write is there exactly once, and a retry with the same
``client_id`` gets the first answer and repeats nothing.

What was in flight at the moment of the kill has no known outcome: retried after the restart, it too lands
exactly once (the first attempt's work if it committed, otherwise the retry's).
"""

from __future__ import annotations

import os
import secrets
import signal
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import socketio
from sqlalchemy import func, select

from forum.access import token_hash
from forum.models import AudienceMember, AudienceQuestion, QuestionVote, SubmissionReceipt
from forum.protocol import NAMESPACE
from tests.identities import E2E_SECRET, e2e_audience_token
from tests.live_server import LiveServer

pytestmark = pytest.mark.e2e

MEMBERS = 4
BUDGET = 400  # submissions per member at most: far more than are sent before the kill
KILL_AFTER = 10  # acknowledged questions, and as many acknowledged votes, before the kill
DEADLINE = 60.0  # for any one wait; generous for a busy two-core machine
RATES = {f"FORUM_RATE_{name}": "100000/minute" for name in ("QUESTION", "VOTE", "NETWORK")}


@dataclass
class Submission:
    name: str
    payload: dict[str, Any]
    ack: dict[str, Any] | None = None  # None: no answer came (the server died with it in flight)


@dataclass
class Board:
    """What all members have been told so far: the questions asked (to vote on) and the count of each kind."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    questions: list[int] = field(default_factory=list)
    acknowledged: Counter[str] = field(default_factory=Counter)
    changed: threading.Condition = field(init=False)

    def __post_init__(self) -> None:
        self.changed = threading.Condition(self.lock)

    def record(self, submission: Submission) -> None:
        with self.changed:
            self.acknowledged[submission.name] += 1
            if submission.name == "audience.ask":
                self.questions.append(submission.ack["result"]["question_id"])
            self.changed.notify_all()

    def pick(self, n: int) -> int | None:
        with self.lock:
            return self.questions[(7 * n) % len(self.questions)] if self.questions else None

    def wait_for(self, count: int, timeout: float) -> bool:
        """Wait until ``count`` questions and ``count`` votes were acknowledged."""
        with self.changed:
            return self.changed.wait_for(
                lambda: min(self.acknowledged["audience.ask"], self.acknowledged["audience.vote"]) >= count,
                timeout=timeout,
            )


class Connection:
    """A socket.io client that never reconnects by itself, so a call in flight when the server dies ends
    at once with no answer instead of waiting out its timeout."""

    def __init__(self, url: str, auth: dict[str, Any]) -> None:
        self.lock = threading.Lock()
        self.lost = False
        self.waiting: set[threading.Event] = set()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.connect(url, namespaces=[NAMESPACE], auth=auth, transports=["websocket"], wait_timeout=10)

    def _on_disconnect(self, *_: Any) -> None:
        with self.lock:
            self.lost = True
            for done in self.waiting:
                done.set()

    def call(self, name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """The ack, or None when the connection dropped (or no ack came within the deadline)."""
        answers: list[dict[str, Any]] = []
        done = threading.Event()
        with self.lock:
            if self.lost:
                return None
            self.waiting.add(done)

        def acknowledged(*args: Any) -> None:
            answers.extend(args[:1])
            done.set()

        try:
            self.sio.emit(name, payload, namespace=NAMESPACE, callback=acknowledged)
            done.wait(DEADLINE)
        except socketio.exceptions.SocketIOError:  # the connection went away under the emit
            pass
        finally:
            with self.lock:
                self.waiting.discard(done)
        return answers[0] if answers else None

    def close(self) -> None:
        self.sio.disconnect()


class Member:
    """One audience member (one identity token) who asks and votes in turn, recording every submission."""

    def __init__(self, number: int, token: str) -> None:
        self.number, self.token = number, token
        self.sent: list[Submission] = []
        self.refused: list[Submission] = []
        self.connection: Connection | None = None

    def join(self, url: str, slug: str) -> None:
        if self.connection is not None:
            self.connection.close()
        self.connection = Connection(url, {"event": slug, "audience": self.token})

    def submit(self, name: str, payload: dict[str, Any]) -> Submission:
        submission = Submission(name, payload, self.connection.call(name, payload))
        if submission.ack is not None and not submission.ack["ok"]:
            self.refused.append(submission)
        return submission

    def take_part(self, board: Board, stop: threading.Event) -> None:
        """Ask, then vote up a question someone asked, and so on until the server goes away."""
        for n in range(BUDGET):
            if stop.is_set():
                return
            if n % 2 == 0:
                payload = {"text": f"Member {self.number}, question {n}: who decides?", "client_id": cid()}
                name = "audience.ask"
            else:
                payload = {"question_id": board.pick(n + self.number), "up": True, "client_id": cid()}
                name = "audience.vote"
            submission = self.submit(name, payload)
            self.sent.append(submission)
            if submission.ack is None:
                return  # the server is gone; what became of this one is checked after the restart
            if submission.ack["ok"]:
                board.record(submission)


def cid() -> str:
    return secrets.token_hex(8)


def acknowledged(members: list[Member], name: str) -> list[Submission]:
    return [s for m in members for s in m.sent if s.name == name and s.ack is not None and s.ack["ok"]]


def in_flight(members: list[Member]) -> list[Submission]:
    return [s for m in members for s in m.sent if s.ack is None]


def stored(db_session) -> dict[str, Any]:
    """What the database holds: question ids by text, vote rows by (member, question), receipts."""
    db_session.rollback()  # a fresh look at what the server committed
    members = dict(db_session.execute(select(AudienceMember.token_hash, AudienceMember.id)).all())
    return {
        "members": members,
        "questions": Counter(db_session.scalars(select(AudienceQuestion.text))),
        "question_ids": dict(db_session.execute(select(AudienceQuestion.text, AudienceQuestion.id)).all()),
        "votes": Counter(db_session.execute(select(QuestionVote.member_id, QuestionVote.question_id)).all()),
        "receipts": Counter(
            db_session.execute(select(SubmissionReceipt.member_id, SubmissionReceipt.client_id)).all()
        ),
        "rows": {
            model.__name__: db_session.scalar(select(func.count()).select_from(model))
            for model in (AudienceMember, AudienceQuestion, QuestionVote, SubmissionReceipt)
        },
    }


def landed_once(members: list[Member], db: dict[str, Any], submissions: list[Submission]) -> list[str]:
    """What is wrong with these submissions in the database: each must be there exactly once."""
    wanted = {id(submission) for submission in submissions}
    problems = []
    for member in members:
        member_id = db["members"].get(token_hash(member.token, E2E_SECRET))
        for submission in (s for s in member.sent if id(s) in wanted):
            if db["receipts"][(member_id, submission.payload["client_id"])] != 1:
                problems.append(f"not one receipt for {submission}")
            if submission.name == "audience.ask":
                text = submission.payload["text"]
                if db["questions"][text] != 1:
                    problems.append(f"{db['questions'][text]} questions for {submission}")
                elif submission.ack and submission.ack["result"]["question_id"] != db["question_ids"][text]:
                    problems.append(f"another question than acknowledged for {submission}")
            elif db["votes"][(member_id, submission.payload["question_id"])] != 1:
                problems.append(f"not one vote for {submission}")
    return problems


@pytest.fixture
def crash_site(database_url, tmp_path, make_live_event):
    """A running session without pre-moderation on a real server; the server is stopped at the end."""
    live = make_live_event()
    servers = [LiveServer(database_url, tmp_path, **RATES).start()]
    moderator = Connection(servers[0].url, {"invite": live.tokens["moderator"]})
    for name, payload in [("session.start", {}), ("moderation.settings", {"premoderation": False})]:
        ack = moderator.call(name, payload)
        assert ack and ack["ok"], (name, ack)
    moderator.close()
    yield live, servers
    for server in servers:
        server.stop()


def test_every_acknowledged_write_survives_a_kill_exactly_once(
    crash_site, tmp_path, database_url, db_session
):
    live, servers = crash_site
    first = servers[0]
    members = [Member(n, e2e_audience_token()) for n in range(MEMBERS)]
    try:
        for member in members:
            member.join(first.url, live.event.slug)
        board, stop = Board(), threading.Event()
        threads = [threading.Thread(target=m.take_part, args=(board, stop), daemon=True) for m in members]
        for thread in threads:
            thread.start()
        try:
            assert board.wait_for(KILL_AFTER, DEADLINE), f"too few acknowledged before the deadline: {board}"
            assert all(t.is_alive() for t in threads), "every member is still sending when the server dies"
            os.kill(first.process.pid, signal.SIGKILL)
            first.process.wait(timeout=DEADLINE)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=DEADLINE)
        assert not any(t.is_alive() for t in threads)
        assert [s for m in members for s in m.refused] == [], "nothing is refused while the server runs"
        asked, voted = acknowledged(members, "audience.ask"), acknowledged(members, "audience.vote")
        unknown = in_flight(members)
        print(
            f"acknowledged before the kill: {len(asked)} asks, {len(voted)} votes; in flight: {len(unknown)}"
        )

        # The restart, on the same database and address.
        servers.append(LiveServer(database_url, tmp_path, port=first.port, **RATES).start())
        assert landed_once(members, stored(db_session), asked + voted) == [], "every acknowledged write, once"

        # Every member comes back and sends again all it sent (same client ids): acknowledged ones get their
        # first answer, the ones in flight land now if they had not.
        for member in members:
            member.join(servers[-1].url, live.event.slug)
            for submission in member.sent:
                retry = member.submit(submission.name, submission.payload)
                if submission.ack is not None:
                    assert retry.ack == submission.ack, f"a retry gets the first answer: {retry}"
                else:
                    assert retry.ack is not None and retry.ack["ok"], retry
                    submission.ack = retry.ack
        after = stored(db_session)
        everything = [s for m in members for s in m.sent]
        assert landed_once(members, after, everything) == []
        # Nothing else: one member per token, one question per ask, one vote per member and question.
        votes = {
            (m.token, s.payload["question_id"]) for m in members for s in m.sent if s.name == "audience.vote"
        }
        assert after["rows"] == {
            "AudienceMember": MEMBERS,
            "AudienceQuestion": sum(s.name == "audience.ask" for s in everything),
            "QuestionVote": len(votes),
            "SubmissionReceipt": len(everything),
        }
        # And a fresh snapshot counts each member's vote once.
        snapshot = members[0].connection.call("sync", {})["result"]
        shown = {question["id"]: question["votes"] for question in snapshot["questions"]}
        assert {question: shown.get(question) for _, question in votes} == Counter(q for _, q in votes)
    finally:
        for member in members:
            if member.connection is not None:
                member.connection.close()
