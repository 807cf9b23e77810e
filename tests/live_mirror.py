"""A reference client of the live protocol (docs/realtime.md) built on python-socketio.

It keeps the snapshot, applies numbered deltas in order, buffers early ones, resyncs on a gap,
and records every sequence number it applied, so tests can check order and completeness.
As the protocol page says, its handlers are registered before it connects (the snapshot arrives
before ``connect`` fires), and ``connect`` never resets state: ``disconnect`` marks it stale.
"""

from __future__ import annotations

import copy
import threading
import time
from typing import Any

import socketio

NAMESPACE = "/live"


def apply_delta(state: dict[str, Any], delta: dict[str, Any]) -> None:
    """Set what the delta says (the same rules as static/js/live/client.js)."""
    data, kind = delta["data"], delta["type"]
    if kind == "session":
        state["session"] = {k: data[k] for k in ("status", "started_at", "ended_at")}
        state["event"]["status"] = data["event_status"]
    elif kind == "current_question":
        state["current_question_id"] = data["question_id"]
    elif kind == "agenda":
        state["agenda"] = data["agenda"]
    elif kind == "panel":
        state["panel"] = data["panel"]
    elif kind == "floor":
        state["floor"], state["speaking"] = data["floor"], data["speaking"]
    elif kind == "contribution":
        feed = state["feed"]
        index = next((i for i, item in enumerate(feed) if item["id"] == data["id"]), None)
        if index is None:
            feed.append(data)
        else:
            feed[index] = data
    elif kind == "feed":
        state["feed_enabled"] = data["enabled"]
        if "items" in data:
            state["feed"] = data["items"]
    elif kind == "audience_question":
        questions = state["questions"]
        questions[:] = [q for q in questions if q["id"] != data["id"]]
        if not data.get("removed"):
            questions.append(data)
            questions.sort(key=lambda q: (q["created_at"], q["id"]))
    elif kind == "votes":
        held = {q["id"] for q in state["questions"]}
        state["questions"].extend(q for q in data.get("questions", []) if q["id"] not in held)
        state["questions"].sort(key=lambda q: (q["created_at"], q["id"]))
        for question in state["questions"]:
            if str(question["id"]) in data["counts"]:
                question["votes"] = data["counts"][str(question["id"])]
    elif kind == "highlight":
        state["highlighted_question_id"] = data["question_id"]
    elif kind == "audience_settings":
        state["audience"] = data
    elif kind == "poll":
        state["polls"] = [p for p in state["polls"] if p["id"] != data["id"]] + [data]
        state["polls"].sort(key=lambda p: (p["opened_at"], p["id"]))
    elif kind == "poll_tally":
        for poll in state["polls"]:
            if poll["id"] == data["poll_id"]:
                poll["tally"], poll["total"] = data["tally"], data["total"]
    elif kind == "written_answer":
        answers = state.setdefault("written_answers", [])
        key = (data["participant_id"], data["question_id"])
        answers[:] = [a for a in answers if (a["participant_id"], a["question_id"]) != key]
        if data["id"] is not None:
            answers.append(data)
            answers.sort(key=lambda a: (a["question_id"], a["participant_id"]))


def comparable(state: dict[str, Any]) -> dict[str, Any]:
    """A state without the fields that legitimately differ between two readings (clock, counter)."""
    clean = copy.deepcopy(state)
    clean.pop("server_time", None)
    clean.pop("seq", None)
    clean.pop("mine", None)  # each member's own view, kept up to date by notices and acks
    return clean


class MirrorClient:
    def __init__(self, url: str, auth: dict[str, Any], *, headers: dict[str, str] | None = None) -> None:
        self.url, self.auth, self.headers = url, auth, headers or {}
        self.lock = threading.Lock()
        self.state: dict[str, Any] | None = None
        self.seq = 0
        self.applied: list[int] = []
        self.first_seq: int | None = None  # the sequence number of the first snapshot
        self.snapshots = 0
        self.resyncs = 0
        self.buffer: list[dict[str, Any]] = []
        self.connect_errors: list[Any] = []
        self.events: list[str] = []  # "snapshot", "connect", "disconnect" in the order they happened
        self.awaiting_snapshot = True
        self.notices: list[dict[str, Any]] = []
        # Every handler is in place before connecting: the snapshot comes before "connect".
        self.sio = socketio.Client(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1)
        self.sio.on("snapshot", self._on_snapshot, namespace=NAMESPACE)
        self.sio.on("delta", self._on_delta, namespace=NAMESPACE)
        self.sio.on("notice", self.notices.append, namespace=NAMESPACE)
        self.sio.on("connect", self._on_connect, namespace=NAMESPACE)
        self.sio.on("disconnect", self._on_disconnect, namespace=NAMESPACE)
        self.sio.on("connect_error", self.connect_errors.append, namespace=NAMESPACE)

    def connect(self, transports: tuple[str, ...] = ("websocket",)) -> MirrorClient:
        self.sio.connect(
            self.url,
            namespaces=[NAMESPACE],
            auth=self.auth,
            headers=self.headers,
            transports=list(transports),
            wait_timeout=10,
        )
        return self

    def close(self) -> None:
        self.sio.disconnect()

    def _on_snapshot(self, snapshot: dict[str, Any]) -> None:
        with self.lock:
            self.events.append("snapshot")
            self._take_snapshot(snapshot)

    def _on_connect(self) -> None:
        with self.lock:
            self.events.append("connect")  # the snapshot is already applied: nothing to reset here

    def _take_snapshot(self, snapshot: dict[str, Any]) -> None:
        if self.state is None and not self.applied:
            self.first_seq = snapshot["seq"]
        self.state, self.seq = snapshot, snapshot["seq"]
        self.awaiting_snapshot = False
        self.snapshots += 1
        waiting, self.buffer = sorted(self.buffer, key=lambda d: d["seq"]), []
        for delta in waiting:
            self._apply(delta)

    def _on_disconnect(self, *_: Any) -> None:
        with self.lock:
            self.events.append("disconnect")
            self.awaiting_snapshot = True  # deltas wait for the snapshot that follows the reconnect

    def _on_delta(self, delta: dict[str, Any]) -> None:
        with self.lock:
            if self.state is None or self.awaiting_snapshot:
                self.buffer.append(delta)
            else:
                self._apply(delta)

    def _apply(self, delta: dict[str, Any]) -> None:
        if delta["seq"] <= self.seq:
            return
        if delta["seq"] > self.seq + 1:
            self.buffer.append(delta)
            self.resyncs += 1
            threading.Thread(target=self.resync, daemon=True).start()
            return
        apply_delta(self.state, delta)
        self.seq = delta["seq"]
        self.applied.append(delta["seq"])

    def resync(self) -> None:
        ack = self.call("sync")
        if ack["ok"]:
            with self.lock:
                self._take_snapshot(ack["result"])

    def call(self, name: str, payload: dict[str, Any] | None = None, timeout: float = 10) -> dict[str, Any]:
        return self.sio.call(name, payload or {}, namespace=NAMESPACE, timeout=timeout)

    def wait_until(self, predicate: Any, timeout: float = 15) -> bool:
        """Wait (bounded) until ``predicate(state)`` holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.state is not None and predicate(self.state):
                    return True
            time.sleep(0.02)
        return False

    def wait_for_seq(self, seq: int, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if self.seq >= seq:
                    return True
            time.sleep(0.02)
        return False

    def wait_connected(self, timeout: float = 15) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.sio.connected and NAMESPACE in self.sio.namespaces:
                return True
            time.sleep(0.05)
        return False
